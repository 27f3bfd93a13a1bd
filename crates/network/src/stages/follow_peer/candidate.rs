//! Headers first, sans-I/O: one peer's candidate chain as chain-sync reveals it. Each header
//! is validated — envelope and every header rule, with the epoch nonce and stake of its epoch —
//! on the state after the header before it, before its body is asked for; the headers that
//! passed wait here until block-fetch brings their bodies.
//!
//! A header-only state judges headers up to one epoch past the last state with bodies applied
//! ([`ChainState::header_horizon`]): the stake of the epoch after that is snapshotted from
//! bodies. So past the horizon the caller fetches the waiting bodies, has the chain apply
//! them, and [`rebase`](CandidateChain::rebase)s on the state the chain computed (for a fork
//! it did not select too: [`ChainSelection::state_of`]). A header no state can judge is never
//! accepted.
//!
//! [`ChainSelection::state_of`]: slotforge_chain::selection::ChainSelection::state_of

use std::collections::VecDeque;
use std::sync::Arc;

use slotforge_chain::block::BlockHeader;
use slotforge_chain::chain_state::{BlockError, ChainState, Point};
use slotforge_chain::config::ChainConfig;

/// A header that passed, waiting for its body.
#[derive(Debug, Clone)]
pub struct PendingHeader {
    /// The header's block: hash, slot and number.
    pub point: Point,
    /// The header, decoded.
    pub header: BlockHeader,
}

/// How far ahead of our clock a header's slot may start and still be waited for
/// (ouroboros-consensus' `defaultClockSkew`); a header further ahead ends the connection.
pub const MAX_CLOCK_SKEW_MS: i64 = 2_000;

/// What to do with a header chain-sync delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: it waits for its body.
    Accepted,
    /// The header is past the horizon: fetch and apply the waiting bodies, rebase, and offer
    /// it again.
    FetchFirst,
    /// The header's slot starts within the clock skew after now: wait until then (Unix ms)
    /// and offer it again, as the reference's chain-sync client does.
    NotYet {
        /// When the header's slot starts (Unix ms).
        slot_start_ms: i64,
    },
}

/// A header the peer should not have sent: the reason to disconnect it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CandidateError {
    /// Bytes that are no header.
    #[error("undecodable header: {0}")]
    Decode(String),
    /// A header whose predecessor's state is unknown: it cannot be validated, so it is not
    /// accepted.
    #[error(
        "header {0} cannot be judged: the chain holds no state for its predecessor (a fork it \
         dropped, or deeper than it may roll back)"
    )]
    Unjudgeable(String),
    /// A header for a slot that starts further ahead of our clock than the skew allowed.
    #[error(
        "header {hash} is for slot {slot}, which starts {ahead_ms} ms after our clock's now \
         (more than the {MAX_CLOCK_SKEW_MS} ms of clock skew allowed)"
    )]
    FarFuture {
        /// The header's hash, in hex.
        hash: String,
        /// Its slot.
        slot: u64,
        /// How far ahead of our clock the slot starts.
        ahead_ms: i64,
    },
    /// A roll-backward to a point the peer did not announce among its last k + 1.
    #[error(
        "roll-backward to {}, which is not among the last k = {k} points the peer announced \
         (never announced, or deeper than k)",
        .to.map_or("the origin".to_string(), hex::encode)
    )]
    BadRollback {
        /// The block to roll back to (None: the origin).
        to: Option<[u8; 32]>,
        /// The security parameter: how deep a rollback may go.
        k: u64,
    },
    /// A header that breaks a header rule on its predecessor's state.
    #[error("invalid header {hash} at slot {slot}: {error}")]
    Invalid {
        /// The header's hash, in hex.
        hash: String,
        /// Its slot.
        slot: u64,
        /// The rule it breaks.
        error: Box<BlockError>,
    },
}

/// One peer's candidate chain after the intersection.
pub struct CandidateChain {
    cfg: Arc<ChainConfig>,
    /// The state after the newest header (header-only after the last rebase), if known.
    state: Option<Arc<ChainState>>,
    /// The last epoch `state` judges, when it is header-only (set when it becomes so).
    horizon: u64,
    /// Whether `state` is the chain's own, bodies applied (it judges every later epoch).
    full: bool,
    /// Headers accepted and not yet handed on, oldest first, each with the state after it.
    pending: VecDeque<(PendingHeader, Arc<ChainState>)>,
    /// The newest point of the candidate (the intersection, at first).
    tip: Option<Point>,
    /// The points the peer announced (the intersection, then every header it rolled forward
    /// to), newest last, at most k + 1: the points it may roll back to.
    announced: VecDeque<Option<[u8; 32]>>,
}

