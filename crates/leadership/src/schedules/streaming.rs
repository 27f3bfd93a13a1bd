//! A schedule streamed from the enclave into the slot log: each won slot is recorded (and its
//! timer armed) as it arrives, the schedule is marked complete at the end of the stream, a
//! failed request is retried later, and at stop what the enclave had delivered is kept, so a
//! restart resumes after it.

use std::ops::Range;
use std::sync::Arc;

use slotforge_enclave_api::types::ScheduledSlot;
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::params::DigestedParams;
use crate::process::{Input, Process};
use crate::seams::{Blockchain, Enclave, EnclaveError, FragmentPool};

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Asks the enclave for `leader`'s won slots of `slots` under `params`, in a task that sends
    /// each to the loop as it arrives ([`Input::Scheduled`]), then the end of the stream
    /// ([`Input::ScheduleDone`]); at stop it ends the stream and sends no end.
    pub(super) fn stream(
        &self,
        leader: &str,
        params: Arc<DigestedParams>,
        request: ScheduleParams,
        slots: Range<u64>,
    ) -> JoinHandle<()> {
        let (shared, tx, leader_name) = (self.shared.clone(), self.tx.clone(), leader.to_string());
        let mut stopping = self.stopping.subscribe();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let (sink, mut found) = mpsc::channel(256);
            // At stop the stream is dropped (and with it `sink`); what it had delivered is
            // still forwarded, so the process can record it.
            let stream = async {
                tokio::select! {
                    result = shared.enclave.schedule(&leader_name, &request, slots, sink) => Some(result),
                    _ = stopping.wait_for(|s| *s) => None,
                }
            };
            let forward = async {
                while let Some(slot) = found.recv().await {
                    let _ = tx.send(Input::Scheduled {
                        leader: leader_name.clone(),
                        params: params.clone(),
                        slot,
                    });
                }
            };
            let (result, ()) = tokio::join!(stream, forward);
            if let Some(result) = result {
                let _ = tx.send(Input::ScheduleDone {
                    leader: leader_name.clone(),
                    params: params.clone(),
                    result: result.map(|()| started.elapsed().as_secs_f64()),
                });
            }
        })
    }

    fn is_current(&self, leader: &str, params: &DigestedParams) -> bool {
        self.computing
            .get(&(leader.to_string(), params.epoch))
            .is_some_and(|c| c.digest == params.digest)
    }

    /// A won slot delivered: recorded in the slot log, published, its timer armed.
    pub(crate) async fn scheduled(&mut self, leader: &str, params: &Arc<DigestedParams>, slot: ScheduledSlot) {
        if !self.is_current(leader, params) {
            return; // from a computation cancelled since
        }
        let (now, name, p) = (self.now(), leader.to_string(), params.clone());
        let added = self.with_log(move |log| {
            log.add_slot(
                &name,
                &p,
                slot.slot,
                slot.output.as_ref().map(|o| &o.0[..]),
                slot.proof.as_ref().map(|p| &p.0[..]),
                now,
            )
        });
        match added.await {
            Some(Ok(Some(e))) => {
                self.shared.metrics.slot_assigned(leader);
                self.shared.publish(e.clone());
                self.arm(&e);
            }
            Some(Ok(None)) | None => {}
            Some(Err(e)) => tracing::error!(error = %e, "slot log write failed"),
        }
    }

    /// A stream ended: the schedule is complete, or it is asked for again later.
    pub(crate) async fn schedule_done(
        &mut self,
        leader: String,
        params: Arc<DigestedParams>,
        result: Result<f64, EnclaveError>,
    ) {
        if !self.is_current(&leader, &params) {
            return;
        }
        self.computing.remove(&(leader.clone(), params.epoch));
        match result {
            Ok(seconds) => {
                self.shared.metrics.schedule_finished(seconds);
                let name = leader.clone();
                if let Some(Err(e)) = self.with_log(move |log| log.complete_schedule(&name, &params)).await {
                    tracing::error!(error = %e, "slot log write failed");
                }
            }
            Err(e) => {
                tracing::warn!(leader, epoch = params.epoch, error = %e, "schedule request failed; retrying");
                if !self.retry_pending {
                    self.retry_pending = true;
                    self.retry_later(Input::RetrySchedules);
                }
            }
        }
    }

    /// At stop: cancels the schedule computations and records every slot the enclave had
    /// already delivered, so that a restart resumes after them instead of asking again.
    pub(crate) async fn keep_delivered_schedules(&mut self, rx: &mut mpsc::UnboundedReceiver<Input>) {
        let _ = self.stopping.send(true);
        for c in self.computing.values_mut() {
            let _ = (&mut c.task).await;
        }
        while let Ok(input) = rx.try_recv() {
            match input {
                Input::Scheduled { leader, params, slot } => self.scheduled(&leader, &params, slot).await,
                Input::ScheduleDone { leader, params, result } if result.is_ok() => {
                    self.schedule_done(leader, params, result).await
                }
                _ => {}
            }
        }
    }
}
