//! Chain benchmarks on one core: full validation of blocks (empty, and full of payments, of
//! multi-asset transfers or of Plutus V3 spends), mempool selection of a full block from 10,000
//! pending transactions, chain selection switching to a fork, and an epoch boundary crossed at
//! the first block against one crossed ahead.
//!
//!   cargo bench -p slotforge-chain --bench chain

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::plutus_spend::PlutusSpend;
use common::Devnet;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pallas_codec::minicbor;
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_chain::mempool::Mempool;
use slotforge_chain::selection::ChainSelection;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_devnet::txbuilder::{base_address, enterprise_address, key_hash, Assets, TxBuilder};
use slotforge_ledger::genesis::{AlonzoGenesis, ConwayGenesis, Genesis};
use slotforge_ledger::state::genesis_txin;
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{TxIn, TxOut};
use slotforge_praos::nonce::blake2b256;

/// A devnet whose genesis also funds `n` addresses of one payment key (distinct stake parts),
/// and `n` signed payments spending them, one each.
fn funded(n: usize) -> (Devnet, Vec<Transaction>) {
    let base = Devnet::new(3, 2160, (1, 20), 432_000);
    let payer = SigningKey::from_bytes(&[9; 32]);
    let addrs: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            base_address(
                0,
                &key_hash(&payer),
                &blake2b256(&[&(i as u64).to_be_bytes()])[..28].try_into().unwrap(),
            )
        })
        .collect();
    let mut shelley = base.cfg.genesis.shelley.clone();
    for a in &addrs {
        shelley.initial_funds.insert(hex::encode(a), 100_000_000);
    }
    let hash = blake2b256(&[&serde_json::to_vec_pretty(&shelley).unwrap()]);
    let genesis = Genesis::from_parts(shelley, AlonzoGenesis::default(), hash).unwrap();
    let net = Devnet {
        pools: base.pools,
        cfg: Arc::new(ChainConfig::new(genesis, None).unwrap()),
    };
    let txs = addrs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            TxBuilder::new()
                .input(genesis_txin(a))
                .output(enterprise_address(0, &[(i % 251) as u8; 28]), 0)
                .balance(&net.cfg.ledger, 100_000_000, 0, &[&payer])
        })
        .collect();
    (net, txs)
}

/// `n` multi-asset transfers, each spending an output that holds 10 ADA and 1,000 of each of
/// three assets (added to `state`'s UTxO) to two outputs sharing them.
fn asset_transfers(net: &Devnet, state: &mut ChainState, n: usize) -> Vec<Transaction> {
    let payer = SigningKey::from_bytes(&[9; 32]);
    let address = enterprise_address(0, &key_hash(&payer));
    let assets = |quantity: u64| -> Assets {
        let names = [b"alpha".to_vec(), b"beta".to_vec(), b"gamma".to_vec()];
        [([7u8; 28], names.into_iter().map(|n| (n, quantity)).collect())].into()
    };
    (0..n)
        .map(|i| {
            let input = TxIn {
                tx: blake2b256(&[b"asset input", &(i as u64).to_be_bytes()]),
                index: 0,
            };
            let funding = TxBuilder::new()
                .output_with_assets(address.clone(), 10_000_000, assets(1_000))
                .sign(&[]);
            let out = funding.decoded_body().unwrap().outputs[0].clone();
            let cbor = minicbor::to_vec(&out).unwrap();
            state.ledger.add_output(input, Arc::new(TxOut::decode(&cbor).unwrap()));
            TxBuilder::new()
                .input(input)
                .output_with_assets(address.clone(), 4_000_000, assets(400))
                .output_with_assets(address.clone(), 0, assets(600))
                .balance(&net.cfg.ledger, 10_000_000, 1, &[&payer])
        })
        .collect()
}

