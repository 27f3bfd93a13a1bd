//! Keep-alive (node-to-node mini-protocol 8): the client sends a cookie, the [`server`] echoes
//! it; the [`messages`] and their CBOR.

pub mod messages;
pub mod server;

/// The mini-protocol number.
pub const PROTOCOL: u16 = 8;
