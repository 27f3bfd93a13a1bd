//! The static peers a node dials, from cardano-node's `topology.json`: the P2P format
//! (`localRoots` and `publicRoots`, each a list of groups of `accessPoints`) or the legacy one
//! (`Producers`). Ledger peers and peer sharing are not used: `useLedgerAfterSlot` is read and
//! ignored.

use serde::Deserialize;

/// A peer's address as the topology names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessPoint {
    /// A host name or an IP address (IPv6 without brackets).
    pub address: String,
    /// The TCP port.
    pub port: u16,
}

impl std::fmt::Display for AccessPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.address.contains(':') {
            write!(f, "[{}]:{}", self.address, self.port)
        } else {
            write!(f, "{}:{}", self.address, self.port)
        }
    }
}

/// Why a topology file was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// The file could not be read.
    #[error("cannot read the topology file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// The file is not in either topology format.
    #[error("the topology file {path} is not cardano-node's topology.json: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

#[derive(Deserialize)]
struct RawAccessPoint {
    address: String,
    port: u16,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawGroup {
    access_points: Vec<RawAccessPoint>,
}

#[derive(Deserialize)]
struct RawProducer {
    addr: String,
    port: u16,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTopology {
    #[serde(default)]
    local_roots: Vec<RawGroup>,
    #[serde(default)]
    public_roots: Vec<RawGroup>,
    #[serde(default, rename = "Producers")]
    producers: Vec<RawProducer>,
}

/// The access points of a topology, each once, in the file's order.
pub fn parse(json: &str, path: &str) -> Result<Vec<AccessPoint>, TopologyError> {
    let raw: RawTopology = serde_json::from_str(json).map_err(|e| TopologyError::Format {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    let mut out: Vec<AccessPoint> = Vec::new();
    let groups = raw.local_roots.into_iter().chain(raw.public_roots);
    let points = groups
        .flat_map(|g| g.access_points)
        .map(|a| (a.address, a.port))
        .chain(raw.producers.into_iter().map(|p| (p.addr, p.port)));
    for (address, port) in points {
        if address.trim().is_empty() || port == 0 {
            return Err(TopologyError::Format {
                path: path.to_string(),
                message: format!("an access point needs an address and a non-zero port, found {address:?}:{port}"),
            });
        }
        let p = AccessPoint { address, port };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Reads and parses a topology file.
pub fn load(path: &std::path::Path) -> Result<Vec<AccessPoint>, TopologyError> {
    let shown = path.display().to_string();
    let json = std::fs::read_to_string(path).map_err(|source| TopologyError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&json, &shown)
}

/// Writes a P2P topology with `peers` as one local-root group (for devnets).
pub fn to_json(peers: &[AccessPoint]) -> String {
    let points: Vec<serde_json::Value> = peers
        .iter()
        .map(|p| serde_json::json!({ "address": p.address, "port": p.port }))
        .collect();
    let doc = serde_json::json!({
        "localRoots": [{ "accessPoints": points, "advertise": false, "trustable": true, "valency": peers.len() }],
        "publicRoots": [],
        "useLedgerAfterSlot": -1
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_are_read_and_bad_points_explained() {
        let p2p = r#"{"bootstrapPeers": [], "localRoots": [{"accessPoints": [{"address": "127.0.0.1", "port": 3001},
            {"address": "::1", "port": 3002}], "advertise": false, "valency": 2}],
            "publicRoots": [{"accessPoints": [{"address": "127.0.0.1", "port": 3001}], "advertise": false}],
            "useLedgerAfterSlot": -1}"#;
        let got = parse(p2p, "t").unwrap();
        assert_eq!(got.len(), 2, "duplicates once");
        assert_eq!(got[0].to_string(), "127.0.0.1:3001");
        assert_eq!(got[1].to_string(), "[::1]:3002");
        let legacy = r#"{"Producers": [{"addr": "relay.example", "port": 3001, "valency": 1}]}"#;
        assert_eq!(parse(legacy, "t").unwrap()[0].address, "relay.example");
        assert_eq!(parse(&to_json(&got), "t").unwrap(), got, "what we write we read");
        for bad in [
            r#"{"localRoots": [{"accessPoints": [{"address": "", "port": 1}]}]}"#,
            r#"{"localRoots": [{"accessPoints": [{"address": "a", "port": 70000}]}]}"#,
            r#"{"localRoots": 3}"#,
            "not json",
        ] {
            let e = parse(bad, "topology.json").unwrap_err().to_string();
            assert!(e.contains("topology.json"), "{e}");
        }
    }
}