/// `n` copies of the transaction vectors' Plutus V3 spend ([`PlutusSpend`]), each spending a
/// copy of its script-locked output (added to `state`'s UTxO) and all sharing its collateral,
/// and `net`'s configuration with the V3 cost model the spend's integrity hash was made with.
fn plutus_spends(net: &Devnet, state: &mut ChainState, n: usize) -> (Arc<ChainConfig>, Vec<Transaction>) {
    let template = PlutusSpend::load();
    let genesis = Genesis::clone(&net.cfg.genesis).with_conway(ConwayGenesis {
        plutus_v3_cost_model: template.v3_cost_model.clone(),
        ..ConwayGenesis::default()
    });
    let cfg = Arc::new(ChainConfig::new(genesis, None).unwrap());
    // The ledger judges by the parameters it holds: those with the cost model.
    state.ledger.params = Arc::new(cfg.ledger.clone());
    state.ledger.prev_params = state.ledger.params.clone();
    let collateral = TxIn {
        tx: [0x22; 32],
        index: 0,
    };
    state
        .ledger
        .add_output(collateral, Arc::new(template.collateral.clone()));
    let spends = (0..n)
        .map(|i| {
            let input = TxIn {
                tx: blake2b256(&[b"script input", &(i as u64).to_be_bytes()]),
                index: 0,
            };
            state.ledger.add_output(input, Arc::new(template.locked.clone()));
            template.spend(input, collateral)
        })
        .collect();
    (cfg, spends)
}

