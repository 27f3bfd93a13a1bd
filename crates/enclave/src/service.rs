//! The gRPC service: each call checks its input, runs the [`Signer`] off the async runtime,
//! audits what it did, and maps every refusal to a typed status. It is the only part of the
//! library that knows tonic's types: the signer's errors become a [`Status`] here.

use slotforge_enclave_api::refusal::RefusalReason;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::audit::{AuditEntry, AuditLog};
use crate::authorization::{Authorization, UNIX_CLIENT};
use crate::metrics::Metrics;
use crate::sign_guard::GuardError;
use crate::signer::{SignError, Signer};
use crate::wire::{proto, refusal_status, ScheduleParams};

/// Streamed slots buffered ahead of a slow client.
const SCHEDULE_BUFFER: usize = 1024;

/// The state every call shares.
pub struct EnclaveService {
    signer: Arc<Signer>,
    audit: Option<Arc<AuditLog>>,
    metrics: Arc<Metrics>,
    authorization: Authorization,
    started: Instant,
}

impl EnclaveService {
    /// Serves `signer`'s leaders to every client, auditing to `audit` (None: no audit log) and
    /// counting into `metrics`.
    pub fn new(signer: Arc<Signer>, audit: Option<Arc<AuditLog>>, metrics: Arc<Metrics>) -> Self {
        EnclaveService {
            signer,
            audit,
            metrics,
            authorization: Authorization::allow_all(),
            started: Instant::now(),
        }
    }

    /// Serves each client only the leaders `authorization` gives it.
    pub fn with_authorization(mut self, authorization: Authorization) -> Self {
        self.authorization = authorization;
        self
    }

    /// Refuses (and audits) a client that may not use `leader`.
    fn authorize(&self, client: &str, request: &'static str, leader: &str) -> Result<(), Status> {
        if self.authorization.allows(client, leader) {
            return Ok(());
        }
        tracing::warn!(%client, %leader, request, "not authorized");
        self.audit(AuditEntry {
            time_ms: AuditLog::now_ms(),
            client,
            request,
            leader,
            slot: None,
            body_hash: None,
            outcome: RefusalReason::NotAuthorized.as_str(),
        })?;
        Err(refusal_status(
            RefusalReason::NotAuthorized,
            format!("client {client:?} may not use leader {leader:?} (see [[client]] in the enclave's configuration)"),
            None,
        ))
    }

    /// The generated tonic server around this service.
    pub fn into_server(self) -> proto::enclave_server::EnclaveServer<Self> {
        proto::enclave_server::EnclaveServer::new(self)
    }

    fn audit(&self, entry: AuditEntry<'_>) -> Result<(), Status> {
        let Some(log) = &self.audit else { return Ok(()) };
        log.record(&entry).map_err(|e| {
            tracing::error!(error = %e, path = %log.path().display(), "audit log write failed");
            refusal_status(
                RefusalReason::AuditFailure,
                format!("the audit log could not be written: {e}"),
                None,
            )
        })
    }
}

/// Who is calling: the client certificate's subject over TLS, "unix" on the local socket.
fn client<T>(req: &Request<T>) -> String {
    match req.peer_certs() {
        Some(certs) => certs
            .first()
            .and_then(|c| crate::tls::subject(c))
            .unwrap_or_else(|| "tls:unparsable-certificate".into()),
        None => UNIX_CLIENT.into(),
    }
}

impl From<&SignError> for Status {
    /// The refusal a client receives: the reason, and the slot concerned when there is one.
    fn from(e: &SignError) -> Self {
        refusal_status(e.kind(), e.to_string(), e.slot())
    }
}

fn join_error(e: tokio::task::JoinError) -> Status {
    Status::internal(format!("the signing task failed: {e}"))
}

#[tonic::async_trait]
impl proto::enclave_server::Enclave for EnclaveService {
    async fn list_leaders(
        &self,
        req: Request<proto::ListLeadersRequest>,
    ) -> Result<Response<proto::ListLeadersResponse>, Status> {
        let who = client(&req);
        let mut leaders = self.signer.leader_ids();
        leaders.retain(|l| self.authorization.allows(&who, l));
        Ok(Response::new(proto::ListLeadersResponse { leaders }))
    }

    async fn identity(
        &self,
        req: Request<proto::IdentityRequest>,
    ) -> Result<Response<proto::IdentityResponse>, Status> {
        let leader = &req.get_ref().leader;
        self.authorize(&client(&req), "Identity", leader)?;
        let id = self.signer.identity(leader).map_err(|e| Status::from(&e))?;
        Ok(Response::new((leader.as_str(), &id).into()))
    }

    type ScheduleStream = ReceiverStream<Result<proto::ScheduledSlot, Status>>;

