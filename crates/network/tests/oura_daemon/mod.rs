//! oura 2.2.1 as a process: `oura daemon` with a custom chain's configuration, following a
//! node over node-to-node or over its node-to-client socket, its stdout events collected as
//! JSON. Installed by
//! scripts/install-test-tools.sh into `$SLOTFORGE_TOOLS/cargo/bin`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::loopback::MAGIC;

pub fn oura_binary() -> PathBuf {
    let tools = std::env::var_os("SLOTFORGE_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/slotforge-tools"));
    let oura = tools.join("cargo/bin/oura");
    assert!(
        oura.is_file(),
        "oura is not installed at {}: run scripts/test.sh, which installs it",
        oura.display()
    );
    oura
}

/// oura's daemon configuration for a custom chain read from `source` (a `[source]` body).
fn config(source: &str, parse: bool) -> String {
    let zero = "0".repeat(64);
    let filters = if parse {
        "[[filters]]\ntype = \"ParseCbor\"\n\n"
    } else {
        ""
    };
    format!(
        r#"[source]
{source}

[intersect]
type = "Origin"

{filters}[chain]
type = "custom"
magic = {MAGIC}
network_id = 0
byron_epoch_length = 432000
byron_slot_length = 20
byron_known_slot = 0
byron_known_hash = "{zero}"
byron_known_time = 0
shelley_epoch_length = 432000
shelley_slot_length = 1
shelley_known_slot = 0
shelley_known_hash = "{zero}"
shelley_known_time = 0

[sink]
type = "Stdout"
"#
    )
}

/// oura running, its stdout collected line by line; killed when dropped.
pub struct Oura {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl Drop for Oura {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Oura {
    /// oura following the node at `port` over node-to-node; with `parse`, its ParseCbor filter
    /// parses blocks.
    pub fn start(port: u16, parse: bool) -> Oura {
        Self::with_source(&format!("type = \"N2N\"\npeers = [\"127.0.0.1:{port}\"]"), parse)
    }

    /// oura following the node whose node-to-client socket is `socket`.
    pub fn start_local(socket: &std::path::Path, parse: bool) -> Oura {
        Self::with_source(
            &format!("type = \"N2C\"\nsocket_path = {:?}", socket.display().to_string()),
            parse,
        )
    }

    fn with_source(source: &str, parse: bool) -> Oura {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("daemon.toml");
        std::fs::write(&cfg, config(source, parse)).unwrap();
        let mut child = Command::new(oura_binary())
            .args(["daemon", "--config"])
            .arg(&cfg)
            .current_dir(dir.path())
            .env("RUST_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("oura starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Oura {
            child,
            lines,
            _dir: dir,
        }
    }

    /// Every line so far as JSON (a line that is not JSON, which oura should not print, as a
    /// string).
    pub fn events(&self) -> Vec<Value> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| Value::String(l.clone())))
            .collect()
    }

    /// Whether the last line so far applies the block `hash` (hex): cheap enough to poll.
    pub fn last_applied(&self, hash: &str) -> bool {
        let lines = self.lines.lock().unwrap();
        lines
            .last()
            .is_some_and(|l| l.starts_with("{\"event\":\"apply\"") && l.contains(hash))
    }
}

/// The block hash of an oura event's point.
pub fn hash_of(point: &Value) -> Option<[u8; 32]> {
    hex::decode(point.get("hash")?.as_str()?).ok()?.try_into().ok()
}

/// The chain oura's events describe: each apply appends its block, each reset truncates to
/// its point (the origin: everything).
pub fn followed(events: &[Value]) -> Vec<[u8; 32]> {
    let mut chain: Vec<[u8; 32]> = Vec::new();
    for e in events {
        match e["event"].as_str() {
            Some("apply") => chain.push(hash_of(&e["point"]).expect("an apply names its block")),
            Some("reset") => match hash_of(&e["point"]) {
                None => chain.clear(),
                Some(h) => {
                    let keep = chain.iter().position(|x| *x == h).expect("a reset to a block oura has") + 1;
                    chain.truncate(keep);
                }
            },
            other => panic!("an unexpected line from oura ({other:?}): {e}"),
        }
    }
    chain
}
