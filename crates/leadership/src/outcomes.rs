//! What the chain reports about a forged block (adopted, orphaned, rejected, immutable),
//! recorded on the block's slot-log entry and counted in the metrics.

use crate::clock::Clock;
use crate::process::Shared;
use crate::seams::{BlockOutcome, Blockchain, Enclave, FragmentPool};
use crate::slot_log::TransitionInfo;
use crate::status::SlotStatus;

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Records what became of one of our blocks.
    pub(crate) fn outcome(&self, hash: [u8; 32], outcome: BlockOutcome) {
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
}
