//! How the process writes the slot log: every call runs on tokio's blocking pool (SQLite never
//! runs on the async runtime), every change is published to the event stream, and a refused
//! transition means a concurrent change won.

use std::sync::Arc;

use crate::clock::Clock;
use crate::process::{Process, Shared};
use crate::seams::{Blockchain, Enclave, FragmentPool};
use crate::slot_log::{LogError, SlotEntry, SlotLog, TransitionInfo};
use crate::status::SlotStatus;

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Publishes a changed entry to the event stream's subscribers.
    pub(crate) fn publish(&self, e: SlotEntry) {
        let _ = self.events.send(e);
    }

    /// Moves an entry and publishes the change; a refused transition (a concurrent change
    /// won) is reported as None.
    pub(crate) fn transition(&self, id: i64, to: SlotStatus, info: TransitionInfo) -> Option<SlotEntry> {
        match self.log.transition(id, to, &info, self.clock.now_ms()) {
            Ok(e) => {
                self.publish(e.clone());
                Some(e)
            }
            Err(LogError::Transition { .. }) => None,
            Err(e) => {
                tracing::error!(error = %e, "slot log write failed");
                None
            }
        }
    }

    /// Runs `f` on tokio's blocking pool: slot-log work (SQLite) never runs on the async
    /// runtime. None if the blocking task could not run (the runtime is stopping).
    pub(crate) async fn off_runtime<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Self) -> T + Send + 'static,
    ) -> Option<T> {
        let (me, in_flight) = (self.clone(), self.in_flight.clone().read_owned().await);
        tokio::task::spawn_blocking(move || {
            let result = f(&me);
            drop(in_flight);
            result
        })
        .await
        .ok()
    }

    /// Records a leader slot as missed, with the metrics' class and the log's reason.
    pub(crate) fn miss(&self, e: &SlotEntry, class: &str, reason: String) {
        tracing::warn!(leader = %e.leader, slot = e.slot, %reason, "leader slot missed");
        self.metrics.missed(&e.leader, class);
        self.transition(
            e.id,
            SlotStatus::Missed,
            TransitionInfo {
                reason: Some(reason),
                ..Default::default()
            },
        );
    }

    /// [`miss`](Self::miss) on tokio's blocking pool.
    pub(crate) async fn miss_off_runtime(self: &Arc<Self>, e: &SlotEntry, class: &str, reason: String) {
        let (e, class) = (e.clone(), class.to_string());
        self.off_runtime(move |me| me.miss(&e, &class, reason)).await;
    }
}

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Runs `f` with the slot log on tokio's blocking pool: the process task never runs SQLite
    /// on the async runtime. None if the blocking task could not run (the runtime is stopping).
    pub(crate) async fn with_log<T: Send + 'static>(
        &self,
        f: impl FnOnce(&SlotLog) -> T + Send + 'static,
    ) -> Option<T> {
        self.shared.off_runtime(move |me| f(&me.log)).await
    }
}
