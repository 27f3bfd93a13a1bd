//! Block-fetch (node-to-node mini-protocol 3): the [`messages`] and their CBOR, and the
//! [`server`]'s state machine. The client is no state machine of its own: it asks for one range
//! at a time and reads the batch, in [`fetch_blocks`](crate::stages::fetch_blocks).

pub mod messages;
pub mod server;

/// The mini-protocol number.
pub const PROTOCOL: u16 = 3;
