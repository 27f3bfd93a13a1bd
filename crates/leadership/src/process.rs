//! The leadership process: turns the blockchain's epoch parameters into schedules (asked of
//! the enclave, de-duplicated, streamed into the slot log), wakes before each leader slot,
//! forges, and follows each block's fate.
//!
//! One task owns the timers and the schedule bookkeeping; each leader slot is forged in a task
//! of its own, so a slow enclave or blockchain call never delays another slot.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use slotforge_enclave_api::types::{Identity, ScheduledSlot};
use slotforge_enclave_api::wire::ScheduleParams;
use slotforge_praos::bft::BftHeaderBody;
use slotforge_praos::forge::{praos_header_body, BlockContent};
use slotforge_praos::nonce::blake2b256;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::metrics::Metrics;
use crate::params::{DigestedParams, EpochLeadershipParams};
use crate::seams::{
    BlockBody, BlockOutcome, BlockRef, Blockchain, ChainEvent, Clock, EnclaveClient, EnclaveError, ForgedBlock,
    FragmentPool, Tip,
};
use crate::slot_log::{LogError, SlotEntry, SlotLog, TransitionInfo};
use crate::status::SlotStatus;

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

/// What the process reacts to.
enum Input {
    Chain(ChainEvent),
    /// Re-read the enclave's leaders (one added or removed).
    LeadersChanged,
    Scheduled {
        leader: String,
        params: Arc<DigestedParams>,
        slot: ScheduledSlot,
    },
    ScheduleDone {
        leader: String,
        params: Arc<DigestedParams>,
        result: Result<f64, EnclaveError>,
    },
    RetrySchedules,
    Forged,
    Stop,
}

/// The node's handle on a running leadership process.
#[derive(Clone)]
pub struct LeadershipHandle {
    tx: mpsc::UnboundedSender<Input>,
    pub log: Arc<SlotLog>,
    pub events: broadcast::Sender<SlotEntry>,
    pub metrics: Arc<Metrics>,
}

impl LeadershipHandle {
    /// Passes a blockchain event in.
    pub fn chain_event(&self, event: ChainEvent) {
        let _ = self.tx.send(Input::Chain(event));
    }

    /// Tells leadership the enclave's leaders changed (after `keys import` or `keys remove`).
    pub fn leaders_changed(&self) {
        let _ = self.tx.send(Input::LeadersChanged);
    }

    /// Stops the process. Every forging in progress stops as a crash would (nothing is
    /// finished up); the schedule slots the enclave had already delivered are recorded, so a
    /// restart resumes after them. Await the task returned by [`start`] to know it has stopped.
    pub fn stop(&self) {
        let _ = self.tx.send(Input::Stop);
    }
}

/// Everything a forging task needs.
struct Shared<E, B, F, C> {
    enclave: E,
    chain: B,
    pool: F,
    clock: C,
    log: Arc<SlotLog>,
    events: broadcast::Sender<SlotEntry>,
    metrics: Arc<Metrics>,
    config: LeadershipConfig,
    /// Held (shared) by every slot-log call on the blocking pool, so that a stop can wait
    /// for the calls of aborted forge tasks: those run to their end regardless.
    in_flight: Arc<tokio::sync::RwLock<()>>,
}

/// The running state, owned by the process task.
struct Process<E, B, F, C> {
    shared: Arc<Shared<E, B, F, C>>,
    tx: mpsc::UnboundedSender<Input>,
    leaders: BTreeMap<String, Identity>,
    /// The newest parameters announced for each epoch.
    epochs: BTreeMap<u64, Arc<DigestedParams>>,
    /// (leader, epoch) → the schedule being streamed.
    computing: HashMap<(String, u64), Computation>,
    /// Set at stop: the schedule computations end their streams.
    stopping: watch::Sender<bool>,
    /// (wake time, entry id) of every scheduled entry.
    timers: BTreeSet<(i64, i64)>,
    forging: tokio::task::JoinSet<()>,
    retry_pending: bool,
    /// Whether the enclave's leaders have been read since the start.
    leaders_loaded: bool,
}

/// A schedule being streamed from the enclave.
struct Computation {
    /// The digest of the parameters it is computed under.
    digest: String,
    task: JoinHandle<()>,
}

/// Why the process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("the async runtime is shutting down")]
    RuntimeStopping,
}

