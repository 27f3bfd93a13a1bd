//! Slotforge nodes (a chain task and the network) on loopback sockets, for the tests that
//! run them, and what those tests ask of them.
#![allow(dead_code)]

use slotforge_chain::store::StoredChain;
use std::time::Duration;

use crate::common::Devnet;
use slotforge_chain::chain_state::Point;
use slotforge_chain::service::{ChainHandle, ServiceConfig};
use slotforge_network::stages::peer_session::SessionContext;
use slotforge_network::stages::track_peers::{Network, NetworkConfig};
use slotforge_network::topology::AccessPoint;

pub const MAGIC: u32 = 42;

pub struct Node {
    pub chain: ChainHandle,
    pub network: Network,
    _dir: tempfile::TempDir,
}

pub async fn node(net: &Devnet, peers: Vec<std::net::SocketAddr>) -> Node {
    node_with(net, peers, |_| {}).await
}

/// As [`node`], with the network configuration adjusted by `adjust`.
pub async fn node_with(
    net: &Devnet,
    peers: Vec<std::net::SocketAddr>,
    adjust: impl FnOnce(&mut NetworkConfig),
) -> Node {
    node_serving(net, peers, ServiceConfig::default(), adjust).await
}

/// As [`node_with`], the chain task configured by `service`.
pub async fn node_serving(
    net: &Devnet,
    peers: Vec<std::net::SocketAddr>,
    service: ServiceConfig,
    adjust: impl FnOnce(&mut NetworkConfig),
) -> Node {
    // RUST_LOG=slotforge_network=debug shows each disconnection's reason.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let chain = net.start_chain(dir.path(), service);
    let mut cfg = NetworkConfig::new("127.0.0.1:0".parse().unwrap(), MAGIC);
    cfg.peers = peers
        .iter()
        .map(|a| AccessPoint {
            address: a.ip().to_string(),
            port: a.port(),
        })
        .collect();
    cfg.initial_backoff = Duration::from_millis(50);
    cfg.max_backoff = Duration::from_millis(400);
    cfg.misbehaviour_pause = Duration::from_secs(600);
    adjust(&mut cfg);
    let ctx = SessionContext {
        chain: chain.clone(),
        network_magic: MAGIC,
    };
    let network = Network::start(cfg, ctx).await.unwrap();
    Node {
        chain,
        network,
        _dir: dir,
    }
}

/// Every block hash of the node's selected chain, oldest first.
pub async fn chain_hashes(chain: &ChainHandle) -> Vec<[u8; 32]> {
    chain
        .query(|v| {
            let anchor = v.selection.anchor().tip.map_or(0, |p| p.block_number + 1);
            let mut out: Vec<[u8; 32]> = v
                .store
                .immutable_points(0, anchor)
                .unwrap()
                .iter()
                .map(|p| p.hash)
                .collect();
            out.extend(v.selection.volatile_chain().map(|b| b.hash()));
            out
        })
        .await
        .unwrap()
}

pub async fn tip(chain: &ChainHandle) -> Option<Point> {
    chain.tip().await.map(|(t, _)| t)
}

pub async fn eventually(what: &str, secs: u64, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Five blocks, a sixth spending pool 0's genesis funds, then `rest` more.
pub fn blocks_with_a_payment(net: &Devnet, rest: usize) -> Vec<slotforge_chain::block::Block> {
    let (mut main, s) = net.extend(&net.genesis_state(), 0, 5);
    let mut slot = main[4].slot();
    let s = loop {
        slot += 1;
        if let Some(&i) = net.leaders(&s, slot).first() {
            let b = net.forge(&s, i, slot, vec![net.pools[0].spend_all_tx()]);
            let after = s.apply_block(&net.cfg, &b).unwrap();
            main.push(b);
            break after;
        }
    };
    main.extend(net.extend(&s, slot, rest).0);
    main
}
