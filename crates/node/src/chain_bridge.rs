//! The leadership module's seams served by the chain task: its tip and block submission
//! (`Blockchain`), its mempool's block bodies (`FragmentPool`), and its notices turned into
//! leadership's chain events (epoch parameters, tips, every block's fate).

use std::time::Duration;

use slotforge_chain::block::Block;
use slotforge_chain::chain_state::Point;
use slotforge_chain::selection::SelectionEvent;
use slotforge_chain::service::{ChainHandle, ChainNotice};
use slotforge_leadership::clock::Clock;
use slotforge_leadership::process::LeadershipHandle;
use slotforge_leadership::seams::{
    BlockOutcome, BlockRef, Blockchain, ChainEvent, ChainTip, ForgedBlock, FragmentPool, SelectedBody,
};
use tokio::sync::broadcast::error::RecvError;

/// Body selection never takes longer than this, whatever the deadline.
const MAX_SELECTION: Duration = Duration::from_millis(50);

/// The chain, as leadership sees it.
#[derive(Clone)]
pub struct ChainBridge<C> {
    chain: ChainHandle,
    clock: C,
}

impl<C: Clock> ChainBridge<C> {
    /// Leadership's view of `chain`, timed by `clock`.
    pub fn new(chain: ChainHandle, clock: C) -> Self {
        ChainBridge { chain, clock }
    }
}

fn block_ref(p: Point) -> BlockRef {
    BlockRef {
        hash: p.hash,
        slot: p.slot,
        block_number: p.block_number,
    }
}

impl<C: Clock> Blockchain for ChainBridge<C> {
    async fn tip(&self) -> Option<ChainTip> {
        let (tip, parent) = self.chain.tip().await?;
        Some(ChainTip {
            block: block_ref(tip),
            parent: parent.map(block_ref),
        })
    }

    /// Hands the block over. Its fate (adopted, orphaned, rejected by a rule) arrives as a
    /// chain notice; an error here means the chain could not consider it at all.
    async fn submit(&self, block: ForgedBlock) -> Result<(), String> {
        let mut bytes = Vec::with_capacity(1 + block.header.len() + block.body.bytes.len());
        bytes.push(0x85);
        bytes.extend_from_slice(&block.header);
        bytes.extend_from_slice(&block.body.bytes);
        let decoded = Block::decode(&bytes).map_err(|e| format!("the forged block does not decode: {e}"))?;
        self.chain
            .add_block(decoded)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

impl<C: Clock> FragmentPool for ChainBridge<C> {
    async fn select(&self, parent: Option<BlockRef>, slot: u64, max_bytes: u64, deadline_ms: i64) -> SelectedBody {
        let left = (deadline_ms - self.clock.now_ms()).max(0) as u64;
        let budget = Duration::from_millis(left).min(MAX_SELECTION);
        let body = self
            .chain
            .select_body(parent.map(|p| p.hash), slot, max_bytes, budget)
            .await;
        SelectedBody {
            bytes: body.bytes().to_vec(),
            hash: body.hash(),
            size: body.size(),
            tx_ids: body.transactions().iter().map(|t| t.id()).collect(),
        }
    }
}

/// Leadership's event for a chain notice.
pub fn chain_event(n: &ChainNotice) -> Option<ChainEvent> {
    let outcome = |hash: [u8; 32], outcome| Some(ChainEvent::BlockOutcome { hash, outcome });
    match n {
        ChainNotice::Leadership(l) => Some(ChainEvent::Leadership(l.clone())),
        ChainNotice::TipChanged { tip, parent } => tip.map(|t| {
            ChainEvent::TipChanged(ChainTip {
                block: block_ref(t),
                parent: parent.map(block_ref),
            })
        }),
        ChainNotice::Block(SelectionEvent::Adopted { point, chain_length }) => outcome(
            point.hash,
            BlockOutcome::Adopted {
                chain_length: *chain_length,
            },
        ),
        ChainNotice::Block(SelectionEvent::Orphaned { point }) => outcome(point.hash, BlockOutcome::Orphaned),
        ChainNotice::Block(SelectionEvent::Immutable { point }) => outcome(point.hash, BlockOutcome::Immutable),
        ChainNotice::Block(SelectionEvent::Rejected { point, error }) => outcome(
            point.hash,
            BlockOutcome::Rejected {
                reason: error.to_string(),
            },
        ),
        ChainNotice::Block(SelectionEvent::RolledBack { .. }) | ChainNotice::EpochEntered(_) => None,
    }
}

/// Forwards the chain's notices to leadership and tells the chain the time every slot, until
/// the chain stops. Subscribe before starting the chain's producers so nothing is missed.
pub async fn run<C: Clock>(chain: ChainHandle, leadership: LeadershipHandle, clock: C) {
    let mut notices = chain.subscribe();
    let cfg = chain.config().clone();
    // The chain announced the current epoch when it started: ask again now that we listen.
    chain.tick(clock.now_ms());
    chain.reannounce();
    // Stopped with this future, however it ends (aborted included): it holds a chain handle.
    let _ticker = {
        let (chain, clock) = (chain.clone(), clock.clone());
        AbortOnDrop(tokio::spawn(async move {
            loop {
                let now = clock.now_ms();
                chain.tick(now);
                clock.sleep_until_ms(cfg.slot_start_ms(cfg.slot_at_ms(now) + 1)).await;
            }
        }))
    };
    loop {
        match notices.recv().await {
            Ok(n) => {
                if let Some(e) = chain_event(&n) {
                    leadership.chain_event(e);
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "leadership fell behind the chain's notices; asking for the epoch parameters again"
                );
                chain.reannounce();
            }
            Err(RecvError::Closed) => break,
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
