//! Every peer's counters as Prometheus metrics, through `prometheus-client`. The stages count in
//! the atomics of each peer's [`PeerStats`]; [`PeerMetrics`] is a [`Collector`] that reads them
//! at each scrape, so nothing is counted twice and the metrics of a peer the registry forgot
//! go with it.
//!
//! The node registers them into its own [`Registry`] (its prefix, `slotforge`, makes the names
//! below) with [`PeerRegistry::register_metrics`]: `slotforge_peers_connected` (gauge: peers
//! with an open connection), and per peer, labelled `direction` ("outbound" or "inbound") and
//! `peer` (its address), `slotforge_peer_connections_open` (gauge) and the counters
//! `slotforge_peer_{connections,headers_received,blocks_received,blocks_served,txs_received,
//! bytes_in,bytes_out,errors}_total`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::peer_stats::{PeerRegistry, PeerStats};

/// The prefix of the node's metrics: the registry the peers' metrics are registered into has it.
pub const PREFIX: &str = "slotforge";

/// The labels of a peer's series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeerLabels {
    direction: String,
    peer: String,
}

/// One per-peer series: its name (after the prefix; a counter's `_total` is added when it is
/// written), its help, its type, and the counter it reads.
struct Series {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    value: fn(&PeerStats) -> u64,
}

const SERIES: [Series; 9] = [
    Series {
        name: "peer_connections_open",
        help: "Connections open now.",
        kind: MetricType::Gauge,
        value: |s| s.open.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_connections",
        help: "Connections made.",
        kind: MetricType::Counter,
        value: |s| s.connections.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_headers_received",
        help: "Headers received.",
        kind: MetricType::Counter,
        value: |s| s.headers_received.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_blocks_received",
        help: "Blocks received.",
        kind: MetricType::Counter,
        value: |s| s.blocks_received.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_blocks_served",
        help: "Blocks served.",
        kind: MetricType::Counter,
        value: |s| s.blocks_served.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_txs_received",
        help: "Transactions received.",
        kind: MetricType::Counter,
        value: |s| s.txs_received.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_bytes_in",
        help: "Bytes received.",
        kind: MetricType::Counter,
        value: |s| s.traffic.bytes_in.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_bytes_out",
        help: "Bytes sent.",
        kind: MetricType::Counter,
        value: |s| s.traffic.bytes_out.load(Ordering::Relaxed),
    },
    Series {
        name: "peer_errors",
        help: "Connections ended by an error.",
        kind: MetricType::Counter,
        value: |s| s.errors.load(Ordering::Relaxed),
    },
];

/// The peers' metrics, read from a [`PeerRegistry`] at each scrape.
#[derive(Debug)]
pub struct PeerMetrics {
    peers: Arc<PeerRegistry>,
}

impl PeerMetrics {
    /// The metrics of every peer `peers` holds counters for.
    pub fn new(peers: Arc<PeerRegistry>) -> Self {
        PeerMetrics { peers }
    }
}

impl Collector for PeerMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let peers = self.peers.snapshot();
        let connected = peers.iter().filter(|(_, s)| s.open.load(Ordering::Relaxed) > 0).count();
        let connected = ConstGauge::new(connected as u64);
        connected.encode(encoder.encode_descriptor(
            "peers_connected",
            "Peers with an open connection.",
            None,
            connected.metric_type(),
        )?)?;
        for series in &SERIES {
            let mut family = encoder.encode_descriptor(series.name, series.help, None, series.kind)?;
            for ((direction, address), s) in &peers {
                let labels = PeerLabels {
                    direction: direction.to_string(),
                    // As before the move to prometheus-client: no character to escape.
                    peer: address.replace(['"', '\\', '\n'], "_"),
                };
                let value = (series.value)(s);
                let metric = family.encode_family(&labels)?;
                match series.kind {
                    MetricType::Counter => ConstCounter::new(value).encode(metric)?,
                    _ => ConstGauge::new(value).encode(metric)?,
                }
            }
        }
        Ok(())
    }
}

impl PeerRegistry {
    /// Registers every peer's metrics into `registry`, the node's, whose prefix is [`PREFIX`]:
    /// they are read from these counters whenever the registry is encoded.
    pub fn register_metrics(self: &Arc<Self>, registry: &mut Registry) {
        registry.register_collector(Box::new(PeerMetrics::new(self.clone())));
    }

    /// The per-peer metrics in Prometheus' text format, appended to `out` (without the final
    /// `# EOF`: the caller's exposition goes on), for a node that assembles its metrics text
    /// itself rather than registering them.
    pub fn render_prometheus(self: &Arc<Self>, out: &mut String) {
        let mut registry = Registry::with_prefix(PREFIX);
        self.register_metrics(&mut registry);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode_registry(out, &registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_labels_and_values_are_those_the_node_has_always_exposed() {
        let peers = Arc::new(PeerRegistry::default());
        let out = peers.peer("outbound", "10.0.0.1:3001");
        out.connections.fetch_add(2, Ordering::Relaxed);
        out.headers_received.fetch_add(5, Ordering::Relaxed);
        out.blocks_received.fetch_add(4, Ordering::Relaxed);
        out.traffic.bytes_in.fetch_add(1000, Ordering::Relaxed);
        out.traffic.bytes_out.fetch_add(10, Ordering::Relaxed);
        let _open = out.opened();
        let inbound = peers.peer("inbound", "a\"b");
        inbound.blocks_served.fetch_add(3, Ordering::Relaxed);
        inbound.txs_received.fetch_add(1, Ordering::Relaxed);
        inbound.failed("reset".into());
        let mut text = String::new();
        peers.render_prometheus(&mut text);
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            [
                "slotforge_peers_connected 1",
                "slotforge_peer_connections_open{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_connections_open{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 1",
                "slotforge_peer_connections_total{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_connections_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 2",
                "slotforge_peer_headers_received_total{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_headers_received_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 5",
                "slotforge_peer_blocks_received_total{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_blocks_received_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 4",
                "slotforge_peer_blocks_served_total{direction=\"inbound\",peer=\"a_b\"} 3",
                "slotforge_peer_blocks_served_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 0",
                "slotforge_peer_txs_received_total{direction=\"inbound\",peer=\"a_b\"} 1",
                "slotforge_peer_txs_received_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 0",
                "slotforge_peer_bytes_in_total{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_bytes_in_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 1000",
                "slotforge_peer_bytes_out_total{direction=\"inbound\",peer=\"a_b\"} 0",
                "slotforge_peer_bytes_out_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 10",
                "slotforge_peer_errors_total{direction=\"inbound\",peer=\"a_b\"} 1",
                "slotforge_peer_errors_total{direction=\"outbound\",peer=\"10.0.0.1:3001\"} 0",
            ]
        );
        assert!(text.contains("# HELP slotforge_peer_errors Connections ended by an error.\n"));
        assert!(text.contains("# TYPE slotforge_peer_errors counter\n"));
        assert!(text.contains("# TYPE slotforge_peer_connections_open gauge\n"));
        assert!(
            !text.contains("# EOF"),
            "the node's exposition goes on after the peers'"
        );
    }
}
