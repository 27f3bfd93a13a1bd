//! `devnet.json`: everything about a devnet that a user or a test needs — each node's REST URL,
//! node-to-node address, enclave socket, processes and key files; the genesis; the funded keys.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The file's name in the devnet directory.
pub const FILE: &str = "devnet.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Devnet {
    pub dir: PathBuf,
    pub consensus: String,
    pub network_magic: u32,
    pub system_start: String,
    pub slot_length_ms: u64,
    pub epoch_length: u64,
    pub security_param: u64,
    pub active_slots_coeff: String,
    pub genesis: GenesisFiles,
    pub faucet: Funded,
    pub nodes: Vec<DevnetNode>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenesisFiles {
    pub shelley: PathBuf,
    pub alonzo: PathBuf,
    /// Absent in a devnet made before Conway's genesis was written.
    #[serde(default)]
    pub conway: Option<PathBuf>,
}

/// A key that holds funds, and its address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Funded {
    pub address: String,
    pub signing_key: PathBuf,
    pub verification_key: PathBuf,
}

/// One process of the devnet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Process {
    pub name: String,
    pub config: PathBuf,
    pub log: PathBuf,
    /// The last pid it was started with (it may have exited since).
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DevnetNode {
    pub name: String,
    pub rest: String,
    pub node_to_node: String,
    pub node: Process,
    pub enclave: Process,
    pub enclave_socket: PathBuf,
    /// The node's node-to-client socket (cardano-cli's `--socket-path`).
    pub socket: PathBuf,
    /// The pool's id (bech32), or the BFT delegate's key hash (hex).
    pub leader_id: String,
    pub keys: PoolKeys,
    /// The pool owner's funds (their stake is the pool's).
    pub owner: Funded,
    pub owner_stake_key: PathBuf,
}

/// The key files of a pool (Praos) or a BFT delegate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PoolKeys {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_skey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_vkey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_counter: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf_skey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrf_vkey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kes_skey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kes_vkey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bft_skey: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bft_vkey: Option<PathBuf>,
}

impl Devnet {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// The ports the devnet's nodes listen on (REST and node-to-node).
    pub fn ports(&self) -> Vec<u16> {
        let port = |addr: &str| {
            addr.rsplit_once(':')
                .and_then(|(_, p)| p.trim_end_matches('/').parse().ok())
        };
        self.nodes
            .iter()
            .flat_map(|n| [port(&n.rest), port(&n.node_to_node)])
            .flatten()
            .collect()
    }

    /// Reads `dir/devnet.json`.
    pub fn load(dir: &Path) -> anyhow::Result<Devnet> {
        let path = Self::path(dir);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "no devnet in {} (run `slotforge devnet up --dir {}` first)",
                dir.display(),
                dir.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a devnet description", path.display()))
    }

    /// Writes it atomically.
    pub fn save(&self) -> anyhow::Result<()> {
        let path = Self::path(&self.dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// A process by name: a node (`pool-N`) or an enclave (`enclave-N`).
    pub fn process(&self, name: &str) -> Option<&Process> {
        self.nodes
            .iter()
            .flat_map(|n| [&n.node, &n.enclave])
            .find(|p| p.name == name)
    }

    pub fn names(&self) -> Vec<String> {
        self.nodes
            .iter()
            .flat_map(|n| [n.node.name.clone(), n.enclave.name.clone()])
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessKind {
    Node,
    Enclave,
}
