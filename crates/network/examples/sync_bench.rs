//! Sync throughput: node A holds BLOCKS forged blocks (default 10,000; three pools, f = 1/2,
//! 500-slot epochs, so the sync crosses ~40 epoch boundaries); node B syncs them over loopback
//! with full validation (headers first, then bodies, every ledger and consensus rule); then
//! oura (no validation, it only decodes) follows the same node A from origin to the same tip.
//! Prints both rates and their ratio. `scripts/bench-sync.sh` runs it.

#[path = "../../chain/tests/common/mod.rs"]
mod common;
#[path = "../tests/loopback/mod.rs"]
mod loopback;
#[path = "../tests/oura_daemon/mod.rs"]
mod oura_daemon;

use std::time::{Duration, Instant};

use common::Devnet;
use loopback::{node, tip};
use oura_daemon::Oura;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::var("BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let net = Devnet::new(3, 3, (1, 2), 500);
    let t = Instant::now();
    let (blocks, _) = net.extend(&net.genesis_state(), 0, n);
    eprintln!("forged {n} blocks in {:.1} s", t.elapsed().as_secs_f64());
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
        "{n} blocks: slotforge (full validation) {ours:.0} blocks/s, oura 2.2.1 (decoding only) {theirs:.0} blocks/s, ratio {:.2}",
        ours / theirs
    );
}
