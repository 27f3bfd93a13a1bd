//! Handing the block over: a block signed too late is not submitted; otherwise it is recorded
//! `forged` (before the hand-over, since the chain may report its fate before `submit`
//! returns) and submitted to the blockchain, whose refusal records it `rejected`.

use std::sync::Arc;

use slotforge_enclave_api::types::SignedHeader;
use slotforge_praos::nonce::blake2b256;

use crate::clock::Clock;
use crate::process::Shared;
use crate::seams::{BlockRef, Blockchain, Enclave, ForgedBlock, FragmentPool, SelectedBody};
use crate::slot_log::{SlotEntry, TransitionInfo};
use crate::status::SlotStatus;

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Submits the block of woke entry `e`, signed as `signed`, on `parent`, with `selected`.
    pub(super) async fn submit(
        self: &Arc<Self>,
        e: &SlotEntry,
        parent: Option<BlockRef>,
        signed: SignedHeader,
        selected: SelectedBody,
    ) {
        let late = self.clock.now_ms() - e.scheduled_at_ms;
        if late > self.config.max_late_ms {
            return self
                .miss_off_runtime(
                    e,
                    "late",
                    format!(
                        "signed {late} ms after the slot began (limit {} ms); not submitted",
                        self.config.max_late_ms
                    ),
                )
                .await;
        }
        let id = e.id;
        let hash = blake2b256(&[&signed.header]);
        let block_number = parent.map_or(0, |p| p.block_number + 1);
        let block = ForgedBlock {
            leader: e.leader.clone(),
            slot: e.slot,
            block_number,
            parent: parent.map(|p| p.hash),
            header: signed.header,
            hash,
            body: selected,
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
}
