//! Signing at the slot: the enclave signs the header body once the slot has begun, if the
//! entry is still `woke`. An enclave that forgot the epoch (it restarted, or is a failover that
//! never scheduled it) is sent the epoch's parameters and asked again; any other failure makes
//! the slot missed, with its reason.

use slotforge_enclave_api::refusal::RefusalReason;
use std::sync::Arc;

use slotforge_enclave_api::types::SignedHeader;
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::process::Shared;
use crate::seams::{Blockchain, Enclave, EnclaveError, FragmentPool};
use crate::slot_log::SlotEntry;
use crate::status::SlotStatus;

impl<E, B, F, C> Shared<E, B, F, C>
where
    E: Enclave,
    B: Blockchain,
    F: FragmentPool,
    C: Clock,
{
    /// Waits for the slot, then has the enclave sign `header_body`. None if the entry was
    /// settled meanwhile (nothing is signed) or the enclave failed (the slot is missed).
    pub(super) async fn sign_at_slot(
        self: &Arc<Self>,
        e: &SlotEntry,
        header_body: Vec<u8>,
        request: Option<&ScheduleParams>,
    ) -> Option<SignedHeader> {
        self.clock.sleep_until_ms(e.scheduled_at_ms).await;
        let id = e.id;
        if !self.off_runtime(move |me| me.still_woke(id)).await.unwrap_or(false) {
            return None; // superseded or settled while the body was made: nothing is signed
        }
        let mut signed = self.enclave.sign(&e.leader, header_body.clone()).await;
        if let (Err(EnclaveError::Refused { reason, .. }), Some(request)) = (&signed, request) {
            if *reason == RefusalReason::UnknownEpoch {
                tracing::info!(leader = %e.leader, slot = e.slot, "the enclave forgot the epoch; sending it again");
                let (sink, mut found) = mpsc::channel(4);
                let resent = self
                    .enclave
                    .schedule(&e.leader, request, e.slot..e.slot + 1, sink)
                    .await;
                while found.try_recv().is_ok() {}
                if resent.is_ok() {
                    signed = self.enclave.sign(&e.leader, header_body).await;
                }
            }
        }
        match signed {
            Ok(s) => Some(s),
            Err(error) => {
                let (class, reason) = why_unsigned(error);
                self.miss_off_runtime(e, &class, reason).await;
                None
            }
        }
    }

    /// Whether entry `id` is still `woke`: nothing else (a fork, a restart) took it since.
    fn still_woke(&self, id: i64) -> bool {
        self.log.get(id).is_ok_and(|e| e.status == SlotStatus::Woke)
    }
}

/// The metrics' class and the slot log's reason of a slot the enclave did not sign.
fn why_unsigned(error: EnclaveError) -> (String, String) {
    match error {
        EnclaveError::Unavailable(m) => ("enclave_unreachable".into(), format!("enclave unreachable: {m}")),
        EnclaveError::Refused {
            reason: RefusalReason::KesExpired,
            message,
        } => (RefusalReason::KesExpired.to_string(), format!("KES expired: {message}")),
        EnclaveError::Refused { reason, message } => {
            let why = format!("the enclave refused ({reason}): {message}");
            (reason.to_string(), why)
        }
        other => ("enclave_error".into(), other.to_string()),
    }
}
