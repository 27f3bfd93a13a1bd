//! The enclave's TOML configuration: where its state lives, how it listens, and the chain's
//! KES parameters. Relative paths are resolved against the configuration file's directory.
//!
//! This module reads and validates a file; `init_template` writes the commented file
//! `slotforge-enclave init` starts from ([`template`], [`write_template`]).

mod init_template;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::authorization::Authorization;
use crate::clock::DEFAULT_FUTURE_TOLERANCE_MS;
use crate::sign_guard::PostgresGuardConfig;

pub use self::init_template::{template, write_template};

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The configuration file.
        path: PathBuf,
        /// The parser's explanation.
        message: String,
    },
    /// The settings parse but cannot be used together (or at all).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `init` would overwrite an existing file.
    #[error("{} already exists; remove it or choose another path", .0.display())]
    Exists(PathBuf),
    /// The template cannot be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why it cannot be written.
        source: std::io::Error,
    },
}

/// The configuration as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: PathBuf,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    shelley_genesis: Option<PathBuf>,
    #[serde(default)]
    future_slot_tolerance_ms: Option<u64>,
    #[serde(default = "default_slots_per_kes_period")]
    slots_per_kes_period: u64,
    #[serde(default = "default_max_kes_evolutions")]
    max_kes_evolutions: u64,
    #[serde(default)]
    unix_socket: Option<PathBuf>,
    #[serde(default)]
    tcp: Option<RawTcp>,
    #[serde(default)]
    metrics: Option<RawMetrics>,
    #[serde(default)]
    guard: Option<RawGuard>,
    #[serde(default)]
    client: Vec<RawClient>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    subject: String,
    leaders: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuard {
    #[serde(default = "default_backend")]
    backend: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    ca_cert: Option<PathBuf>,
    #[serde(default)]
    pool_size: Option<usize>,
    #[serde(default)]
    connect_timeout_ms: Option<u64>,
    #[serde(default)]
    statement_timeout_ms: Option<u64>,
}

fn default_backend() -> String {
    "sqlite".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTcp {
    listen: SocketAddr,
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    #[serde(default)]
    allow_non_loopback: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: SocketAddr,
    #[serde(default)]
    allow_non_loopback: bool,
}

fn default_slots_per_kes_period() -> u64 {
    129_600
}

fn default_max_kes_evolutions() -> u64 {
    62
}

/// Mutual-TLS listener settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConfig {
    /// The address to listen on (loopback unless `allow_non_loopback` was set).
    pub listen: SocketAddr,
    /// Only clients whose certificate chains to this CA are served.
    pub ca_cert: PathBuf,
    /// The server's certificate (PEM).
    pub server_cert: PathBuf,
    /// The server certificate's private key (PEM).
    pub server_key: PathBuf,
}

/// Where the sign guard keeps the signing history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardBackend {
    /// `data_dir/guard.db`, for this enclave alone.
    Sqlite,
    /// A PostgreSQL database that several enclaves share.
    Postgres(PostgresGuardConfig),
}

/// Where the enclave learns the network's slot timing, for its own clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// A public network preset: mainnet, preprod or preview.
    Network(String),
    /// A Shelley genesis file (systemStart, slotLength, epochLength): a chain whose slot 0 is
    /// its first Shelley slot, such as a devnet. Read when the enclave starts.
    ShelleyGenesis(PathBuf),
}

