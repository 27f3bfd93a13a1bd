//! The seams through which a node embeds the leadership module: the enclave, the blockchain,
//! the fragment pool and the clock. Each is a trait, with the implementations slotforge ships.

use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use slotforge_enclave_api::types::{Identity, ScheduledSlot, SignedHeader};
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;

use crate::params::EpochLeadershipParams;

/// Why an enclave call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnclaveError {
    /// The enclave could not be reached (retrying later may help).
    #[error("enclave unreachable: {0}")]
    Unavailable(String),
    /// The enclave refused, with its stable reason (`double_sign`, `kes_expired`, …).
    #[error("the enclave refused ({reason}): {message}")]
    Refused { reason: String, message: String },
    #[error("enclave error: {0}")]
    Other(String),
}

/// The enclave, as leadership needs it.
pub trait EnclaveClient: Clone + Send + Sync + 'static {
    /// The leaders the enclave holds.
    fn leaders(&self) -> impl Future<Output = Result<Vec<String>, EnclaveError>> + Send;
    fn identity(&self, leader: &str) -> impl Future<Output = Result<Identity, EnclaveError>> + Send;
    /// Streams `leader`'s won slots of `slots` into `sink`, in slot order, as they are found.
    fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> impl Future<Output = Result<(), EnclaveError>> + Send;
    /// Signs an encoded header body.
    fn sign(&self, leader: &str, body: Vec<u8>) -> impl Future<Output = Result<SignedHeader, EnclaveError>> + Send;
}

#[cfg(feature = "in-process")]
pub use crate::in_process::InProcessEnclave;

/// The enclave over gRPC (its Unix socket or mutual TLS), optionally several enclaves that
/// share one sign guard: a call that finds its enclave unreachable (or unable to reach its
/// guard's database) is sent, unchanged, to the next one; a refusal is final and is never
/// retried elsewhere. The enclave that last answered is asked first.
///
/// A failover enclave that never scheduled the current epoch answers `unknown_epoch`; the
/// leadership process then sends it the epoch's parameters and asks again.
#[derive(Clone)]
pub struct GrpcEnclave {
    endpoints: Arc<[(String, slotforge_enclave_api::client::EnclaveClient)]>,
    current: Arc<AtomicUsize>,
}

fn from_client(e: slotforge_enclave_api::client::ClientError) -> EnclaveError {
    use slotforge_enclave_api::client::ClientError;
    if e.is_unavailable() {
        return EnclaveError::Unavailable(e.to_string());
    }
    match e {
        ClientError::Refused { reason, message, .. } => EnclaveError::Refused { reason, message },
        other => EnclaveError::Other(other.to_string()),
    }
}

impl GrpcEnclave {
    /// One enclave.
    pub fn new(client: slotforge_enclave_api::client::EnclaveClient) -> Self {
        Self::with_failover(vec![("enclave".into(), client)])
    }

