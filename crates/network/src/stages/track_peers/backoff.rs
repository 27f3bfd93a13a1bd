//! When to dial a peer again, sans-I/O: what a disconnection says about the peer, and the
//! delay before the next dial.

use std::time::Duration;

use super::NetworkConfig;
use crate::mux::connection::ConnectionError;

/// A connection that lasted this long resets the backoff.
pub const STABLE_CONNECTION: Duration = Duration::from_secs(60);

/// Whether a disconnection was the peer's fault (rather than the network's, ours, or a clean
/// end).
pub fn is_misbehaviour(e: &ConnectionError) -> bool {
    !matches!(
        e,
        ConnectionError::Io(_) | ConnectionError::Closed | ConnectionError::Local(_)
    )
}

/// When to dial a peer again, sans-I/O: after a failed dial or a connection that ended, a
/// delay that doubles from `initial_backoff` up to `max_backoff`; after misbehaviour, the
/// `misbehaviour_pause`; a stable connection (or a pause) starts the doubling over.
#[derive(Debug, Clone)]
pub struct DialBackoff {
    initial: Duration,
    max: Duration,
    pause: Duration,
    next: Duration,
}

impl DialBackoff {
    /// A backoff with `cfg`'s delays, at its first.
    pub fn new(cfg: &NetworkConfig) -> Self {
        DialBackoff {
            initial: cfg.initial_backoff,
            max: cfg.max_backoff,
            pause: cfg.misbehaviour_pause,
            next: cfg.initial_backoff,
        }
    }

    fn double(&mut self) -> Duration {
        let d = self.next;
        self.next = (d * 2).min(self.max);
        d
    }

    /// The dial failed: how long to wait before the next.
    pub fn dial_failed(&mut self) -> Duration {
        self.double()
    }

    /// A connection ended after `lasted`, the peer having `misbehaved` or not: how long to wait.
    pub fn connection_ended(&mut self, misbehaved: bool, lasted: Duration) -> Duration {
        if misbehaved {
            self.next = self.initial;
            return self.pause;
        }
        if lasted >= STABLE_CONNECTION {
            self.next = self.initial;
        }
        self.double()
    }
}
