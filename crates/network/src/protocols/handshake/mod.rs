//! The handshake (mini-protocol 0), node-to-node and node-to-client, as ouroboros-network
//! defines it (`handshake-node-to-node-v14.cddl`, `handshake-node-to-client.cddl`,
//! `Protocol/Handshake/{Codec,Server,Client}.hs`, `NodeToNode/Version.hs`,
//! `NodeToClient/Version.hs`): the [`messages`] and version data, the [`client`]'s check of
//! the answer to its proposal, and the [`server`]'s decision on a proposal.
//!
//! Pure: bytes and version tables in, a decision out. The negotiation is ours rather than
//! pallas-network's, whose responder refuses any proposal whose flags differ from its own
//! (txpipe/pallas#705), as every cardano-node's do.

pub mod client;
pub mod messages;
pub mod server;

/// The handshake's mini-protocol number.
pub const PROTOCOL: u16 = 0;

/// The node-to-node versions this node speaks: 13 (obsolete in the reference, kept for older
/// peers), 14 and 15 — one version-data layout. Version 16 (Peras) is experimental upstream.
pub const SUPPORTED_VERSIONS: [u64; 3] = [13, 14, 15];

/// How long each side may take to send its handshake message, in seconds.
pub const TIMEOUT_SECS: u64 = 10;

/// The node-to-client versions this node speaks, as written on the wire (`n | 0x8000`):
/// `NodeToClientV_16` to `NodeToClientV_23`, those cardano-node 10.2 to 10.7 accept.
pub const CLIENT_VERSIONS: [u64; 8] = [32784, 32785, 32786, 32787, 32788, 32789, 32790, 32791];
