//! [`InProcessEnclave`]: the [`Enclave`] seam on the enclave's signer in the node's process,
//! for tests, simulations and benchmarks only (the `in-process` feature). A production node talks to the enclave
//! process and holds no keys.

use std::ops::Range;
use std::sync::Arc;

use slotforge_enclave::signer::Signer;
use slotforge_enclave_api::types::{Identity, ScheduledSlot, SignedHeader};
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;

use crate::seams::{Enclave, EnclaveError};

/// The enclave's signer in this process (tests, simulations, benchmarks).
#[derive(Clone)]
pub struct InProcessEnclave(pub Arc<Signer>);

fn refused(e: slotforge_enclave::signer::SignError) -> EnclaveError {
    EnclaveError::Refused {
        reason: e.kind(),
        message: e.to_string(),
    }
}

impl Enclave for InProcessEnclave {
    async fn leaders(&self) -> Result<Vec<String>, EnclaveError> {
        Ok(self.0.leader_ids())
    }

    async fn identity(&self, leader: &str) -> Result<Identity, EnclaveError> {
        self.0.identity(leader).map_err(refused)
    }

    async fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> Result<(), EnclaveError> {
        let epoch = params
            .to_epoch_params()
            .map_err(|e| EnclaveError::Other(e.to_string()))?;
        let (signer, leader) = (self.0.clone(), leader.to_string());
        tokio::task::spawn_blocking(move || {
            signer.schedule_each(&leader, epoch, slots, |s| sink.blocking_send(s).is_ok())
        })
        .await
        .map_err(|e| EnclaveError::Other(e.to_string()))?
        .map_err(refused)
    }

    async fn sign(&self, leader: &str, body: Vec<u8>) -> Result<SignedHeader, EnclaveError> {
        let (signer, leader) = (self.0.clone(), leader.to_string());
        tokio::task::spawn_blocking(move || signer.sign_block(&leader, &body))
            .await
            .map_err(|e| EnclaveError::Other(e.to_string()))?
            .map_err(refused)
    }
}
