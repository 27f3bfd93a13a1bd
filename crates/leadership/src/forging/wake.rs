//! Waking before a leader slot: every scheduled entry has a timer
//! [`lead_time_ms`](crate::config::LeadershipConfig::lead_time_ms) before its slot; when it
//! fires, the slot is forged in a task of its own, which first moves the entry to `woke`.

use crate::params::LeaderShare;
use std::sync::Arc;

use crate::clock::Clock;
use crate::process::{Input, Process, Shared};
use crate::seams::{Blockchain, Enclave, FragmentPool};
use crate::slot_log::{SlotEntry, TransitionInfo};
use crate::status::SlotStatus;

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Arms the timer of a scheduled entry.
    pub(crate) fn arm(&mut self, e: &SlotEntry) {
        self.timers
            .insert((e.scheduled_at_ms - self.shared.config.lead_time_ms, e.id));
    }

    /// Spawns the forging of entry `id`.
    pub(crate) async fn fire(&mut self, id: i64) {
        let Some(Ok(e)) = self.with_log(move |log| log.get(id)).await else {
            return;
        };
        let Some(identity) = self.leaders.get(&e.leader).cloned() else {
            self.shared
                .miss_off_runtime(&e, "leader_unknown", "the enclave does not hold this leader".into())
                .await;
            return;
        };
        let request = self
            .epochs
            .get(&e.epoch)
            .and_then(|p| LeaderShare::of(p, &identity).ok().flatten())
            .map(|s| s.request);
        let (shared, tx) = (self.shared.clone(), self.tx.clone());
        self.forging.spawn(async move {
            shared.forge(id, identity, request).await;
            let _ = tx.send(Input::Forged);
        });
    }
}

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Moves entry `id` to `woke`. None if the entry was superseded or already handled, or if
    /// it is already too late to forge (then it is missed).
    pub(super) async fn wake(self: &Arc<Self>, id: i64) -> Option<SlotEntry> {
        let woke = self.off_runtime(move |me| me.transition(id, SlotStatus::Woke, TransitionInfo::default()));
        let e = woke.await.flatten()?;
        let now = self.clock.now_ms();
        let late = now - e.scheduled_at_ms;
        if late > self.config.max_late_ms {
            self.miss_off_runtime(&e, "late", format!("late by {late} ms")).await;
            return None;
        }
        Some(e)
    }
}
