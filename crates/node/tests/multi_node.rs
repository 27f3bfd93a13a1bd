//! Three slotforge nodes on loopback, each forging with its own pool's keys (real leadership,
//! real in-process enclave signer, real chain, real node-to-node connections, the real clock):
//! two start together, the third a full epoch late and catches up from genesis, one is
//! restarted mid-epoch and resumes from its store. When forging stops they hold one chain,
//! block for block, with every pool's blocks on it, and each node's slot log tells the same
//! story of its blocks as that chain: slot battles and forks resolved alike everywhere.

mod devnet;

use slotforge_chain::store::StoredChain;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use slotforge::node_runtime::{NodeSpec, ProducerSpec, RunningNode};
use slotforge_chain::block::Block;
use slotforge_chain::service::{ChainHandle, ServiceConfig};
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::Signer;
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::in_process_enclave::InProcessEnclave;
use slotforge_leadership::slot_log::Query;
use slotforge_leadership::status::SlotStatus;
use slotforge_network::stages::track_peers::NetworkConfig;
use slotforge_network::topology::AccessPoint;

use devnet::{add_pool, chain_config, Params};

const NODES: usize = 3;
const SLOT_MS: u64 = 200;
const EPOCH: u64 = 30;

/// Free loopback ports for the nodes, so each can be given the others' before any starts.
fn free_ports(n: usize) -> Vec<SocketAddr> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners.iter().map(|l| l.local_addr().unwrap()).collect()
}

struct Pool {
    enclave: InProcessEnclave,
    dir: tempfile::TempDir,
}

async fn start(i: usize, pool: &Pool, cfg: &slotforge_chain::config::ChainConfig, addrs: &[SocketAddr]) -> RunningNode {
    let mut network = NetworkConfig::new(addrs[i], 42);
    network.peers = addrs
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, a)| AccessPoint {
            address: a.ip().to_string(),
            port: a.port(),
        })
        .collect();
    network.initial_backoff = Duration::from_millis(100);
    network.max_backoff = Duration::from_millis(500);
    let spec = NodeSpec {
        chain: cfg.clone(),
        store: pool.dir.path().join("chain.db"),
        service: ServiceConfig::default(),
        network,
        local: None,
    };
    let producer = ProducerSpec {
        enclave: pool.enclave.clone(),
        slot_log: pool.dir.path().join("slots.db"),
        leadership: LeadershipConfig::default(),
    };
    RunningNode::start(spec, Some(producer), SystemClock::new())
        .await
        .unwrap()
}

async fn chain_blocks(chain: &ChainHandle) -> Vec<Arc<Block>> {
    chain
        .query(|v| {
            let anchor = v.selection.anchor().tip.map_or(0, |p| p.block_number + 1);
            let mut out: Vec<Arc<Block>> = v
                .store
                .immutable_points(0, anchor)
                .unwrap()
                .iter()
                .map(|p| Arc::new(Block::decode(&v.store.block_bytes(&p.hash).unwrap().unwrap()).unwrap()))
                .collect();
            out.extend(v.selection.volatile_chain().cloned());
            out
        })
        .await
        .unwrap()
}

async fn sleep_until(clock: &SystemClock, ms: i64) {
    clock.sleep_until_ms(ms).await;
}

