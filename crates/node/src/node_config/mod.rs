//! `node.toml`: where a node keeps its state, its genesis, whom it talks to, where it serves
//! REST, and — for a block producer — how it reaches its enclave. Relative paths are resolved
//! against the configuration file's directory. [`raw`] is the file as written; this file
//! checks it into a [`NodeConfig`]; [`template`] is what `slotforge node init` writes.

mod raw;
mod template;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use slotforge_leadership::config::LeadershipConfig;
use slotforge_network::stages::local_socket::LocalSocketConfig;

use raw::RawConfig;
pub use template::write_template;

/// Why a configuration cannot be used; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum NodeConfigError {
    #[error("cannot read the node configuration {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{} already exists; remove it or choose another path", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// How the node reaches its enclave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnclaveEndpoint {
    Unix(PathBuf),
    Tls {
        address: String,
        ca_cert: PathBuf,
        client_cert: PathBuf,
        client_key: PathBuf,
        server_name: Option<String>,
    },
}

impl std::fmt::Display for EnclaveEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnclaveEndpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            EnclaveEndpoint::Tls { address, .. } => write!(f, "https://{address} (mutual TLS)"),
        }
    }
}

/// A validated node configuration with absolute paths.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub path: PathBuf,
    /// A name for logs and the dashboard (default: the configuration file's stem).
    pub name: String,
    pub data_dir: PathBuf,
    pub shelley_genesis: PathBuf,
    pub alonzo_genesis: Option<PathBuf>,
    pub conway_genesis: Option<PathBuf>,
    pub bft_delegate_vkeys: Option<Vec<PathBuf>>,
    pub listen: SocketAddr,
    /// Peers as `host:port`, from `peers` and the topology file.
    pub peers: Vec<String>,
    pub topology: Option<PathBuf>,
    pub max_backoff: Option<Duration>,
    /// Inbound node-to-node connections served at once (None: the network's default).
    pub max_inbound: Option<usize>,
    /// Inbound node-to-node connections served at once from one IP address.
    pub max_inbound_per_address: Option<usize>,
    pub rest_listen: SocketAddr,
    /// Origins (`http://host:port`) whose pages may read the REST API; none: same-origin only.
    pub rest_cors_origins: Vec<String>,
    /// The node-to-client socket, when configured.
    pub local: Option<LocalSocketConfig>,
    /// None: a relay (no forging).
    /// The enclaves to sign with, in order of preference (several share one sign guard and
    /// serve as each other's failover); None runs a relay.
    pub enclave: Option<Vec<EnclaveEndpoint>>,
    /// Forge without waiting to catch up with a peer: the only producer at genesis.
    pub forge_without_peers: bool,
    pub leadership: LeadershipConfig,
    /// The `devnet.json` of the devnet this node belongs to.
    pub devnet: Option<PathBuf>,
    /// A leader whose operational certificate expires within this is warned about (the
    /// dashboard, `/api/v1/node`); 7 days by default.
    pub kes_warning: Duration,
}

impl NodeConfig {
    pub fn chain_db(&self) -> PathBuf {
        self.data_dir.join("chain.db")
    }

