//! Reaching a block producer's enclaves (a Unix socket, or TCP with mutual TLS): the first
//! must answer and let the node in at start; failover enclaves may be down and are connected
//! when first needed.

use anyhow::{bail, Context};
use slotforge_enclave_api::client::EnclaveClient;
use slotforge_leadership::grpc_enclave::GrpcEnclave;

use crate::node_config::EnclaveEndpoint;

const ENCLAVE_HINT: &str =
    "is `slotforge-enclave serve` running with this socket or address, and does it accept this client?";

/// Connects to one enclave and checks that it answers (and lets us in).
async fn connect_one(endpoint: &EnclaveEndpoint) -> anyhow::Result<EnclaveClient> {
    let hint = ENCLAVE_HINT;
    let mut client = match endpoint {
        EnclaveEndpoint::Unix(path) => {
            if !path.exists() {
                bail!("the enclave's socket {} does not exist: {hint}", path.display());
            }
            EnclaveClient::connect_unix(path).await
        }
        EnclaveEndpoint::Tls { address, .. } => EnclaveClient::connect_tls(address, tls_config(endpoint)?).await,
    }
    .with_context(|| format!("cannot reach the enclave at {endpoint}: {hint}"))?;
    let leaders = client
        .list_leaders()
        .await
        .with_context(|| format!("the enclave at {endpoint} refused: {hint}"))?;
    if leaders.is_empty() {
        tracing::warn!(%endpoint, "the enclave holds no leaders yet (slotforge-enclave keys import); the node will forge once it does");
    }
    Ok(client)
}

fn tls_config(endpoint: &EnclaveEndpoint) -> anyhow::Result<tonic::transport::ClientTlsConfig> {
    let EnclaveEndpoint::Tls {
        address,
        ca_cert,
        client_cert,
        client_key,
        server_name,
    } = endpoint
    else {
        bail!("{endpoint} is not a TLS endpoint");
    };
    let host = server_name
        .clone()
        .unwrap_or_else(|| address.rsplit_once(':').map_or(address.clone(), |(h, _)| h.to_string()));
    slotforge_enclave_api::tls::client_config(ca_cert, client_cert, client_key, &host)
        .context("loading the enclave client's TLS files")
}

/// Connects to the enclaves: one must answer now; the others (failover enclaves sharing its
/// sign guard) may be down and are connected when first needed.
pub(super) async fn connect_enclave(endpoints: &[EnclaveEndpoint]) -> anyhow::Result<GrpcEnclave> {
    let mut clients = Vec::new();
    let mut errors = Vec::new();
    for endpoint in endpoints {
        let client = match connect_one(endpoint).await {
            Ok(c) => c,
            Err(e) if endpoints.len() == 1 => return Err(e),
            Err(e) => {
                tracing::warn!(%endpoint, error = %format!("{e:#}"), "enclave not reachable now; it is tried when needed");
                errors.push(e);
                match endpoint {
                    EnclaveEndpoint::Unix(path) => EnclaveClient::lazy_unix(path)?,
                    EnclaveEndpoint::Tls { address, .. } => EnclaveClient::lazy_tls(address, tls_config(endpoint)?)?,
                }
            }
        };
        clients.push((endpoint.to_string(), client));
    }
    // The node starts when at least one enclave answers; the others are tried when needed.
    if errors.len() == endpoints.len() {
        return Err(errors.swap_remove(0).context("none of the configured enclaves answers"));
    }
    Ok(GrpcEnclave::with_failover(clients))
}