/// Starts the leadership process: recovers the slot log (entries whose slot passed while the
/// node was down become `missed`, schedules cut short are resumed), asks the enclave for its
/// leaders, and runs until [`LeadershipHandle::stop`].
pub async fn start<E, B, F, C>(
    enclave: E,
    chain: B,
    pool: F,
    clock: C,
    log: Arc<SlotLog>,
    config: LeadershipConfig,
) -> Result<(LeadershipHandle, JoinHandle<()>), StartError>
where
    E: EnclaveClient,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let (events, _) = broadcast::channel(4096);
    let metrics = Arc::new(Metrics::new());
    let shared = Arc::new(Shared {
        enclave,
        chain,
        pool,
        clock,
        log: log.clone(),
        events: events.clone(),
        metrics: metrics.clone(),
        config,
        in_flight: Arc::default(),
    });
    let mut process = Process {
        shared,
        tx: tx.clone(),
        leaders: BTreeMap::new(),
        epochs: BTreeMap::new(),
        computing: HashMap::new(),
        stopping: watch::channel(false).0,
        timers: BTreeSet::new(),
        forging: tokio::task::JoinSet::new(),
        retry_pending: false,
        leaders_loaded: false,
    };
    process.recover().await?;
    let handle = LeadershipHandle {
        tx: tx.clone(),
        log,
        events,
        metrics,
    };
    let _ = tx.send(Input::LeadersChanged);
    let task = tokio::spawn(process.run(rx));
    Ok((handle, task))
}

