//! Chain selection as Praos does it, as a pure state machine: blocks go in, the selected chain
//! and what happened to each block come out.
//!
//! The longer chain wins; a switch never rolls back more than k blocks (blocks k deep are
//! immutable, and nothing forks off before them); between chains of
//! equal length the order is ouroboros-consensus's `comparePraos` (the candidate wins when the
//! tips are by the same issuer in the same slot with a higher opcert number, otherwise when its
//! tip's VRF output is lower, in Conway only if the tips are at most 5 slots apart), and on a
//! tie the current chain stays. A candidate is validated block by block before a switch; an
//! invalid block and its descendants are rejected, and the valid prefix competes instead.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::block::Block;
use crate::chain_state::{tiebreak_vrf, BlockError, ChainState, Point};
use crate::config::{ChainConfig, VrfTiebreaker};

/// What chain selection needs of a chain's tip to compare it (ouroboros-consensus
/// `SelectView`: block number, then `PraosTiebreakerView`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectView {
    /// The tip's block number: the chain's length, which decides first.
    pub block_number: u64,
    /// The tip's slot.
    pub slot: u64,
    /// The tip issuer's cold verification key.
    pub issuer: [u8; 32],
    /// The tip's opcert sequence number (0 for BFT), which wins a tie between two issues of a slot.
    pub opcert_number: u64,
    /// The raw VRF output (none for BFT, which has no tiebreak).
    pub vrf: Option<Vec<u8>>,
}

impl SelectView {
    /// The view of `block` as a chain's tip.
    pub fn of(block: &Block) -> Self {
        let h = block.header();
        SelectView {
            block_number: h.block_number(),
            slot: h.slot(),
            issuer: h.issuer_vkey(),
            opcert_number: match h {
                crate::block::BlockHeader::Praos(p) => p.body().opcert.sequence_number,
                crate::block::BlockHeader::Bft(_) => 0,
            },
            vrf: tiebreak_vrf(h),
        }
    }
}

/// Whether `candidate` is strictly preferred to `ours` (ties keep ours).
pub fn prefer_candidate(ours: Option<&SelectView>, candidate: Option<&SelectView>, flavour: VrfTiebreaker) -> bool {
    let (ours, cand) = match (ours, candidate) {
        (_, None) => return false,
        (None, Some(_)) => return true,
        (Some(o), Some(c)) => (o, c),
    };
    if cand.block_number != ours.block_number {
        return cand.block_number > ours.block_number;
    }
    let same_issue = ours.slot == cand.slot && ours.issuer == cand.issuer;
    if same_issue && cand.opcert_number != ours.opcert_number {
        return cand.opcert_number > ours.opcert_number;
    }
    let vrf_armed = match flavour {
        VrfTiebreaker::Unrestricted => true,
        VrfTiebreaker::Restricted { max_slot_distance } => ours.slot.abs_diff(cand.slot) <= max_slot_distance,
    };
    match (&ours.vrf, &cand.vrf) {
        (Some(o), Some(c)) if vrf_armed => c < o,
        _ => false,
    }
}

/// What became of a block (or of the chain) after a block was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionEvent {
    /// Now on the selected chain, which is `chain_length` blocks long.
    Adopted {
        /// The block.
        point: Point,
        /// The selected chain's length in blocks after the adoption.
        chain_length: u64,
    },
    /// Not on the selected chain: lost to a better chain, or dropped by a switch.
    Orphaned {
        /// The block orphaned.
        point: Point,
    },
    /// Invalid; never selected.
    Rejected {
        /// The block rejected.
        point: Point,
        /// The rule it breaks.
        error: BlockError,
    },
    /// k blocks deep: can no longer be rolled back.
    Immutable {
        /// The block that became immutable.
        point: Point,
    },
    /// The selected chain was rolled back to `to` (None: genesis) before new blocks.
    RolledBack {
        /// The point rolled back to, `None` for genesis.
        to: Option<Point>,
    },
}

/// Why a block was not taken into consideration at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddError {
    /// A block with this hash is already held; holds the hash, hex.
    #[error("block {0} is already known")]
    Known(String),
    /// A block with this hash was found invalid before.
    #[error("block {hash} was rejected before: {reason}")]
    KnownInvalid {
        /// The block's hash, hex.
        hash: String,
        /// The rule it broke, as [`BlockError::rule`] names it.
        reason: String,
    },
    /// The block's parent is neither held nor the immutable tip.
    #[error("the parent {parent} of block {hash} is unknown")]
    UnknownParent {
        /// The block's hash, hex.
        hash: String,
        /// The parent hash it names, hex.
        parent: String,
    },
    /// The block is not after the immutable tip, so it could only fork off before it.
    #[error("block {hash} (number {block_number}) is not after the immutable tip (number {immutable})")]
    BeforeImmutable {
        /// The block's hash, hex.
        hash: String,
        /// The block's number.
        block_number: u64,
        /// The immutable tip's block number.
        immutable: u64,
    },
    /// The block's body is not the one its header declares (size or hash): not that block.
    #[error("block {hash}: its body does not match its header ({detail}); the block was altered or truncated")]
    BodyMismatch {
        /// The block's hash, hex.
        hash: String,
        /// The BBODY failure, as text.
        detail: String,
    },
}

