//! Transactions validated per second on one core — a payment, a multi-asset transfer, a native
//! minting (two policies, one signature) and a Plutus V3 spend (no signature) — and the Plutus spend's scripts run by the evaluator alone on
//! the same transaction and outputs (what decoding, phase one and building the context add).
//!
//!   cargo bench -p slotforge-ledger --bench transactions

#[path = "../tests/scenario/mod.rs"]
mod scenario;

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pallas_codec::minicbor;
use slotforge_crypto::ed25519::{Signer, SigningKey};
use slotforge_ledger::params::LedgerParams;
use slotforge_ledger::state::{LedgerState, TxIn, TxOut};
use slotforge_ledger::tx::Transaction;
use slotforge_praos::nonce::blake2b224;

/// A scenario's state, parameters, slot and transaction.
fn scenario(name: &str) -> (LedgerState, LedgerParams, u64, Transaction) {
    let root = scenario::root();
    let s = scenario::load(&root, &root.join("scenarios").join(name)).expect("the scenario reads");
    (s.state, s.params, s.slot, s.tx.expect("the transaction decodes"))
}

/// One input holding 10 ADA (and, `with_assets`, 1,000 of each of three assets) at the
/// scenarios' signer's enterprise address, spent to two outputs sharing it, signed.
fn transfer(p: &LedgerParams, with_assets: bool) -> (LedgerState, Transaction) {
    let key = SigningKey::from_bytes(&[0x42; 32]);
    let mut address = vec![0x60 | p.network_id];
    address.extend_from_slice(&blake2b224(key.verifying_key().as_bytes()));
    let policy = [7u8; 28];
    let names: &[&[u8]] = if with_assets {
        &[b"alpha", b"beta", b"gamma"]
    } else {
        &[]
    };
    // [address, [coin, {policy: {name: quantity}}]], the legacy output form.
    let output = |coin: u64, quantity: u64| {
        let mut out = Vec::new();
        let mut e = minicbor::Encoder::new(&mut out);
        e.array(2).unwrap().bytes(&address).unwrap();
        if names.is_empty() {
            e.u64(coin).unwrap();
            return out;
        }
        e.array(2).unwrap().u64(coin).unwrap();
        e.map(1)
            .unwrap()
            .bytes(&policy)
            .unwrap()
            .map(names.len() as u64)
            .unwrap();
        for n in names {
            e.bytes(n).unwrap().u64(quantity).unwrap();
        }
        out
    };
    let input = TxIn { tx: [1; 32], index: 0 };
    let mut state = LedgerState::default();
    state.add_output(input, Arc::new(TxOut::decode(&output(10_000_000, 1_000)).unwrap()));
    let fee = 200_000;
    let mut body = Vec::new();
    let mut e = minicbor::Encoder::new(&mut body);
    e.map(3).unwrap();
    e.u8(0)
        .unwrap()
        .array(1)
        .unwrap()
        .array(2)
        .unwrap()
        .bytes(&input.tx)
        .unwrap()
        .u64(0)
        .unwrap();
    e.u8(1).unwrap().array(2).unwrap();
    body.extend(output(4_000_000, 400));
    body.extend(output(6_000_000 - fee, 600));
    let mut e = minicbor::Encoder::new(&mut body);
    e.u8(2).unwrap().u64(fee).unwrap();
    let id = slotforge_praos::nonce::blake2b256(&[&body]);
    let sig = key.sign(&id);
    let mut wits = Vec::new();
    let mut e = minicbor::Encoder::new(&mut wits);
    e.map(1).unwrap().u8(0).unwrap().array(1).unwrap().array(2).unwrap();
    e.bytes(key.verifying_key().as_bytes())
        .unwrap()
        .bytes(&sig.to_bytes())
        .unwrap();
    let tx = Transaction::from_parts(body, wits, true, None).expect("a well-formed transaction");
    (state, tx)
}

fn transactions(c: &mut Criterion) {
    let mut group = c.benchmark_group("ledger: one transaction validated and applied (elements = transactions)");
    group.throughput(Throughput::Elements(1));
    // The scenarios' parameters (preprod's at protocol version 10).
    let (_, p, slot, _) = scenario("00018-pass-declared-fee-exactly-at-the-minimum.json");
    let (state, payment) = transfer(&p, false);
    state
        .clone()
        .apply_tx(&p, slot, &payment)
        .expect("the payment is valid");
    group.bench_function("payment (one signature, 2 outputs)", |b| {
        b.iter_batched(
            || state.clone(),
            |mut s| s.apply_tx(&p, slot, &payment).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let (ma_state, ma_tx) = transfer(&p, true);
    ma_state
        .clone()
        .apply_tx(&p, slot, &ma_tx)
        .expect("the multi-asset transfer is valid");
    group.bench_function("multi-asset transfer (3 assets, 2 outputs)", |b| {
        b.iter_batched(
            || ma_state.clone(),
            |mut s| s.apply_tx(&p, slot, &ma_tx).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let (mint_state, mint_p, mint_slot, mint) = scenario("00021-pass-native-script-mint-of-two-policies.json");
    group.bench_function("native-script minting (two policies)", |b| {
        b.iter_batched(
            || mint_state.clone(),
            |mut s| s.apply_tx(&mint_p, mint_slot, &mint).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let (v3_state, v3_p, v3_slot, v3) = scenario("00019-pass-plutus-spend-fee-at-minimum-including-ex-units-cost.json");
    group.bench_function("Plutus V3 spend (ledger: decoding, phase one, context, script)", |b| {
        b.iter_batched(
            || v3_state.clone(),
            |mut s| s.apply_tx(&v3_p, v3_slot, &v3).unwrap(),
            BatchSize::SmallInput,
        )
    });
    // The evaluator alone: uplc's transaction API on the same bytes, outputs and cost models.
    let body = v3.decoded_body().unwrap();
    let utxos: Vec<(Vec<u8>, Vec<u8>)> = body
        .inputs
        .iter()
        .chain(body.collateral.iter().flat_map(|s| s.iter()))
        .chain(body.reference_inputs.iter().flat_map(|s| s.iter()))
        .map(|i| {
            let txin = TxIn {
                tx: *i.transaction_id,
                index: i.index,
            };
            let mut k = Vec::new();
            minicbor::encode(i, &mut k).unwrap();
            (k, v3_state.utxo[&txin].cbor.clone())
        })
        .collect();
    let mut models = Vec::new();
    let mut e = minicbor::Encoder::new(&mut models);
    e.map(v3_p.cost_models.len() as u64).unwrap();
    for (l, m) in &v3_p.cost_models {
        e.u8(*l).unwrap().array(m.len() as u64).unwrap();
        for v in m {
            e.i64(*v).unwrap();
        }
    }
    let tx_bytes = v3.to_cbor();
    let budget = (v3_p.max_tx_ex_units.steps, v3_p.max_tx_ex_units.mem);
    let slot_config = (v3_p.system_start_ms as u64, 0, v3_p.slot_length_ms as u32);
    group.bench_function("Plutus V3 spend (evaluator alone: uplc's transaction API)", |b| {
        b.iter(|| {
            uplc::tx::eval_phase_two_raw_with_protocol(
                &tx_bytes,
                &utxos,
                Some(&models),
                budget,
                slot_config,
                10,
                false,
                |_| (),
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, transactions);
criterion_main!(benches);
