//! The mini-protocols, node-to-node and node-to-client (the `local_` ones), sans-I/O: each in its own folder with its messages and
//! their CBOR, and the state machines of its client and server side where the protocol has
//! them; bytes and state in, messages and decisions out. The async loops that run them over a
//! connection are the [`stages`](crate::stages).
//!
//! [`codec`] holds what every codec shares; [`limits`] the per-state size and time limits the
//! loops apply.

pub mod blockfetch;
pub mod chainsync;
pub mod codec;
pub mod handshake;
pub mod keepalive;
mod ledger_cbor;
pub mod limits;
pub mod local_state_query;
pub mod local_tx_monitor;
pub mod local_tx_submission;
pub mod txsubmission;
