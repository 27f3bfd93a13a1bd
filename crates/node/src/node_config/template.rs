//! The commented configuration `slotforge node init` writes: a relay on loopback, with every
//! optional key shown and explained.

use std::path::Path;

use super::NodeConfigError;

/// A commented configuration to start from (`slotforge node init`).
pub fn template(shelley_genesis: &str) -> String {
    format!(
        r#"# slotforge node configuration. Relative paths are resolved against this file's folder.

# A name for logs and the dashboard (default: this file's name).
# name = "pool-1"

# The block store (chain.db) and the slot log (slots.db) live here.
data_dir = "node-data"

[genesis]
# cardano-node's genesis files (cardano-cli's or `slotforge devnet`'s).
shelley = "{shelley_genesis}"
# alonzo = "alonzo-genesis.json"
# conway = "conway-genesis.json"
# A BFT chain: the genesis delegates' verification keys, in genDelegs order.
# bft_delegate_vkeys = ["delegate-0.vkey", "delegate-1.vkey"]

[network]
# Node-to-node (Ouroboros mini-protocols). Loopback unless allow_non_loopback = true.
listen = "127.0.0.1:3001"
# Peers to connect to, as host:port, and/or a cardano-node topology.json.
peers = []
# topology = "topology.json"
# allow_non_loopback = false
# Inbound connections served at once, in all and from one IP address.
# max_inbound = 64
# max_inbound_per_address = 8

[rest]
# The REST API, the dashboard (/) and the metrics (/metrics).
listen = "127.0.0.1:8090"
# allow_non_loopback = false
# Origins whose pages may read this API (CORS); without them, only pages this node serves.
# cors_origins = ["http://127.0.0.1:8091"]

# The node-to-client socket for local tools (cardano-cli, oura, Ogmios, `slotforge leaderlog
# --socket`): mode 0600, or 0660 for the group named.
# [local]
# socket = "node.socket"
# group = "cardano"
# max_clients = 64

# A block producer names its enclave; without this section the node is a relay.
# Several enclaves that share one PostgreSQL sign guard can be listed (unix_socket = [..],
# tcp = [..]; sockets first, then addresses): a request an enclave cannot serve goes,
# unchanged, to the next one.
# [enclave]
# unix_socket = "enclave.sock"
# or mutual TLS (certificates from `slotforge-enclave tls init`):
# tcp = "127.0.0.1:7100"
# ca_cert = "tls/ca.pem"
# client_cert = "tls/client.pem"
# client_key = "tls/client.key"
# server_name = "localhost"

[leadership]
# Forge before any peer has been caught up with: only for the sole producer at genesis.
forge_without_peers = false
# The dashboard warns about a leader whose operational certificate (KES key) expires within
# this many hours.
# kes_warning_hours = 168
# How long before a slot to wake, and how late a block may still be forged (ms).
# lead_time_ms = 100
# max_late_ms = 500
# Epochs of slot log kept.
# retention_epochs = 10
"#
    )
}

/// Writes the template to `path`, refusing to overwrite.
pub fn write_template(path: &Path, shelley_genesis: &str) -> Result<(), NodeConfigError> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => NodeConfigError::Exists(path.to_path_buf()),
            _ => NodeConfigError::Write {
                path: path.to_path_buf(),
                source,
            },
        })?;
    f.write_all(template(shelley_genesis).as_bytes())
        .map_err(|source| NodeConfigError::Write {
            path: path.to_path_buf(),
            source,
        })
}
