//! What UTXOS reports of Plutus scripts, on the transaction scenarios' own Plutus V3
//! transactions: a failing script with everything the reference's `PlutusWithContext` carries,
//! and a context the script's language cannot hold as `CollectErrors`, whatever the flag.

mod scenario;

use std::sync::Arc;

use pallas_codec::minicbor::data::Type;
use pallas_codec::minicbor::Decoder;
use slotforge_crypto::ed25519::{Signer, SigningKey};
use slotforge_ledger::error::{CollectError, ContextError, TxOutSource};
use slotforge_ledger::script::Script;
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{LedgerError, TxIn, TxOut};
use slotforge_praos::nonce::blake2b256;

fn load(name: &str) -> scenario::Scenario {
    let root = scenario::root();
    scenario::load(&root, &root.join("scenarios").join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_failing_script_is_reported_with_its_script_arguments_units_and_cost_model() {
    let s = load("00198-fail-transaction-marked-valid-whose-plutus-script-fails.json");
    let tx = s.tx.expect("decodes");
    let mut state = s.state;
    let error = state.apply_tx(&s.params, s.slot, &tx).expect_err("refused");
    let LedgerError::ValidationTagMismatch { is_valid, failures } = &error else {
        panic!("{error}")
    };
    assert!(*is_valid);
    assert_eq!(failures.len(), 1, "{error}");
    let f = &failures[0];

    // `[major, [language, script], hash, context, [mem, steps], costModel]`.
    let mut d = Decoder::new(&f.context);
    assert_eq!(d.array().unwrap(), Some(6));
    assert_eq!(d.u64().unwrap(), s.params.protocol_version.0);
    assert_eq!(d.array().unwrap(), Some(2));
    assert_eq!(d.u8().unwrap(), 2, "Plutus V3");
    let script = d.bytes().unwrap().to_vec();
    let hash = d.bytes().unwrap().to_vec();
    assert_eq!(
        hash,
        Script::Plutus(slotforge_ledger::params::Language::V3, script.clone()).hash()
    );
    let tx_bytes = tx.to_cbor();
    assert!(
        tx_bytes.windows(script.len()).any(|w| w == script),
        "the transaction's own script"
    );
    // A V3 script's one argument: its context, a constructor (`#6.121`).
    assert_eq!(d.datatype().unwrap(), Type::Tag);
    d.skip().unwrap();
    // The redeemer's units, as the transaction declares them.
    let wits = tx.decoded_witnesses().unwrap();
    let (_, _, units) = wits
        .redeemer
        .as_deref()
        .map(|r| match r {
            pallas_primitives::conway::Redeemers::List(l) => (l[0].tag, l[0].index, l[0].ex_units),
            pallas_primitives::conway::Redeemers::Map(m) => {
                let (k, v) = m.iter().next().unwrap();
                (k.tag, k.index, v.ex_units)
            }
        })
        .expect("a redeemer");
    assert_eq!(d.array().unwrap(), Some(2));
    assert_eq!((d.u64().unwrap(), d.u64().unwrap()), (units.mem, units.steps));
    // `encodeCostModel`: a definite-length list, however long.
    assert_eq!(d.array().unwrap(), Some(s.params.cost_models[&2].len() as u64));
    let model: Vec<i64> = (0..s.params.cost_models[&2].len()).map(|_| d.i64().unwrap()).collect();
    assert_eq!(model, s.params.cost_models[&2]);
    assert_eq!(d.position(), f.context.len());

    assert!(f.message.contains("The PlutusV3 script failed:"), "{}", f.message);
    assert!(f.message.contains(&hex::encode(&hash)), "{}", f.message);
}

#[test]
fn a_byron_output_in_a_scripts_context_is_a_collect_error_whatever_the_flag() {
    let s = load("00019-pass-plutus-spend-fee-at-minimum-including-ex-units-cost.json");
    let tx = s.tx.expect("decodes");
    // A mainnet Byron address's output, referenced by the spend (fees waived for the longer body).
    let byron =
        hex::decode("82d818582183581cb608f4d5e7a0eba5f8856688bf941ece797df055a7e9a6a9d00f756ba0001a26be3662").unwrap();
    let output = [
        vec![0x82, 0x58, byron.len() as u8],
        byron,
        vec![0x1a, 0x00, 0x98, 0x96, 0x80],
    ]
    .concat();
    let referenced = TxIn {
        tx: [0x33; 32],
        index: 0,
    };
    let mut state = s.state;
    state.add_output(referenced, Arc::new(TxOut::decode(&output).expect("a Byron output")));
    let params = slotforge_ledger::params::LedgerParams {
        min_fee_a: 0,
        ..s.params
    };
    let body = tx.body_bytes();
    assert_eq!(body.last(), Some(&0xff), "an indefinite-length body");
    // Field 18, the reference inputs: `#6.258([[txId, 0]])`.
    let extra = [
        hex::decode("12d9010281825820").unwrap(),
        referenced.tx.to_vec(),
        vec![0x00],
    ]
    .concat();
    let body = [&body[..body.len() - 1], &extra[..], &[0xff]].concat();
    for flag in [true, false] {
        let spend = signed(&tx, body.clone(), tx.witness_bytes(), flag);
        let error = state.clone().apply_tx(&params, s.slot, &spend).expect_err("refused");
        assert_eq!(
            error,
            LedgerError::CollectErrors(vec![CollectError::BadTranslation(ContextError::ByronTxOutInContext(
                TxOutSource::Input(referenced)
            ))]),
            "{error}"
        );
    }
}

/// `bytes` with `old` (which must occur) replaced by `new`.
fn replaced(bytes: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(old.len())
        .position(|w| w == old)
        .expect("the bytes to replace");
    [&bytes[..at], new, &bytes[at + old.len()..]].concat()
}

/// The scenario's transaction with `body`, `witnesses` and the flag `is_valid`, the body signed
/// by the scenario's key.
fn signed(original: &Transaction, body: Vec<u8>, witnesses: &[u8], is_valid: bool) -> Transaction {
    let key = SigningKey::from_bytes(&[0x42; 32]);
    let old = key.sign(&original.id()).to_bytes();
    let new = key.sign(&blake2b256(&[&body])).to_bytes();
    Transaction::from_parts(body, replaced(witnesses, &old, &new), is_valid, None).unwrap()
}

#[test]
fn every_failing_script_is_reported_in_the_reverse_of_the_scripts_needed_order() {
    let s = load("00198-fail-transaction-marked-valid-whose-plutus-script-fails.json");
    let tx = s.tx.expect("decodes");
    // A second output at the failing script's address (no lovelace, so the balance holds),
    // spent too: its input sorts first, so it is spend 0 and the scenario's is spend 1.
    let spent =
        TxIn::decode(&hex::decode("825820979e5d56289de5f54a601575b70f689191353e5e850282cde6e49ab7334a830c00").unwrap())
            .unwrap();
    let mut state = s.state;
    let locked = state.utxo.get(&spent).expect("the scenario's script output").clone();
    let second = TxIn {
        tx: [0x11; 32],
        index: 0,
    };
    let empty = [vec![0xa2, 0x00, 0x58, 0x1d], locked.address.clone(), vec![0x01, 0x00]].concat();
    state.add_output(second, Arc::new(TxOut::decode(&empty).unwrap()));
    // Fees waived for the longer body and the second script's units.
    let params = slotforge_ledger::params::LedgerParams {
        min_fee_a: 0,
        prices: ((0, 1), (0, 1)),
        ..s.params
    };
    let input = |i: &TxIn| [vec![0x82, 0x58, 0x20], i.tx.to_vec(), vec![0x00]].concat();
    let one = [vec![0x00, 0xd9, 0x01, 0x02, 0x81], input(&spent)].concat();
    let two = [vec![0x00, 0xd9, 0x01, 0x02, 0x82], input(&second), input(&spent)].concat();
    let body = replaced(tx.body_bytes(), &one, &two);
    // A redeemer for each: `{[0, 0]: [0, units], [0, 1]: [0, units]}`.
    let redeemer = hex::decode("8200821907d01a000f4240").unwrap();
    let wits = replaced(
        tx.witness_bytes(),
        &[&hex::decode("05a1820000").unwrap()[..], &redeemer].concat(),
        &[
            &hex::decode("05a2820000").unwrap()[..],
            &redeemer,
            &hex::decode("820001").unwrap(),
            &redeemer,
        ]
        .concat(),
    );
    // The script integrity hash covers the redeemers: take the one the ledger computes.
    let first = state
        .clone()
        .apply_tx(&params, s.slot, &signed(&tx, body.clone(), &wits, true));
    let computed = first
        .as_ref()
        .err()
        .and_then(|e| {
            e.failures().iter().find_map(|f| match f {
                LedgerError::PPViewHashesDontMatch { computed, .. } => computed.clone(),
                _ => None,
            })
        })
        .unwrap_or_else(|| panic!("the old integrity hash is refused: {first:?}"));
    let declared = tx.decoded_body().unwrap().script_data_hash.expect("a hash").to_vec();
    let body = replaced(&body, &declared, &hex::decode(computed).unwrap());

    let error = state
        .apply_tx(&params, s.slot, &signed(&tx, body, &wits, true))
        .expect_err("refused");
    let LedgerError::ValidationTagMismatch { failures, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(failures.len(), 2, "{error}");
    // Each context ends with the script's own purpose: the input it spends. The reference
    // runs spend 1 (the scenario's input) first.
    let last_spent = |context: &[u8]| {
        let at = |i: &TxIn| context.windows(32).rposition(|w| w == i.tx);
        if at(&spent) > at(&second) {
            spent
        } else {
            second
        }
    };
    assert_eq!(last_spent(&failures[0].context), spent);
    assert_eq!(last_spent(&failures[1].context), second);
}
