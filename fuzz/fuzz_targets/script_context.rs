//! The script-context builder: any decodable transaction, its inputs, collateral and reference
//! inputs resolved to outputs locked by a Plutus V3 script with an inline datum, every redeemer
//! run as that script with the devnet's cost models (`plutus::run_scripts`, which builds each
//! script's context through the evaluator). An outcome or a `CollectErrors`, never a crash: the
//! evaluator's own panics are caught there, so the default hook is restored for them to unwind.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Once};

use libfuzzer_sys::fuzz_target;
use slotforge_ledger::params::{ExUnits, Language, LedgerParams};
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
    let Ok(w) = tx.decoded_witnesses() else { return };
    let mut languages = BTreeMap::new();
    let mut declared = BTreeMap::new();
    let purposes: Vec<(u8, u32, ExUnits)> = match w.redeemer.as_deref() {
        Some(pallas_primitives::conway::Redeemers::List(l)) => l
            .iter()
            .map(|r| (r.tag as u8, r.index, ExUnits { mem: r.ex_units.mem, steps: r.ex_units.steps }))
            .collect(),
        Some(pallas_primitives::conway::Redeemers::Map(m)) => m
            .iter()
            .map(|(k, v)| (k.tag as u8, k.index, ExUnits { mem: v.ex_units.mem, steps: v.ex_units.steps }))
            .collect(),
        None => Vec::new(),
    };
    for (tag, index, units) in purposes {
        languages.insert((tag, index), Language::V3);
        declared.insert((tag, index), units);
    }
    let _ = slotforge_ledger::plutus::run_scripts(&state, &p, &tx, inputs, &languages, &declared);
});
