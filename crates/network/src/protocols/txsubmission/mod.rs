//! Tx-submission2 (node-to-node mini-protocol 4): the [`messages`] and their CBOR. Both sides
//! keep their window of transaction ids next to the mempool they read or fill, in
//! [`relay_txs`](crate::stages::relay_txs).

pub mod messages;

/// The mini-protocol number.
pub const PROTOCOL: u16 = 4;
