//! Sync throughput: node A holds BLOCKS forged blocks (default 10,000; three pools, f = 1/2,
//! 500-slot epochs, so the sync crosses ~40 epoch boundaries); node B syncs them over loopback
//! with full validation (headers first, then bodies, every ledger and consensus rule); then
//! oura (no validation, it only decodes) follows the same node A from origin to the same tip.
//! Prints both rates and their ratio. `scripts/bench-sync.sh` runs it.
//!
//! With `SPENDS_PER_BLOCK=n` every block carries n Plutus V3 spends (the transaction vectors'
//! scenario 00019, spending outputs the genesis locks at the script's address), so B runs their
//! scripts; bodies are empty otherwise.

#[path = "../../chain/tests/common/mod.rs"]
mod common;
#[path = "../tests/loopback/mod.rs"]
mod loopback;
#[path = "../tests/oura_daemon/mod.rs"]
mod oura_daemon;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::plutus_spend::PlutusSpend;
use common::Devnet;
use loopback::{node, tip};
use oura_daemon::Oura;
use slotforge_chain::config::ChainConfig;
use slotforge_ledger::genesis::{ConwayGenesis, Genesis};
use slotforge_ledger::state::genesis_txin;
use slotforge_ledger::tx::Transaction;
use slotforge_praos::nonce::blake2b256;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::var("BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let per_block: usize = std::env::var("SPENDS_PER_BLOCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (net, spends) = devnet(n * per_block);
    let t = Instant::now();
    let (blocks, _) = net.extend_carrying(&net.genesis_state(), 0, n, spends, per_block);
    let carried: usize = blocks.iter().map(|b| b.body().transactions().len()).sum();
    eprintln!(
        "forged {n} blocks carrying {carried} Plutus spends in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let a = node(&net, vec![]).await;
    let t = Instant::now();
    for b in &blocks {
        a.chain.add_block(b.clone()).await.unwrap();
    }
    eprintln!("node A adopted them in {:.1} s", t.elapsed().as_secs_f64());
    let end = blocks.last().unwrap().hash();

    let t = Instant::now();
    let b = node(&net, vec![a.network.local_addr]).await;
    while tip(&b.chain).await.map(|p| p.hash) != Some(end) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ours = n as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let oura = Oura::start(a.network.local_addr.port(), false);
    let want = hex::encode(end);
    while !oura.last_applied(&want) {
        assert!(t.elapsed() < Duration::from_secs(600), "oura did not reach the tip");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let theirs = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "{n} blocks, {carried} Plutus spends: slotforge (full validation) {ours:.0} blocks/s, oura 2.2.1 (decoding only) {theirs:.0} blocks/s, ratio {:.2}",
        ours / theirs
    );
}

/// The devnet (three pools, k = 3, f = 1/2, 500-slot epochs), its genesis also locking
/// `spends` outputs at the Plutus spend's script and funding its collateral; and the spends.
fn devnet(spends: usize) -> (Devnet, Vec<Transaction>) {
    let base = Devnet::new(3, 3, (1, 2), 500);
    if spends == 0 {
        return (base, Vec::new());
    }
    let template = PlutusSpend::load();
    let mut shelley = base.cfg.genesis.shelley.clone();
    let addresses: Vec<Vec<u8>> = (0..spends as u64)
        .map(|i| template.script_address(blake2b256(&[&i.to_be_bytes()])[..28].try_into().unwrap()))
        .collect();
    for a in &addresses {
        shelley.initial_funds.insert(hex::encode(a), template.locked.coin);
    }
    let collateral = &template.collateral;
    shelley
        .initial_funds
        .insert(hex::encode(&collateral.address), collateral.coin);
    let hash = blake2b256(&[&serde_json::to_vec_pretty(&shelley).unwrap()]);
    let genesis = Genesis::from_parts(shelley, base.cfg.genesis.alonzo.clone(), hash)
        .unwrap()
        .with_conway(ConwayGenesis {
            plutus_v3_cost_model: template.v3_cost_model.clone(),
            ..ConwayGenesis::default()
        });
    let net = Devnet {
        pools: base.pools,
        cfg: Arc::new(ChainConfig::new(genesis, None).unwrap()),
    };
    let collateral = genesis_txin(&collateral.address);
    let txs = addresses
        .iter()
        .map(|a| template.spend(genesis_txin(a), collateral))
        .collect();
    (net, txs)
}