/// A full block forged from what `mempool` selects out of `txs` at `slot`.
fn full_block(net: &Devnet, state: &ChainState, pool: usize, slot: u64, txs: &[Transaction]) -> (Block, u64) {
    let mut m = Mempool::new(&net.cfg, state, slot, u64::MAX);
    for t in txs {
        m.add(t.clone()).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = m.select(&net.cfg, state, slot, net.cfg.ledger.max_block_body_size, deadline);
    let n = body.transactions().len() as u64;
    (net.forge_body(state, pool, slot, body), n)
}

/// The first slot some pool leads on `state` after `after`.
fn led(net: &Devnet, state: &ChainState, after: u64) -> (u64, usize) {
    let slot = (after + 1..).find(|s| !net.leaders(state, *s).is_empty()).unwrap();
    (slot, net.leaders(state, slot)[0])
}

fn blocks(c: &mut Criterion) {
    let (net, txs) = funded(10_000);
    let g = net.genesis_state();
    let (slot, pool) = led(&net, &g, 0);
    let empty = net.forge(&g, pool, slot, Vec::new());
    // As many transactions of each kind as fit a 90 KiB body.
    let (full, n) = full_block(&net, &g, pool, slot, &txs[..1000]);
    let mut assets_state = g.clone();
    let transfers = asset_transfers(&net, &mut assets_state, 1000);
    let (assets_full, assets_n) = full_block(&net, &assets_state, pool, slot, &transfers);
    let mut script_state = g.clone();
    let (script_cfg, spends) = plutus_spends(&net, &mut script_state, 1000);
    let script_net = Devnet {
        pools: (0..net.pools.len() as u8).map(common::Pool::new).collect(),
        cfg: script_cfg,
    };
    let (script_full, script_n) = full_block(&script_net, &script_state, pool, slot, &spends);
    for (kind, block, count) in [
        ("payments", &full, n),
        ("multi-asset transfers", &assets_full, assets_n),
        ("Plutus V3 spends", &script_full, script_n),
    ] {
        eprintln!(
            "full block of {kind}: {count} transactions, {} body bytes",
            block.body().size()
        );
    }

    let mut group = c.benchmark_group("apply_block");
    group.throughput(Throughput::Elements(1));
    group.bench_function("empty (header rules only)", |b| {
        b.iter(|| g.apply_block(&net.cfg, &empty).unwrap())
    });
    group.throughput(Throughput::Elements(n));
    group.bench_function(format!("full ({n} payments, elements = transactions)"), |b| {
        b.iter(|| g.apply_block(&net.cfg, &full).unwrap())
    });
    group.throughput(Throughput::Elements(assets_n));
    group.bench_function(
        format!("full ({assets_n} multi-asset transfers, elements = transactions)"),
        |b| b.iter(|| assets_state.apply_block(&net.cfg, &assets_full).unwrap()),
    );
    group.throughput(Throughput::Elements(script_n));
    group.bench_function(
        format!("full ({script_n} Plutus V3 spends, elements = transactions)"),
        |b| b.iter(|| script_state.apply_block(&script_net.cfg, &script_full).unwrap()),
    );
    group.finish();

    let mut group = c.benchmark_group("mempool");
    let mut m = Mempool::new(&net.cfg, &g, slot, u64::MAX);
    for t in &txs {
        m.add(t.clone()).unwrap();
    }
    group.bench_function("select a full block from 10,000 pending", |b| {
        b.iter(|| {
            m.select(
                &net.cfg,
                &g,
                slot,
                net.cfg.ledger.max_block_body_size,
                Instant::now() + Duration::from_secs(60),
            )
        })
    });
    group.finish();
}

fn selection(c: &mut Criterion) {
    let net = Devnet::new(3, 10, (1, 2), 100_000);
    let g = net.genesis_state();
    let (main, _) = net.extend(&g, 0, 8);
    let mut at5 = g.clone();
    for b in &main[..5] {
        at5 = at5.apply_block(&net.cfg, b).unwrap();
    }
    let (fork, _) = net.extend(&at5, 10_000, 4);
    let mut group = c.benchmark_group("chain_selection");
    group.bench_function("extend the tip by one block", |b| {
        b.iter_batched(
            || {
                let mut s = ChainSelection::new(net.cfg.clone(), g.clone());
                for blk in &main[..7] {
                    s.add_block(blk.clone()).unwrap();
                }
                s
            },
            |mut s| s.add_block(main[7].clone()).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("switch to a fork (roll back 3, adopt 4)", |b| {
        b.iter_batched(
            || {
                let mut s = ChainSelection::new(net.cfg.clone(), g.clone());
                for blk in &main {
                    s.add_block(blk.clone()).unwrap();
                }
                for blk in &fork[..3] {
                    s.add_block(blk.clone()).unwrap();
                }
                s
            },
            |mut s| s.add_block(fork[3].clone()).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// The first block of an epoch pays the boundary unless it was crossed ahead: the chain's
/// tick from the state after the epoch's last block, cold, and when the crossing is
/// remembered (`crossings`), on a ledger of 100,000 accounts and 1,000 pools.
fn boundary(c: &mut Criterion) {
    let net = Devnet::new(3, 3, (1, 2), 100);
    let mut state = net.genesis_state();
    state.ledger = slotforge_ledger::boundary_fixture::state(100_000, 1_000);
    let epoch = state.ledger.epoch;
    let mut group = c.benchmark_group("epoch boundary (100,000 accounts, 1,000 pools)");
    group.sample_size(10);
    let mut n = 0u64;
    group.bench_function("crossed at the first block", |b| {
        b.iter_batched(
            || {
                // A tip of its own: nothing remembered.
                n += 1;
                let mut s = state.clone();
                s.tip = Some(slotforge_chain::chain_state::Point {
                    hash: blake2b256(&[&n.to_be_bytes()]),
                    slot: n,
                    block_number: n,
                });
                s
            },
            |s| s.ticked(epoch + 1),
            BatchSize::LargeInput,
        )
    });
    let mut ahead = state.clone();
    ahead.tip = Some(slotforge_chain::chain_state::Point {
        hash: [7; 32],
        slot: 0,
        block_number: 0,
    });
    let _ = ahead.ticked(epoch + 1);
    group.bench_function("crossed ahead", |b| b.iter(|| ahead.ticked(epoch + 1)));
    group.finish();
}

criterion_group!(benches, blocks, selection, boundary);
criterion_main!(benches);
