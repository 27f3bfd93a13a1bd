//! The schedule scan: which slots of an epoch a leader wins, with VRF proofs for a pool's.
//! A pool's range is scanned in windows of chunks on all cores (output-only VRF evaluation),
//! proofs are made for the winners only, and won slots are streamed as each window ends.

use std::ops::Range;

use rayon::prelude::*;
use slotforge_praos::leader::bft_leader_index;

use super::held_keys::HeldLeader;
use super::{EpochParams, ScheduledSlot, SignError, Signer};

/// Slots per parallel work item of a schedule scan (the `leaderlog` chunk size).
const SCAN_CHUNK: u64 = 4096;
/// The first scan window is small so the first won slots are streamed within milliseconds;
/// windows then double up to a few chunks per core.
const FIRST_WINDOW: u64 = 512;

impl Signer {
    /// Computes the won slots of `slots` (clamped to the epoch) under `params`, with proofs,
    /// all at once. See [`schedule_each`](Self::schedule_each).
    pub fn schedule(&self, id: &str, params: EpochParams, slots: Range<u64>) -> Result<Vec<ScheduledSlot>, SignError> {
        let mut won = Vec::new();
        self.schedule_each(id, params, slots, |s| {
            won.push(s);
            true
        })?;
        Ok(won)
    }

    /// Streams the won slots of `slots` to `sink` in slot order as they are found; `sink`
    /// returns false to stop early. The parameters are remembered first, for the eligibility
    /// check of [`sign_block`](Self::sign_block), so the first slots can be signed while the
    /// rest of the range is still being scanned. New parameters for an epoch replace old ones.
    ///
    /// Windows of slots are scanned in parallel on all cores (output-only VRF evaluation),
    /// and proofs are made for the winners only.
    pub fn schedule_each(
        &self,
        id: &str,
        params: EpochParams,
        slots: Range<u64>,
        mut sink: impl FnMut(ScheduledSlot) -> bool,
    ) -> Result<(), SignError> {
        let entry = self.entry(id)?;
        let epoch = params.slots();
        let range = slots.start.max(epoch.start)..slots.end.min(epoch.end);
        match (&*entry, &params) {
            (HeldLeader::Praos(_), EpochParams::Bft(_)) => {
                return Err(SignError::WrongConsensus("a pool needs Praos parameters"))
            }
            (HeldLeader::Bft(_), EpochParams::Praos(_)) => {
                return Err(SignError::WrongConsensus("a BFT leader needs a BFT leader list"))
            }
            _ => {}
        }
        self.remember(id, params.clone());
        match (&*entry, &params) {
            (HeldLeader::Praos(l), EpochParams::Praos(p)) => {
                let mut start = range.start;
                let mut window = FIRST_WINDOW;
                let max_window = SCAN_CHUNK * 2 * rayon::current_num_threads() as u64;
                while start < range.end {
                    let end = start.saturating_add(window).min(range.end);
                    let chunks: Vec<Range<u64>> = (start..end)
                        .step_by(SCAN_CHUNK as usize)
                        .map(|s| s..s.saturating_add(SCAN_CHUNK).min(end))
                        .collect();
                    let found: Vec<Vec<ScheduledSlot>> = chunks
                        .into_par_iter()
                        .map(|r| {
                            p.scan(&l.vrf, r)
                                .into_iter()
                                .map(|w| ScheduledSlot {
                                    slot: w.slot,
                                    output: Some(w.output),
                                    proof: Some(l.vrf.prove(&p.variant.leader_input(w.slot, &p.nonce))),
                                })
                                .collect()
                        })
                        .collect();
                    for s in found.into_iter().flatten() {
                        if !sink(s) {
                            return Ok(());
                        }
                    }
                    start = end;
                    window = (window * 2).min(max_window);
                }
            }
            (HeldLeader::Bft(b), EpochParams::Bft(e)) => {
                let me = b.key.verifying_key().to_bytes();
                for slot in range {
                    let i = bft_leader_index(slot - e.first_slot, e.leaders.len());
                    if i.is_some_and(|i| e.leaders[i] == me)
                        && !sink(ScheduledSlot {
                            slot,
                            output: None,
                            proof: None,
                        })
                    {
                        return Ok(());
                    }
                }
            }
            _ => unreachable!("consensus kinds were matched above"),
        }
        Ok(())
    }
}