impl CandidateChain {
    /// A candidate that starts at the `intersection` (None: the origin), `base` being the
    /// chain's state there (None when the chain holds none).
    pub fn new(cfg: Arc<ChainConfig>, intersection: Option<[u8; 32]>, base: Option<Arc<ChainState>>) -> Self {
        CandidateChain {
            cfg,
            announced: VecDeque::from([intersection]),
            full: base.is_some(),
            tip: base.as_ref().and_then(|s| s.tip),
            state: base,
            horizon: 0,
            pending: VecDeque::new(),
        }
    }

    /// The newest point of the candidate.
    pub fn tip(&self) -> Option<Point> {
        self.tip
    }

    /// Headers waiting for bodies, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &PendingHeader> {
        self.pending.iter().map(|(h, _)| h)
    }

    /// How many headers wait for their bodies.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Validates a header that chain-sync rolled forward to, `now_ms` (Unix ms) being when it
    /// arrived. Before any rule, its slot must have started: up to [`MAX_CLOCK_SKEW_MS`] early
    /// it is to be offered again then, further ahead it is refused.
    pub fn roll_forward(&mut self, header_bytes: &[u8], now_ms: i64) -> Result<Verdict, CandidateError> {
        let header = BlockHeader::decode(header_bytes).map_err(|e| CandidateError::Decode(e.to_string()))?;
        let point = Point {
            hash: header.hash(),
            slot: header.slot(),
            block_number: header.block_number(),
        };
        let slot_start_ms = self.cfg.slot_start_ms(point.slot);
        let ahead_ms = slot_start_ms.saturating_sub(now_ms);
        if ahead_ms > MAX_CLOCK_SKEW_MS {
            return Err(CandidateError::FarFuture {
                hash: hex::encode(point.hash),
                slot: point.slot,
                ahead_ms,
            });
        }
        if ahead_ms > 0 {
            return Ok(Verdict::NotYet { slot_start_ms });
        }
        let Some(state) = &self.state else {
            return Err(CandidateError::Unjudgeable(hex::encode(point.hash)));
        };
        if !self.full && self.cfg.epoch_of(header.slot()) > self.horizon {
            if self.pending.is_empty() {
                return Err(CandidateError::Unjudgeable(hex::encode(point.hash)));
            }
            return Ok(Verdict::FetchFirst);
        }
        let after = state
            .advance_header(&self.cfg, &header)
            .map_err(|error| CandidateError::Invalid {
                hash: hex::encode(point.hash),
                slot: point.slot,
                error: Box::new(error),
            })?;
        if self.full {
            self.horizon = after.header_horizon();
            self.full = false;
        }
        let after = Arc::new(after);
        self.state = Some(after.clone());
        self.tip = Some(point);
        self.pending.push_back((PendingHeader { point, header }, after));
        self.announced.push_back(Some(point.hash));
        if self.announced.len() as u64 > self.cfg.security_param() + 1 {
            self.announced.pop_front();
        }
        Ok(Verdict::Accepted)
    }

    /// Chain-sync rolled back to the block `to` (None: the origin), which must be one of the
    /// last k + 1 points the peer announced. Headers after it are dropped; if `to` is before
    /// every waiting header, the caller rebases on the chain's state there — returns whether
    /// that is needed.
    pub fn roll_backward(&mut self, to: Option<[u8; 32]>) -> Result<bool, CandidateError> {
        let Some(at) = self.announced.iter().rposition(|p| *p == to) else {
            return Err(CandidateError::BadRollback {
                to,
                k: self.cfg.security_param(),
            });
        };
        self.announced.truncate(at + 1);
        if self.tip.map(|t| t.hash) == to {
            return Ok(false);
        }
        while let Some((h, _)) = self.pending.back() {
            if Some(h.point.hash) == to {
                break;
            }
            self.pending.pop_back();
        }
        match self.pending.back() {
            Some((h, s)) => {
                self.tip = Some(h.point);
                self.state = Some(s.clone());
                Ok(false)
            }
            None => Ok(true),
        }
    }

    /// Takes up to `n` waiting headers to fetch, oldest first.
    pub fn take(&mut self, n: usize) -> Vec<PendingHeader> {
        let n = n.min(self.pending.len());
        self.pending.drain(..n).map(|(h, _)| h).collect()
    }

    /// Continues from a state of the chain's own (bodies applied) after the candidate's tip;
    /// with None (the chain holds no state there) the next header is refused as unjudgeable.
    /// Nothing may be waiting.
    pub fn rebase(&mut self, state: Option<Arc<ChainState>>) {
        debug_assert!(self.pending.is_empty());
        if let Some(s) = &state {
            self.tip = s.tip;
        }
        self.full = state.is_some();
        self.state = state;
    }
}
