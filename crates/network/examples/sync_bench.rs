//! Sync throughput: node A holds BLOCKS forged blocks (default 10,000; three pools, f = 1/2,
//! 500-slot epochs, so the sync crosses ~40 epoch boundaries); node B syncs them over loopback
//! with full validation (headers first, then bodies, every ledger and consensus rule); then
//! oura (no validation, it only decodes) follows the same node A from origin to the same tip.
//! Prints both rates and their ratio. `scripts/bench-sync.sh` runs it.

#[path = "../../chain/tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Devnet;
use slotforge_chain::service::{self, ChainHandle, ServiceConfig};
use slotforge_network::peers::{Network, NetworkConfig};
use slotforge_network::session::SessionContext;
use slotforge_network::topology::AccessPoint;

async fn node(net: &Devnet, dir: &std::path::Path, peers: Vec<std::net::SocketAddr>) -> (ChainHandle, Network) {
    let chain = service::start(
        &dir.join("chain.db"),
        (*net.cfg).clone(),
        ServiceConfig::default(),
        net.cfg.slot_start_ms(0),
    )
    .unwrap();
    let mut cfg = NetworkConfig::new("127.0.0.1:0".parse().unwrap(), 42);
    cfg.peers = peers
        .iter()
        .map(|a| AccessPoint {
            address: a.ip().to_string(),
            port: a.port(),
        })
        .collect();
    let ctx = SessionContext {
        chain: chain.clone(),
        network_magic: 42,
    };
    (chain.clone(), Network::start(cfg, ctx).await.unwrap())
}

fn oura_config(port: u16) -> String {
    let zero = "0".repeat(64);
    format!(
        "[source]\ntype = \"N2N\"\npeers = [\"127.0.0.1:{port}\"]\n\n[intersect]\ntype = \"Origin\"\n\n\
         [chain]\ntype = \"custom\"\nmagic = 42\nnetwork_id = 0\nbyron_epoch_length = 432000\n\
         byron_slot_length = 20\nbyron_known_slot = 0\nbyron_known_hash = \"{zero}\"\nbyron_known_time = 0\n\
         shelley_epoch_length = 432000\nshelley_slot_length = 1\nshelley_known_slot = 0\n\
         shelley_known_hash = \"{zero}\"\nshelley_known_time = 0\n\n[sink]\ntype = \"Stdout\"\n"
    )
}

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
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    let (a, a_net) = node(&net, &dir.path().join("a"), vec![]).await;
    let t = Instant::now();
    for b in &blocks {
        a.add_block(b.clone()).await.unwrap();
    }
    eprintln!("node A adopted them in {:.1} s", t.elapsed().as_secs_f64());
    let tip = blocks.last().unwrap().hash();

    let t = Instant::now();
    let (b, _b_net) = node(&net, &dir.path().join("b"), vec![a_net.local_addr]).await;
    while b.tip().await.map(|(p, _)| p.hash) != Some(tip) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ours = n as f64 / t.elapsed().as_secs_f64();

    let tools = std::env::var_os("SLOTFORGE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/slotforge-tools"));
    let cfg = dir.path().join("oura.toml");
    std::fs::write(&cfg, oura_config(a_net.local_addr.port())).unwrap();
    let t = Instant::now();
    let mut oura = Command::new(tools.join("cargo/bin/oura"))
        .args(["daemon", "--config"])
        .arg(&cfg)
        .current_dir(dir.path())
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("oura is installed (scripts/install-test-tools.sh)");
    let want = hex::encode(tip);
    let out = BufReader::new(oura.stdout.take().unwrap());
    let reached = tokio::task::spawn_blocking(move || {
        out.lines()
            .map_while(Result::ok)
            .any(|l| l.contains("\"apply\"") && l.contains(&want))
    })
    .await
    .unwrap();
    let theirs = n as f64 / t.elapsed().as_secs_f64();
    let _ = oura.kill();
    let _ = oura.wait();
    assert!(reached, "oura reached the tip");
    println!(
        "{n} blocks: slotforge (full validation) {ours:.0} blocks/s, oura 2.2.1 (decoding only) {theirs:.0} blocks/s, ratio {:.2}",
        ours / theirs
    );
}
