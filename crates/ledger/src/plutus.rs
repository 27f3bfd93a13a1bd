//! Phase two: a transaction's Plutus scripts run with aiken's `uplc` evaluator (its
//! transaction-level API builds each language's script context), at the ledger's protocol
//! version, with the cost models of the current parameters.
//!
//! Around the evaluator, what cardano-ledger does and `uplc` leaves to its caller: each script
//! must stay within the units its redeemer declares, a V3 script must return unit, and a
//! context the evaluator cannot build is the reference's `CollectErrors`, not a crash (the
//! evaluator panics on some Conway contexts, so it runs under `catch_unwind`).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use pallas_codec::minicbor;
use pallas_primitives::conway::Redeemer;
use uplc::ast::{Constant, Term};

use crate::error::LedgerError;
use crate::params::{ExUnits, Language, LedgerParams};
use crate::state::{LedgerState, TxIn};
use crate::tx::Transaction;

/// How a transaction's scripts fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptsOutcome {
    /// Every script succeeded; the units each used, by redeemer (tag, index).
    Passed(BTreeMap<(u8, u32), ExUnits>),
    /// A script failed; the evaluator's message (the error and the script's traces).
    Failed(String),
}

/// The redeemers to run with their script's language, by (tag number, index).
pub type ScriptLanguages = BTreeMap<(u8, u32), Language>;

/// Runs the Plutus scripts of `tx` against the outputs its inputs, collateral and reference
/// inputs resolve to in `state`. `languages` names the language of each redeemer's script;
/// `declared` the units each redeemer declares.
pub fn run_scripts(
    state: &LedgerState,
    p: &LedgerParams,
    tx: &Transaction,
    inputs: impl IntoIterator<Item = TxIn>,
    languages: &ScriptLanguages,
    declared: &BTreeMap<(u8, u32), ExUnits>,
) -> Result<ScriptsOutcome, LedgerError> {
    let mut utxos = Vec::new();
    for i in inputs {
        if let Some(o) = state.utxo.get(&i) {
            utxos.push((encode_txin(&i), o.cbor.clone()));
        }
    }
    let cost_models = encode_cost_models(p);
    let budget = (p.max_tx_ex_units.steps, p.max_tx_ex_units.mem);
    let slot_config = (
        u64::try_from(p.system_start_ms).unwrap_or(0),
        0,
        u32::try_from(p.slot_length_ms).unwrap_or(u32::MAX),
    );
    let major = u16::try_from(p.protocol_version.0).unwrap_or(u16::MAX);
    let tx_bytes = tx.to_cbor();
    let evaluated = std::panic::catch_unwind(AssertUnwindSafe(|| {
        uplc::tx::eval_phase_two_raw_with_protocol(
            &tx_bytes,
            &utxos,
            Some(&cost_models),
            budget,
            slot_config,
            major,
            false,
            |_| (),
        )
    }));
    let results = match evaluated {
        Err(_) => {
            return Err(LedgerError::CollectErrors(
                "the evaluator cannot build this transaction's script context".into(),
            ))
        }
        Ok(Err(e)) => {
            // Only the machine's failure is a script failing; the evaluator wraps its other
            // errors (no cost model, a context it cannot translate, a script it cannot find or
            // decode) the same way, and those are the reference's `CollectErrors`.
            use uplc::tx::error::Error as E;
            let script_failed = match &e {
                E::Machine(..) => true,
                E::RedeemerError { err, .. } => matches!(**err, E::Machine(..)),
                _ => false,
            };
            return if script_failed {
                Ok(ScriptsOutcome::Failed(e.to_string()))
            } else {
                Err(LedgerError::CollectErrors(e.to_string()))
            };
        }
        Ok(Ok(r)) => r,
    };
    let mut used = BTreeMap::new();
    for (redeemer_cbor, result) in results {
        let r: Redeemer = minicbor::decode(&redeemer_cbor)
            .map_err(|e| LedgerError::CollectErrors(format!("the evaluator's redeemer: {e}")))?;
        let key = (crate::rules::tag_number(r.tag), r.index);
        let cost = result.cost();
        let units = ExUnits {
            mem: u64::try_from(cost.mem).unwrap_or(0),
            steps: u64::try_from(cost.cpu).unwrap_or(0),
        };
        let logs = result.logs();
        let returned_unit = matches!(result.result(), Ok(Term::Constant(c)) if matches!(c.as_ref(), Constant::Unit));
        let failed = match result.result() {
            Err(e) => Some(e.to_string()),
            Ok(Term::Error) => Some("the script called error".into()),
            Ok(_) if languages.get(&key) == Some(&Language::V3) && !returned_unit => {
                Some("a Plutus V3 script must return unit".into())
            }
            Ok(_) => None,
        };
        let allowed = declared.get(&key).copied().unwrap_or_default();
        let failed = failed.or_else(|| {
            (!units.within(allowed)).then(|| {
                format!(
                    "the script used {} memory and {} steps, its redeemer allows {} and {}",
                    units.mem, units.steps, allowed.mem, allowed.steps
                )
            })
        });
        if let Some(why) = failed {
            let traces = if logs.is_empty() {
                String::new()
            } else {
                format!(" (traces: {})", logs.join("; "))
            };
            return Ok(ScriptsOutcome::Failed(format!("redeemer {key:?}: {why}{traces}")));
        }
        used.insert(key, units);
    }
    Ok(ScriptsOutcome::Passed(used))
}

fn encode_txin(i: &TxIn) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    let mut e = minicbor::Encoder::new(&mut out);
    let _ = e.array(2).and_then(|e| e.bytes(&i.tx)).and_then(|e| e.u64(i.index));
    out
}

/// The cost models as the parameters encode them: `{0: [..], 1: [..], 2: [..]}`.
fn encode_cost_models(p: &LedgerParams) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = minicbor::Encoder::new(&mut out);
    let _ = e.map(p.cost_models.len() as u64);
    for (lang, model) in &p.cost_models {
        let _ = e.u8(*lang).and_then(|e| e.array(model.len() as u64));
        for v in model {
            let _ = e.i64(*v);
        }
    }
    out
}

/// Whether a serialised Plutus script decodes as a program (`validScript`'s deserialisation).
pub fn program_decodes(script: &[u8]) -> bool {
    let mut buffer = Vec::new();
    uplc::ast::Program::<uplc::ast::DeBruijn>::from_cbor(script, &mut buffer).is_ok()
}
