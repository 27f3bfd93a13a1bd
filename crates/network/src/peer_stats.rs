//! What the node counts per peer — connections open, headers and blocks received, blocks served,
//! transactions, bytes, disconnections by reason. The stages count as they go; the node's
//! status report reads the counters, and [`peer_metrics`](crate::peer_metrics) exposes them to
//! Prometheus.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::mux::connection::Traffic;

/// One peer's counters (outbound peers by address; inbound ones by remote address).
#[derive(Debug, Default)]
pub struct PeerStats {
    /// Connections open (past the handshake) now.
    pub open: AtomicU64,
    /// Connections made (dialled or accepted), counted before the handshake.
    pub connections: AtomicU64,
    /// Headers chain-sync rolled forward to.
    pub headers_received: AtomicU64,
    /// Blocks block-fetch brought, each the one its header announced.
    pub blocks_received: AtomicU64,
    /// Blocks sent to the peer by block-fetch's server.
    pub blocks_served: AtomicU64,
    /// Transactions pulled from the peer (admitted to the mempool or not).
    pub txs_received: AtomicU64,
    /// Bytes in and out, counted as they move.
    pub traffic: Arc<Traffic>,
    /// Connections that ended by an error (not a clean close).
    pub errors: AtomicU64,
    /// Why the last connection that ended by an error did.
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
}
