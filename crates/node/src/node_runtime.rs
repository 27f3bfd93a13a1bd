//! A slotforge node assembled: the chain task on its store, the node-to-node network, the
//! node-to-client socket, and —
//! for a block producer — the leadership module with its slot log and enclave, bridged to the
//! chain. What `slotforge node` runs, and what the multi-node tests start several of.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use slotforge_chain::config::ChainConfig;
use slotforge_chain::service::{self, ChainHandle, ServiceConfig};
use slotforge_leadership::clock::Clock;
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::process::{self, LeadershipHandle};
use slotforge_leadership::seams::Enclave;
use slotforge_leadership::slot_log::SlotLog;
use slotforge_network::stages::local_session::{LocalContext, LocalLimits};
use slotforge_network::stages::local_socket::{LocalSocket, LocalSocketConfig};
use slotforge_network::stages::peer_session::SessionContext;
use slotforge_network::stages::track_peers::{Network, NetworkConfig};
use tokio::task::JoinHandle;

use crate::chain_bridge::{self, ChainBridge};

/// Where a node keeps its state and how it connects.
pub struct NodeSpec {
    /// The chain's parameters (genesis, and BFT delegates for a BFT chain).
    pub chain: ChainConfig,
    /// The block store (SQLite), created when missing.
    pub store: PathBuf,
    /// The chain task's settings (the mempool's capacity).
    pub service: ServiceConfig,
    /// Where to listen for peers and whom to dial.
    pub network: NetworkConfig,
    /// The node-to-client socket, if any.
    pub local: Option<LocalSocketConfig>,
}

/// A block producer's part: its enclave and slot log.
pub struct ProducerSpec<E> {
    /// The enclave that holds the pool's keys and signs its blocks.
    pub enclave: E,
    /// The slot log (SQLite), created when missing.
    pub slot_log: PathBuf,
    /// Leadership's settings: timing, the block body's budget, the slot log's retention.
    pub leadership: LeadershipConfig,
}

/// Leadership running on the node's chain (its slot log is `handle.log`).
pub struct Producer {
    /// Leadership's handle: its slot log, metrics, and stop.
    pub handle: LeadershipHandle,
    task: JoinHandle<()>,
    forwarder: JoinHandle<()>,
}

/// A running node; [`RunningNode::stop`] ends it in order.
pub struct RunningNode {
    /// The chain task.
    pub chain: ChainHandle,
    /// The node-to-node network: its listener, peers and their figures.
    pub network: Network,
    /// The node-to-client socket, when configured.
    pub local: Option<LocalSocket>,
    /// Leadership, when the node forges.
    pub producer: Option<Producer>,
}

impl RunningNode {
    /// Opens the store, starts the network and, given a producer, leadership.
    pub async fn start<E: Enclave, C: Clock>(
        spec: NodeSpec,
        producer: Option<ProducerSpec<E>>,
        clock: C,
    ) -> anyhow::Result<RunningNode> {
        let network_magic = spec.chain.genesis.shelley.network_magic;
        let store = spec.store.clone();
        let now = clock.now_ms();
        let chain = tokio::task::spawn_blocking(move || service::start(&store, spec.chain, spec.service, now))
            .await?
            .with_context(|| format!("opening the block store {}", spec.store.display()))?;
        let producer = match producer {
            None => None,
            Some(p) => Some(start_producer(&chain, p, clock).await?),
        };
        let listen = spec.network.listen;
        let network = Network::start(
            spec.network,
            SessionContext {
                chain: chain.clone(),
                network_magic,
            },
        )
        .await
        .with_context(|| format!("listening for peers on {listen}"))?;
        let local = match spec.local {
            None => None,
            Some(cfg) => Some(
                LocalSocket::start(
                    cfg,
                    LocalContext {
                        chain: chain.clone(),
                        network_magic,
                        limits: LocalLimits::default(),
                    },
                )
                .await
                .context("opening the node-to-client socket ([local] socket)")?,
            ),
        };
        Ok(RunningNode {
            chain,
            network,
            local,
            producer,
        })
    }

    /// Starts forging on the running node (for a node that first catches up with its peers).
    pub async fn add_producer<E: Enclave, C: Clock>(&mut self, p: ProducerSpec<E>, clock: C) -> anyhow::Result<()> {
        anyhow::ensure!(self.producer.is_none(), "the node already forges");
        self.producer = Some(start_producer(&self.chain, p, clock).await?);
        Ok(())
    }

    /// The node's metrics in Prometheus' text format: the chain (tip, immutable tip, epoch,
    /// mempool), every peer, and leadership's when the node forges.
    pub async fn metrics(&self) -> String {
        let leadership = self.producer.as_ref().map(|p| &*p.handle.metrics);
        crate::node_metrics::render(&self.chain, &self.network.registry, leadership).await
    }

    /// Stops forging, then the network, then the chain; returns once the store is closed.
    pub async fn stop(self) {
        if let Some(p) = self.producer {
            p.handle.stop();
            let _ = p.task.await;
            p.forwarder.abort();
            let _ = p.forwarder.await;
        }
        let stopped = self.chain.stopped();
        drop(self.local);
        drop(self.network);
        drop(self.chain);
        stopped.wait().await;
    }
}

async fn start_producer<E: Enclave, C: Clock>(
    chain: &ChainHandle,
    p: ProducerSpec<E>,
    clock: C,
) -> anyhow::Result<Producer> {
    let path = p.slot_log.clone();
    let slot_log = Arc::new(
        tokio::task::spawn_blocking(move || SlotLog::open(&path))
            .await?
            .with_context(|| format!("opening the slot log {}", p.slot_log.display()))?,
    );
    let bridge = ChainBridge::new(chain.clone(), clock.clone());
    let (handle, task) = process::start(p.enclave, bridge.clone(), bridge, clock.clone(), slot_log, p.leadership)
        .await
        .context("starting leadership")?;
    let forwarder = tokio::spawn(chain_bridge::run(chain.clone(), handle.clone(), clock));
    Ok(Producer {
        handle,
        task,
        forwarder,
    })
}
