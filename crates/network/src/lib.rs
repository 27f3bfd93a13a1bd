//! The Ouroboros node-to-node protocol as a slotforge node speaks it, built sans-I/O: each
//! mini-protocol is a codec and a state machine that tests drive directly; the node's
//! connections run them over sockets.
//!
//! So far: the handshake ([`handshake`]), with the reference's negotiation; chain-sync's
//! messages ([`chainsync`]), server ([`chainsync_server`]) and client ([`chainsync_client`]); block-fetch's messages and
//! server ([`blockfetch`]); keep-alive ([`keepalive`]); tx-submission2's messages
//! ([`txsubmission`]); the multiplexer's framing and message reassembly ([`mux`]); and the
//! node's chain as the servers read it ([`node_chain`]). [`codec`] holds what every codec shares
//! (the decode error, message framing under a size limit, lists in either length form).

pub mod blockfetch;
pub mod chainsync;
pub mod chainsync_client;
pub mod chainsync_server;
pub mod codec;
pub mod handshake;
pub mod keepalive;
pub mod mux;
pub mod node_chain;
pub mod txsubmission;
