//! Epoch boundaries crossed lately, remembered. One boundary at mainnet size takes seconds
//! (docs/PERFORMANCE.md), and the chain crosses each one several times from the same state:
//! to validate the epoch's first block, to re-check the mempool, to select the next block's
//! body — and once ahead of time, on a background thread, as the epoch's end nears (the
//! reference spreads its reward computation over the epoch for the same reason). A state is
//! named by its tip and its epoch: the state after a whole block is the same wherever it is
//! computed, so a crossing computed once serves them all; one being computed is waited for, not
//! computed again. A state reached by a header alone (headers-first sync) is never named so:
//! its ledger has not seen the bodies (`ChainState::headers_only`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use crate::chain_state::{ChainState, Point};

/// The crossings kept: from the tips of the last two forks a boundary was crossed on (at
/// mainnet size each holds about 0.2 GiB of new snapshots of its own).
const KEPT: usize = 2;

/// A crossing: from the state after `tip` in `from`, to `to`.
type Key = (Point, u64, u64);

static CROSSED: Mutex<VecDeque<(Key, Arc<OnceLock<ChainState>>)>> = Mutex::new(VecDeque::new());

/// `from` advanced to `epoch` by `cross`, computed once for every caller asking with a state
/// after the same block (a state at genesis is computed each time: nothing names its chain).
pub(crate) fn crossing(from: &ChainState, epoch: u64, cross: impl FnOnce() -> ChainState) -> ChainState {
    let Some(tip) = from.tip else {
        return cross();
    };
    let key = (tip, from.ledger.epoch, epoch);
    let cell = {
        let mut crossed = CROSSED.lock().unwrap_or_else(|e| e.into_inner());
        match crossed.iter().find(|(k, _)| *k == key) {
            Some((_, cell)) => cell.clone(),
            None => {
                let cell = Arc::new(OnceLock::new());
                crossed.push_back((key, cell.clone()));
                // The oldest finished crossings go first; one still being computed stays.
                while crossed.len() > KEPT {
                    match crossed.iter().position(|(_, c)| c.get().is_some()) {
                        Some(i) => {
                            crossed.remove(i);
                        }
                        None => break,
                    }
                }
                cell
            }
        }
    };
    cell.get_or_init(cross).clone()
}

/// Whether the crossing from `from` to `epoch` is done and remembered.
pub fn is_remembered(from: &ChainState, epoch: u64) -> bool {
    let Some(tip) = from.tip else { return false };
    let key = (tip, from.ledger.epoch, epoch);
    CROSSED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|(k, cell)| *k == key && cell.get().is_some())
}
