//! Superseding: a schedule that no longer holds (a fork changed its epoch's parameters, or its
//! leader left the enclave) has its computation cancelled and its pending entries moved to
//! `superseded`, their timers disarmed.

use crate::clock::Clock;
use crate::process::Process;
use crate::seams::{Blockchain, Enclave, FragmentPool};
use crate::slot_log::TransitionInfo;
use crate::status::SlotStatus;

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Cancels a leader's computations and supersedes its pending entries.
    pub(crate) async fn unschedule(&mut self, leader: &str, reason: &str) {
        let keys: Vec<(String, u64)> = self.computing.keys().filter(|(l, _)| l == leader).cloned().collect();
        for k in keys {
            if let Some(c) = self.computing.remove(&k) {
                c.task.abort();
            }
        }
        let (leader, reason) = (leader.to_string(), reason.to_string());
        let superseded = self.shared.off_runtime(move |me| {
            let pending = me.log.pending().unwrap_or_else(|e| {
                tracing::error!(error = %e, "slot log read failed");
                Vec::new()
            });
            let info = TransitionInfo {
                reason: Some(reason),
                ..Default::default()
            };
            let scheduled = pending
                .into_iter()
                .filter(|e| e.leader == leader && e.status == SlotStatus::Scheduled);
            scheduled
                .map(|e| {
                    me.transition(e.id, SlotStatus::Superseded, info.clone());
                    e.id
                })
                .collect::<Vec<i64>>()
        });
        for id in superseded.await.unwrap_or_default() {
            self.timers.retain(|(_, t)| *t != id);
        }
    }

    /// Other parameters than `digest` live for `leader`'s `epoch` (a fork changed them):
    /// cancels their computation and supersedes their entries. False if the request must stop
    /// here (the slot log could not be read, or the runtime is stopping).
    pub(super) async fn supersede_other_params(&mut self, leader: &str, epoch: u64, digest: &str) -> bool {
        let name = leader.to_string();
        let live = match self.with_log(move |log| log.live_digests(&name, epoch)).await {
            Some(Ok(l)) => l,
            Some(Err(e)) => {
                tracing::error!(error = %e, "slot log read failed");
                return false;
            }
            None => return false,
        };
        let key = (leader.to_string(), epoch);
        for old in live.into_iter().filter(|d| *d != digest) {
            if let Some(c) = self.computing.remove(&key) {
                c.task.abort();
            }
            let (name, now) = (leader.to_string(), self.now());
            match self.with_log(move |log| log.supersede(&name, epoch, &old, now)).await {
                Some(Ok(changed)) => {
                    for e in changed {
                        self.timers.retain(|(_, id)| *id != e.id);
                        self.shared.publish(e);
                    }
                }
                Some(Err(e)) => tracing::error!(error = %e, "slot log write failed"),
                None => return false,
            }
        }
        true
    }
}
