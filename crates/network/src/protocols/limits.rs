//! Per-state time and size limits of the node-to-node mini-protocols, as ouroboros-network
//! sets them (`Ouroboros.Network.Protocol.{ChainSync,BlockFetch,TxSubmission2,KeepAlive}.Codec`
//! and `Ouroboros.Network.Protocol.Limits`): the peer with agency must send within the time,
//! and no message may exceed the size. A state the reference waits in forever has no timeout
//! here either (the keep-alive protocol catches a dead peer).

use std::time::Duration;

/// `smallByteLimit`: every message but blocks and transactions.
pub const SMALL_BYTES: usize = 65_535;
/// `largeByteLimit`: block-fetch's streaming state and tx-submission's transactions.
pub const LARGE_BYTES: usize = 2_500_000;

/// `shortWait`.
pub const SHORT_WAIT: Duration = Duration::from_secs(10);
/// `longWait`.
pub const LONG_WAIT: Duration = Duration::from_secs(60);

/// Chain-sync `StIdle` (the server waits for the client's next request).
pub const CHAIN_SYNC_IDLE: Duration = Duration::from_secs(3673);
/// Chain-sync `StNext StMustReply` (the client waits for the server's chain to move): the
/// upper end of the reference's randomised 135–269 s.
pub const CHAIN_SYNC_MUST_REPLY: Duration = Duration::from_secs(269);
/// Chain-sync `StIntersect` and `StNext StCanAwait`.
pub const CHAIN_SYNC_ANSWER: Duration = SHORT_WAIT;

/// Block-fetch `StBusy` and `StStreaming`.
pub const BLOCK_FETCH_ANSWER: Duration = LONG_WAIT;

/// Tx-submission `StTxIds StNonBlocking` and `StTxs`.
pub const TX_SUBMISSION_ANSWER: Duration = SHORT_WAIT;

/// Keep-alive `StClient` (the server waits for the next cookie).
pub const KEEP_ALIVE_CLIENT: Duration = Duration::from_secs(97);
/// Keep-alive `StServer` (the client waits for the echo).
pub const KEEP_ALIVE_SERVER: Duration = LONG_WAIT;
/// How often our keep-alive client sends a cookie (well inside the server's 97 s).
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
