//! The blockchain task: chain selection, the block store and the mempool on a thread of their
//! own (SQLite and validation block), driven through an async [`ChainHandle`].
//!
//! It announces each epoch's leadership parameters as soon as they are fixed — the current
//! epoch's at once, the next epoch's once its nonce is (the stability window has begun) — and
//! again whenever a fork changes them; it reports what became of every block, and the state
//! each epoch's first block starts the epoch with.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::block::{Block, BlockBody};
use crate::chain_state::{ChainState, Point};
use crate::config::ChainConfig;
use crate::mempool::{Mempool, MempoolError};
use crate::selection::{AddError, ChainSelection, SelectionEvent};
use crate::store::{BlockReader, BlockStore, StoreError};
use slotforge_ledger::tx::{Transaction, TxId};
use slotforge_praos::epoch_leadership::EpochLeadership;

/// What the chain tells its listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainNotice {
    /// An epoch's leadership parameters (again, or changed by a fork).
    Leadership(EpochLeadership),
    /// The selected tip, and the block before it.
    TipChanged {
        /// The new selected tip, `None` when the chain is back at genesis.
        tip: Option<Point>,
        /// The block before the tip, when selection holds it (`None` at genesis or at the anchor).
        parent: Option<Point>,
    },
    /// A block's fate.
    Block(SelectionEvent),
    /// The state after the first block of an epoch on the selected chain (again after a fork
    /// that changed it, and the tip's on [`ChainHandle::reannounce`]): what the epoch's boundary
    /// decided — its parameters, pots, rewards and ratification — which holds all epoch.
    EpochEntered(Arc<ChainState>),
}

/// Why the chain refused a block.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// Chain selection did not consider the block (known, known invalid, orphan, too old, altered).
    #[error("{0}")]
    NotConsidered(#[from] AddError),
    /// The block store failed; the block was not stored.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The chain task is gone (every handle dropped, or it failed), so nothing was done.
    #[error("the chain task has stopped")]
    Stopped,
}

/// Why a submitted transaction was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The submitted bytes are not a Conway transaction.
    #[error("undecodable transaction: {0}")]
    Decode(#[from] slotforge_ledger::tx::TxDecodeError),
    /// The mempool refused the transaction (duplicate, full, or invalid on the tip).
    #[error("{0}")]
    Mempool(#[from] MempoolError),
    /// The chain task is gone, so the transaction was not submitted.
    #[error("the chain task has stopped")]
    Stopped,
}

/// How the chain task runs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The mempool's capacity, in bytes of transactions (by [`Transaction::size`]); 2 MiB by
    /// default.
    pub mempool_capacity_bytes: u64,
    /// How long before an epoch's end the next boundary is crossed ahead, on a background
    /// thread, from each new tip (10 minutes by default): the epoch's first block then neither
    /// waits for it to be forged nor to be validated.
    pub boundary_lead: Duration,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            mempool_capacity_bytes: 2 * 1024 * 1024,
            boundary_lead: Duration::from_secs(600),
        }
    }
}

/// Read access to the chain for queries ([`ChainHandle::query`]).
pub struct ChainView<'a> {
    /// Chain selection: the selected chain, its volatile blocks and their states.
    pub selection: &'a ChainSelection,
    /// The block store, for the immutable blocks.
    pub store: &'a BlockStore,
    /// The pending transactions.
    pub mempool: &'a Mempool,
}