    pub fn slot_log(&self) -> PathBuf {
        self.data_dir.join("slots.db")
    }

    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Self, NodeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| NodeConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates `text`, read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, NodeConfigError> {
        let invalid = |message: String| NodeConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let base = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        for (what, addr, allowed) in [
            ("[network] listen", raw.network.listen, raw.network.allow_non_loopback),
            ("[rest] listen", raw.rest.listen, raw.rest.allow_non_loopback),
        ] {
            if !addr.ip().is_loopback() && !allowed {
                return Err(invalid(format!(
                    "{what} = {addr} is not a loopback address; set allow_non_loopback = true in that section to serve beyond this machine"
                )));
            }
        }
        for p in &raw.network.peers {
            parse_host_port(p).map_err(|e| invalid(format!("[network] peers: {e}")))?;
        }
        for o in &raw.rest.cors_origins {
            let host = o.strip_prefix("http://").or_else(|| o.strip_prefix("https://"));
            if !host.is_some_and(|h| !h.is_empty() && !h.contains('/') && !h.contains(char::is_whitespace)) {
                return Err(invalid(format!(
                    "[rest] cors_origins: {o:?} is not an origin; write scheme, host and port, as \"http://127.0.0.1:8091\""
                )));
            }
        }
        let enclave = raw
            .enclave
            .map(|e| {
                let mut endpoints: Vec<EnclaveEndpoint> = e
                    .unix_socket
                    .into_vec()
                    .iter()
                    .map(|s| EnclaveEndpoint::Unix(resolve(s)))
                    .collect();
                let tcp = e.tcp.into_vec();
                if !tcp.is_empty() {
                    let need = |f: &Option<PathBuf>, name: &str| {
                        f.as_deref()
                            .map(&resolve)
                            .ok_or_else(|| invalid(format!("[enclave] tcp needs {name} (mutual TLS)")))
                    };
                    let (ca_cert, client_cert, client_key) = (
                        need(&e.ca_cert, "ca_cert")?,
                        need(&e.client_cert, "client_cert")?,
                        need(&e.client_key, "client_key")?,
                    );
                    for address in tcp {
                        parse_host_port(&address).map_err(|e| invalid(format!("[enclave] tcp: {e}")))?;
                        endpoints.push(EnclaveEndpoint::Tls {
                            address,
                            ca_cert: ca_cert.clone(),
                            client_cert: client_cert.clone(),
                            client_key: client_key.clone(),
                            server_name: e.server_name.clone(),
                        });
                    }
                }
                if endpoints.is_empty() {
                    return Err(invalid(
                        "[enclave]: set unix_socket or tcp (or remove the section to run a relay)".into(),
                    ));
                }
                Ok(endpoints)
            })
            .transpose()?;
        let mut leadership = LeadershipConfig {
            retention_epochs: Some(raw.leadership.retention_epochs.unwrap_or(10)),
            ..LeadershipConfig::default()
        };
        if let Some(ms) = raw.leadership.lead_time_ms {
            if !(0..=10_000).contains(&ms) {
                return Err(invalid(format!("[leadership] lead_time_ms = {ms}: must be 0 to 10000")));
            }
            leadership.lead_time_ms = ms;
        }
        if let Some(ms) = raw.leadership.max_late_ms {
            if !(0..=60_000).contains(&ms) {
                return Err(invalid(format!("[leadership] max_late_ms = {ms}: must be 0 to 60000")));
            }
            leadership.max_late_ms = ms;
        }
        let local =
            match raw.local {
                None => None,
                Some(l) => Some(LocalSocketConfig {
                    path: resolve(&l.socket),
                    group: match l.group {
                        None => None,
                        Some(raw::RawGroup::Id(gid)) => Some(gid),
                        Some(raw::RawGroup::Name(name)) => Some(group_id(&name).ok_or_else(|| {
                            invalid(format!("[local] group = {name:?}: no such group on this machine"))
                        })?),
                    },
                    max_clients: match l.max_clients {
                        None => DEFAULT_MAX_LOCAL_CLIENTS,
                        Some(0) => {
                            return Err(invalid(
                                "[local] max_clients = 0: at least one client must be served".into(),
                            ))
                        }
                        Some(n) => n,
                    },
                }),
            };
        let name = raw.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "node".into())
        });
        Ok(NodeConfig {
            path: path.to_path_buf(),
            name,
            data_dir: resolve(&raw.data_dir),
            shelley_genesis: resolve(&raw.genesis.shelley),
            alonzo_genesis: raw.genesis.alonzo.as_deref().map(resolve),
            conway_genesis: raw.genesis.conway.as_deref().map(resolve),
            bft_delegate_vkeys: raw
                .genesis
                .bft_delegate_vkeys
                .map(|v| v.iter().map(|p| resolve(p)).collect()),
            listen: raw.network.listen,
            peers: raw.network.peers,
            topology: raw.network.topology.as_deref().map(resolve),
            max_backoff: raw.network.max_backoff_ms.map(Duration::from_millis),
            max_inbound: raw.network.max_inbound,
            max_inbound_per_address: raw.network.max_inbound_per_address,
            rest_listen: raw.rest.listen,
            rest_cors_origins: raw.rest.cors_origins,
            local,
            enclave,
            forge_without_peers: raw.leadership.forge_without_peers,
            leadership,
            devnet: raw.devnet.map(|d| resolve(&d.file)),
            kes_warning: Duration::from_secs(raw.leadership.kes_warning_hours.unwrap_or(168).saturating_mul(3600)),
        })
    }
}

