//! UTXOS (Conway `UTXOS`): the Plutus scripts run (phase two), the result is held against the
//! transaction's `is_valid` flag (`ValidationTagMismatch`), and the transaction takes effect:
//! a valid one spends its inputs, adds its outputs and pays its fee, deposits and donation; an
//! invalid one only forfeits its collateral (the collateral return becomes output number
//! `outputs.len()`). A transaction re-applied after a full check is trusted on its flag.

use std::sync::Arc;

use super::tx_view::TxView;
use super::utxo::collateral_balance;
use super::utxow::plutus_needed;
use super::{Balance, Checks};
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::plutus::{run_scripts, ScriptsOutcome};
use crate::state::{LedgerState, TxIn};

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
    let (scripts_pass, failures) = if scripts.is_empty() {
        (true, Vec::new())
    } else if checks == Checks::Reapply {
        // A transaction already fully checked: its scripts gave what its flag says (the
        // reference's re-application does not run them again either).
        (tx.tx.is_valid(), Vec::new())
    } else {
        if let Some(errors) = super::tx_info::collect_errors(before, p, tx, &scripts) {
            return Err(LedgerError::CollectErrors(errors));
        }
        let inputs = tx
            .inputs
            .iter()
            .chain(&tx.collateral)
            .chain(&tx.reference_inputs)
            .copied()
            .collect::<std::collections::BTreeSet<_>>();
        match run_scripts(before, p, tx.tx, inputs)? {
            ScriptsOutcome::Passed => (true, Vec::new()),
            ScriptsOutcome::Failed(mut failed) => {
                // The reference runs the scripts in the reverse of `scriptsNeeded`'s order
                // (its `merge` conses each collected script) and lists failures as they come.
                let position = |purpose: &(u8, u32)| {
                    scripts
                        .iter()
                        .position(|((tag, index), _)| (super::tag_number(*tag), *index) == *purpose)
                };
                failed.sort_by_key(|(purpose, _)| std::cmp::Reverse(position(purpose)));
                (false, failed.into_iter().map(|(_, f)| f).collect())
            }
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
        (true, false) => Err(LedgerError::ValidationTagMismatch {
            is_valid: true,
            failures,
        }),
        (false, true) => Err(LedgerError::ValidationTagMismatch {
            is_valid: false,
            failures: Vec::new(),
        }),
    }
}
