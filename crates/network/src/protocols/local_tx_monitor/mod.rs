//! Local tx-monitor (node-to-client mini-protocol 9), as ouroboros-network defines it
//! (`LocalTxMonitor/{Type,Codec}.hs`, `local-tx-monitor.cddl`) and ouroboros-consensus serves
//! it (`MiniProtocol/LocalTxMonitor/Server.hs`): the [`messages`], and the [`server`]'s state
//! machine over an acquired snapshot of the mempool.

pub mod messages;
pub mod server;

/// The mini-protocol's number.
pub const PROTOCOL: u16 = 9;
