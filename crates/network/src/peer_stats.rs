//! What the node counts per peer — connections open, headers and blocks received, blocks served,
//! transactions, bytes, disconnections by reason — and its Prometheus text exposition.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::connection::Traffic;

/// One peer's counters (outbound peers by address; inbound ones by remote address).
#[derive(Debug, Default)]
pub struct PeerStats {
    /// Connections open (past the handshake) now.
    pub open: AtomicU64,
    pub connections: AtomicU64,
    pub headers_received: AtomicU64,
    pub blocks_received: AtomicU64,
    pub blocks_served: AtomicU64,
    pub txs_received: AtomicU64,
    /// Bytes in and out, counted as they move.
    pub traffic: Arc<Traffic>,
    pub errors: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// Our chain-sync with this peer has reached its tip at least once (it said "await").
    pub reached_tip: AtomicBool,
}

impl PeerStats {
    /// Counts a connection open until the returned guard is dropped.
    pub fn opened(self: &Arc<Self>) -> OpenConnection {
        self.open.fetch_add(1, Ordering::Relaxed);
        OpenConnection(self.clone())
    }

    /// Records why a connection ended badly.
    pub fn failed(&self, reason: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
    }
}

/// An open connection, counted in its peer's [`PeerStats::open`] while it lives.
pub struct OpenConnection(Arc<PeerStats>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The most inbound addresses whose counters are kept (above the most inbound connections a
/// node serves at once, so every open connection keeps its counters).
pub const MAX_INBOUND_ENTRIES: usize = 1024;

/// Every peer's counters, by direction and address.
#[derive(Debug, Default)]
pub struct PeerRegistry {
    peers: Mutex<BTreeMap<(&'static str, String), Arc<PeerStats>>>,
}

impl PeerRegistry {
    /// The counters of `address` in `direction` ("outbound" or "inbound"), created at first use.
    /// At most [`MAX_INBOUND_ENTRIES`] inbound addresses are kept: past that, those with no
    /// connection open are forgotten first.
    pub fn peer(&self, direction: &'static str, address: &str) -> Arc<PeerStats> {
        let mut peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        let key = (direction, address.to_string());
        if direction == "inbound" && !peers.contains_key(&key) {
            let inbound = peers.keys().filter(|(d, _)| *d == "inbound").count();
            if inbound >= MAX_INBOUND_ENTRIES {
                // Unused: no session holds the counters (the registry's is the only reference).
                peers.retain(|(d, _), s| *d != "inbound" || Arc::strong_count(s) > 1);
            }
        }
        peers.entry(key).or_default().clone()
    }

    /// How many peers' counters are kept.
    pub fn len(&self) -> usize {
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether no peer's counters are kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until chain-sync with some outbound peer has reached that peer's tip: the node
    /// has caught up with what its peers have (the condition for forging).
    pub async fn caught_up(&self) {
        loop {
            if self
                .snapshot()
                .iter()
                .any(|((direction, _), s)| *direction == "outbound" && s.reached_tip.load(Ordering::Relaxed))
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// A copy of the table, for reports.
    pub fn snapshot(&self) -> Vec<((&'static str, String), Arc<PeerStats>)> {
        let peers = self.peers.lock().unwrap_or_else(|e| e.into_inner());
        peers.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The per-peer metrics in Prometheus' text format, and the number of connected peers.
    pub fn render_prometheus(&self, out: &mut String) {
        let peers = self.snapshot();
        let connected = peers.iter().filter(|(_, s)| s.open.load(Ordering::Relaxed) > 0).count();
        let _ = writeln!(out, "# HELP slotforge_peers_connected Peers with an open connection.");
        let _ = writeln!(out, "# TYPE slotforge_peers_connected gauge");
        let _ = writeln!(out, "slotforge_peers_connected {connected}");
        type Field = fn(&PeerStats) -> u64;
        let series: [(&str, &str, &str, Field); 9] = [
            (
                "slotforge_peer_connections_open",
                "gauge",
                "Connections open now.",
                |s| s.open.load(Ordering::Relaxed),
            ),
            (
                "slotforge_peer_connections_total",
                "counter",
                "Connections made.",
                |s| s.connections.load(Ordering::Relaxed),
            ),
            (
                "slotforge_peer_headers_received_total",
                "counter",
                "Headers received.",
                |s| s.headers_received.load(Ordering::Relaxed),
            ),
            (
                "slotforge_peer_blocks_received_total",
                "counter",
                "Blocks received.",
                |s| s.blocks_received.load(Ordering::Relaxed),
            ),
            ("slotforge_peer_blocks_served_total", "counter", "Blocks served.", |s| {
                s.blocks_served.load(Ordering::Relaxed)
            }),
            (
                "slotforge_peer_txs_received_total",
                "counter",
                "Transactions received.",
                |s| s.txs_received.load(Ordering::Relaxed),
            ),
            ("slotforge_peer_bytes_in_total", "counter", "Bytes received.", |s| {
                s.traffic.bytes_in.load(Ordering::Relaxed)
            }),
            ("slotforge_peer_bytes_out_total", "counter", "Bytes sent.", |s| {
                s.traffic.bytes_out.load(Ordering::Relaxed)
            }),
            (
                "slotforge_peer_errors_total",
                "counter",
                "Connections ended by an error.",
                |s| s.errors.load(Ordering::Relaxed),
            ),
        ];
        for (name, kind, help, get) in series {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for ((direction, address), s) in &peers {
                let _ = writeln!(
                    out,
                    "{name}{{direction=\"{direction}\",peer=\"{}\"}} {}",
                    address.replace(['"', '\\', '\n'], "_"),
                    get(s)
                );
            }
        }
    }
}
