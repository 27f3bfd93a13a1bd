//! A standard gRPC client no one here wrote — Python's grpcio, with stubs it generates from
//! the checked-in .proto — against the real enclave binary over its Unix socket.
//!
//! grpcio names an `unix:` channel's path as the HTTP/2 `:authority`. An absolute path is not
//! a valid authority, and the server's HTTP/2 layer resets such a stream before any handler
//! runs; a client sets `grpc.default_authority` (README, "slotforge-enclave"). Both are
//! checked, so the documented setting stays true.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use slotforge_enclave::client::EnclaveClient;

fn python() -> PathBuf {
    let tools = std::env::var_os("SLOTFORGE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/slotforge-tools"));
    let python = tools.join("py/bin/python");
    assert!(
        python.is_file(),
        "Python with grpcio is not installed at {}: run scripts/test.sh, which installs it",
        python.display()
    );
    python
}

fn grpcio(python: &PathBuf, stubs: &std::path::Path, socket: &std::path::Path, mode: &str) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/interop/grpcio-enclave.py");
    let out = Command::new(python)
        .arg(script)
        .arg(stubs)
        .arg(socket)
        .arg(mode)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn python_grpcio_reads_the_enclave_over_its_unix_socket_with_the_documented_authority() {
    let python = python();
    let stubs = tempfile::tempdir().unwrap();
    let proto = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../enclave-api/proto");
    let generated = Command::new(&python)
        .args(["-m", "grpc_tools.protoc"])
        .arg(format!("-I{}", proto.display()))
        .arg(format!("--python_out={}", stubs.path().display()))
        .arg(format!("--grpc_python_out={}", stubs.path().display()))
        .arg("slotforge/enclave/v1/enclave.proto")
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let mut e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    e.start(true);
    let socket = std::path::absolute(e.socket()).unwrap();
    let expected_pool_id = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut client = EnclaveClient::connect_unix(&socket).await.unwrap();
        hex::encode(client.identity("pool").await.unwrap().praos().unwrap().pool_id)
    });

    let v = grpcio(&python, stubs.path(), &socket, "default-authority");
    assert_eq!(v["leaders"], serde_json::json!(["pool"]), "{v}");
    assert_eq!(v["pool_id"], expected_pool_id.as_str(), "{v}");

    // The absolute path as :authority: reset by the HTTP/2 layer.
    let v = grpcio(&python, stubs.path(), &socket, "path-authority");
    assert_eq!(v["error"], "INTERNAL", "{v}");
    assert!(v["details"].as_str().unwrap().contains("RST_STREAM"), "{v}");
}
