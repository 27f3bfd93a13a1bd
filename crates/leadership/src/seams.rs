//! The seams through which a node embeds the leadership module: the enclave, the blockchain,
//! the fragment pool and the clock. Each is a trait, with the implementations slotforge ships.

use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use slotforge_enclave::signer::{Identity, ScheduledSlot, SignedHeader, Signer};
use slotforge_enclave::wire::ScheduleParams;
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

/// The enclave's signer in this process (tests, simulations, single-host devnets).
#[derive(Clone)]
pub struct InProcessEnclave(pub Arc<Signer>);

fn refused(e: slotforge_enclave::signer::SignError) -> EnclaveError {
    EnclaveError::Refused {
        reason: e.kind().to_string(),
        message: e.to_string(),
    }
}

impl EnclaveClient for InProcessEnclave {
    async fn leaders(&self) -> Result<Vec<String>, EnclaveError> {
        Ok(self.0.leader_ids())
    }

    async fn identity(&self, leader: &str) -> Result<Identity, EnclaveError> {
        self.0.identity(leader).map_err(refused)
    }

    async fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> Result<(), EnclaveError> {
        let epoch = params
            .to_epoch_params()
            .map_err(|e| EnclaveError::Other(e.to_string()))?;
        let (signer, leader) = (self.0.clone(), leader.to_string());
        tokio::task::spawn_blocking(move || {
            signer.schedule_each(&leader, epoch, slots, |s| sink.blocking_send(s).is_ok())
        })
        .await
        .map_err(|e| EnclaveError::Other(e.to_string()))?
        .map_err(refused)
    }

    async fn sign(&self, leader: &str, body: Vec<u8>) -> Result<SignedHeader, EnclaveError> {
        let (signer, leader) = (self.0.clone(), leader.to_string());
        tokio::task::spawn_blocking(move || signer.sign_block(&leader, &body))
            .await
            .map_err(|e| EnclaveError::Other(e.to_string()))?
            .map_err(refused)
    }
}

/// The enclave over gRPC (its Unix socket or mutual TLS), optionally several enclaves that
/// share one sign guard: a call that finds its enclave unreachable (or unable to reach its
/// guard's database) is sent, unchanged, to the next one; a refusal is final and is never
/// retried elsewhere. The enclave that last answered is asked first.
///
/// A failover enclave that never scheduled the current epoch answers `unknown_epoch`; the
/// leadership process then sends it the epoch's parameters and asks again.
#[derive(Clone)]
pub struct GrpcEnclave {
    endpoints: Arc<[(String, slotforge_enclave::client::EnclaveClient)]>,
    current: Arc<AtomicUsize>,
}

fn from_client(e: slotforge_enclave::client::ClientError) -> EnclaveError {
    use slotforge_enclave::client::ClientError;
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
    pub fn new(client: slotforge_enclave::client::EnclaveClient) -> Self {
        Self::with_failover(vec![("enclave".into(), client)])
    }

    /// Several enclaves sharing one sign guard, named for the logs, in order of preference.
    ///
    /// # Panics
    /// If `endpoints` is empty.
    pub fn with_failover(endpoints: Vec<(String, slotforge_enclave::client::EnclaveClient)>) -> Self {
        assert!(!endpoints.is_empty(), "GrpcEnclave needs at least one enclave");
        GrpcEnclave {
            endpoints: endpoints.into(),
            current: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `op` on the current enclave, then on each other one while they are unreachable.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T, EnclaveError>
    where
        F: Fn(slotforge_enclave::client::EnclaveClient) -> Fut,
        Fut: Future<Output = Result<T, slotforge_enclave::client::ClientError>>,
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

/// Wall-clock time read through tokio's monotonic clock, anchored once: in a runtime with
/// paused time (`tokio::time::pause`) it is virtual time that advances only when every task
/// waits, which is how the simulations run.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    anchor_ms: i64,
    anchor: tokio::time::Instant,
    /// Finish each wait by yielding until the exact instant: tokio's timer fires on whole
    /// milliseconds, up to 1 ms late. Only for real time (with paused time it would spin).
    precise: bool,
}

impl TokioClock {
    /// Anchored at the system time now, with precise waits: the clock a node runs on.
    pub fn system() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        TokioClock {
            precise: true,
            ..Self::starting_at(now)
        }
    }

    /// Anchored so that now is `unix_ms`; waits end on tokio's timer (virtual time works).
    pub fn starting_at(unix_ms: i64) -> Self {
        TokioClock {
            anchor_ms: unix_ms,
            anchor: tokio::time::Instant::now(),
            precise: false,
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
        let target = self.instant_of(t_ms);
        if !self.precise {
            return tokio::time::sleep_until(target).await;
        }
        let coarse = target
            .checked_sub(std::time::Duration::from_millis(2))
            .unwrap_or(target);
        tokio::time::sleep_until(coarse).await;
        while tokio::time::Instant::now() < target {
            tokio::task::yield_now().await;
        }
    }
}
