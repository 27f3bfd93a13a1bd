//! The Ouroboros node-to-node protocol as a slotforge node speaks it: how the node follows its
//! peers' chains and serves its own. The layout says it:
//!
//! - [`protocols`] — each mini-protocol in its own folder, sans-I/O: its messages and their CBOR,
//!   and its client's and server's state machines ([`protocols::handshake`],
//!   [`protocols::chainsync`], [`protocols::blockfetch`], [`protocols::txsubmission`],
//!   [`protocols::keepalive`]), with the shared codec and the per-state limits.
//! - [`mux`] — the multiplexer: its framing (sans-I/O) and a connection's socket edge, a
//!   channel per mini-protocol.
//! - [`stages`] — the async work, one job per stage. Following the chain:
//!   [`track_peers`](stages::track_peers) (listener, dialers, backoff) →
//!   [`peer_session`](stages::peer_session) (handshake, then our side's stages) →
//!   [`follow_peer`](stages::follow_peer) (chain-sync's client; headers validated on the peer's
//!   candidate chain) → [`fetch_blocks`](stages::fetch_blocks) (their bodies, by block-fetch) →
//!   [`select_chain`](stages::select_chain) (the hand-off to the chain task, which validates,
//!   selects and adopts). Serving it: [`serve_chain`](stages::serve_chain). On every
//!   connection: [`relay_txs`](stages::relay_txs) and [`keep_alive`](stages::keep_alive).
//! - [`node_chain`] — the node's chain in the protocols' terms, as the servers read it.
//! - [`peer_stats`] — what the stages count per peer; [`peer_metrics`] — those counters as
//!   Prometheus metrics, registered into the node's registry.
//! - [`topology`] — the peers to dial, from cardano-node's topology file.
//!
//! Pure state machines are driven by tests directly; the stages are tested over loopback
//! sockets.

#![warn(missing_docs)]

pub mod mux;
pub mod node_chain;
pub mod peer_metrics;
pub mod peer_stats;
pub mod protocols;
pub mod stages;
pub mod topology;