    async fn schedule(&self, req: Request<proto::ScheduleRequest>) -> Result<Response<Self::ScheduleStream>, Status> {
        let who = client(&req);
        let r = req.into_inner();
        self.authorize(&who, "Schedule", &r.leader)?;
        let outcome = ScheduleParams::from_request(&r).and_then(|(p, range)| Ok((p.to_epoch_params()?, range)));
        let (params, range) = match outcome {
            Ok(v) => v,
            Err(e) => {
                self.audit(AuditEntry {
                    time_ms: AuditLog::now_ms(),
                    client: &who,
                    request: "Schedule",
                    leader: &r.leader,
                    slot: None,
                    body_hash: None,
                    outcome: RefusalReason::BadParameters.as_str(),
                })?;
                return Err(e.into());
            }
        };
        // Unknown leaders and wrong consensus kinds are answered before the stream opens.
        self.signer.guard_id(&r.leader).map_err(|e| Status::from(&e))?;
        self.audit(AuditEntry {
            time_ms: AuditLog::now_ms(),
            client: &who,
            request: "Schedule",
            leader: &r.leader,
            slot: Some(range.start.max(r.first_slot)),
            body_hash: None,
            outcome: "started",
        })?;
        let (tx, rx) = mpsc::channel(SCHEDULE_BUFFER);
        let signer = self.signer.clone();
        let leader = r.leader.clone();
        tokio::task::spawn_blocking(move || {
            let result = signer.schedule_each(&leader, params, range, |s| {
                tx.blocking_send(Ok(proto::ScheduledSlot::from(&s))).is_ok()
            });
            if let Err(e) = result {
                let _ = tx.blocking_send(Err(Status::from(&e)));
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn sign_block(
        &self,
        req: Request<proto::SignBlockRequest>,
    ) -> Result<Response<proto::SignBlockResponse>, Status> {
        let started = Instant::now();
        let who = client(&req);
        let r = req.into_inner();
        self.authorize(&who, "SignBlock", &r.leader)?;
        let signer = self.signer.clone();
        let (leader, body) = (r.leader.clone(), r.header_body);
        let (result, body) = tokio::task::spawn_blocking(move || (signer.sign_block(&leader, &body), body))
            .await
            .map_err(join_error)?;
        let (outcome, slot, body_hash) = match &result {
            Ok(s) => (
                if s.fresh { "signed" } else { "replayed" },
                Some(s.slot),
                Some(hex::encode(s.body_hash)),
            ),
            Err(e) => {
                let decoded = crate::signer::body_slot_and_hash(&body);
                (
                    e.kind().as_str(),
                    decoded.map(|d| d.0),
                    decoded.map(|d| hex::encode(d.1)),
                )
            }
        };
        self.metrics.record_sign(outcome, started.elapsed().as_secs_f64());
        match &result {
            Err(SignError::Guard(GuardError::Unavailable(_))) => self.metrics.set_guard_available(false),
            Ok(_) => self.metrics.set_guard_available(true),
            Err(_) => {}
        }
        match &result {
            Ok(s) => tracing::info!(leader = %r.leader, slot = s.slot, client = %who, outcome, "SignBlock"),
            Err(e) => tracing::warn!(leader = %r.leader, client = %who, outcome, error = %e, "SignBlock refused"),
        }
        self.audit(AuditEntry {
            time_ms: AuditLog::now_ms(),
            client: &who,
            request: "SignBlock",
            leader: &r.leader,
            slot,
            body_hash,
            outcome,
        })?;
        let signed = result.map_err(|e| Status::from(&e))?;
        Ok(Response::new(proto::SignBlockResponse {
            header: signed.header,
            replayed: !signed.fresh,
            body_hash: signed.body_hash.to_vec(),
            slot: signed.slot,
        }))
    }

    async fn health(&self, _: Request<proto::HealthRequest>) -> Result<Response<proto::HealthResponse>, Status> {
        let signer = self.signer.clone();
        let guard = tokio::task::spawn_blocking(move || signer.guard().health())
            .await
            .map_err(join_error)?;
        self.metrics.set_guard_available(guard.available);
        Ok(Response::new(proto::HealthResponse {
            version: env!("CARGO_PKG_VERSION").to_string(),
            leaders: self.signer.leader_ids().len() as u32,
            uptime_seconds: self.started.elapsed().as_secs(),
            guard_backend: guard.backend.to_string(),
            guard_available: guard.available,
            guard_error: guard.error.unwrap_or_default(),
            kes: self
                .signer
                .kes_expiries()
                .into_iter()
                .map(|k| proto::LeaderKes {
                    leader: k.leader,
                    kes_period: k.kes_period,
                    end_period: k.end_period,
                    end_slot: k.end_slot,
                    slots_left: k.slots_left.unwrap_or_default(),
                    expires_unix_ms: k.expires_unix_ms.unwrap_or_default(),
                })
                .collect(),
        }))
    }
}