fn pool(dir: &Path, i: u8) -> (Pool, slotforge_devnet::genesis_spec::DevnetPool) {
    let pool_dir = tempfile::tempdir_in(dir).unwrap();
    let signer = Signer::new(SignGuard::create(&pool_dir.path().join("guard.db")).unwrap());
    let entry = add_pool(&signer, i);
    (
        Pool {
            enclave: InProcessEnclave(Arc::new(signer)),
            dir: pool_dir,
        },
        entry,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_forging_nodes_converge_with_a_late_joiner_and_a_restart() {
    // RUST_LOG=slotforge_network=info shows every connection's end and its reason.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (pools, entries): (Vec<Pool>, Vec<_>) = (0..NODES as u8).map(|i| pool(dir.path(), i)).unzip();
    let clock = SystemClock::new();
    let start_ms = (clock.now_ms() / 1000 + 2) * 1000;
    let epoch_ms = (EPOCH * SLOT_MS) as i64;
    let params = Params {
        start_ms,
        slot_ms: SLOT_MS,
        epoch_length: EPOCH,
        security_param: 5,
    };
    let cfg = chain_config(dir.path(), &params, entries);
    let addrs = free_ports(NODES);

    let mut nodes: Vec<Option<RunningNode>> = Vec::new();
    for (i, p) in pools.iter().enumerate().take(2) {
        nodes.push(Some(start(i, p, &cfg, &addrs).await));
    }
    nodes.push(None);

    // Node 2 joins after the first epoch and fetches it all from the others.
    sleep_until(&clock, start_ms + epoch_ms).await;
    let before_joining = chain_blocks(&nodes[0].as_ref().unwrap().chain).await;
    assert!(
        before_joining.len() >= 5,
        "the first epoch has blocks: {}",
        before_joining.len()
    );
    nodes[2] = Some(start(2, &pools[2], &cfg, &addrs).await);
    let joined = nodes[2].as_ref().unwrap();
    let caught_up = async {
        loop {
            let have = chain_blocks(&joined.chain).await;
            if have.len() >= before_joining.len() && have[..before_joining.len()] == before_joining[..] {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), caught_up)
        .await
        .expect("the late node catches up from genesis");

    // Node 1 stops in the middle of the second epoch and comes back a few slots later.
    sleep_until(&clock, start_ms + epoch_ms * 3 / 2).await;
    let node1 = nodes[1].take().unwrap();
    let tip_before = node1.chain.tip().await.unwrap().0;
    tokio::time::timeout(Duration::from_secs(10), node1.stop())
        .await
        .expect("a node stops and closes its store");
    sleep_until(&clock, start_ms + epoch_ms * 3 / 2 + 5 * SLOT_MS as i64).await;
    let restarted = start(1, &pools[1], &cfg, &addrs).await;
    let resumed = restarted.chain.tip().await.unwrap().0;
    assert!(
        resumed.block_number >= tip_before.block_number,
        "node 1 resumed from its store at block {} (it had {})",
        resumed.block_number,
        tip_before.block_number
    );
    nodes[1] = Some(restarted);

    // Forging ends after three epochs, node 0 last: chains of equal length on different tips
    // are a legitimate Praos state (no tiebreak decides between them), which only the next
    // block ends; node 0's blocks after the others stopped are that block.
    sleep_until(&clock, start_ms + epoch_ms * 3).await;
    let nodes: Vec<RunningNode> = nodes.into_iter().flatten().collect();
    for n in &nodes[1..] {
        n.producer.as_ref().unwrap().handle.stop();
    }
    let last_word = clock.now_ms();
    let mut forged_after = 0;
    while forged_after < 2 {
        tokio::time::sleep(Duration::from_millis(SLOT_MS)).await;
        forged_after = chain_blocks(&nodes[0].chain)
            .await
            .iter()
            .filter(|b| cfg.slot_start_ms(b.slot()) > last_word)
            .count();
        // Two epochs: pool 0 (a third of the stake, f = 1/2) leads about 1 slot in 5, so fewer
        // than two leader slots in 60 is a one-in-a-million run; in 30 it was one in a hundred.
        assert!(clock.now_ms() < last_word + 2 * epoch_ms, "node 0 forges on alone");
    }
    nodes[0].producer.as_ref().unwrap().handle.stop();
    let settled = async {
        loop {
            let mut tips = Vec::new();
            for n in &nodes {
                tips.push(n.chain.tip().await.map(|t| t.0));
            }
            if tips.windows(2).all(|w| w[0] == w[1]) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(15), settled)
        .await
        .expect("the nodes agree on a tip");
    let chain = chain_blocks(&nodes[0].chain).await;
    for n in &nodes[1..] {
        assert!(chain_blocks(&n.chain).await == chain, "one chain, block for block");
    }
    // Each node's metrics say so, and that it has both its peers (each dialled and dialling).
    let tip = chain.last().unwrap();
    for n in &nodes {
        let text = n.metrics().await;
        assert!(
            text.contains(&format!("\nslotforge_chain_block_number {}\n", tip.block_number())),
            "{text}"
        );
        assert!(
            text.contains(&format!("\nslotforge_chain_slot {}\n", tip.slot())),
            "{text}"
        );
        assert!(
            text.contains("slotforge_peer_connections_open{direction=\"outbound\""),
            "{text}"
        );
        assert!(text.contains("slotforge_leadership"), "{text}");
    }
    let on_chain: std::collections::HashSet<[u8; 32]> = chain.iter().map(|b| b.hash()).collect();
    let epoch = cfg.epoch_of(chain.last().unwrap().slot());
    assert!(epoch >= 2, "the chain crossed two epoch boundaries (epoch {epoch})");

    // Each node's slot log agrees with the common chain about the node's own blocks.
    let mut battles = 0;
    let mut forged_by = [0usize; NODES];
    for (i, n) in nodes.iter().enumerate() {
        let entries = n
            .producer
            .as_ref()
            .unwrap()
            .handle
            .log
            .query(&Query {
                limit: 10_000,
                ..Default::default()
            })
            .unwrap();
        for e in &entries {
            let Some(hash) = e.block_hash.as_deref() else { continue };
            let hash: [u8; 32] = hex::decode(hash).unwrap().try_into().unwrap();
            match e.status {
                SlotStatus::Adopted | SlotStatus::Immutable => {
                    assert!(
                        on_chain.contains(&hash),
                        "node {i}'s adopted block at slot {} is on the chain",
                        e.slot
                    );
                    forged_by[i] += 1;
                }
                SlotStatus::Orphaned => {
                    assert!(!on_chain.contains(&hash), "node {i}'s orphan at slot {} is not", e.slot);
                    battles += 1;
                }
                SlotStatus::Rejected => panic!("node {i}'s block at slot {} was rejected: {e:?}", e.slot),
                _ => {}
            }
        }
    }
    assert_eq!(
        forged_by.iter().sum::<usize>(),
        chain.len(),
        "every block on the chain is some node's"
    );
    assert!(forged_by.iter().all(|&n| n > 0), "every pool forged: {forged_by:?}");
    eprintln!(
        "{} blocks to epoch {epoch}, by pool {forged_by:?}; {battles} orphaned in slot battles and forks",
        chain.len()
    );
    for n in nodes {
        tokio::time::timeout(Duration::from_secs(10), n.stop())
            .await
            .expect("a node stops and closes its store");
    }
}
