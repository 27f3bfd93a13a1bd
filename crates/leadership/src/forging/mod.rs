//! Forging a leader slot, one step per file, in the order they run:
//!
//! 1. `wake`: a timer armed [`lead_time_ms`](crate::config::LeadershipConfig::lead_time_ms)
//!    before the slot fires; the entry becomes `woke` (or is missed if it is already too late).
//! 2. `parent`: the block to build on, from the chain's tip ([`choose_parent`]).
//! 3. Fragment selection (here): the [`FragmentPool`] builds the block body.
//! 4. `header_body`: the header body, from public material only.
//! 5. `signing`: at the slot, the enclave signs it (the epoch re-sent if it forgot it).
//! 6. `submission`: the block is recorded `forged` and handed to the [`Blockchain`].
//!
//! Each slot is forged in a task of its own; whatever goes wrong makes the slot `missed` with
//! its reason. What the chain later says about the block is the `outcomes` module's.

mod header_body;
mod parent;
mod signing;
mod submission;
mod wake;

use std::sync::Arc;

use slotforge_enclave_api::types::Identity;
use slotforge_enclave_api::wire::ScheduleParams;

use crate::clock::Clock;
use crate::process::Shared;
use crate::seams::{Blockchain, Enclave, FragmentPool};

pub use parent::choose_parent;

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Forges one leader slot: wake, parent, block body, header, sign at the slot, submit.
    /// `request` is the epoch's schedule request, re-sent if the enclave has forgotten the
    /// epoch (it restarted) before the same body is asked for again.
    pub(crate) async fn forge(self: Arc<Self>, id: i64, identity: Identity, request: Option<ScheduleParams>) {
        let Some(e) = self.wake(id).await else {
            return; // superseded, already handled, or too late
        };
        let tip = self.chain.tip().await;
        let parent = match choose_parent(tip.as_ref(), e.slot) {
            Ok(p) => p,
            Err(reason) => return self.miss_off_runtime(&e, "tip_ahead", reason).await,
        };
        let selected = self
            .pool
            .select(parent, e.slot, self.config.max_block_body_bytes, e.scheduled_at_ms)
            .await;
        let header_body = match header_body::header_body(&e, &identity, parent, &selected, self.config.protocol_version)
        {
            Ok(b) => b,
            Err(reason) => return self.miss_off_runtime(&e, "no_vrf_result", reason).await,
        };
        let Some(signed) = self.sign_at_slot(&e, header_body, request.as_ref()).await else {
            return; // settled meanwhile, or missed
        };
        self.submit(&e, parent, signed, selected).await;
    }
}