type Query = Box<dyn FnOnce(&ChainView<'_>) + Send>;

enum Command {
    AddBlock(Box<Block>, oneshot::Sender<Result<Vec<SelectionEvent>, ChainError>>),
    SubmitTx(Vec<u8>, oneshot::Sender<Result<TxId, SubmitError>>),
    SelectBody {
        parent: Option<[u8; 32]>,
        slot: u64,
        max_bytes: u64,
        budget: Duration,
        reply: oneshot::Sender<BlockBody>,
    },
    Tick(i64),
    Reannounce,
    Query(Query),
}

/// The async handle on a running chain task. Cloning is cheap; the task stops when every
/// handle is dropped.
#[derive(Clone)]
pub struct ChainHandle {
    tx: mpsc::UnboundedSender<Command>,
    notices: broadcast::Sender<ChainNotice>,
    config: Arc<ChainConfig>,
    stopped: watch::Receiver<()>,
    store_path: Arc<Path>,
    mempool_changes: watch::Receiver<u64>,
}

/// Resolves when the chain task has stopped and closed its store (every handle was dropped):
/// what a caller waits for before opening the store again.
pub struct ChainStopped(watch::Receiver<()>);

impl ChainStopped {
    /// Waits until the chain task has stopped and closed its store.
    pub async fn wait(mut self) {
        while self.0.changed().await.is_ok() {}
    }
}

impl ChainHandle {
    /// A signal for the task's end that does not keep the task running.
    pub fn stopped(&self) -> ChainStopped {
        ChainStopped(self.stopped.clone())
    }

    /// The chain's configuration.
    pub fn config(&self) -> &Arc<ChainConfig> {
        &self.config
    }

    /// A read-only connection to the block store, for reading the immutable chain off the
    /// chain task (a blocking call: open and use it on a blocking thread).
    pub fn block_reader(&self) -> Result<BlockReader, StoreError> {
        BlockReader::open(&self.store_path)
    }

    /// A counter the chain task advances whenever the mempool may have changed (a transaction
    /// added, a new tip or slot re-checking them): what a mempool monitor waits on.
    pub fn mempool_changes(&self) -> watch::Receiver<u64> {
        self.mempool_changes.clone()
    }

    /// Listens to the chain's notices from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainNotice> {
        self.notices.subscribe()
    }

    /// Validates, stores and selects a block.
    pub async fn add_block(&self, block: Block) -> Result<Vec<SelectionEvent>, ChainError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::AddBlock(Box::new(block), reply))
            .map_err(|_| ChainError::Stopped)?;
        rx.await.map_err(|_| ChainError::Stopped)?
    }

    /// Adds a transaction (CBOR `[body, witnesses, is_valid, aux]`) to the mempool.
    pub async fn submit_tx(&self, bytes: Vec<u8>) -> Result<TxId, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::SubmitTx(bytes, reply))
            .map_err(|_| SubmitError::Stopped)?;
        rx.await.map_err(|_| SubmitError::Stopped)?
    }

    /// A block body for a block at `slot` on `parent` (None: the first block), within
    /// `max_bytes` and `budget`.
    pub async fn select_body(
        &self,
        parent: Option<[u8; 32]>,
        slot: u64,
        max_bytes: u64,
        budget: Duration,
    ) -> BlockBody {
        let (reply, rx) = oneshot::channel();
        let sent = self.tx.send(Command::SelectBody {
            parent,
            slot,
            max_bytes,
            budget,
            reply,
        });
        if sent.is_err() {
            return BlockBody::empty();
        }
        rx.await.unwrap_or_else(|_| BlockBody::empty())
    }

    /// Tells the chain the time (Unix ms): the mempool's slot, and leadership announcements
    /// that depend on time. Call it every slot.
    pub fn tick(&self, now_ms: i64) {
        let _ = self.tx.send(Command::Tick(now_ms));
    }

    /// Announces the current (and, when fixed, the next) epoch's parameters again, changed
    /// or not: for a listener that subscribed late or fell behind.
    pub fn reannounce(&self) {
        let _ = self.tx.send(Command::Reannounce);
    }

    /// Runs `f` on the chain task with read access, returning its result.
    pub async fn query<T: Send + 'static>(&self, f: impl FnOnce(&ChainView<'_>) -> T + Send + 'static) -> Option<T> {
        let (reply, rx) = oneshot::channel();
        let q: Query = Box::new(move |v| {
            let _ = reply.send(f(v));
        });
        self.tx.send(Command::Query(q)).ok()?;
        rx.await.ok()
    }

    /// The selected tip and its parent.
    pub async fn tip(&self) -> Option<(Point, Option<Point>)> {
        self.query(|v| Some((v.selection.tip()?, v.selection.tip_parent())))
            .await
            .flatten()
    }
}

/// Opens the store at `path`, rebuilds the chain from it and starts the task on a thread.
pub fn start(path: &Path, cfg: ChainConfig, service: ServiceConfig, now_ms: i64) -> Result<ChainHandle, StoreError> {
    let cfg = Arc::new(cfg);
    let store = BlockStore::open(path, &cfg)?;
    let selection = store.load(cfg.clone())?;
    let slot = cfg.slot_at_ms(now_ms);
    let mempool = Mempool::new(&cfg, selection.tip_state(), slot, service.mempool_capacity_bytes);
    let (tx, rx) = mpsc::unbounded_channel();
    let (notices, _) = broadcast::channel(1024);
    let (stopped_tx, stopped) = watch::channel(());
    let (mempool_version, mempool_changes) = watch::channel(0u64);
    let mut task = Task {
        mempool_version,
        cfg: cfg.clone(),
        selection,
        store,
        mempool,
        notices: notices.clone(),
        now_slot: slot,
        announced: BTreeMap::new(),
        revalidation: None,
        boundary_lead_slots: service.boundary_lead.as_millis() as u64 / cfg.genesis.slot_length_ms().max(1),
        prepared: None,
        preparing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
    };
    std::thread::Builder::new()
        .name("chain".into())
        .spawn(move || {
            task.run(rx);
            drop(task);
            drop(stopped_tx);
        })
        .map_err(|e| StoreError::Corrupt {
            path: path_string(path),
            message: format!("cannot start the chain thread: {e}"),
        })?;
    Ok(ChainHandle {
        tx,
        notices,
        config: cfg,
        stopped,
        store_path: Arc::from(path),
        mempool_changes,
    })
}

