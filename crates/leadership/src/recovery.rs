//! What happens at start after a stop or a crash: entries caught mid-forge, or whose slot
//! passed while the node was down, become `missed`; the rest are armed again; the parameters
//! of live schedules are known again, so schedules cut short resume where they stopped.

use std::sync::Arc;

use crate::clock::Clock;
use crate::params::DigestedParams;
use crate::process::{Process, StartError};
use crate::seams::{Blockchain, Enclave, FragmentPool};
use crate::slot_log::LogError;
use crate::status::SlotStatus;

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// After a restart: entries caught mid-forge or whose slot passed become missed; the rest
    /// are armed again; the parameters of live schedules are known again.
    pub(crate) async fn recover(&mut self) -> Result<(), StartError> {
        let (now, max_late) = (self.now(), self.shared.config.max_late_ms);
        let recovered = self.shared.off_runtime(move |me| -> Result<_, LogError> {
            let params = me.log.live_params()?;
            let mut armed = Vec::new();
            for e in me.log.pending()? {
                if e.status == SlotStatus::Woke {
                    me.miss(&e, "restart", "the node restarted while forging this slot".into());
                } else if now - e.scheduled_at_ms > max_late {
                    me.miss(&e, "not_running", "the node was not running at the slot".into());
                } else {
                    armed.push(e);
                }
            }
            Ok((params, armed))
        });
        let (params, armed) = recovered.await.ok_or(StartError::RuntimeStopping)??;
        for (_, params) in params {
            self.epochs.insert(params.epoch, Arc::new(DigestedParams::new(params)));
        }
        for e in &armed {
            self.arm(e);
        }
        Ok(())
    }
}
