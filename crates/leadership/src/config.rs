//! [`LeadershipConfig`]: how the leadership process forges (timing, body budget, protocol
//! version) and how long it keeps its slot log.

/// How leadership forges.
#[derive(Debug, Clone)]
pub struct LeadershipConfig {
    /// How long before a slot to wake (block body selection, header building). Default 100 ms.
    pub lead_time_ms: i64,
    /// How late after a slot's start a block may still be forged. Default 500 ms.
    pub max_late_ms: i64,
    /// The block body's byte budget (the chain also caps it at the protocol's maximum).
    pub max_block_body_bytes: u64,
    /// The protocol version written in headers.
    pub protocol_version: (u64, u64),
    /// Epochs of slot log kept behind the newest scheduled epoch (default 10); None keeps
    /// everything.
    pub retention_epochs: Option<u64>,
    /// Wait before asking the enclave again after a failed schedule request.
    pub retry_ms: i64,
}

impl Default for LeadershipConfig {
    fn default() -> Self {
        LeadershipConfig {
            lead_time_ms: 100,
            max_late_ms: 500,
            max_block_body_bytes: 90_112,
            protocol_version: (10, 0),
            retention_epochs: Some(10),
            retry_ms: 1000,
        }
    }
}