/// Which block to build on: the tip, or its predecessor when the tip is in the same slot (a
/// fair slot battle). An error is the reason not to forge.
pub fn choose_parent(tip: Option<&Tip>, slot: u64) -> Result<Option<BlockRef>, String> {
    match tip {
        None => Ok(None),
        Some(t) if t.block.slot < slot => Ok(Some(t.block)),
        Some(t) if t.block.slot == slot => Ok(t.parent),
        Some(t) => Err(format!("tip ahead: the tip is already at slot {}", t.block.slot)),
    }
}

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: EnclaveClient,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    fn publish(&self, e: SlotEntry) {
        let _ = self.events.send(e);
    }

    /// Moves an entry and publishes the change; a refused transition (a concurrent change
    /// won) is reported as None.
    fn transition(&self, id: i64, to: SlotStatus, info: TransitionInfo) -> Option<SlotEntry> {
        match self.log.transition(id, to, &info, self.clock.now_ms()) {
            Ok(e) => {
                self.publish(e.clone());
                Some(e)
            }
            Err(LogError::Transition { .. }) => None,
            Err(e) => {
                tracing::error!(error = %e, "slot log write failed");
                None
            }
        }
    }

    /// Runs `f` on tokio's blocking pool: slot-log work (SQLite) never runs on the async
    /// runtime. None if the blocking task could not run (the runtime is stopping).
    async fn off_runtime<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Self) -> T + Send + 'static,
    ) -> Option<T> {
        let (me, in_flight) = (self.clone(), self.in_flight.clone().read_owned().await);
        tokio::task::spawn_blocking(move || {
            let result = f(&me);
            drop(in_flight);
            result
        })
        .await
        .ok()
    }

    /// Whether entry `id` is still `woke`: nothing else (a fork, a restart) took it since.
    fn still_woke(&self, id: i64) -> bool {
        self.log.get(id).is_ok_and(|e| e.status == SlotStatus::Woke)
    }

    fn miss(&self, e: &SlotEntry, class: &str, reason: String) {
        tracing::warn!(leader = %e.leader, slot = e.slot, %reason, "leader slot missed");
        self.metrics.missed(&e.leader, class);
        self.transition(
            e.id,
            SlotStatus::Missed,
            TransitionInfo {
                reason: Some(reason),
                ..Default::default()
            },
        );
    }

    /// Records what became of one of our blocks.
    fn outcome(&self, hash: [u8; 32], outcome: BlockOutcome) {
        let Ok(Some(e)) = self.log.by_block(&hash) else {
            return;
        };
        let (to, info, name) = match outcome {
            BlockOutcome::Adopted { chain_length } => (
                SlotStatus::Adopted,
                TransitionInfo {
                    chain_length: Some(chain_length),
                    ..Default::default()
                },
                "adopted",
            ),
            BlockOutcome::Orphaned => (SlotStatus::Orphaned, TransitionInfo::default(), "orphaned"),
            BlockOutcome::Rejected { reason } => (
                SlotStatus::Rejected,
                TransitionInfo {
                    reason: Some(reason),
                    ..Default::default()
                },
                "rejected",
            ),
            BlockOutcome::Immutable => {
                if matches!(e.status, SlotStatus::Forged | SlotStatus::Orphaned) {
                    self.transition(e.id, SlotStatus::Adopted, TransitionInfo::default());
                }
                (SlotStatus::Immutable, TransitionInfo::default(), "immutable")
            }
        };
        if self.transition(e.id, to, info).is_some() {
            self.metrics.block(&e.leader, name);
        }
    }

    /// [`miss`](Self::miss) on tokio's blocking pool.
    async fn miss_off_runtime(self: &Arc<Self>, e: &SlotEntry, class: &str, reason: String) {
        let (e, class) = (e.clone(), class.to_string());
        self.off_runtime(move |me| me.miss(&e, &class, reason)).await;
    }

    /// Forges one leader slot: wake, parent, block body, header, sign at the slot, submit.
    /// `request` is the epoch's schedule request, re-sent if the enclave has forgotten the
    /// epoch (it restarted) before the same body is asked for again.
    async fn forge(self: Arc<Self>, id: i64, identity: Identity, request: Option<ScheduleParams>) {
        let woke = self.off_runtime(move |me| me.transition(id, SlotStatus::Woke, TransitionInfo::default()));
        let Some(e) = woke.await.flatten() else {
            return; // superseded or already handled
        };
        let now = self.clock.now_ms();
        let late = now - e.scheduled_at_ms;
        if late > self.config.max_late_ms {
            return self.miss_off_runtime(&e, "late", format!("late by {late} ms")).await;
        }
        let tip = self.chain.tip().await;
        let parent = match choose_parent(tip.as_ref(), e.slot) {
            Ok(p) => p,
            Err(reason) => return self.miss_off_runtime(&e, "tip_ahead", reason).await,
        };
        let block_body = self
            .pool
            .select(parent, e.slot, self.config.max_block_body_bytes, e.scheduled_at_ms)
            .await;
        let body = match self.body(&e, &identity, parent, &block_body) {
            Ok(b) => b,
            Err(reason) => return self.miss_off_runtime(&e, "no_vrf_result", reason).await,
        };
        self.clock.sleep_until_ms(e.scheduled_at_ms).await;
        if !self.off_runtime(move |me| me.still_woke(id)).await.unwrap_or(false) {
            return; // superseded or settled while the body was made: nothing is signed
        }
        let mut signed = self.enclave.sign(&e.leader, body.clone()).await;
        if let (Err(EnclaveError::Refused { reason, .. }), Some(request)) = (&signed, &request) {
            if reason == "unknown_epoch" {
                tracing::info!(leader = %e.leader, slot = e.slot, "the enclave forgot the epoch; sending it again");
                let (sink, mut found) = mpsc::channel(4);
                let resent = self
                    .enclave
                    .schedule(&e.leader, request, e.slot..e.slot + 1, sink)
                    .await;
                while found.try_recv().is_ok() {}
                if resent.is_ok() {
                    signed = self.enclave.sign(&e.leader, body).await;
                }
            }
        }
        let signed = match signed {
            Ok(s) => s,
            Err(EnclaveError::Unavailable(m)) => {
                return self
                    .miss_off_runtime(&e, "enclave_unreachable", format!("enclave unreachable: {m}"))
                    .await
            }
            Err(EnclaveError::Refused { reason, message }) if reason == "kes_expired" => {
                return self
                    .miss_off_runtime(&e, "kes_expired", format!("KES expired: {message}"))
                    .await
            }
            Err(EnclaveError::Refused { reason, message }) => {
                return self
                    .miss_off_runtime(&e, &reason, format!("the enclave refused ({reason}): {message}"))
                    .await
            }
            Err(other) => return self.miss_off_runtime(&e, "enclave_error", other.to_string()).await,
        };
        let late = self.clock.now_ms() - e.scheduled_at_ms;
        if late > self.config.max_late_ms {
            return self
                .miss_off_runtime(
                    &e,
                    "late",
                    format!(
                        "signed {late} ms after the slot began (limit {} ms); not submitted",
                        self.config.max_late_ms
                    ),
                )
                .await;
        }
        let hash = blake2b256(&[&signed.header]);
        let block_number = parent.map_or(0, |p| p.block_number + 1);
        let block = ForgedBlock {
            leader: e.leader.clone(),
            slot: e.slot,
            block_number,
            parent: parent.map(|p| p.hash),
            header: signed.header,
            hash,
            body: block_body,
        };
        // Recorded before the hand-over: the chain may report the block's fate before
        // `submit` returns. An entry that is no longer `woke` is not submitted.
        let forged = TransitionInfo {
            block_hash: Some(hash),
            parent_hash: parent.map(|p| p.hash),
            // The chain's length with this block on it (the chain confirms it on adoption).
            chain_length: Some(block_number + 1),
            ..Default::default()
        };
        let forged = self.off_runtime(move |me| me.transition(id, SlotStatus::Forged, forged));
        if forged.await.flatten().is_none() {
            return;
        }
        self.metrics.block(&e.leader, "forged");
        let submitted = self.chain.submit(block).await;
        self.metrics
            .slot_to_block((self.clock.now_ms() - e.scheduled_at_ms).max(0) as f64 / 1000.0);
        if let Err(reason) = submitted {
            self.metrics.block(&e.leader, "rejected");
            let rejected = TransitionInfo {
                reason: Some(reason),
                ..Default::default()
            };
            self.off_runtime(move |me| me.transition(id, SlotStatus::Rejected, rejected))
                .await;
        }
    }

    /// The header body for an entry, from public material only.
    fn body(
        &self,
        e: &SlotEntry,
        identity: &Identity,
        parent: Option<BlockRef>,
        block_body: &BlockBody,
    ) -> Result<Vec<u8>, String> {
        let content = BlockContent {
            block_number: parent.map_or(0, |p| p.block_number + 1),
            slot: e.slot,
            prev_hash: parent.map(|p| p.hash),
            block_body_size: block_body.size,
            block_body_hash: block_body.hash,
            protocol_version: self.config.protocol_version,
        };
        match identity {
            Identity::Praos(p) => {
                let output = e
                    .vrf_output
                    .as_deref()
                    .and_then(|b| <[u8; 64]>::try_from(b).ok())
                    .ok_or("the schedule entry has no VRF output")?;
                let proof = e
                    .vrf_proof
                    .as_deref()
                    .and_then(|b| <[u8; 80]>::try_from(b).ok())
                    .ok_or("the schedule entry has no VRF proof")?;
                Ok(praos_header_body(
                    &content,
                    p.vrf_vkey,
                    &slotforge_crypto::vrf::VrfOutput(output),
                    &slotforge_crypto::vrf::VrfProof(proof),
                    &p.opcert,
                )
                .to_cbor())
            }
            Identity::Bft { vkey } => Ok(BftHeaderBody {
                block_number: content.block_number,
                slot: content.slot,
                prev_hash: content.prev_hash,
                issuer_vkey: *vkey,
                block_body_size: content.block_body_size,
                block_body_hash: content.block_body_hash,
                protocol_version: content.protocol_version,
            }
            .to_cbor()),
        }
    }
}

