//! A typed gRPC client of the enclave, over its Unix socket or mutual TLS: what a node (and
//! the leadership module) uses to reach the keys.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Status};

use crate::refusal::RefusalReason;
use crate::types::{Identity, ScheduledSlot, SignedHeader};
use crate::wire::{self, proto, ScheduleParams};

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No connection to the enclave could be made (bad address, socket absent, TLS handshake).
    #[error("cannot reach the enclave at {endpoint}: {source}")]
    Connect {
        /// The URI dialled: `unix:/abs/path` or `https://host:port`.
        endpoint: String,
        /// The transport's error.
        source: tonic::transport::Error,
    },
    /// The enclave answered with one of its typed refusals (see the .proto for the reasons).
    #[error("the enclave refused ({reason}): {message}")]
    Refused {
        /// The refusal's stable reason, as listed in the `.proto`.
        reason: RefusalReason,
        /// The enclave's explanation, for people.
        message: String,
        /// The slot concerned, when the refusal names one.
        slot: Option<u64>,
        /// The gRPC status code the refusal came with (`Unavailable` when the sign guard is down).
        code: Code,
    },
    /// Any other gRPC failure: the enclave went away, a deadline passed, TLS failed…
    #[error("enclave call failed ({:?}): {}", .0.code(), .0.message())]
    Status(Status),
    /// An answer that does not decode into this crate's types; holds the reason.
    #[error("the enclave sent something this client cannot read: {0}")]
    Protocol(String),
}

impl ClientError {
    /// The refusal reason, if the enclave refused.
    pub fn refusal(&self) -> Option<RefusalReason> {
        match self {
            ClientError::Refused { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    /// The refusal reason's wire name, if the enclave refused.
    pub fn reason(&self) -> Option<&'static str> {
        self.refusal().map(RefusalReason::as_str)
    }

    /// True when the enclave could not be reached or went away (retrying may help).
    pub fn is_unavailable(&self) -> bool {
        match self {
            ClientError::Connect { .. } => true,
            // `Unknown` without a refusal is the transport's: the connection broke mid-call
            // (an enclave killed while it answered). The enclaves share their sign guard, so
            // asking the next one is safe: a body already signed is replayed.
            ClientError::Status(s) => matches!(
                s.code(),
                Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown
            ),
            // The enclave is up but cannot reach its sign guard's database.
            ClientError::Refused { code, .. } => *code == Code::Unavailable,
            _ => false,
        }
    }
}

impl From<Status> for ClientError {
    fn from(s: Status) -> Self {
        match wire::refusal(&s) {
            Some(r) => match RefusalReason::from_wire(&r.reason) {
                Some(reason) => ClientError::Refused {
                    slot: (r.slot != 0).then_some(r.slot),
                    reason,
                    message: r.message,
                    code: s.code(),
                },
                // A reason from a newer enclave: say so rather than guess what it means.
                None => ClientError::Protocol(format!(
                    "a refusal with the unknown reason {:?} ({:?}): {}",
                    r.reason,
                    s.code(),
                    r.message
                )),
            },
            None => ClientError::Status(s),
        }
    }
}

/// A connection to one enclave. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct EnclaveClient {
    inner: proto::enclave_client::EnclaveClient<Channel>,
}

/// The streamed answer of [`EnclaveClient::schedule`].
pub struct ScheduleStream {
    inner: tonic::Streaming<proto::ScheduledSlot>,
}

impl ScheduleStream {
    /// The next won slot in slot order, or None at the end of the range.
    pub async fn next(&mut self) -> Option<Result<ScheduledSlot, ClientError>> {
        match self.inner.message().await {
            Ok(Some(s)) => Some(wire::scheduled_slot(&s).map_err(|e| ClientError::Protocol(e.to_string()))),
            Ok(None) => None,
            Err(s) => Some(Err(s.into())),
        }
    }
}

impl EnclaveClient {
    fn endpoint(endpoint: Endpoint) -> Endpoint {
        endpoint.connect_timeout(Duration::from_secs(5)).tcp_nodelay(true)
    }

    async fn connect(endpoint: Endpoint, name: String) -> Result<Self, ClientError> {
        let channel = Self::endpoint(endpoint)
            .connect()
            .await
            .map_err(|source| ClientError::Connect { endpoint: name, source })?;
        Ok(Self::on(channel))
    }

