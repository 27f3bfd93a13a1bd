//! `node.toml` as written: its sections and keys as serde reads them (unknown keys are
//! refused), before paths are resolved and values checked.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) name: Option<String>,
    pub(super) data_dir: PathBuf,
    pub(super) genesis: RawGenesis,
    pub(super) network: RawNetwork,
    pub(super) rest: RawRest,
    #[serde(default)]
    pub(super) local: Option<RawLocal>,
    #[serde(default)]
    pub(super) enclave: Option<RawEnclave>,
    #[serde(default)]
    pub(super) leadership: RawLeadership,
    #[serde(default)]
    pub(super) devnet: Option<RawDevnet>,
}

/// `[genesis]`: the genesis files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGenesis {
    pub(super) shelley: PathBuf,
    #[serde(default)]
    pub(super) alonzo: Option<PathBuf>,
    #[serde(default)]
    pub(super) conway: Option<PathBuf>,
    /// BFT: the genesis delegates' verification key files, in genDelegs order.
    #[serde(default)]
    pub(super) bft_delegate_vkeys: Option<Vec<PathBuf>>,
}

/// `[network]`: node-to-node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNetwork {
    pub(super) listen: SocketAddr,
    #[serde(default)]
    pub(super) peers: Vec<String>,
    #[serde(default)]
    pub(super) topology: Option<PathBuf>,
    #[serde(default)]
    pub(super) allow_non_loopback: bool,
    #[serde(default)]
    pub(super) max_backoff_ms: Option<u64>,
    #[serde(default)]
    pub(super) max_inbound: Option<usize>,
    #[serde(default)]
    pub(super) max_inbound_per_address: Option<usize>,
}

/// `[rest]`: the REST API and dashboard.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRest {
    pub(super) listen: SocketAddr,
    #[serde(default)]
    pub(super) allow_non_loopback: bool,
    #[serde(default)]
    pub(super) cors_origins: Vec<String>,
}

/// `[local]`: the node-to-client socket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLocal {
    pub(super) socket: PathBuf,
    #[serde(default)]
    pub(super) group: Option<RawGroup>,
    #[serde(default)]
    pub(super) max_clients: Option<usize>,
}

/// A group, by name or by number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawGroup {
    Id(u32),
    Name(String),
}

/// `[enclave]`: a block producer's enclaves.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnclave {
    #[serde(default)]
    pub(super) unix_socket: OneOrMany<PathBuf>,
    #[serde(default)]
    pub(super) tcp: OneOrMany<String>,
    #[serde(default)]
    pub(super) ca_cert: Option<PathBuf>,
    #[serde(default)]
    pub(super) client_cert: Option<PathBuf>,
    #[serde(default)]
    pub(super) client_key: Option<PathBuf>,
    #[serde(default)]
    pub(super) server_name: Option<String>,
}

/// A key that takes one value or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany::Many(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    pub(super) fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// `[leadership]`: forging's timing and the slot log's retention.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLeadership {
    #[serde(default)]
    pub(super) forge_without_peers: bool,
    #[serde(default)]
    pub(super) lead_time_ms: Option<i64>,
    #[serde(default)]
    pub(super) max_late_ms: Option<i64>,
    #[serde(default)]
    pub(super) retention_epochs: Option<u64>,
    #[serde(default)]
    pub(super) kes_warning_hours: Option<u64>,
}

/// `[devnet]`: the devnet this node belongs to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDevnet {
    /// The devnet's `devnet.json`, which the overview page lists the nodes from.
    pub(super) file: PathBuf,
}
