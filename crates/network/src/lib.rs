//! The Ouroboros node-to-node protocol as a slotforge node speaks it. Each mini-protocol is a
//! codec and a state machine, sans-I/O, that tests drive directly; an async edge runs them over
//! sockets.
//!
//! Sans-I/O: the handshake ([`handshake`]) with the reference's negotiation; chain-sync's
//! messages ([`chainsync`]), server ([`chainsync_server`]) and client ([`chainsync_client`]);
//! block-fetch ([`blockfetch`]); keep-alive ([`keepalive`]); tx-submission2's messages
//! ([`txsubmission`]); the multiplexer's framing and reassembly ([`mux`]); a peer's candidate
//! chain, validated header by header before bodies are fetched ([`candidate`]); the node's
//! chain as the servers read it ([`node_chain`]); per-state limits ([`limits`]); the
//! topology file ([`topology`]). [`codec`] holds what every codec shares.
//!
//! I/O: a connection's multiplexer ([`connection`]); our side of each protocol on a connection
//! we opened ([`initiator`]) or accepted ([`responder`]); a connection's life ([`session`]);
//! the listener and the dialers ([`peers`]); per-peer metrics ([`peer_stats`]).

pub mod blockfetch;
pub mod candidate;
pub mod chainsync;
pub mod chainsync_client;
pub mod chainsync_server;
pub mod codec;
pub mod connection;
pub mod handshake;
pub mod initiator;
pub mod keepalive;
pub mod limits;
pub mod mux;
pub mod node_chain;
pub mod peer_stats;
pub mod peers;
pub mod responder;
pub mod session;
pub mod topology;
pub mod txsubmission;
