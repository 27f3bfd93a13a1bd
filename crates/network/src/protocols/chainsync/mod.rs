//! Chain-sync (node-to-node mini-protocol 2): the [`messages`] and their CBOR, the [`client`]'s
//! state machine (intersect, then ask for update after update) and the [`server`]'s (follow the
//! node's selected chain for one client).

pub mod client;
pub mod messages;
pub mod server;

/// The mini-protocol number.
pub const PROTOCOL: u16 = 2;

/// Node-to-client chain-sync's mini-protocol number (whole blocks, to local clients).
pub const LOCAL_PROTOCOL: u16 = 5;
