//! LEDGER (Conway `LEDGER`): one transaction's rules composed in the reference's order. For a
//! transaction marked valid: the treasury value, the reference scripts' size and the
//! withdrawals' DRep delegations, then CERTS and GOV; for every transaction: UTXOW (which runs
//! UTXO). Every failure is collected, as the reference reports them all; only a transaction
//! with none reaches UTXOS (phase two and the effects).

use super::tx_view::TxView;
use super::{balance, certs, gov, utxo, utxos, utxow, Checks};
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Credential, LedgerState};
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
    let view = TxView::new(tx, state, p.network_id)?;
    let before = state.clone();
    let mut failures = Vec::new();
    // What the body deposits, refunds and withdraws, from the body and the state before it,
    // whatever its flag (as the reference's `consumed` and `produced`).
    let balance = balance::of(&before, p, &view);
    if tx.is_valid() {
        ledger_checks(state, p, &view, &mut failures);
        certs::apply(state, p, &view, &mut failures);
        gov::apply(state, p, &view, &mut failures);
    }
    // UTXOW and UTXO judge against the state before the certificates.
    utxow::check(&before, p, &view, checks == Checks::Full, &mut failures);
    utxo::check(&before, p, slot, &view, &balance, &mut failures);
    if let Some(e) = LedgerError::from_failures(failures) {
        return Err(e);
    }
    utxos::apply(state, &before, p, &view, &balance, checks)
}

/// LEDGER's own checks: `ConwayTreasuryValueMismatch`, `ConwayTxRefScriptsSizeTooBig` and
/// `ConwayWdrlNotDelegatedToDRep` (key-hash accounts withdrawing must delegate to a DRep, from
/// protocol version 10).
fn ledger_checks(state: &LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    if let Some(declared) = tx.body.treasury_value {
        if declared != state.treasury {
            failures.push(LedgerError::TreasuryValueMismatch {
                actual: state.treasury,
                declared,
            });
        }
    }
    let size = utxo::ref_scripts_size(state, tx);
    if size > p.max_ref_script_size_per_tx {
        failures.push(LedgerError::TxRefScriptsSizeTooBig {
            size,
            max: p.max_ref_script_size_per_tx,
        });
    }
    if p.protocol_version.0 >= 10 {
        let undelegated: Vec<String> = tx
            .withdrawals
            .iter()
            .filter(|(_, c, _)| matches!(c, Credential::Key(_)))
            .filter(|(_, c, _)| state.accounts.get(c).and_then(|a| a.drep).is_none())
            .map(|(a, _, _)| hex::encode(a))
            .collect();
        if !undelegated.is_empty() {
            failures.push(LedgerError::WdrlNotDelegatedToDRep(undelegated));
        }
    }
}