/// The volatile part of the chain as the servers read it, away from the chain task: the
/// anchor, the selected blocks after it and every volatile block held. Shared, not copied:
/// chain selection makes one after each change, when first asked.
#[derive(Debug, Default)]
pub struct VolatileChain {
    /// The immutable tip (None: genesis).
    pub anchor: Option<Point>,
    /// The selected chain after the anchor, oldest first.
    pub selected: Vec<Arc<Block>>,
    /// Where each selected block is in `selected`.
    pub position: HashMap<[u8; 32], usize>,
    /// Every volatile block held, selected or not.
    pub blocks: HashMap<[u8; 32], Arc<Block>>,
}

/// The selected chain, the volatile blocks around it, and the immutable anchor.
#[derive(Clone)]
pub struct ChainSelection {
    cfg: Arc<ChainConfig>,
    /// The state at the immutable tip (genesis at first).
    anchor: Arc<ChainState>,
    /// The selected chain after the anchor, with the state after each block.
    chain: Vec<(Arc<Block>, Arc<ChainState>)>,
    /// Every volatile block, selected or not.
    blocks: HashMap<[u8; 32], Arc<Block>>,
    /// Blocks found invalid, with the rule (kept so they are not validated twice).
    invalid: HashMap<[u8; 32], String>,
    /// The servers' view since the last change, made when first asked.
    served: std::sync::OnceLock<Arc<VolatileChain>>,
}

impl ChainSelection {
    /// Starts from `anchor`, the state at the immutable tip.
    pub fn new(cfg: Arc<ChainConfig>, anchor: ChainState) -> Self {
        ChainSelection {
            cfg,
            anchor: Arc::new(anchor),
            chain: Vec::new(),
            blocks: HashMap::new(),
            invalid: HashMap::new(),
            served: std::sync::OnceLock::new(),
        }
    }

    /// The volatile chain as the servers read it (shared until the next change).
    pub fn volatile(&self) -> Arc<VolatileChain> {
        self.served
            .get_or_init(|| {
                let selected: Vec<Arc<Block>> = self.chain.iter().map(|(b, _)| b.clone()).collect();
                Arc::new(VolatileChain {
                    anchor: self.anchor.tip,
                    position: selected.iter().enumerate().map(|(i, b)| (b.hash(), i)).collect(),
                    selected,
                    blocks: self.blocks.clone(),
                })
            })
            .clone()
    }

    /// The chain's configuration.
    pub fn config(&self) -> &Arc<ChainConfig> {
        &self.cfg
    }

    /// The state at the selected tip.
    pub fn tip_state(&self) -> &Arc<ChainState> {
        self.chain.last().map_or(&self.anchor, |(_, s)| s)
    }

    /// The selected chain's tip, `None` at genesis.
    pub fn tip(&self) -> Option<Point> {
        self.tip_state().tip
    }

    /// The block before the selected tip, when selection holds it (None when the tip is the
    /// anchor: its parent is in the immutable store).
    pub fn tip_parent(&self) -> Option<Point> {
        match self.chain.len() {
            0 => None,
            1 => self.anchor.tip,
            n => self.chain[n - 2].1.tip,
        }
    }

    /// The state at the immutable tip.
    pub fn anchor(&self) -> &Arc<ChainState> {
        &self.anchor
    }

    /// The volatile part of the selected chain, oldest first.
    pub fn volatile_chain(&self) -> impl Iterator<Item = &Arc<Block>> {
        self.chain.iter().map(|(b, _)| b)
    }

    /// The last `n` blocks of the selected chain with the state after each, oldest first.
    pub fn selected(&self) -> &[(Arc<Block>, Arc<ChainState>)] {
        &self.chain
    }

    /// The state after `at` (None: genesis) when selection holds it: the anchor's, or a
    /// selected block's.
    pub fn state_after(&self, at: Option<[u8; 32]>) -> Option<&Arc<ChainState>> {
        Some(match self.position(at)? {
            None => &self.anchor,
            Some(i) => &self.chain[i].1,
        })
    }