    /// Several enclaves sharing one sign guard, named for the logs, in order of preference.
    ///
    /// # Panics
    /// If `endpoints` is empty.
    pub fn with_failover(endpoints: Vec<(String, slotforge_enclave_api::client::EnclaveClient)>) -> Self {
        assert!(!endpoints.is_empty(), "GrpcEnclave needs at least one enclave");
        GrpcEnclave {
            endpoints: endpoints.into(),
            current: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `op` on the current enclave, then on each other one while they are unreachable.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T, EnclaveError>
    where
        F: Fn(slotforge_enclave_api::client::EnclaveClient) -> Fut,
        Fut: Future<Output = Result<T, slotforge_enclave_api::client::ClientError>>,
    {
        let n = self.endpoints.len();
        let first = self.current.load(Ordering::Relaxed) % n;
        let mut last = None;
        for i in 0..n {
            let at = (first + i) % n;
            let (name, client) = &self.endpoints[at];
            match op(client.clone()).await {
                Ok(v) => {
                    if at != first {
                        self.current.store(at, Ordering::Relaxed);
                        tracing::warn!(enclave = %name, "failed over to enclave {name}");
                    }
                    return Ok(v);
                }
                Err(e) if e.is_unavailable() => {
                    if n > 1 {
                        tracing::warn!(enclave = %name, error = %e, "enclave unreachable; trying the next");
                    }
                    last = Some(e);
                }
                Err(e) => return Err(from_client(e)),
            }
        }
        Err(last.map_or_else(|| EnclaveError::Unavailable("no enclave".into()), from_client))
    }
}

impl EnclaveClient for GrpcEnclave {
    async fn leaders(&self) -> Result<Vec<String>, EnclaveError> {
        self.call(|mut c| async move { c.list_leaders().await }).await
    }

    async fn identity(&self, leader: &str) -> Result<Identity, EnclaveError> {
        self.call(|mut c| async move { c.identity(leader).await }).await
    }

    /// A stream cut by an outage resumes on the next enclave after the last slot delivered.
    async fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> Result<(), EnclaveError> {
        let next = std::sync::Mutex::new(slots.start);
        let next = &next;
        let sink = &sink;
        self.call(|mut c| {
            let start = *next.lock().unwrap_or_else(|p| p.into_inner());
            let range = start.max(slots.start)..slots.end;
            async move {
                let mut stream = c.schedule(leader, params, range).await?;
                while let Some(s) = stream.next().await {
                    let s = s?;
                    let slot = s.slot;
                    if sink.send(s).await.is_err() {
                        break;
                    }
                    *next.lock().unwrap_or_else(|p| p.into_inner()) = slot + 1;
                }
                Ok(())
            }
        })
        .await
    }

    async fn sign(&self, leader: &str, body: Vec<u8>) -> Result<SignedHeader, EnclaveError> {
        let body = &body;
        self.call(|mut c| async move { c.sign_block(leader, body.clone()).await })
            .await
    }
}

/// A block on the node's chain, as far as leadership needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    pub hash: [u8; 32],
    pub slot: u64,
    pub block_number: u64,
}

/// The node's current tip and the block before it (for a fair slot battle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    pub block: BlockRef,
    /// None when the tip is the first block.
    pub parent: Option<BlockRef>,
}

/// A block body the chain built from its fragment pool: its parts' bytes as they follow the
/// header in a block, with the hash and size the header declares. Leadership treats it as
/// opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBody {
    pub bytes: Vec<u8>,
    pub hash: [u8; 32],
    pub size: u64,
    /// The ids of the transactions it holds, in order.
    pub tx_ids: Vec<[u8; 32]>,
}

/// A block leadership made, handed to the blockchain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgedBlock {
    pub leader: String,
    pub slot: u64,
    pub block_number: u64,
    pub parent: Option<[u8; 32]>,
    /// The signed header's CBOR.
    pub header: Vec<u8>,
    /// blake2b-256 of the header: the block hash.
    pub hash: [u8; 32],
    pub body: BlockBody,
}

/// What the blockchain later says about a forged block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockOutcome {
    Adopted {
        chain_length: u64,
    },
    /// Lost a slot battle, or a fork switch dropped it.
    Orphaned,
    Rejected {
        reason: String,
    },
    /// k blocks deep.
    Immutable,
}

/// What the blockchain tells leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEvent {
    /// An epoch's leadership parameters are known (again, or changed by a fork).
    Leadership(EpochLeadershipParams),
    TipChanged(Tip),
    BlockOutcome {
        hash: [u8; 32],
        outcome: BlockOutcome,
    },
}

/// The blockchain, as leadership calls it.
pub trait Blockchain: Clone + Send + Sync + 'static {
    /// The current tip; None before the first block.
    fn tip(&self) -> impl Future<Output = Option<Tip>> + Send;
    /// Takes a forged block; an error is a rejection (recorded with its reason).
    fn submit(&self, block: ForgedBlock) -> impl Future<Output = Result<(), String>> + Send;
}

/// The fragment pool: the chain's mempool, which builds block bodies.
pub trait FragmentPool: Clone + Send + Sync + 'static {
    /// A body for a block at `slot` on `parent` (None: the first block) of at most
    /// `max_bytes`, every transaction valid there in order, selected before `deadline_ms`
    /// (Unix ms).
    fn select(
        &self,
        parent: Option<BlockRef>,
        slot: u64,
        max_bytes: u64,
        deadline_ms: i64,
    ) -> impl Future<Output = BlockBody> + Send;
}

/// Time, injected: now and sleep-until, in Unix milliseconds.
pub trait Clock: Clone + Send + Sync + 'static {
    fn now_ms(&self) -> i64;
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
}

impl TokioClock {
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
mod clock_tests {
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