    fn on(channel: Channel) -> Self {
        EnclaveClient {
            inner: proto::enclave_client::EnclaveClient::new(channel),
        }
    }

    fn unix_endpoint(path: &Path) -> Result<(Endpoint, String), ClientError> {
        let path = std::path::absolute(path).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let uri = format!("unix:{}", path.display());
        let endpoint = Endpoint::from_shared(uri.clone()).map_err(|source| ClientError::Connect {
            endpoint: uri.clone(),
            source,
        })?;
        Ok((endpoint, uri))
    }

    fn tls_endpoint(address: &str, tls: ClientTlsConfig) -> Result<(Endpoint, String), ClientError> {
        let uri = format!("https://{address}");
        let err = |source| ClientError::Connect {
            endpoint: uri.clone(),
            source,
        };
        let endpoint = Endpoint::from_shared(uri.clone())
            .map_err(err)?
            .tls_config(tls)
            .map_err(err)?;
        Ok((endpoint, uri))
    }

    /// Connects over the enclave's Unix socket.
    pub async fn connect_unix(path: &Path) -> Result<Self, ClientError> {
        let (endpoint, uri) = Self::unix_endpoint(path)?;
        Self::connect(endpoint, uri).await
    }

    /// Connects over TCP with mutual TLS; `address` is `host:port`.
    pub async fn connect_tls(address: &str, tls: ClientTlsConfig) -> Result<Self, ClientError> {
        let (endpoint, uri) = Self::tls_endpoint(address, tls)?;
        Self::connect(endpoint, uri).await
    }

    /// A client of an enclave that may not be up yet: it connects at its first call (and
    /// again after the enclave went away).
    pub fn lazy_unix(path: &Path) -> Result<Self, ClientError> {
        let (endpoint, _) = Self::unix_endpoint(path)?;
        Ok(Self::on(Self::endpoint(endpoint).connect_lazy()))
    }

    /// [`lazy_unix`](Self::lazy_unix) over TCP with mutual TLS.
    pub fn lazy_tls(address: &str, tls: ClientTlsConfig) -> Result<Self, ClientError> {
        let (endpoint, _) = Self::tls_endpoint(address, tls)?;
        Ok(Self::on(Self::endpoint(endpoint).connect_lazy()))
    }

    /// The names of the leaders the enclave holds (`ListLeaders`).
    pub async fn list_leaders(&mut self) -> Result<Vec<String>, ClientError> {
        Ok(self
            .inner
            .list_leaders(proto::ListLeadersRequest {})
            .await?
            .into_inner()
            .leaders)
    }

    /// The public identity of the leader named `leader` (`Identity`).
    pub async fn identity(&mut self, leader: &str) -> Result<Identity, ClientError> {
        let r = self
            .inner
            .identity(proto::IdentityRequest {
                leader: leader.to_string(),
            })
            .await?
            .into_inner();
        wire::identity(&r).map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Starts streaming `leader`'s won slots of `slots` under `params`.
    pub async fn schedule(
        &mut self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
    ) -> Result<ScheduleStream, ClientError> {
        let inner = self
            .inner
            .schedule(params.to_request(leader, slots))
            .await?
            .into_inner();
        Ok(ScheduleStream { inner })
    }

    /// Asks the enclave to sign an encoded header body for `leader`.
    pub async fn sign_block(&mut self, leader: &str, header_body: Vec<u8>) -> Result<SignedHeader, ClientError> {
        let r = self
            .inner
            .sign_block(proto::SignBlockRequest {
                leader: leader.to_string(),
                header_body,
            })
            .await?
            .into_inner();
        let body_hash = r
            .body_hash
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::Protocol(format!("body_hash has {} bytes", r.body_hash.len())))?;
        Ok(SignedHeader {
            header: r.header,
            fresh: !r.replayed,
            slot: r.slot,
            body_hash,
        })
    }

    /// The enclave's liveness and sign-guard state (`Health`), as the generated type.
    pub async fn health(&mut self) -> Result<proto::HealthResponse, ClientError> {
        Ok(self.inner.health(proto::HealthRequest {}).await?.into_inner())
    }

    /// The raw generated client, for calls this wrapper does not cover.
    pub fn raw(&mut self) -> &mut proto::enclave_client::EnclaveClient<Channel> {
        &mut self.inner
    }
}
