//! A block producer with two enclaves that share a sign guard on a real PostgreSQL server:
//! the enclave it signs through is SIGKILLed mid-epoch, and the next slots are forged through
//! the other one — the failed request is retried there, so no slot is missed.
//!
//! Built from a one-pool devnet: its enclave's SQLite history is moved into PostgreSQL with
//! `slotforge-enclave history move`, a second enclave gets a copy of the pool's keys, and the
//! node's `[enclave]` lists both sockets.

mod live_devnet;
#[path = "../../enclave/tests/common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use live_devnet::{eventually, get, LiveDevnet};
use serde_json::Value;

const LONE_POOL: &[&str] = &[
    "--pools",
    "1",
    "--slot-length",
    "0.1",
    "--epoch-length",
    "200",
    "--f",
    "1/2",
];

fn enclave_binary() -> PathBuf {
    Path::new(live_devnet::BIN).with_file_name("slotforge-enclave")
}

fn enclave_cli(args: &[&str]) -> String {
    let out = Command::new(enclave_binary()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// SIGKILLed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signatures(audit: &Path) -> usize {
    std::fs::read_to_string(audit)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"outcome\":\"signed\""))
        .count()
}

/// Every leader slot in the node's log.
fn schedule(rest: &str) -> Vec<Value> {
    get(&format!("{rest}/api/v1/leadership/schedule?limit=1000"))["entries"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_node_fails_over_to_the_second_enclave_without_missing_a_slot() {
    live_devnet::ensure_enclave_binary();
    let pg = pg::PgServer::start();
    let url = pg.create_database("guard");
    let mut devnet = LiveDevnet::up(LONE_POOL);
    let (ok, _, err) = devnet.cmd("down", &[]);
    assert!(ok, "{err}");
    let node = devnet.nodes()[0].clone();

    // Enclave A: the devnet's, its history moved into PostgreSQL.
    let a_cfg = PathBuf::from(node["enclave"]["config"].as_str().unwrap());
    let a_dir = a_cfg.parent().unwrap().to_path_buf();
    let guard = format!("\n[guard]\nbackend = \"postgres\"\nurl = \"{url}\"\n");
    let text = std::fs::read_to_string(&a_cfg).unwrap() + &guard;
    std::fs::write(&a_cfg, &text).unwrap();
    let moved = enclave_cli(&[
        "history",
        "move",
        "--new-history",
        "-c",
        a_cfg.to_str().unwrap(),
        "--from",
        a_dir.join("data/guard.db").to_str().unwrap(),
    ]);
    assert!(moved.starts_with("moved "), "{moved}");

    // Enclave B: the same configuration in its own directory, with a copy of the keys.
    let b_dir = a_dir.with_file_name("enclave-b");
    std::fs::create_dir_all(b_dir.join("data")).unwrap();
    let copied = Command::new("cp")
        .args([
            "-a",
            a_dir.join("data/leaders").to_str().unwrap(),
            b_dir.join("data").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(copied.success());
    let b_cfg = b_dir.join("enclave.toml");
    std::fs::write(&b_cfg, &text).unwrap();
    let b_log = std::fs::File::create(b_dir.join("enclave.log")).unwrap();
    let _b = Running(
        Command::new(enclave_binary())
            .args(["serve", "-c", b_cfg.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(b_log)
            .spawn()
            .unwrap(),
    );
    let b_socket = b_dir.join("enclave.sock");
    eventually(Duration::from_secs(20), "enclave B listens", || {
        b_socket.exists().then_some(())
    });

    // The node lists A, then B.
    let node_cfg = PathBuf::from(node["node"]["config"].as_str().unwrap());
    let a_socket = node["enclave_socket"].as_str().unwrap().to_string();
    let line = format!("unix_socket = {a_socket:?}");
    let text = std::fs::read_to_string(&node_cfg).unwrap();
    assert!(text.contains(&line), "{text}");
    std::fs::write(
        &node_cfg,
        text.replace(&line, &format!("unix_socket = [{a_socket:?}, {b_socket:?}]")),
    )
    .unwrap();

    let (ok, _, err) = devnet.cmd("up", &["--detach"]);
    assert!(ok, "{err}\n{}", devnet.logs_tail());
    devnet.reload();
    let rest = devnet.rest(0);
    let (a_audit, b_audit) = (a_dir.join("data/audit.jsonl"), b_dir.join("data/audit.jsonl"));
    let before = signatures(&a_audit);
    eventually(Duration::from_secs(30), "the node forges through enclave A", || {
        (signatures(&a_audit) >= before + 3).then_some(())
    });
    assert_eq!(signatures(&b_audit), 0, "B is only the failover");

    let killed_at = devnet.current_slot();
    let (ok, _, err) = devnet.cmd("kill", &["enclave-1"]);
    assert!(ok, "{err}");
    // Half an epoch on B alone.
    let until = killed_at + 100;
    eventually(Duration::from_secs(60), "half an epoch passes", || {
        (devnet.current_slot() > until + 5).then_some(())
    });
    let after: Vec<Value> = schedule(&rest)
        .into_iter()
        .filter(|e| (killed_at..=until).contains(&e["slot"].as_u64().unwrap()))
        .collect();
    assert!(after.len() >= 20, "{} leader slots after the kill", after.len());
    let missed: Vec<(u64, &str)> = after
        .iter()
        .filter(|e| e["status"] == "missed")
        .map(|e| (e["slot"].as_u64().unwrap(), e["reason"].as_str().unwrap_or("")))
        .collect();
    assert!(missed.is_empty(), "slots missed after enclave A died: {missed:?}");
    assert!(
        after
            .iter()
            .all(|e| ["adopted", "immutable", "orphaned"].contains(&e["status"].as_str().unwrap())),
        "{after:?}"
    );
    assert!(
        signatures(&b_audit) >= after.len() - 2,
        "enclave B signed the slots after the kill ({} signatures, {} slots)",
        signatures(&b_audit),
        after.len()
    );
    let node_log = std::fs::read_to_string(node["node"]["log"].as_str().unwrap()).unwrap();
    assert!(
        node_log.contains("failed over to enclave"),
        "the node says it failed over"
    );
    let (ok, _, err) = devnet.cmd("down", &[]);
    assert!(ok, "{err}");
}