    /// The state after `at` (None: genesis), selected or not: a fork's blocks are applied
    /// again from where it leaves the selected chain. None when a block on the way is not held
    /// (or no longer valid there).
    pub fn state_of(&self, at: Option<[u8; 32]>) -> Option<Arc<ChainState>> {
        let mut fork = Vec::new();
        let mut cur = at;
        let base = loop {
            if let Some(s) = self.state_after(cur) {
                break s.clone();
            }
            let b = self.blocks.get(&cur?)?;
            fork.push(b.clone());
            cur = b.prev_hash();
        };
        fork.iter()
            .rev()
            .try_fold(base, |s, b| s.apply_block(&self.cfg, b).ok().map(Arc::new))
    }

    /// Every volatile block held, selected or not (abandoned forks included), in no order.
    pub fn volatile_blocks(&self) -> impl Iterator<Item = &Arc<Block>> {
        self.blocks.values()
    }

    /// The volatile block with this hash, selected or not.
    pub fn block(&self, hash: &[u8; 32]) -> Option<&Arc<Block>> {
        self.blocks.get(hash)
    }

    fn point(b: &Block) -> Point {
        Point {
            hash: b.hash(),
            slot: b.slot(),
            block_number: b.block_number(),
        }
    }

    /// Where `hash` is on the selected chain: Some(None) for the anchor, Some(Some(i)) for
    /// `chain[i]`, None when off the chain.
    fn position(&self, hash: Option<[u8; 32]>) -> Option<Option<usize>> {
        if hash == self.anchor.tip.map(|p| p.hash) {
            return Some(None);
        }
        let h = hash?;
        let b = self.blocks.get(&h)?;
        let i = b
            .block_number()
            .checked_sub(self.anchor.tip.map_or(0, |p| p.block_number + 1))? as usize;
        (self.chain.get(i).map(|(c, _)| c.hash()) == Some(h)).then_some(Some(i))
    }

    /// Adds a block and selects; returns what happened, in order.
    pub fn add_block(&mut self, block: Block) -> Result<Vec<SelectionEvent>, AddError> {
        self.add_block_with(block, &|_| false)
    }

