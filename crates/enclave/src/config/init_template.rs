//! The commented configuration file `slotforge-enclave init` writes: every setting with what
//! it does, ready to edit.

use std::path::Path;

use super::ConfigError;

/// The commented configuration `slotforge-enclave init` writes.
pub fn template(data_dir: &str) -> String {
    format!(
        r#"# slotforge-enclave configuration.
# Relative paths are resolved against this file's directory.

# Where the enclave keeps its state: the sign guard database (guard.db), the audit log
# (audit.jsonl) and the imported leaders' keys (leaders/). Keep it on a local disk, mode 0700.
data_dir = "{data_dir}"

# The chain's KES parameters (mainnet, preprod and preview all use these values).
slots_per_kes_period = 129600
max_kes_evolutions = 62

# The network's slot timing, so the enclave keeps its own clock: it never signs a slot that
# starts more than future_slot_tolerance_ms after its clock says now, and never evolves a KES
# key past the period of its current slot. A public network (mainnet, preprod, preview), or a
# Shelley genesis file for another chain (read at start). Keep this host's clock on NTP.
network = "mainnet"
# shelley_genesis = "shelley-genesis.json"
# future_slot_tolerance_ms = 5000

# A Unix socket for a node on the same host. It is created with mode 0600.
unix_socket = "enclave.sock"

# TCP with mutual TLS, for a node on another host: only clients whose certificate chains to
# ca_cert are served. `slotforge-enclave tls init --out tls` makes a CA, a server and a client
# certificate for a quick start. Plaintext TCP is not offered.
# [tcp]
# listen = "127.0.0.1:7300"
# ca_cert = "tls/ca.pem"
# server_cert = "tls/server.pem"
# server_key = "tls/server.key"
# allow_non_loopback = false   # set to true to listen on a non-loopback address

# The sign guard keeps the signing history that stops a slot from being signed twice. By
# default it is data_dir/guard.db (SQLite), for this enclave alone. Several enclaves serving
# the same leaders (high availability) share one PostgreSQL database instead; each still keeps
# its own copy of the keys. The URL may carry a password only if this file is mode 0600.
# [guard]
# backend = "postgres"
# url = "postgresql://slotforge@db.example:5432/slotforge"
# ca_cert = "tls/postgres-ca.pem"   # require TLS and verify the server against this CA
# pool_size = 4                     # connections; requests for different leaders run in parallel
# connect_timeout_ms = 5000
# statement_timeout_ms = 10000      # also the longest wait for another enclave's lock

# Which client may use which leader. Without any [[client]] section every client the
# listeners admit (the Unix socket's, and any certificate from ca_cert) may use every leader.
# With them, a client is named by its certificate subject as the audit log shows it, or
# "unix"; anything else is refused (not_authorized) and audited. Read at start.
# [[client]]
# subject = "CN=slotforge-node"
# leaders = ["pool-a"]              # or ["*"] for all
# [[client]]
# subject = "unix"
# leaders = ["*"]

# Prometheus metrics (text format at /metrics). Off unless set; loopback only unless
# allow_non_loopback = true.
# [metrics]
# listen = "127.0.0.1:9300"
"#
    )
}

/// Writes the template to `path`, refusing to overwrite an existing file.
pub fn write_template(path: &Path, data_dir: &str) -> Result<(), ConfigError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => ConfigError::Exists(path.to_path_buf()),
            _ => ConfigError::Write {
                path: path.to_path_buf(),
                source,
            },
        })?;
    f.write_all(template(data_dir).as_bytes())
        .map_err(|source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::DEFAULT_FUTURE_TOLERANCE_MS;
    use crate::config::{Config, TimeSource};

    #[test]
    fn template_parses_and_paths_resolve() {
        let c = Config::parse(&template("state"), Path::new("/etc/slotforge/enclave.toml")).unwrap();
        assert_eq!(c.data_dir, Path::new("/etc/slotforge/state"));
        assert_eq!(c.unix_socket.as_deref(), Some(Path::new("/etc/slotforge/enclave.sock")));
        assert_eq!((c.slots_per_kes_period, c.max_kes_evolutions), (129_600, 62));
        assert!(c.tcp.is_none() && c.metrics.is_none());
        assert_eq!(c.time, TimeSource::Network("mainnet".into()));
        assert_eq!(c.future_slot_tolerance_ms, DEFAULT_FUTURE_TOLERANCE_MS);
        assert!(!c.authorization.is_restricted());
    }
}
