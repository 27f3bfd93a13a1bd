//! The node's work with its peers, as stages with one job each; each is an async loop over a
//! connection's channels (or the node's sockets), and where a stage has a pure core, that core
//! is a module of its own, driven by tests without sockets.
//!
//! Following the chain, in the order a block goes through them:
//!
//! 1. [`track_peers`] — the listener and the dialers (with their
//!    [`backoff`](track_peers::backoff)); each connection runs a
//! 2. [`peer_session`] — the multiplexer, the handshake, then our side's stages:
//! 3. [`follow_peer`] — chain-sync's client; each header is validated on the peer's
//!    [`candidate`](follow_peer::candidate) chain before its body is asked for;
//! 4. [`fetch_blocks`] — block-fetch's client brings the validated headers' bodies;
//! 5. [`select_chain`] — the hand-off to the chain task, which stores each block, validates
//!    it as part of its chain and adopts the better chain.
//!
//! Serving it, on the connections peers opened: [`serve_chain`] (chain-sync's and
//! block-fetch's servers, reading the node's chain through
//! [`NodeChain`](crate::node_chain::NodeChain)).
//!
//! On every connection: [`relay_txs`] (tx-submission2: our mempool offered, the peer's pulled)
//! and [`keep_alive`].
//!
//! Local clients, node-to-client: [`local_socket`] (the Unix socket's listener) → each client's
//! [`local_session`] (handshake, then): [`serve_chain`] (chain-sync serving whole blocks),
//! [`accept_local_txs`] (local tx-submission), [`serve_local_queries`] (local state query) and
//! [`monitor_mempool`] (local tx-monitor).

pub mod accept_local_txs;
pub mod fetch_blocks;
pub mod follow_peer;
pub mod keep_alive;
pub mod local_session;
pub mod local_socket;
pub mod monitor_mempool;
pub mod peer_session;
pub mod relay_txs;
pub mod select_chain;
pub mod serve_chain;
pub mod serve_local_queries;
pub mod track_peers;
