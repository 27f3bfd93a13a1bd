//! LEDGER (Conway `LEDGER`): one transaction's phase-one rules composed in the reference's
//! order — the validity tag, what this ledger refuses by name (GOV, scripts), the inputs
//! (UTXO), the keys spending needs (UTXOW), CERTS (withdrawals drained, then certificates),
//! required signers, the witnesses (UTXOW), then UTXO's checks and the transaction's effects.
//! Each failure is its own `LedgerError` kind named after the reference's predicate failure;
//! the first failure is reported.

use std::collections::BTreeSet;

use super::utxo::{self, Balance};
use super::{certs, gov, scripts, utxow, Checks};
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::LedgerState;
use crate::tx::Transaction;

/// Checks every rule for `tx` at `slot` and applies it to `state` (a scratch copy: on error
/// the caller drops it).
pub(crate) fn apply(
    state: &mut LedgerState,
    p: &LedgerParams,
    slot: u64,
    tx: &Transaction,
    checks: Checks,
) -> Result<(), LedgerError> {
    if !tx.is_valid() {
        return Err(LedgerError::ValidationTagMismatch);
    }
    let body = tx.decoded_body()?;
    let wits = tx.decoded_witnesses()?;
    gov::refuse_governance(&body)?;
    scripts::refuse_scripts(&body, &wits)?;

    // Inputs first: the keys that must sign depend on what they spend.
    let inputs = utxo::resolve_inputs(state, &body)?;
    let mut required: BTreeSet<[u8; 28]> = BTreeSet::new();
    utxow::spending_keys(state, &inputs, &mut required)?;
    let withdrawn = certs::drain_withdrawals(state, p, &body, &mut required)?;
    let effects = certs::apply(state, p, &body, &mut required)?;
    for s in body.required_signers.iter().flat_map(|s| s.iter()) {
        required.insert(**s);
    }

    if checks == Checks::Full {
        utxow::check_witnesses(&wits, &body, tx, &required)?;
    }

    let balance = Balance {
        withdrawn,
        deposits: effects.deposits,
        refunds: effects.refunds,
    };
    let outputs = utxo::check(state, p, slot, tx, &body, &inputs, &balance)?;
    utxo::apply_effects(state, tx, body.fee, &inputs, outputs, &balance);
    Ok(())
}
