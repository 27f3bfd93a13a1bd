//! Local tx-submission (node-to-client mini-protocol 6), as ouroboros-network defines it
//! (`LocalTxSubmission/{Type,Codec}.hs`, `local-tx-submission.cddl`): the [`messages`], and
//! the [`rejection`] a refused transaction is answered with, written as cardano-node writes
//! the ledger's predicate failures.

pub mod messages;
pub mod rejection;

/// The mini-protocol's number.
pub const PROTOCOL: u16 = 6;
