//! Local state query (node-to-client mini-protocol 7), as ouroboros-network defines it
//! (`LocalStateQuery/{Type,Codec}.hs`, `local-state-query.cddl`) and ouroboros-consensus
//! answers it (`MiniProtocol/LocalStateQuery/Server.hs`): the [`messages`], the [`server`]'s
//! state machine (acquire a ledger state, query it, release or re-acquire), the [`queries`]
//! a client may send through the hard-fork combinator, and their [`answers`] from a slotforge
//! ledger, each encoded as cardano-node encodes it.

pub mod answers;
pub mod messages;
pub mod queries;
pub mod server;

/// The mini-protocol's number.
pub const PROTOCOL: u16 = 7;
