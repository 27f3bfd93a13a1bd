//! The node's metrics, assembled in one place and one registry (prometheus-client): the
//! chain's figures (tip, immutable tip, epoch, mempool), every peer's, and leadership's once it
//! runs. `/metrics` and [`crate::node_runtime::RunningNode::metrics`] both read them here.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use slotforge_chain::service::ChainHandle;
use slotforge_network::peer_stats::PeerRegistry;

/// The node's metrics in Prometheus' text format.
pub async fn render(
    chain: &ChainHandle,
    peers: &Arc<PeerRegistry>,
    leadership: Option<&slotforge_leadership::metrics::Metrics>,
) -> String {
    let mut registry = Registry::with_prefix(slotforge_network::peer_metrics::PREFIX);
    ChainFigures::query(chain).await.register(&mut registry);
    peers.register_metrics(&mut registry);
    if let Some(m) = leadership {
        m.register(registry.sub_registry_with_prefix("leadership"));
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}

/// What the chain task hands over in one query.
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

impl ChainFigures {
    /// The figures now (zeros if the chain task has stopped).
    async fn query(chain: &ChainHandle) -> Self {
        chain
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
            .unwrap_or_default()
    }

    /// Registers each figure as a gauge.
    fn register(&self, registry: &mut Registry) {
        for (name, help, value) in [
            (
                "chain_block_number",
                "The selected tip's block number",
                self.block_number,
            ),
            ("chain_slot", "The selected tip's slot", self.slot),
            ("chain_epoch", "The selected tip's epoch", self.epoch),
            (
                "chain_immutable_block_number",
                "The immutable tip's block number (k blocks back)",
                self.immutable_block_number,
            ),
            ("chain_blocks", "Blocks on the selected chain", self.blocks),
            ("mempool_txs", "Transactions in the mempool", self.mempool_txs),
            (
                "mempool_bytes",
                "The mempool's transactions' size in bytes",
                self.mempool_bytes,
            ),
        ] {
            let gauge = Gauge::<u64, AtomicU64>::default();
            gauge.set(value);
            registry.register(name, help, gauge);
        }
    }
}
