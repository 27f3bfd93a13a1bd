//! Time, injected: the [`Clock`] seam and the two clocks slotforge ships: [`SystemClock`] (the
//! wall clock a node runs on) and [`TokioClock`] (virtual time, for the simulations).

use std::future::Future;

/// Time, injected: now and sleep-until, in Unix milliseconds.
pub trait Clock: Clone + Send + Sync + 'static {
    /// The current time, in Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// Returns once the time is `t_ms` (Unix ms) or later; at once if it already is.
    fn sleep_until_ms(&self, t_ms: i64) -> impl Future<Output = ()> + Send;
}

/// The system's wall clock, read at every call: slots follow it when it is stepped (NTP) or
/// the machine resumes from a suspension, where a monotonic clock anchored at start would
/// drift from the network's time until a restart. A wait never spins: it sleeps on tokio's
/// timer in steps of at most [`SystemClock::RECHECK_MS`], reading the clock again after each,
/// and spends its last [`SystemClock::FINE_US`] in a thread sleep on tokio's blocking pool,
/// because tokio's timer fires on whole milliseconds, up to 1 ms late.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    now_us: fn() -> i64,
}

impl SystemClock {
    /// The longest a wait sleeps before it reads the wall clock again.
    pub const RECHECK_MS: i64 = 1_000;
    /// The end of a wait that is slept precisely, off the async runtime.
    pub const FINE_US: i64 = 2_000;

    /// The system's wall clock.
    pub fn new() -> Self {
        SystemClock { now_us: unix_now_us }
    }

    /// A clock that reads `now_us` (Unix µs) instead of the system's: for tests that step it.
    pub fn reading(now_us: fn() -> i64) -> Self {
        SystemClock { now_us }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

fn unix_now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        (self.now_us)().div_euclid(1000)
    }

    async fn sleep_until_ms(&self, t_ms: i64) {
        let target_us = t_ms.saturating_mul(1000);
        loop {
            let left = target_us - (self.now_us)();
            if left <= 0 {
                return;
            }
            if left > Self::FINE_US {
                let coarse = (left - Self::FINE_US).min(Self::RECHECK_MS * 1000);
                tokio::time::sleep(std::time::Duration::from_micros(coarse as u64)).await;
            } else {
                let fine = std::time::Duration::from_micros(left as u64);
                // A blocking-pool thread sleeps to the microsecond; none left: sleep here.
                if tokio::task::spawn_blocking(move || std::thread::sleep(fine))
                    .await
                    .is_err()
                {
                    tokio::time::sleep(fine).await;
                }
            }
        }
    }
}

/// Virtual wall-clock time on tokio's clock, anchored once: in a runtime with paused time
/// (`tokio::time::pause`) it advances only when every task waits, which is how the
/// simulations run. A node runs on [`SystemClock`].
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    anchor_ms: i64,
    anchor: tokio::time::Instant,
}

impl TokioClock {
    /// Anchored so that now is `unix_ms`; waits end on tokio's timer.
    pub fn starting_at(unix_ms: i64) -> Self {
        TokioClock {
            anchor_ms: unix_ms,
            anchor: tokio::time::Instant::now(),
        }
    }

    /// The tokio instant of Unix time `t_ms` on this clock.
    pub fn instant_of(&self, t_ms: i64) -> tokio::time::Instant {
        let offset = t_ms - self.anchor_ms;
        if offset >= 0 {
            self.anchor + std::time::Duration::from_millis(offset as u64)
        } else {
            self.anchor
                .checked_sub(std::time::Duration::from_millis(offset.unsigned_abs()))
                .unwrap_or(self.anchor)
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> i64 {
        self.anchor_ms + self.anchor.elapsed().as_millis() as i64
    }

    async fn sleep_until_ms(&self, t_ms: i64) {
        tokio::time::sleep_until(self.instant_of(t_ms)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    static WALL: AtomicI64 = AtomicI64::new(0);

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_wait_follows_the_wall_clock_when_it_is_stepped() {
        let clock = SystemClock::reading(|| WALL.load(Ordering::SeqCst) * 1000);
        WALL.store(0, Ordering::SeqCst);
        let started = tokio::time::Instant::now();
        let wait = tokio::spawn(async move { clock.sleep_until_ms(60_000).await });
        // 2 s of (virtual) time pass, then NTP steps the wall clock 58 s forward.
        tokio::time::sleep(std::time::Duration::from_millis(2_000)).await;
        assert!(!wait.is_finished());
        WALL.store(60_000, Ordering::SeqCst);
        wait.await.unwrap();
        // The wait ended within one re-check of the step, not 58 s later.
        let waited = started.elapsed().as_millis() as i64;
        assert!(waited <= 2_000 + SystemClock::RECHECK_MS, "waited {waited} ms");
        assert_eq!(clock.now_ms(), 60_000);
    }
}