impl<E, B, F, C> Process<E, B, F, C>
where
    E: EnclaveClient,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    fn now(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// Runs `f` with the slot log on tokio's blocking pool: the process task never runs SQLite
    /// on the async runtime. None if the blocking task could not run (the runtime is stopping).
    async fn with_log<T: Send + 'static>(&self, f: impl FnOnce(&SlotLog) -> T + Send + 'static) -> Option<T> {
        self.shared.off_runtime(move |me| f(&me.log)).await
    }

    /// After a restart: entries caught mid-forge or whose slot passed become missed; the rest
    /// are armed again; the parameters of live schedules are known again.
    async fn recover(&mut self) -> Result<(), StartError> {
        let (now, max_late) = (self.now(), self.shared.config.max_late_ms);
        let recovered = self.shared.off_runtime(move |me| -> Result<_, LogError> {
            let params = me.log.live_params()?;
            let mut armed = Vec::new();
            for e in me.log.pending()? {
                if e.status == SlotStatus::Woke {
                    me.miss(&e, "restart", "the node restarted while forging this slot".into());
                } else if now - e.scheduled_at_ms > max_late {
                    me.miss(&e, "not_running", "the node was not running at the slot".into());
                } else {
                    armed.push(e);
                }
            }
            Ok((params, armed))
        });
        let (params, armed) = recovered.await.ok_or(StartError::RuntimeStopping)??;
        for (_, params) in params {
            self.epochs.insert(params.epoch, Arc::new(DigestedParams::new(params)));
        }
        for e in &armed {
            self.arm(e);
        }
        Ok(())
    }

    fn arm(&mut self, e: &SlotEntry) {
        self.timers
            .insert((e.scheduled_at_ms - self.shared.config.lead_time_ms, e.id));
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Input>) {
        loop {
            let next = self.timers.first().copied();
            let clock = self.shared.clock.clone();
            let wake = async move {
                match next {
                    Some((t, _)) => clock.sleep_until_ms(t).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                // Inputs first: at start, the leaders are loaded before any due slot fires.
                biased;
                input = rx.recv() => match input {
                    Some(Input::Stop) | None => break,
                    Some(i) => self.handle(i).await,
                },
                _ = wake => {
                    if let Some((t, id)) = next {
                        self.timers.remove(&(t, id));
                        self.fire(id).await;
                    }
                }
            }
        }
        self.forging.abort_all();
        while self.forging.join_next().await.is_some() {}
        // Slot-log calls the aborted tasks had started still run: wait for the last.
        drop(self.shared.in_flight.write().await);
        self.keep_delivered_schedules(&mut rx).await;
    }

    /// At stop: cancels the schedule computations and records every slot the enclave had
    /// already delivered, so that a restart resumes after them instead of asking again.
    async fn keep_delivered_schedules(&mut self, rx: &mut mpsc::UnboundedReceiver<Input>) {
        let _ = self.stopping.send(true);
        for c in self.computing.values_mut() {
            let _ = (&mut c.task).await;
        }
        while let Ok(input) = rx.try_recv() {
            match input {
                Input::Scheduled { leader, params, slot } => self.scheduled(&leader, &params, slot).await,
                Input::ScheduleDone { leader, params, result } if result.is_ok() => {
                    self.schedule_done(leader, params, result).await
                }
                _ => {}
            }
        }
    }

    /// Spawns the forging of entry `id`.
    async fn fire(&mut self, id: i64) {
        let Some(Ok(e)) = self.with_log(move |log| log.get(id)).await else {
            return;
        };
        let Some(identity) = self.leaders.get(&e.leader).cloned() else {
            self.shared
                .miss_off_runtime(&e, "leader_unknown", "the enclave does not hold this leader".into())
                .await;
            return;
        };
        let request = self
            .epochs
            .get(&e.epoch)
            .and_then(|p| p.share(&identity).ok().flatten())
            .map(|s| s.request);
        let (shared, tx) = (self.shared.clone(), self.tx.clone());
        self.forging.spawn(async move {
            shared.forge(id, identity, request).await;
            let _ = tx.send(Input::Forged);
        });
    }

    async fn handle(&mut self, input: Input) {
        match input {
            Input::Chain(ChainEvent::Leadership(params)) => self.announce(params).await,
            Input::Chain(ChainEvent::TipChanged(_)) => {}
            Input::Chain(ChainEvent::BlockOutcome { hash, outcome }) => {
                self.shared.off_runtime(move |me| me.outcome(hash, outcome)).await;
            }
            Input::LeadersChanged => self.reload_leaders().await,
            Input::Scheduled { leader, params, slot } => self.scheduled(&leader, &params, slot).await,
            Input::ScheduleDone { leader, params, result } => self.schedule_done(leader, params, result).await,
            Input::RetrySchedules => {
                self.retry_pending = false;
                self.request_all().await;
            }
            Input::Stop => {}
            Input::Forged => {
                while self.forging.try_join_next().is_some() {}
                // Leadership reaching the end of its schedule is a trigger of its own.
                if self.timers.is_empty() {
                    self.request_all().await;
                }
            }
        }
    }

    async fn reload_leaders(&mut self) {
        let names = match self.shared.enclave.leaders().await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the enclave's leaders; retrying");
                self.retry_later(Input::LeadersChanged);
                return;
            }
        };
        self.leaders_loaded = true;
        let removed: Vec<String> = self.leaders.keys().filter(|l| !names.contains(l)).cloned().collect();
        for leader in removed {
            self.leaders.remove(&leader);
            self.unschedule(&leader, "the leader was removed from the enclave")
                .await;
        }
        for name in names {
            if self.leaders.contains_key(&name) {
                continue;
            }
            match self.shared.enclave.identity(&name).await {
                Ok(id) => {
                    self.leaders.insert(name, id);
                }
                Err(e) => {
                    tracing::warn!(leader = %name, error = %e, "cannot read the leader's identity; retrying");
                    self.retry_later(Input::LeadersChanged);
                }
            }
        }
        self.request_all().await;
    }

    fn retry_later(&mut self, input: Input) {
        let (clock, tx, wait) = (self.shared.clock.clone(), self.tx.clone(), self.shared.config.retry_ms);
        tokio::spawn(async move {
            clock.sleep_until_ms(clock.now_ms() + wait).await;
            let _ = tx.send(input);
        });
    }

    /// Cancels a leader's computations and supersedes its pending entries.
    async fn unschedule(&mut self, leader: &str, reason: &str) {
        let keys: Vec<(String, u64)> = self.computing.keys().filter(|(l, _)| l == leader).cloned().collect();
        for k in keys {
            if let Some(c) = self.computing.remove(&k) {
                c.task.abort();
            }
        }
        let (leader, reason) = (leader.to_string(), reason.to_string());
        let superseded = self.shared.off_runtime(move |me| {
            let pending = me.log.pending().unwrap_or_else(|e| {
                tracing::error!(error = %e, "slot log read failed");
                Vec::new()
            });
            let info = TransitionInfo {
                reason: Some(reason),
                ..Default::default()
            };
            let scheduled = pending
                .into_iter()
                .filter(|e| e.leader == leader && e.status == SlotStatus::Scheduled);
            scheduled
                .map(|e| {
                    me.transition(e.id, SlotStatus::Superseded, info.clone());
                    e.id
                })
                .collect::<Vec<i64>>()
        });
        for id in superseded.await.unwrap_or_default() {
            self.timers.retain(|(_, t)| *t != id);
        }
    }

    /// New parameters for an epoch: remember them and schedule every leader.
    async fn announce(&mut self, params: EpochLeadershipParams) {
        let epoch = params.epoch;
        self.epochs.insert(epoch, Arc::new(DigestedParams::new(params)));
        let leaders: Vec<String> = self.leaders.keys().cloned().collect();
        for leader in leaders {
            self.request(&leader, epoch).await;
        }
        self.prune().await;
    }

    /// Requests every known epoch that has not ended, for every leader (duplicates cost nothing).
    async fn request_all(&mut self) {
        let now = self.now();
        let epochs: Vec<u64> = self
            .epochs
            .values()
            .filter(|p| p.slot_start_ms(p.slots().end) > now)
            .map(|p| p.epoch)
            .collect();
        let leaders: Vec<String> = self.leaders.keys().cloned().collect();
        for epoch in epochs {
            for leader in &leaders {
                self.request(leader, epoch).await;
            }
        }
    }

    /// The schedule trigger: idempotent by (epoch, digest of the parameters).
    async fn request(&mut self, leader: &str, epoch: u64) {
        let Some(params) = self.epochs.get(&epoch).cloned() else {
            return;
        };
        let Some(identity) = self.leaders.get(leader).cloned() else {
            return;
        };
        let digest = params.digest.clone();
        let key = (leader.to_string(), epoch);
        if self.computing.get(&key).is_some_and(|c| c.digest == digest) {
            return; // the same request is being computed
        }
        let name = leader.to_string();
        let live = match self.with_log(move |log| log.live_digests(&name, epoch)).await {
            Some(Ok(l)) => l,
            Some(Err(e)) => return tracing::error!(error = %e, "slot log read failed"),
            None => return,
        };
        // Other parameters for this epoch (a fork changed them): cancel and supersede.
        for old in live.into_iter().filter(|d| *d != digest) {
            if let Some(c) = self.computing.remove(&key) {
                c.task.abort();
            }
            let (name, now) = (leader.to_string(), self.now());
            match self.with_log(move |log| log.supersede(&name, epoch, &old, now)).await {
                Some(Ok(changed)) => {
                    for e in changed {
                        self.timers.retain(|(_, id)| *id != e.id);
                        self.shared.publish(e);
                    }
                }
                Some(Err(e)) => tracing::error!(error = %e, "slot log write failed"),
                None => return,
            }
        }
        let share = match params.share(&identity) {
            Ok(Some(s)) => s,
            Ok(None) => return, // the leader takes no part in this epoch
            Err(e) => return tracing::error!(error = %e, leader, "unusable leadership parameters"),
        };
        let now = self.now();
        let end = params.slots().end;
        // A node started mid-epoch schedules from the slot in progress on.
        let from = params.slot_at_ms(now).unwrap_or(end).max(params.first_slot);
        let (name, p, ideal) = (leader.to_string(), params.clone(), share.ideal_slots);
        let begun = self.with_log(move |log| {
            let (next, complete) = log.begin_schedule(&name, &p, ideal, from, now)?;
            if !complete && next >= end {
                log.complete_schedule(&name, &p)?;
            }
            Ok::<_, LogError>((next, complete))
        });
        let next = match begun.await {
            Some(Ok((next, complete))) if !complete && next < end => next,
            Some(Ok(_)) | None => return,
            Some(Err(e)) => return tracing::error!(error = %e, "slot log write failed"),
        };
        self.shared.metrics.schedule_started();
        let (shared, tx, leader_name) = (self.shared.clone(), self.tx.clone(), leader.to_string());
        let mut stopping = self.stopping.subscribe();
        let task = tokio::spawn(async move {
            let started = std::time::Instant::now();
            let (sink, mut found) = mpsc::channel(256);
            // At stop the stream is dropped (and with it `sink`); what it had delivered is
            // still forwarded, so the process can record it.
            let stream = async {
                tokio::select! {
                    result = shared.enclave.schedule(&leader_name, &share.request, next..end, sink) => Some(result),
                    _ = stopping.wait_for(|s| *s) => None,
                }
            };
            let forward = async {
                while let Some(slot) = found.recv().await {
                    let _ = tx.send(Input::Scheduled {
                        leader: leader_name.clone(),
                        params: params.clone(),
                        slot,
                    });
                }
            };
            let (result, ()) = tokio::join!(stream, forward);
            if let Some(result) = result {
                let _ = tx.send(Input::ScheduleDone {
                    leader: leader_name.clone(),
                    params: params.clone(),
                    result: result.map(|()| started.elapsed().as_secs_f64()),
                });
            }
        });
        self.computing.insert(key, Computation { digest, task });
    }

    fn is_current(&self, leader: &str, params: &DigestedParams) -> bool {
        self.computing
            .get(&(leader.to_string(), params.epoch))
            .is_some_and(|c| c.digest == params.digest)
    }

    async fn scheduled(&mut self, leader: &str, params: &Arc<DigestedParams>, slot: ScheduledSlot) {
        if !self.is_current(leader, params) {
            return; // from a computation cancelled since
        }
        let (now, name, p) = (self.now(), leader.to_string(), params.clone());
        let added = self.with_log(move |log| {
            log.add_slot(
                &name,
                &p,
                slot.slot,
                slot.output.as_ref().map(|o| &o.0[..]),
                slot.proof.as_ref().map(|p| &p.0[..]),
                now,
            )
        });
        match added.await {
            Some(Ok(Some(e))) => {
                self.shared.metrics.slot_assigned(leader);
                self.shared.publish(e.clone());
                self.arm(&e);
            }
            Some(Ok(None)) | None => {}
            Some(Err(e)) => tracing::error!(error = %e, "slot log write failed"),
        }
    }

    async fn schedule_done(&mut self, leader: String, params: Arc<DigestedParams>, result: Result<f64, EnclaveError>) {
        if !self.is_current(&leader, &params) {
            return;
        }
        self.computing.remove(&(leader.clone(), params.epoch));
        match result {
            Ok(seconds) => {
                self.shared.metrics.schedule_finished(seconds);
                let name = leader.clone();
                if let Some(Err(e)) = self.with_log(move |log| log.complete_schedule(&name, &params)).await {
                    tracing::error!(error = %e, "slot log write failed");
                }
            }
            Err(e) => {
                tracing::warn!(leader, epoch = params.epoch, error = %e, "schedule request failed; retrying");
                if !self.retry_pending {
                    self.retry_pending = true;
                    self.retry_later(Input::RetrySchedules);
                }
            }
        }
    }

    async fn prune(&self) {
        let (Some(keep), Some(newest)) = (self.shared.config.retention_epochs, self.epochs.keys().last()) else {
            return;
        };
        let oldest_kept = newest.saturating_sub(keep);
        if let Some(Err(e)) = self.with_log(move |log| log.prune(oldest_kept)).await {
            tracing::error!(error = %e, "slot log pruning failed");
        }
    }
}
