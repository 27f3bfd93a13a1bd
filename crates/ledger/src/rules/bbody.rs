//! BBODY's limits on a block's transactions taken together (Conway `BBODY`): the reference
//! scripts they use, at most `maxRefScriptSizePerBlock` (`BodyRefScriptsSizeTooBig`, counted on
//! the UTxO at the start of the block, as at protocol version 10), and the execution units their
//! redeemers declare, at most `maxBlockExUnits` (`TooManyExUnits`). Transactions marked invalid
//! count in both.

use std::collections::BTreeSet;

use crate::error::LedgerError;
use crate::params::{ExUnits, LedgerParams};
use crate::state::{LedgerState, TxIn};
use crate::tx::Transaction;

/// The bytes of reference scripts a transaction uses: those of the outputs its inputs and
/// reference inputs resolve to, each input once (`txNonDistinctRefScriptsSize`).
pub fn ref_scripts_size(state: &LedgerState, tx: &Transaction) -> u64 {
    let Ok(body) = tx.decoded_body() else { return 0 };
    let ins: BTreeSet<TxIn> = body
        .inputs
        .iter()
        .chain(body.reference_inputs.iter().flat_map(|s| s.iter()))
        .map(|i| TxIn {
            tx: *i.transaction_id,
            index: i.index,
        })
        .collect();
    ref_scripts_size_of(state, &ins)
}

/// The bytes of the reference scripts of the outputs `ins` resolve to.
pub(super) fn ref_scripts_size_of(state: &LedgerState, ins: &BTreeSet<TxIn>) -> u64 {
    ins.iter()
        .filter_map(|i| state.utxo.get(i))
        .filter_map(|o| o.script_ref.as_ref())
        .fold(0u64, |acc, s| acc.saturating_add(s.size()))
}

/// Checks a block's transactions against BBODY's limits, on the state at the block's start.
pub fn check(state: &LedgerState, p: &LedgerParams, txs: &[Transaction]) -> Result<(), LedgerError> {
    let mut failures = Vec::new();
    let size: u64 = txs.iter().map(|t| ref_scripts_size(state, t)).sum();
    if size > p.max_ref_script_size_per_block {
        failures.push(LedgerError::BodyRefScriptsSizeTooBig {
            size,
            max: p.max_ref_script_size_per_block,
        });
    }
    let used = txs
        .iter()
        .fold(ExUnits::default(), |acc, t| acc.saturating_add(t.declared_ex_units()));
    if !used.within(p.max_block_ex_units) {
        failures.push(LedgerError::TooManyBlockExUnits {
            max: p.max_block_ex_units,
            used,
        });
    }
    LedgerError::from_failures(failures).map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transaction with no input whose one redeemer declares `mem` memory and 1 step.
    fn declaring(mem: u8) -> Transaction {
        // {0: [], 1: [], 2: 0} and {5: [[0, 0, 0, [mem, 1]]]}
        let body = vec![0xa3, 0x00, 0x80, 0x01, 0x80, 0x02, 0x00];
        let wits = vec![0xa1, 0x05, 0x81, 0x84, 0x00, 0x00, 0x00, 0x82, mem, 0x01];
        Transaction::from_parts(body, wits, true, None).expect("decodes")
    }

    #[test]
    fn a_block_declares_at_most_max_block_ex_units() {
        let p = LedgerParams {
            max_block_ex_units: ExUnits { mem: 10, steps: 10 },
            ..LedgerParams::default()
        };
        let state = LedgerState::default();
        assert_eq!(declaring(6).declared_ex_units(), ExUnits { mem: 6, steps: 1 });
        check(&state, &p, &[declaring(6), declaring(4)]).expect("10 memory units fit");
        let err = check(&state, &p, &[declaring(6), declaring(5)]).unwrap_err();
        assert_eq!(err.name(), "TooManyExUnits");
    }
}
