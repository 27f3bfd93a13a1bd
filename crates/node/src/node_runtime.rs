//! A slotforge node assembled: the chain task on its store, the node-to-node network, and —
//! for a block producer — the leadership module with its slot log and enclave, bridged to the
//! chain. What `slotforge node` runs, and what the multi-node tests start several of.

use std::fmt::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use slotforge_chain::config::ChainConfig;
use slotforge_chain::service::{self, ChainHandle, ServiceConfig};
use slotforge_leadership::process::{self, LeadershipConfig, LeadershipHandle};
use slotforge_leadership::seams::{Clock, EnclaveClient};
use slotforge_leadership::slot_log::SlotLog;
use slotforge_network::peers::{Network, NetworkConfig};
use slotforge_network::session::SessionContext;
use tokio::task::JoinHandle;

use crate::chain_bridge::{self, ChainBridge};

/// Where a node keeps its state and how it connects.
pub struct NodeSpec {
    pub chain: ChainConfig,
    /// The block store (SQLite), created when missing.
    pub store: PathBuf,
    pub service: ServiceConfig,
    pub network: NetworkConfig,
}

/// A block producer's part: its enclave and slot log.
pub struct ProducerSpec<E> {
    pub enclave: E,
    /// The slot log (SQLite), created when missing.
    pub slot_log: PathBuf,
    pub leadership: LeadershipConfig,
}

/// Leadership running on the node's chain (its slot log is `handle.log`).
pub struct Producer {
    pub handle: LeadershipHandle,
    task: JoinHandle<()>,
    forwarder: JoinHandle<()>,
}

/// A running node; [`RunningNode::stop`] ends it in order.
pub struct RunningNode {
    pub chain: ChainHandle,
    pub network: Network,
    pub producer: Option<Producer>,
}

impl RunningNode {
    /// Opens the store, starts the network and, given a producer, leadership.
    pub async fn start<E: EnclaveClient, C: Clock>(
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
        Ok(RunningNode {
            chain,
            network,
            producer,
        })
    }

    /// Starts forging on the running node (for a node that first catches up with its peers).
    pub async fn add_producer<E: EnclaveClient, C: Clock>(
        &mut self,
        p: ProducerSpec<E>,
        clock: C,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(self.producer.is_none(), "the node already forges");
        self.producer = Some(start_producer(&self.chain, p, clock).await?);
        Ok(())
    }

    /// The node's metrics in Prometheus' text format: the chain (tip, immutable tip, epoch,
    /// mempool), every peer, and leadership's when the node forges.
    pub async fn metrics(&self) -> String {
        let mut out = chain_metrics(&self.chain).await;
        self.network.registry.render_prometheus(&mut out);
        if let Some(p) = &self.producer {
            out.push_str(&p.handle.metrics.render());
        }
        out
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
        drop(self.network);
        drop(self.chain);
        stopped.wait().await;
    }
}

/// The chain's metrics (tip, immutable tip, epoch, mempool) in Prometheus' text format.
pub async fn chain_metrics(chain: &ChainHandle) -> String {
    let chain = chain
        .query(|v| {
            let tip = v.selection.tip_state();
            ChainFigures {
                block_number: tip.tip.map_or(0, |t| t.block_number),
                slot: tip.tip.map_or(0, |t| t.slot),
                epoch: tip.ledger.epoch,
                immutable_block_number: v.selection.anchor().tip.map_or(0, |t| t.block_number),
                blocks: tip.tip.map_or(0, |t| t.block_number + 1),
                mempool_txs: v.mempool.len() as u64,
                mempool_bytes: v.mempool.size_bytes(),
            }
        })
        .await
        .unwrap_or_default();
    let mut out = String::new();
    for (name, help, value) in [
        (
            "slotforge_chain_block_number",
            "The selected tip's block number.",
            chain.block_number,
        ),
        ("slotforge_chain_slot", "The selected tip's slot.", chain.slot),
        ("slotforge_chain_epoch", "The selected tip's epoch.", chain.epoch),
        (
            "slotforge_chain_immutable_block_number",
            "The immutable tip's block number (k blocks back).",
            chain.immutable_block_number,
        ),
        ("slotforge_chain_blocks", "Blocks on the selected chain.", chain.blocks),
        (
            "slotforge_mempool_txs",
            "Transactions in the mempool.",
            chain.mempool_txs,
        ),
        (
            "slotforge_mempool_bytes",
            "The mempool's transactions' size in bytes.",
            chain.mempool_bytes,
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
    out
}

#[derive(Default)]
struct ChainFigures {
    block_number: u64,
    slot: u64,
    epoch: u64,
    immutable_block_number: u64,
    blocks: u64,
    mempool_txs: u64,
    mempool_bytes: u64,
}

async fn start_producer<E: EnclaveClient, C: Clock>(
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
