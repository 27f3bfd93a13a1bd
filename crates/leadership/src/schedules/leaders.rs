//! The enclave's leaders, read at start and again whenever they change (`keys import`, `keys
//! remove`): a new leader is scheduled, a removed one's pending entries are superseded.

use crate::clock::Clock;
use crate::process::{Input, Process};
use crate::seams::{Blockchain, Enclave, FragmentPool};

impl<E, B, F, C> Process<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Reads the enclave's leaders and their identities again (retrying later on failure),
    /// unschedules the removed ones and asks for every schedule.
    pub(crate) async fn reload_leaders(&mut self) {
        let names = match self.shared.enclave.leaders().await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the enclave's leaders; retrying");
                self.retry_later(Input::LeadersChanged);
                return;
            }
        };
        self.leaders_loaded = true;
        let removed: Vec<String> = self.leaders.keys().filter(|l| !names.contains(l)).cloned().collect();
        for leader in removed {
            self.leaders.remove(&leader);
            self.unschedule(&leader, "the leader was removed from the enclave")
                .await;
        }
        for name in names {
            if self.leaders.contains_key(&name) {
                continue;
            }
            match self.shared.enclave.identity(&name).await {
                Ok(id) => {
                    self.leaders.insert(name, id);
                }
                Err(e) => {
                    tracing::warn!(leader = %name, error = %e, "cannot read the leader's identity; retrying");
                    self.retry_later(Input::LeadersChanged);
                }
            }
        }
        self.request_all().await;
    }
}
