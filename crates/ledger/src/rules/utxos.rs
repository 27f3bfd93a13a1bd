//! UTXOS (Conway `UTXOS`): the Plutus scripts run (phase two), the result is held against the
//! transaction's `is_valid` flag (`ValidationTagMismatch`), and the transaction takes effect:
//! a valid one spends its inputs, adds its outputs and pays its fee, deposits and donation; an
//! invalid one only forfeits its collateral (the collateral return becomes output number
//! `outputs.len()`). A transaction re-applied after a full check is trusted on its flag.

use std::sync::Arc;

use super::tx_view::TxView;
use super::utxo::collateral_balance;
use super::utxow::{declared_units, plutus_needed};
use super::{Balance, Checks};
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::plutus::{plc_version_available, program_version, run_scripts, ScriptLanguages, ScriptsOutcome};
use crate::script::Script;
use crate::state::{LedgerState, TxIn};

/// Why a Plutus script's program version cannot run at the current protocol version, if so.
fn unavailable_version(p: &LedgerParams, script: &Script) -> Option<String> {
    let Script::Plutus(language, bytes) = script else {
        return None;
    };
    let major = p.protocol_version.0;
    let version = program_version(bytes)?;
    (!plc_version_available(*language, major, version)).then(|| {
        format!(
            "Plutus Core {}.{}.{} is not available in {language:?} at protocol version {major}",
            version.0, version.1, version.2
        )
    })
}

/// Runs phase two and applies `tx`'s effects to `state` (which CERTS and GOV have already
/// changed); `before` is the state before the transaction.
pub(super) fn apply(
    state: &mut LedgerState,
    before: &LedgerState,
    p: &LedgerParams,
    tx: &TxView<'_>,
    balance: &Balance,
    checks: Checks,
) -> Result<(), LedgerError> {
    let scripts = plutus_needed(tx);
    let (scripts_pass, reason) = if scripts.is_empty() {
        (true, None)
    } else if checks == Checks::Reapply {
        // A transaction already fully checked: its scripts gave what its flag says (the
        // reference's re-application does not run them again either).
        (tx.tx.is_valid(), None)
    } else {
        if let Some(why) = super::tx_info::untranslatable(before, tx, &scripts) {
            return Err(LedgerError::CollectErrors(why));
        }
        let languages: ScriptLanguages = scripts
            .iter()
            .filter_map(|((tag, ix), s)| s.language().map(|l| ((super::tag_number(*tag), *ix), l)))
            .collect();
        let inputs = tx
            .inputs
            .iter()
            .chain(&tx.collateral)
            .chain(&tx.reference_inputs)
            .copied()
            .collect::<std::collections::BTreeSet<_>>();
        match run_scripts(before, p, tx.tx, inputs, &languages, &declared_units(tx))? {
            // `mkTermToEvaluate`: a program whose Plutus Core version its language cannot run
            // at this protocol version fails here, in phase two.
            ScriptsOutcome::Passed(_) => match scripts.iter().find_map(|(_, s)| unavailable_version(p, s)) {
                Some(why) => (false, Some(why)),
                None => (true, None),
            },
            ScriptsOutcome::Failed(why) => (false, Some(why)),
        }
    };
    match (tx.tx.is_valid(), scripts_pass) {
        (true, true) => {
            let id = tx.tx.id();
            for i in &tx.inputs {
                state.remove_output(i);
            }
            for (index, out) in tx.outputs.iter().enumerate() {
                state.add_output(
                    TxIn {
                        tx: id,
                        index: index as u64,
                    },
                    Arc::new(out.clone()),
                );
            }
            state.fees = state.fees.saturating_add(tx.body.fee);
            state.deposits = state
                .deposits
                .saturating_add(balance.deposits)
                .saturating_sub(balance.refunds);
            state.donations = state.donations.saturating_add(tx.body.donation.map_or(0, u64::from));
            Ok(())
        }
        (false, false) => {
            *state = before.clone();
            // The collateral balance (UTXO has checked it equals `total_collateral` when given).
            let collected = u64::try_from(collateral_balance(before, tx).coin.max(0)).unwrap_or(u64::MAX);
            for i in &tx.collateral {
                state.remove_output(i);
            }
            if let Some(r) = &tx.collateral_return {
                state.add_output(
                    TxIn {
                        tx: tx.tx.id(),
                        index: tx.body.outputs.len() as u64,
                    },
                    Arc::new(r.clone()),
                );
            }
            state.fees = state.fees.saturating_add(collected);
            Ok(())
        }
        (true, false) => Err(LedgerError::ValidationTagMismatch { passed: false, reason }),
        (false, true) => Err(LedgerError::ValidationTagMismatch {
            passed: true,
            reason: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Language;
    use std::rc::Rc;
    use uplc::ast::{DeBruijn, Program, Term};

    #[test]
    fn a_program_version_its_language_lacks_fails_in_phase_two() {
        let script = |version| {
            let program = Program::<DeBruijn> {
                version,
                term: Term::Delay(Rc::new(Term::Constr { tag: 0, fields: vec![] })),
            };
            program.to_cbor().expect("encodes")
        };
        let p = LedgerParams::default();
        let v1 = Script::Plutus(Language::V1, script((1, 1, 0)));
        assert!(unavailable_version(&p, &v1).is_some_and(|why| why.contains("1.1.0")));
        let v3 = Script::Plutus(Language::V3, script((1, 1, 0)));
        assert_eq!(unavailable_version(&p, &v3), None);
        assert_eq!(unavailable_version(&p, &Script::Native(vec![0x82, 0x00, 0x00])), None);
    }
}