    /// As [`add_block`](Self::add_block); `checked` names transactions whose witnesses were
    /// already checked (see [`ChainState::apply_block_with`]).
    pub fn add_block_with(
        &mut self,
        block: Block,
        checked: &dyn Fn(&slotforge_ledger::tx::Transaction) -> bool,
    ) -> Result<Vec<SelectionEvent>, AddError> {
        self.served = std::sync::OnceLock::new();
        let hash = block.hash();
        let hex = hex::encode(hash);
        if let Some(reason) = self.invalid.get(&hash) {
            return Err(AddError::KnownInvalid {
                hash: hex,
                reason: reason.clone(),
            });
        }
        if self.blocks.contains_key(&hash) || self.anchor.tip.map(|p| p.hash) == Some(hash) {
            return Err(AddError::Known(hex));
        }
        // A body that is not the header's is not this block: refused without marking the
        // hash invalid (the real block may still come).
        if let Err(e) = crate::chain_state::check_body(&block) {
            return Err(AddError::BodyMismatch {
                hash: hex,
                detail: e.to_string(),
            });
        }
        let immutable = self.anchor.tip.map_or(0, |p| p.block_number + 1);
        if self.anchor.tip.is_some() && block.block_number() < immutable {
            return Err(AddError::BeforeImmutable {
                hash: hex,
                block_number: block.block_number(),
                immutable: immutable - 1,
            });
        }
        let parent = block.prev_hash();
        if let Some(p) = parent {
            if self.invalid.contains_key(&p) {
                let reason = format!("its parent {} is invalid", hex::encode(p));
                self.invalid.insert(hash, reason.clone());
                return Err(AddError::KnownInvalid { hash: hex, reason });
            }
        }
        let parent_known =
            parent == self.anchor.tip.map(|p| p.hash) || parent.is_some_and(|p| self.blocks.contains_key(&p));
        if !parent_known {
            return Err(AddError::UnknownParent {
                hash: hex,
                parent: parent.map_or("genesis".into(), hex::encode),
            });
        }
        // The candidate: from the fork point on the selected chain to this block.
        let mut path = vec![Arc::new(block)];
        let fork = loop {
            let prev = path.last().map(|b| b.prev_hash()).unwrap_or(None);
            if let Some(at) = self.position(prev) {
                break at;
            }
            match prev.and_then(|p| self.blocks.get(&p)) {
                Some(b) => path.push(b.clone()),
                None => {
                    return Err(AddError::UnknownParent {
                        hash: hex,
                        parent: prev.map_or("genesis".into(), hex::encode),
                    })
                }
            }
        };
        path.reverse();
        // The selected chain holds at most k blocks after the immutable anchor, so no switch
        // rolls back more than k.
        let keep = fork.map_or(0, |i| i + 1);
        let new = path.last().cloned().expect("path holds the new block");
        self.blocks.insert(hash, new.clone());

        let ours = self.chain.last().map(|(b, _)| SelectView::of(b));
        let cand = SelectView::of(&new);
        if !prefer_candidate(ours.as_ref(), Some(&cand), self.cfg.tiebreaker) {
            return Ok(vec![SelectionEvent::Orphaned {
                point: Self::point(&new),
            }]);
        }
        // Validate the candidate's new blocks in order from the fork point.
        let mut events = Vec::new();
        let mut state = match fork {
            None => self.anchor.clone(),
            Some(i) => self.chain[i].1.clone(),
        };
        let mut valid: Vec<(Arc<Block>, Arc<ChainState>)> = Vec::with_capacity(path.len());
        for b in &path {
            match state.apply_block_with(&self.cfg, b, checked) {
                Ok(s) => {
                    state = Arc::new(s);
                    valid.push((b.clone(), state.clone()));
                }
                Err(error) => {
                    self.reject(b, error, &mut events);
                    break;
                }
            }
        }
        let best = valid.last().map(|(b, _)| SelectView::of(b));
        if best.is_none() || !prefer_candidate(ours.as_ref(), best.as_ref(), self.cfg.tiebreaker) {
            // The valid prefix does not beat the selected chain: nothing changes.
            if valid.iter().any(|(b, _)| b.hash() == hash) {
                events.push(SelectionEvent::Orphaned {
                    point: Self::point(&new),
                });
            }
            return Ok(events);
        }
        // Switch: roll back to the fork point, then adopt the valid blocks.
        let dropped: Vec<_> = self.chain.drain(keep..).collect();
        if !dropped.is_empty() {
            events.push(SelectionEvent::RolledBack {
                to: fork.map(|i| Self::point(&self.chain[i].0)).or(self.anchor.tip),
            });
            for (b, _) in dropped.iter().rev() {
                events.push(SelectionEvent::Orphaned { point: Self::point(b) });
            }
        }
        let base = self.anchor.tip.map_or(0, |p| p.block_number + 1);
        for (b, s) in valid {
            self.chain.push((b.clone(), s));
            events.push(SelectionEvent::Adopted {
                point: Self::point(&b),
                chain_length: base + self.chain.len() as u64,
            });
        }
        self.advance_immutable(&mut events);
        Ok(events)
    }

    fn reject(&mut self, b: &Block, error: BlockError, events: &mut Vec<SelectionEvent>) {
        let hash = b.hash();
        self.invalid.insert(hash, error.to_string());
        self.blocks.remove(&hash);
        events.push(SelectionEvent::Rejected {
            point: Self::point(b),
            error,
        });
        // Its descendants can never be valid.
        let mut bad = vec![hash];
        while let Some(h) = bad.pop() {
            let children: Vec<[u8; 32]> = self
                .blocks
                .values()
                .filter(|c| c.prev_hash() == Some(h))
                .map(|c| c.hash())
                .collect();
            for c in children {
                self.blocks.remove(&c);
                self.invalid
                    .insert(c, format!("its ancestor {} is invalid", hex::encode(hash)));
                bad.push(c);
            }
        }
    }

    /// Blocks with k blocks on top become immutable; forks off them are dropped.
    fn advance_immutable(&mut self, events: &mut Vec<SelectionEvent>) {
        let k = self.cfg.security_param() as usize;
        if self.chain.len() <= k {
            return;
        }
        let n = self.chain.len() - k;
        let settled: Vec<_> = self.chain.drain(..n).collect();
        for (b, s) in settled {
            self.blocks.remove(&b.hash());
            events.push(SelectionEvent::Immutable { point: Self::point(&b) });
            self.anchor = s;
        }
        // Keep only volatile blocks that descend from the new anchor.
        let mut keep: HashSet<[u8; 32]> = self.chain.iter().map(|(b, _)| b.hash()).collect();
        let anchor = self.anchor.tip.map(|p| p.hash);
        let mut changed = true;
        while changed {
            changed = false;
            for b in self.blocks.values() {
                let h = b.hash();
                if !keep.contains(&h) && (b.prev_hash() == anchor || b.prev_hash().is_some_and(|p| keep.contains(&p))) {
                    keep.insert(h);
                    changed = true;
                }
            }
        }
        self.blocks.retain(|h, _| keep.contains(h));
    }
}
