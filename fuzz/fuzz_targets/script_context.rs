//! The script-context builder: any decodable transaction, its inputs, collateral and reference
//! inputs resolved to outputs locked by a Plutus V3 script with an inline datum, every redeemer
//! run with the devnet's V3 cost model (`plutus::run_scripts`, which builds each script's
//! context through the evaluator). An outcome or an `EvaluatorFailure`, never a crash: the
//! evaluator's own panics are caught there, so the default hook is restored for them to unwind.
#![no_main]

use std::collections::BTreeSet;
use std::sync::{Arc, Once};

use libfuzzer_sys::fuzz_target;
use slotforge_ledger::params::{Language, LedgerParams};
use slotforge_ledger::state::{LedgerState, TxIn, TxOut};
use slotforge_ledger::tx::Transaction;

/// An output at the address of a small V3 script (always unit), with the inline datum 7:
/// `{0: h'71' ‖ hash, 1: 5 ADA, 2: [1, #6.24(h'07')]}`.
fn script_output() -> TxOut {
    let mut cbor = vec![0xa3, 0x00, 0x58, 0x1d, 0x71];
    cbor.extend_from_slice(&[0x5a; 28]);
    cbor.extend_from_slice(&[0x01, 0x1a, 0x00, 0x4c, 0x4b, 0x40, 0x02, 0x82, 0x01, 0xd8, 0x18, 0x41, 0x07]);
    TxOut::decode(&cbor).expect("a well-formed output")
}

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| drop(std::panic::take_hook()));
    let Ok(tx) = Transaction::decode(data) else { return };
    let Ok(body) = tx.decoded_body() else { return };
    let out = Arc::new(script_output());
    let mut state = LedgerState::default();
    let mut inputs = BTreeSet::new();
    for i in body
        .inputs
        .iter()
        .chain(body.collateral.iter().flat_map(|s| s.iter()))
        .chain(body.reference_inputs.iter().flat_map(|s| s.iter()))
    {
        let i = TxIn {
            tx: *i.transaction_id,
            index: i.index,
        };
        state.add_output(i, out.clone());
        inputs.insert(i);
    }
    let mut p = LedgerParams::default();
    p.cost_models.insert(Language::V3.key(), slotforge_devnet::cost_models::mainnet().plutus_v3.clone());
    let _ = slotforge_ledger::plutus::run_scripts(&state, &p, &tx, inputs);
});