fn path_string(p: &Path) -> String {
    p.display().to_string()
}

struct Task {
    /// Advanced after every mempool change ([`ChainHandle::mempool_changes`]).
    mempool_version: watch::Sender<u64>,
    cfg: Arc<ChainConfig>,
    selection: ChainSelection,
    store: BlockStore,
    mempool: Mempool,
    notices: broadcast::Sender<ChainNotice>,
    now_slot: u64,
    announced: BTreeMap<u64, EpochLeadership>,
    /// A new tip's mempool revalidation, with the rolled-back transactions to offer again.
    revalidation: Option<Vec<Transaction>>,
    /// How many slots before an epoch's end its boundary is crossed ahead.
    boundary_lead_slots: u64,
    /// The tip and the epoch the last boundary crossed ahead was crossed from and to.
    prepared: Option<([u8; 32], u64)>,
    /// A crossing ahead is under way.
    preparing: Arc<std::sync::atomic::AtomicBool>,
}

impl Task {
    fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        self.announce();
        while let Some(cmd) = rx.blocking_recv() {
            match cmd {
                Command::AddBlock(block, reply) => {
                    let _ = reply.send(self.add_block(*block));
                    if let Some(returning) = self.revalidation.take() {
                        self.revalidate(returning);
                    }
                }
                Command::SubmitTx(bytes, reply) => {
                    let r = Transaction::decode(&bytes)
                        .map_err(SubmitError::from)
                        .and_then(|t| self.mempool.add(t).map_err(SubmitError::from));
                    if r.is_ok() {
                        self.mempool_changed();
                    }
                    let _ = reply.send(r);
                }
                Command::SelectBody {
                    parent,
                    slot,
                    max_bytes,
                    budget,
                    reply,
                } => {
                    let deadline = Instant::now() + budget;
                    let body = match self.selection.state_after(parent).cloned() {
                        Some(state) => self.mempool.select(&self.cfg, &state, slot, max_bytes, deadline),
                        None => BlockBody::empty(),
                    };
                    let _ = reply.send(body);
                }
                Command::Tick(now_ms) => {
                    let slot = self.cfg.slot_at_ms(now_ms);
                    if slot != self.now_slot {
                        self.now_slot = slot;
                        if self.cfg.epoch_of(slot) != self.mempool_epoch() {
                            self.revalidate(Vec::new());
                        } else {
                            self.mempool.set_slot(slot);
                        }
                        self.announce();
                        self.prepare_boundary();
                    }
                }
                Command::Reannounce => {
                    self.announced.clear();
                    self.announce();
                    let tip = self.selection.tip_state().clone();
                    let _ = self.notices.send(ChainNotice::EpochEntered(tip));
                }
                Command::Query(q) => q(&ChainView {
                    selection: &self.selection,
                    store: &self.store,
                    mempool: &self.mempool,
                }),
            }
        }
    }

    fn mempool_epoch(&self) -> u64 {
        self.mempool.pending_state().epoch
    }

    fn add_block(&mut self, block: Block) -> Result<Vec<SelectionEvent>, ChainError> {
        let started = Instant::now();
        let before = self.selection.tip();
        let mempool = &self.mempool;
        // What is selected in memory is always what the store holds: a block that cannot be
        // stored (a full disk, an I/O error) is not adopted either.
        let stored = self.selection.clone();
        let events = self
            .selection
            .add_block_with(block.clone(), &|t| mempool.has_checked(t))?;
        let selected = started.elapsed();
        if let Err(e) = self.store.record(&block, &events, &self.selection) {
            self.selection = stored;
            tracing::error!(
                block = %hex::encode(block.hash()),
                slot = block.slot(),
                error = %e,
                "the block could not be stored, so it is not adopted; it is taken again once the store is writable"
            );
            return Err(e.into());
        }
        tracing::debug!(
            slot = block.slot(),
            txs = block.body().transactions().len(),
            select_ms = selected.as_secs_f64() * 1e3,
            store_ms = (started.elapsed() - selected).as_secs_f64() * 1e3,
            "block added"
        );
        let mut returning = Vec::new();
        let mut included = HashSet::new();
        let mut rolled_back = false;
        let mut entered = Vec::new();
        for e in &events {
            match e {
                SelectionEvent::RolledBack { .. } => rolled_back = true,
                SelectionEvent::Orphaned { point } if rolled_back => {
                    // A block the switch dropped: its transactions may come back.
                    if let Some(b) = self.selection.block(&point.hash) {
                        returning.extend(b.body().transactions().iter().cloned());
                    }
                }
                SelectionEvent::Adopted { point, .. } => {
                    if let Some(b) = self.selection.block(&point.hash) {
                        included.extend(b.body().transactions().iter().map(Transaction::id));
                        let states = (
                            self.selection.state_after(b.prev_hash()),
                            self.selection.state_after(Some(point.hash)),
                        );
                        if let (Some(before), Some(after)) = states {
                            if after.ledger.epoch != before.ledger.epoch {
                                entered.push(after.clone());
                            }
                        }
                    }
                }
                SelectionEvent::Rejected { point, error } => {
                    tracing::warn!(block = %hex::encode(point.hash), slot = point.slot, %error, "block rejected");
                }
                _ => {}
            }
            let _ = self.notices.send(ChainNotice::Block(e.clone()));
        }
        for state in entered {
            let _ = self.notices.send(ChainNotice::EpochEntered(state));
        }
        let after = self.selection.tip();
        if after != before {
            returning.retain(|t| !included.contains(&t.id()));
            // Done after the reply: the block's submitter does not wait for it.
            self.revalidation = Some(returning);
            let parent = self.selection.tip_parent();
            let _ = self.notices.send(ChainNotice::TipChanged { tip: after, parent });
            self.announce();
            self.prepare_boundary();
        }
        Ok(events)
    }

    /// Near an epoch's end, crosses the next boundary from the tip on a background thread, so
    /// that the crossing is ready (`crossings`) when the epoch's first block is forged or
    /// validated, or the mempool moves to the new epoch.
    fn prepare_boundary(&mut self) {
        use std::sync::atomic::Ordering;
        let tip = self.selection.tip_state();
        let Some(t) = tip.tip else { return };
        let next = tip.ledger.epoch + 1;
        let boundary = self.cfg.first_slot(next);
        // Only at the wall clock's epoch end: a chain catching up crosses its boundaries as its
        // blocks arrive; and one crossing ahead at a time (the next tip asks again).
        if self.now_slot.saturating_add(self.boundary_lead_slots) < boundary
            || self.cfg.epoch_of(self.now_slot) != tip.ledger.epoch
            || self.prepared == Some((t.hash, next))
            || self.preparing.load(Ordering::Acquire)
        {
            return;
        }
        self.prepared = Some((t.hash, next));
        self.preparing.store(true, Ordering::Release);
        let (state, busy) = (tip.clone(), self.preparing.clone());
        let spawned = std::thread::Builder::new().name("boundary".into()).spawn(move || {
            let started = Instant::now();
            let _ = state.ticked(next);
            busy.store(false, Ordering::Release);
            tracing::debug!(
                epoch = next,
                ms = started.elapsed().as_millis() as u64,
                "epoch boundary crossed ahead"
            );
        });
        if let Err(e) = spawned {
            self.preparing.store(false, Ordering::Release);
            tracing::warn!(error = %e, "cannot cross the epoch boundary ahead; it is crossed when needed");
        }
    }

    fn mempool_changed(&self) {
        self.mempool_version.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn revalidate(&mut self, returning: Vec<Transaction>) {
        let started = Instant::now();
        let slot = self.now_slot.max(self.selection.tip().map_or(0, |t| t.slot + 1));
        let dropped = self
            .mempool
            .revalidate(&self.cfg, self.selection.tip_state(), slot, returning);
        self.mempool_changed();
        tracing::debug!(
            dropped = dropped.len(),
            pending = self.mempool.len(),
            ms = started.elapsed().as_secs_f64() * 1e3,
            "mempool revalidated"
        );
    }

    /// Announces the current epoch's parameters and, once its nonce is fixed, the next one's;
    /// each again only if it changed.
    fn announce(&mut self) {
        let current = self.cfg.epoch_of(self.now_slot);
        let tip_state = self.selection.tip_state().clone();
        let next_first = self.cfg.first_slot(current + 1);
        let mut epochs = vec![current];
        if self.now_slot.saturating_add(self.cfg.stability_window) >= next_first {
            epochs.push(current + 1);
        }
        for e in epochs {
            let Some(params) = tip_state.leadership(&self.cfg, e) else {
                continue;
            };
            if self.announced.get(&e) != Some(&params) {
                self.announced.insert(e, params.clone());
                let _ = self.notices.send(ChainNotice::Leadership(params));
            }
        }
        // Forget what is long past.
        while self.announced.len() > 4 {
            self.announced.pop_first();
        }
    }
}
