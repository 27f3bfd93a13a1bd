//! The node-to-node mini-protocols, sans-I/O: each in its own folder with its messages and
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
pub mod limits;
pub mod txsubmission;
