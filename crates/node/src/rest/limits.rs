//! What bounds the REST API's work: requests served at once, how long one may take,
//! event-stream subscribers at once, and the size of a request body. The router applies them
//! (`limit_and_cors` and the body limit in [`super::router`]; the subscribers in
//! [`super::events`]).

use std::sync::Arc;

/// What bounds the REST API's work: requests served at once (more get 503), event-stream
/// subscribers at once, and the size of a request body (more gets 413).
#[derive(Clone)]
pub struct RestLimits {
    pub(super) requests: Arc<tokio::sync::Semaphore>,
    pub(super) subscribers: Arc<tokio::sync::Semaphore>,
}

/// Requests the API serves at once.
pub const MAX_CONCURRENT_REQUESTS: usize = 64;
/// How long a request may take, its body included (an event stream: until its first answer).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Event-stream subscribers at once.
pub const MAX_SUBSCRIBERS: usize = 32;
/// The largest request body (a transaction is at most the ledger's maxTxSize, 16 KiB on
/// Cardano's networks).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

impl Default for RestLimits {
    fn default() -> Self {
        RestLimits {
            requests: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_REQUESTS)),
            subscribers: Arc::new(tokio::sync::Semaphore::new(MAX_SUBSCRIBERS)),
        }
    }
}
