//! Chain benchmarks on one core: full validation of blocks (empty, and full of payments),
//! mempool selection of a full block from 10,000 pending transactions, and chain selection
//! switching to a fork.
//!
//!   cargo bench -p slotforge-chain --bench chain

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::Devnet;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_chain::mempool::Mempool;
use slotforge_chain::selection::ChainSelection;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_devnet::txbuilder::{base_address, enterprise_address, key_hash, TxBuilder};
use slotforge_ledger::genesis::{AlonzoGenesis, Genesis};
use slotforge_ledger::state::genesis_txin;
use slotforge_ledger::tx::Transaction;
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
        cfg: std::sync::Arc::new(ChainConfig::new(genesis, None).unwrap()),
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
    // As many payments as fit a 90 KiB body.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pool_m = Mempool::new(&net.cfg, &g, slot, u64::MAX);
    for t in &txs[..1000] {
        pool_m.add(&net.cfg, t.clone()).unwrap();
    }
    let body = pool_m.select(&net.cfg, &g, slot, net.cfg.ledger.max_block_body_size, deadline);
    let n = body.transactions().len() as u64;
    let full = net.forge_body(&g, pool, slot, body);
    eprintln!("full block: {n} transactions, {} body bytes", full.body().size());

    let mut group = c.benchmark_group("apply_block");
    group.throughput(Throughput::Elements(1));
    group.bench_function("empty (header rules only)", |b| {
        b.iter(|| g.apply_block(&net.cfg, &empty).unwrap())
    });
    group.throughput(Throughput::Elements(n));
    group.bench_function(format!("full ({n} payments, elements = transactions)"), |b| {
        b.iter(|| g.apply_block(&net.cfg, &full).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("mempool");
    let mut m = Mempool::new(&net.cfg, &g, slot, u64::MAX);
    for t in &txs {
        m.add(&net.cfg, t.clone()).unwrap();
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

criterion_group!(benches, blocks, selection);
criterion_main!(benches);