impl TimeSource {
    /// The era history the enclave's clock reads.
    pub fn era_history(&self) -> Result<slotforge_praos::time::EraHistory, String> {
        use slotforge_praos::time::{ConsensusGenesis, NetworkPreset};
        match self {
            TimeSource::Network(n) => NetworkPreset::by_name(n).map(|p| p.history).map_err(|e| e.to_string()),
            TimeSource::ShelleyGenesis(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                ConsensusGenesis::from_json(&text)
                    .and_then(|g| g.era_history())
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

/// A validated configuration with absolute paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// Where the enclave keeps its state: guard database, audit log, leaders' keys.
    pub data_dir: PathBuf,
    /// The network's slot timing: the enclave signs no slot that has not come on its clock.
    pub time: TimeSource,
    /// How far ahead of the enclave's clock a slot may start and still be signed.
    pub future_slot_tolerance_ms: u64,
    /// Which client may use which leader.
    pub authorization: Authorization,
    /// The chain's KES period length in slots.
    pub slots_per_kes_period: u64,
    /// How many periods an operational certificate's KES key may be used.
    pub max_kes_evolutions: u64,
    /// The Unix socket for a node on the same host (mode 0600).
    pub unix_socket: Option<PathBuf>,
    /// The mutual-TLS listener for a node on another host.
    pub tcp: Option<TcpConfig>,
    /// Where Prometheus metrics are served; None (the default) serves none.
    pub metrics: Option<SocketAddr>,
    /// Where the sign guard keeps the signing history.
    pub guard: GuardBackend,
}

impl Config {
    /// Reads and validates the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates `text`, resolving relative paths against `path`'s directory.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let base = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        };
        let base = std::path::absolute(base).map_err(|e| invalid(format!("cannot resolve its directory: {e}")))?;
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
        if raw.slots_per_kes_period == 0 {
            return Err(invalid("slots_per_kes_period must be positive".into()));
        }
        if !(1..=64).contains(&raw.max_kes_evolutions) {
            return Err(invalid(format!(
                "max_kes_evolutions is {}; Sum6 KES allows 1 to 64",
                raw.max_kes_evolutions
            )));
        }
        let time = match (&raw.network, &raw.shelley_genesis) {
            (Some(n), None) => {
                slotforge_praos::time::NetworkPreset::by_name(n)
                    .map_err(|_| invalid(format!("network {n:?} is not one of mainnet, preprod, preview")))?;
                TimeSource::Network(n.clone())
            }
            (None, Some(g)) => TimeSource::ShelleyGenesis(resolve(g)),
            (Some(_), Some(_)) => return Err(invalid("set network or shelley_genesis, not both".into())),
            (None, None) => {
                return Err(invalid(
                    "the enclave needs the network's slot timing to keep its own clock: set network = \"mainnet\" \
                     (or preprod, preview), or shelley_genesis = \"path/to/shelley-genesis.json\""
                        .into(),
                ))
            }
        };
        let future_slot_tolerance_ms = raw.future_slot_tolerance_ms.unwrap_or(DEFAULT_FUTURE_TOLERANCE_MS);
        if future_slot_tolerance_ms > 600_000 {
            return Err(invalid(format!(
                "future_slot_tolerance_ms is {future_slot_tolerance_ms}; at most 600000 (10 minutes) is allowed"
            )));
        }
        let authorization = authorization(raw.client).map_err(invalid)?;
        if raw.unix_socket.is_none() && raw.tcp.is_none() {
            return Err(invalid(
                "no listener: set unix_socket, or a [tcp] section with mutual TLS".into(),
            ));
        }
        if let Some(t) = &raw.tcp {
            if !t.listen.ip().is_loopback() && !t.allow_non_loopback {
                return Err(invalid(format!(
                    "[tcp] listen = {} is not a loopback address; set allow_non_loopback = true to serve other hosts",
                    t.listen
                )));
            }
        }
        if let Some(m) = &raw.metrics {
            if !m.listen.ip().is_loopback() && !m.allow_non_loopback {
                return Err(invalid(format!(
                    "[metrics] listen = {} is not a loopback address; set allow_non_loopback = true to expose it",
                    m.listen
                )));
            }
        }
        let guard = match raw.guard {
            None => GuardBackend::Sqlite,
            Some(g) => guard_backend(g, path, &resolve).map_err(invalid)?,
        };
        Ok(Config {
            guard,
            path: path.to_path_buf(),
            data_dir: resolve(&raw.data_dir),
            time,
            future_slot_tolerance_ms,
            authorization,
            slots_per_kes_period: raw.slots_per_kes_period,
            max_kes_evolutions: raw.max_kes_evolutions,
            unix_socket: raw.unix_socket.as_deref().map(resolve),
            tcp: raw.tcp.map(|t| TcpConfig {
                listen: t.listen,
                ca_cert: resolve(&t.ca_cert),
                server_cert: resolve(&t.server_cert),
                server_key: resolve(&t.server_key),
            }),
            metrics: raw.metrics.map(|m| m.listen),
        })
    }

    /// The sign guard's database.
    pub fn guard_path(&self) -> PathBuf {
        self.data_dir.join("guard.db")
    }

    /// The audit log (JSON lines).
    pub fn audit_path(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }

    /// Where imported leaders' keys live, one directory each.
    pub fn leaders_dir(&self) -> PathBuf {
        self.data_dir.join("leaders")
    }

    /// The running enclave's process id, for `keys import` to ask it to reload.
    pub fn pid_path(&self) -> PathBuf {
        self.data_dir.join("enclave.pid")
    }
}

fn guard_backend(g: RawGuard, path: &Path, resolve: &dyn Fn(&Path) -> PathBuf) -> Result<GuardBackend, String> {
    match g.backend.as_str() {
        "sqlite" => {
            if g.url.is_some() || g.ca_cert.is_some() || g.pool_size.is_some() {
                return Err("[guard] url, ca_cert and pool_size are for backend = \"postgres\"".into());
            }
            Ok(GuardBackend::Sqlite)
        }
        "postgres" => {
            let url = g
                .url
                .ok_or("[guard] backend = \"postgres\" needs url (postgresql://user@host:5432/dbname)")?;
            let parsed: postgres::Config = url
                .parse()
                .map_err(|e| format!("[guard] url does not parse as a PostgreSQL connection string: {e}"))?;
            if parsed.get_password().is_some() {
                check_not_shared(path)?;
            }
            let mut pg = PostgresGuardConfig::new(url);
            pg.ca_cert = g.ca_cert.as_deref().map(resolve);
            if let Some(n) = g.pool_size {
                if !(1..=64).contains(&n) {
                    return Err(format!("[guard] pool_size is {n}; use 1 to 64"));
                }
                pg.pool_size = n;
            }
            for (value, field, name) in [
                (g.connect_timeout_ms, &mut pg.connect_timeout, "connect_timeout_ms"),
                (
                    g.statement_timeout_ms,
                    &mut pg.statement_timeout,
                    "statement_timeout_ms",
                ),
            ] {
                match value {
                    Some(0) => return Err(format!("[guard] {name} must be positive")),
                    Some(ms) => *field = std::time::Duration::from_millis(ms),
                    None => {}
                }
            }
            Ok(GuardBackend::Postgres(pg))
        }
        other => Err(format!("[guard] backend = {other:?}; use \"sqlite\" or \"postgres\"")),
    }
}

/// The `[[client]]` rules; none configured lets every admitted client use every leader.
fn authorization(clients: Vec<RawClient>) -> Result<Authorization, String> {
    if clients.is_empty() {
        return Ok(Authorization::allow_all());
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &clients {
        if c.subject.trim().is_empty() {
            return Err(
                "[[client]] subject is empty: use the certificate subject the audit log shows (\"CN=…\"), or \"unix\""
                    .into(),
            );
        }
        if !seen.insert(c.subject.as_str()) {
            return Err(format!("[[client]] subject {:?} is listed twice", c.subject));
        }
        if c.leaders.is_empty() {
            return Err(format!(
                "[[client]] {:?} has no leaders: list leader names, or \"*\" for all",
                c.subject
            ));
        }
    }
    Ok(Authorization::rules(
        clients.into_iter().map(|c| (c.subject, c.leaders)),
    ))
}

/// A configuration holding a database password must not be readable by group or others.
fn check_not_shared(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => Err(format!(
            "[guard] url holds a password but the file is readable by others (mode {:o}); run `chmod 600 {}`",
            m.permissions().mode() & 0o777,
            path.display()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_configs_are_explained() {
        let p = Path::new("/x/e.toml");
        let err = |t: &str| {
            // Every case but the one about the clock names a network.
            let t = if t.contains("network") || t.contains("genesis") || t.starts_with("data_dir = 1") {
                t.to_string()
            } else {
                format!("network = \"preview\"\n{t}")
            };
            Config::parse(&t, p).unwrap_err().to_string()
        };
        assert!(
            err("data_dir = \"d\"\nunix_socket = \"s\"\nshelley_genesis = \"g.json\"\nnetwork = \"mainnet\"")
                .contains("not both")
        );
        let no_clock = Config::parse("data_dir = \"d\"\nunix_socket = \"s\"", p)
            .unwrap_err()
            .to_string();
        assert!(
            no_clock.contains("own clock") && no_clock.contains("shelley_genesis"),
            "{no_clock}"
        );
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\nfuture_slot_tolerance_ms = 600001").contains("at most"));
        let client = |c: &str| format!("data_dir = \"d\"\nunix_socket = \"s\"\n{c}");
        assert!(err(&client("[[client]]\nsubject = \"\"\nleaders = [\"*\"]")).contains("subject is empty"));
        assert!(err(&client("[[client]]\nsubject = \"unix\"\nleaders = []")).contains("no leaders"));
        let twice = "[[client]]\nsubject = \"unix\"\nleaders = [\"a\"]\n";
        assert!(err(&client(&format!("{twice}{twice}"))).contains("twice"));
        let ok = Config::parse(&format!("shelley_genesis = \"g.json\"\n{}", client(twice)), p).unwrap();
        assert_eq!(ok.time, TimeSource::ShelleyGenesis("/x/g.json".into()));
        assert!(ok.authorization.allows("unix", "a") && !ok.authorization.allows("unix", "b"));
        assert!(err("data_dir = 1").contains("/x/e.toml"));
        assert!(err("data_dir = \"d\"").contains("no listener"));
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\nbogus = 1").contains("unknown field"));
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\nmax_kes_evolutions = 65").contains("1 to 64"));
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\nnetwork = \"moon\"").contains("moon"));
        let tcp = "data_dir = \"d\"\n[tcp]\nlisten = \"0.0.0.0:1\"\nca_cert = \"a\"\nserver_cert = \"b\"\nserver_key = \"c\"\n";
        assert!(err(tcp).contains("allow_non_loopback"));
        let ok = format!("{tcp}allow_non_loopback = true\n");
        assert!(Config::parse(&format!("network = \"preview\"\n{ok}"), p).is_ok());
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\n[metrics]\nlisten = \"10.0.0.1:9\"").contains("loopback"));
        let pg = "data_dir = \"d\"\nunix_socket = \"s\"\n[guard]\nbackend = \"postgres\"\n";
        assert!(err(pg).contains("needs url"));
        assert!(err(&format!("{pg}url = \"postgresql://h:notaport/db\"\n")).contains("does not parse"));
        assert!(err(&format!("{pg}url = \"postgresql://h/db\"\npool_size = 0\n")).contains("pool_size"));
        assert!(err("data_dir = \"d\"\nunix_socket = \"s\"\n[guard]\nbackend = \"mysql\"\n").contains("mysql"));
        let ok = Config::parse(
            &format!("network = \"preview\"\n{pg}url = \"postgresql://u@h:5433/db\"\nca_cert = \"ca.pem\"\n"),
            p,
        )
        .unwrap();
        let GuardBackend::Postgres(g) = ok.guard else {
            panic!("postgres expected")
        };
        assert_eq!((g.ca_cert.as_deref(), g.pool_size), (Some(Path::new("/x/ca.pem")), 4));
    }
}
