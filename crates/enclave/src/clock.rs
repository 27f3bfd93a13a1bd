//! The enclave's own clock: the slot in progress, from the network's era history and this
//! host's wall clock. With it the enclave refuses a slot that has not come yet, so a client
//! cannot make it sign a far-future slot (which would raise the guard's highest slot) or evolve
//! a KES key ahead of time (which would erase the periods still to come).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use slotforge_praos::time::EraHistory;

/// How far ahead of the enclave's clock a slot may start and still be signed, by default:
/// room for a node whose clock runs slightly ahead, and for the request's way to the enclave.
pub const DEFAULT_FUTURE_TOLERANCE_MS: u64 = 5_000;

/// The wall clock the enclave reads; tests inject their own.
pub trait WallClock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The host's system clock, as a [`WallClock`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis()
    }
}

/// The network's slot timing read against a wall clock.
#[derive(Clone)]
pub struct SlotClock {
    history: EraHistory,
    tolerance_ms: u64,
    wall: Arc<dyn WallClock>,
}

/// A slot that starts too far after the enclave's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooEarly {
    /// The slot in progress on the enclave's clock.
    pub current_slot: u64,
    /// How long until the slot starts.
    pub ahead_ms: u64,
}

impl SlotClock {
    /// The slot timing `history` read against `wall`, signing slots that start at most
    /// `tolerance_ms` after its now.
    pub fn new(history: EraHistory, tolerance_ms: u64, wall: Arc<dyn WallClock>) -> Self {
        SlotClock {
            history,
            tolerance_ms,
            wall,
        }
    }

    /// The clock of this host.
    pub fn system(history: EraHistory, tolerance_ms: u64) -> Self {
        Self::new(history, tolerance_ms, Arc::new(SystemWallClock))
    }

    /// How far ahead of the clock a slot may start and still be signed.
    pub fn tolerance_ms(&self) -> u64 {
        self.tolerance_ms
    }

    /// The slot in progress now; 0 before the system start.
    pub fn current_slot(&self) -> u64 {
        Utc.timestamp_millis_opt(self.wall.now_ms())
            .single()
            .and_then(|t| self.history.slot_at(t).ok())
            .unwrap_or(0)
    }

    /// When `slot` starts, in Unix milliseconds.
    pub fn slot_start_ms(&self, slot: u64) -> i64 {
        self.history.slot_start(slot).timestamp_millis()
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.wall.now_ms()
    }

    /// Whether `slot` starts more than the tolerance after now.
    pub fn too_early(&self, slot: u64) -> Option<TooEarly> {
        let now = self.wall.now_ms() as i128;
        let start = self.history.slot_start(slot).timestamp_millis() as i128;
        let ahead = start - now;
        (ahead > self.tolerance_ms as i128).then(|| TooEarly {
            current_slot: self.current_slot(),
            ahead_ms: ahead.min(u64::MAX as i128) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    struct Fixed(AtomicI64);
    impl WallClock for Fixed {
        fn now_ms(&self) -> i64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn slots_within_the_tolerance_are_not_early() {
        // Slot n starts at 1,000,000 + 1000·n ms.
        let wall = Arc::new(Fixed(AtomicI64::new(1_000_000 + 10_500)));
        let clock = SlotClock::new(EraHistory::single(1_000_000, 1000, 100).unwrap(), 2_000, wall.clone());
        assert_eq!(clock.current_slot(), 10);
        assert_eq!(clock.too_early(0), None);
        assert_eq!(clock.too_early(12), None); // 1.5 s ahead
        assert_eq!(
            clock.too_early(13),
            Some(TooEarly {
                current_slot: 10,
                ahead_ms: 2_500
            })
        );
        assert_eq!(
            clock.too_early(u64::MAX).map(|t| t.current_slot),
            Some(10),
            "the far future is early, without overflow"
        );
        wall.0.store(0, Ordering::Relaxed);
        assert_eq!(clock.current_slot(), 0, "before the system start");
        assert!(clock.too_early(0).is_some());
    }
}
