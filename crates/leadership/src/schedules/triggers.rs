//! When a schedule is asked for: an epoch's parameters announced, the leaders reloaded, the
//! end of the schedule reached, a retry. Every trigger is idempotent by (epoch, digest of the
//! parameters): a request already being computed, or already complete, costs nothing.

use crate::params::LeaderShare;
use std::sync::Arc;

use crate::clock::Clock;
use crate::params::DigestedParams;
use crate::process::Process;
use crate::schedules::Computation;
use crate::seams::{Blockchain, Enclave, FragmentPool};
use crate::slot_log::LogError;
use slotforge_praos::epoch_leadership::EpochLeadership;

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// New parameters for an epoch: remember them and schedule every leader.
    pub(crate) async fn announce(&mut self, params: EpochLeadership) {
        let epoch = params.epoch;
        self.epochs.insert(epoch, Arc::new(DigestedParams::new(params)));
        let leaders: Vec<String> = self.leaders.keys().cloned().collect();
        for leader in leaders {
            self.request(&leader, epoch).await;
        }
        self.prune().await;
    }

    /// Requests every known epoch that has not ended, for every leader (duplicates cost nothing).
    pub(crate) async fn request_all(&mut self) {
        let now = self.now();
        let epochs: Vec<u64> = self
            .epochs
            .values()
            .filter(|p| p.slot_start_ms(p.slots().end) > now)
            .map(|p| p.epoch)
            .collect();
        let leaders: Vec<String> = self.leaders.keys().cloned().collect();
        for epoch in epochs {
            for leader in &leaders {
                self.request(leader, epoch).await;
            }
        }
    }

    /// The schedule trigger: idempotent by (epoch, digest of the parameters).
    async fn request(&mut self, leader: &str, epoch: u64) {
        let Some(params) = self.epochs.get(&epoch).cloned() else {
            return;
        };
        let Some(identity) = self.leaders.get(leader).cloned() else {
            return;
        };
        let digest = params.digest.clone();
        let key = (leader.to_string(), epoch);
        if self.computing.get(&key).is_some_and(|c| c.digest == digest) {
            return; // the same request is being computed
        }
        if !self.supersede_other_params(leader, epoch, &digest).await {
            return;
        }
        let share = match LeaderShare::of(&params, &identity) {
            Ok(Some(s)) => s,
            Ok(None) => return, // the leader takes no part in this epoch
            Err(e) => return tracing::error!(error = %e, leader, "unusable leadership parameters"),
        };
        let now = self.now();
        let end = params.slots().end;
        // A node started mid-epoch schedules from the slot in progress on.
        let from = params.slot_at_ms(now).unwrap_or(end).max(params.first_slot);
        let (name, p, ideal) = (leader.to_string(), params.clone(), share.ideal_slots);
        let begun = self.with_log(move |log| {
            let (next, complete) = log.begin_schedule(&name, &p, ideal, from, now)?;
            if !complete && next >= end {
                log.complete_schedule(&name, &p)?;
            }
            Ok::<_, LogError>((next, complete))
        });
        let next = match begun.await {
            Some(Ok((next, complete))) if !complete && next < end => next,
            Some(Ok(_)) | None => return,
            Some(Err(e)) => return tracing::error!(error = %e, "slot log write failed"),
        };
        self.shared.metrics.schedule_started();
        let task = self.stream(leader, params, share.request, next..end);
        self.computing.insert(key, Computation { digest, task });
    }

    /// Drops the slot log's epochs older than the retention behind the newest announced one.
    async fn prune(&self) {
        let (Some(keep), Some(newest)) = (self.shared.config.retention_epochs, self.epochs.keys().last()) else {
            return;
        };
        let oldest_kept = newest.saturating_sub(keep);
        if let Some(Err(e)) = self.with_log(move |log| log.prune(oldest_kept)).await {
            tracing::error!(error = %e, "slot log pruning failed");
        }
    }
}