/// Local clients served at once unless `[local] max_clients` says otherwise.
pub const DEFAULT_MAX_LOCAL_CLIENTS: usize = 64;

/// A group's id by its name.
fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam reads the group database into a static record, read here at once;
    // nothing else in slotforge reads the group database.
    let g = unsafe { libc::getgrnam(c.as_ptr()) };
    if g.is_null() {
        return None;
    }
    // SAFETY: not null, so it points to a group record.
    Some(unsafe { (*g).gr_gid })
}

/// Splits `host:port`.
pub fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("{s:?} is not host:port"))?;
    let port = port
        .parse()
        .map_err(|_| format!("{s:?}: {port:?} is not a port number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{s:?} has no host"));
    }
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::template::template;
    use super::*;

    #[test]
    fn the_template_is_a_valid_relay_configuration() {
        let c = NodeConfig::parse(&template("genesis/shelley.json"), Path::new("/x/node.toml")).unwrap();
        assert_eq!(c.enclave, None);
        assert_eq!(c.shelley_genesis, Path::new("/x/genesis/shelley.json"));
        assert_eq!(c.data_dir, Path::new("/x/node-data"));
        assert_eq!(c.name, "node");
        assert!(!c.forge_without_peers);
    }

    #[test]
    fn several_enclaves_are_listed_sockets_first() {
        let text = format!(
            "{}\n[enclave]\nunix_socket = [\"a.sock\", \"/run/b.sock\"]\ntcp = [\"10.0.0.2:7300\"]\nca_cert = \"ca.pem\"\nclient_cert = \"c.pem\"\nclient_key = \"c.key\"\n",
            template("g.json")
        );
        let c = NodeConfig::parse(&text, Path::new("/x/node.toml")).unwrap();
        let names: Vec<String> = c.enclave.unwrap().iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "unix:/x/a.sock",
                "unix:/run/b.sock",
                "https://10.0.0.2:7300 (mutual TLS)"
            ]
        );
        let one = format!("{}\n[enclave]\nunix_socket = \"a.sock\"\n", template("g.json"));
        assert_eq!(
            NodeConfig::parse(&one, Path::new("/x/node.toml"))
                .unwrap()
                .enclave
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let base = template("g.json");
        let cases = [
            (base.replace("127.0.0.1:3001", "0.0.0.0:3001"), "allow_non_loopback"),
            (base.replace("peers = []", "peers = [\"nohost\"]"), "not host:port"),
            (base.replace("data_dir", "data_dri"), "unknown field"),
            (format!("{base}\n[enclave]\n"), "set unix_socket or tcp"),
            (format!("{base}\n[enclave]\ntcp = \"127.0.0.1:1\"\n"), "needs ca_cert"),
            (
                base.replace("# lead_time_ms = 100", "lead_time_ms = -1"),
                "lead_time_ms",
            ),
        ];
        for (text, needle) in cases {
            let e = NodeConfig::parse(&text, Path::new("node.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{e:?} should mention {needle:?}");
            assert!(e.contains("node.toml"), "{e:?} should name the file");
        }
    }
}
