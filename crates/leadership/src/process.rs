//! The leadership process: [`start`] it, and one task runs its event loop, routing each input
//! to the room that handles it:
//!
//! - at start, `recovery` settles what a crash left behind;
//! - the enclave's leaders and the chain's epoch parameters go to `schedules` (triggers,
//!   de-duplication, superseding, streaming from the enclave into the slot log), which arms a
//!   timer for every leader slot;
//! - a due timer goes to [`forging`](crate::forging), which forges the slot in a task of its
//!   own, so a slow enclave or blockchain call never delays another slot;
//! - what the chain reports about a forged block goes to `outcomes`.
//!
//! Every slot-log write goes through `recording`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use slotforge_enclave_api::types::{Identity, ScheduledSlot};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::LeadershipConfig;
use crate::metrics::Metrics;
use crate::params::DigestedParams;
use crate::schedules::Computation;
use crate::seams::{Blockchain, ChainEvent, Enclave, EnclaveError, FragmentPool};
use crate::slot_log::{LogError, SlotEntry, SlotLog};

/// What the process reacts to.
pub(crate) enum Input {
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
    /// The slot log the process writes (the REST routes read it).
    pub log: Arc<SlotLog>,
    /// Every slot-log entry the process changes, as it changes (the event stream's source).
    pub events: broadcast::Sender<SlotEntry>,
    /// The process's Prometheus metrics.
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
pub(crate) struct Shared<E, B, F, C> {
    pub(crate) enclave: E,
    pub(crate) chain: B,
    pub(crate) pool: F,
    pub(crate) clock: C,
    pub(crate) log: Arc<SlotLog>,
    pub(crate) events: broadcast::Sender<SlotEntry>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) config: LeadershipConfig,
    /// Held (shared) by every slot-log call on the blocking pool, so that a stop can wait
    /// for the calls of aborted forge tasks: those run to their end regardless.
    pub(crate) in_flight: Arc<tokio::sync::RwLock<()>>,
}

/// The running state, owned by the process task.
pub(crate) struct Process<E, B, F, C> {
    pub(crate) shared: Arc<Shared<E, B, F, C>>,
    pub(crate) tx: mpsc::UnboundedSender<Input>,
    pub(crate) leaders: BTreeMap<String, Identity>,
    /// The newest parameters announced for each epoch.
    pub(crate) epochs: BTreeMap<u64, Arc<DigestedParams>>,
    /// (leader, epoch) → the schedule being streamed.
    pub(crate) computing: HashMap<(String, u64), Computation>,
    /// Set at stop: the schedule computations end their streams.
    pub(crate) stopping: watch::Sender<bool>,
    /// (wake time, entry id) of every scheduled entry.
    pub(crate) timers: BTreeSet<(i64, i64)>,
    pub(crate) forging: tokio::task::JoinSet<()>,
    pub(crate) retry_pending: bool,
    /// Whether the enclave's leaders have been read since the start.
    pub(crate) leaders_loaded: bool,
}

/// Why the process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The slot log could not be read or written during recovery.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The runtime is shutting down, so the recovery could not run on its blocking pool.
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
    E: Enclave,
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

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    pub(crate) fn now(&self) -> i64 {
        self.shared.clock.now_ms()
    }

    /// The event loop: inputs, and the timer of the next leader slot.
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

    /// Sends `input` to the loop again after the configured retry wait.
    pub(crate) fn retry_later(&mut self, input: Input) {
        let (clock, tx, wait) = (self.shared.clock.clone(), self.tx.clone(), self.shared.config.retry_ms);
        tokio::spawn(async move {
            clock.sleep_until_ms(clock.now_ms() + wait).await;
            let _ = tx.send(input);
        });
    }
}
