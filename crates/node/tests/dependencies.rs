//! What the crates link, read from Cargo's own resolution of the normal (non-dev) dependency
//! graph: the `slotforge` node binary links the enclave's client API, never the enclave itself
//! (its signer, sign guard and key store), so a node cannot hold a leader's keys; and the
//! ledger is pure, linking nothing that does I/O.

use std::process::Command;

fn normal_dependencies(package: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "--locked",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--package",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn names(tree: &str) -> Vec<&str> {
    tree.lines().filter_map(|l| l.split_whitespace().next()).collect()
}

#[test]
fn the_node_links_the_enclave_api_and_not_the_enclave() {
    let node = normal_dependencies("slotforge");
    let node = names(&node);
    assert!(node.contains(&"slotforge-enclave-api"), "{node:?}");
    assert!(node.contains(&"slotforge-leadership"), "{node:?}");
    assert!(
        !node.contains(&"slotforge-enclave"),
        "the node binary links the enclave: {node:?}"
    );
    // The API itself holds no signer, guard or store: no SQLite, no PostgreSQL client.
    let api = normal_dependencies("slotforge-enclave-api");
    let api = names(&api);
    for forbidden in ["slotforge-enclave", "rusqlite", "postgres", "libsqlite3-sys"] {
        assert!(
            !api.contains(&forbidden),
            "slotforge-enclave-api depends on {forbidden}"
        );
    }
}

/// Crates that do I/O (network, files through a database, async runtimes, logging output),
/// and the workspace crates above the ledger.
const IO_CRATES: [&str; 16] = [
    "tokio",
    "mio",
    "socket2",
    "rusqlite",
    "libsqlite3-sys",
    "postgres",
    "tokio-postgres",
    "tonic",
    "hyper",
    "axum",
    "tracing-subscriber",
    "slotforge-chain",
    "slotforge-network",
    "slotforge-enclave",
    "slotforge-enclave-api",
    "slotforge-leadership",
];

#[test]
fn the_ledger_links_nothing_with_io() {
    let ledger = normal_dependencies("slotforge-ledger");
    let ledger = names(&ledger);
    assert!(ledger.contains(&"slotforge-praos"), "{ledger:?}");
    for forbidden in IO_CRATES {
        assert!(
            !ledger.contains(&forbidden),
            "slotforge-ledger depends on {forbidden}, which does I/O or sits above it"
        );
    }
    // The chain, which does I/O, gets its rules from the ledger.
    let chain = normal_dependencies("slotforge-chain");
    assert!(names(&chain).contains(&"slotforge-ledger"));
}
