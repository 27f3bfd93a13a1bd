//! [`GrpcEnclave`]: the [`Enclave`] seam over the enclave's gRPC client, with failover across
//! several enclaves that share one sign guard.

use std::future::Future;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use slotforge_enclave_api::client::{ClientError, EnclaveClient};
use slotforge_enclave_api::types::{Identity, ScheduledSlot, SignedHeader};
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;

use crate::seams::{Enclave, EnclaveError};

/// The enclave over gRPC (its Unix socket or mutual TLS), optionally several enclaves that
/// share one sign guard: a call that finds its enclave unreachable (or unable to reach its
/// guard's database) is sent, unchanged, to the next one; a refusal is final and is never
/// retried elsewhere. The enclave that last answered is asked first.
///
/// A failover enclave that never scheduled the current epoch answers `unknown_epoch`; the
/// leadership process then sends it the epoch's parameters and asks again.
#[derive(Clone)]
pub struct GrpcEnclave {
    endpoints: Arc<[(String, EnclaveClient)]>,
    current: Arc<AtomicUsize>,
}

fn from_client(e: ClientError) -> EnclaveError {
    if e.is_unavailable() {
        return EnclaveError::Unavailable(e.to_string());
    }
    match e {
        ClientError::Refused { reason, message, .. } => EnclaveError::Refused { reason, message },
        other => EnclaveError::Other(other.to_string()),
    }
}

impl GrpcEnclave {
    /// One enclave.
    pub fn new(client: EnclaveClient) -> Self {
        Self::with_failover(vec![("enclave".into(), client)])
    }

    /// Several enclaves sharing one sign guard, named for the logs, in order of preference.
    ///
    /// # Panics
    /// If `endpoints` is empty.
    pub fn with_failover(endpoints: Vec<(String, EnclaveClient)>) -> Self {
        assert!(!endpoints.is_empty(), "GrpcEnclave needs at least one enclave");
        GrpcEnclave {
            endpoints: endpoints.into(),
            current: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `op` on the current enclave, then on each other one while they are unreachable.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T, EnclaveError>
    where
        F: Fn(EnclaveClient) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let n = self.endpoints.len();
        let first = self.current.load(Ordering::Relaxed) % n;
        let mut last = None;
        for i in 0..n {
            let at = (first + i) % n;
            let (name, client) = &self.endpoints[at];
            match op(client.clone()).await {
                Ok(v) => {
                    if at != first {
                        self.current.store(at, Ordering::Relaxed);
                        tracing::warn!(enclave = %name, "failed over to enclave {name}");
                    }
                    return Ok(v);
                }
                Err(e) if e.is_unavailable() => {
                    if n > 1 {
                        tracing::warn!(enclave = %name, error = %e, "enclave unreachable; trying the next");
                    }
                    last = Some(e);
                }
                Err(e) => return Err(from_client(e)),
            }
        }
        Err(last.map_or_else(|| EnclaveError::Unavailable("no enclave".into()), from_client))
    }
}

impl GrpcEnclave {
    /// The enclave's health: its leaders, its sign guard, each leader's certificate expiry.
    pub async fn health(&self) -> Result<slotforge_enclave_api::wire::proto::HealthResponse, EnclaveError> {
        self.call(|mut c| async move { c.health().await }).await
    }
}

impl Enclave for GrpcEnclave {
    async fn leaders(&self) -> Result<Vec<String>, EnclaveError> {
        self.call(|mut c| async move { c.list_leaders().await }).await
    }

    async fn identity(&self, leader: &str) -> Result<Identity, EnclaveError> {
        self.call(|mut c| async move { c.identity(leader).await }).await
    }

    /// A stream cut by an outage resumes on the next enclave after the last slot delivered.
    async fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> Result<(), EnclaveError> {
        let next = std::sync::Mutex::new(slots.start);
        let next = &next;
        let sink = &sink;
        self.call(|mut c| {
            let start = *next.lock().unwrap_or_else(|p| p.into_inner());
            let range = start.max(slots.start)..slots.end;
            async move {
                let mut stream = c.schedule(leader, params, range).await?;
                while let Some(s) = stream.next().await {
                    let s = s?;
                    let slot = s.slot;
                    if sink.send(s).await.is_err() {
                        break;
                    }
                    *next.lock().unwrap_or_else(|p| p.into_inner()) = slot + 1;
                }
                Ok(())
            }
        })
        .await
    }

    async fn sign(&self, leader: &str, body: Vec<u8>) -> Result<SignedHeader, EnclaveError> {
        let body = &body;
        self.call(|mut c| async move { c.sign_block(leader, body.clone()).await })
            .await
    }
}
