//! What the `slotforge` node binary links: the enclave's client API, never the enclave itself
//! (its signer, sign guard and key store), so a node cannot hold a leader's keys. Read from
//! Cargo's own resolution of the normal (non-dev) dependency graph.

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
