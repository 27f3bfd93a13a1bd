//! A devnet of real processes for tests: `slotforge devnet up --detach` in a temporary
//! folder, its REST APIs read over plain HTTP, and `devnet down` (also on drop, so a failed
//! test leaves no process behind).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_slotforge");

/// Builds `slotforge-enclave` beside `slotforge` when a test run has not (cargo builds only
/// this package's binaries for its tests).
pub fn ensure_enclave_binary() {
    let dir = Path::new(BIN).parent().unwrap();
    if dir.join("slotforge-enclave").exists() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let profile_release = dir.ends_with("release");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "slotforge-enclave", "--bin", "slotforge-enclave"]);
    if profile_release {
        cmd.arg("--release");
    }
    assert!(cmd.status().unwrap().success(), "building slotforge-enclave");
}

/// Runs `slotforge args…`; returns (success, stdout, stderr).
pub fn slotforge(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub struct LiveDevnet {
    pub dir: tempfile::TempDir,
    pub desc: Value,
}

impl LiveDevnet {
    /// `devnet up --detach` with `args`.
    pub fn up(args: &[&str]) -> LiveDevnet {
        ensure_enclave_binary();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_string();
        let mut all = vec!["devnet", "up", "--detach", "--dir", &d];
        all.extend_from_slice(args);
        let (ok, out, err) = slotforge(&all);
        assert!(ok, "devnet up failed:\n{out}\n{err}");
        let desc = serde_json::from_slice(&std::fs::read(dir.path().join("devnet.json")).unwrap()).unwrap();
        LiveDevnet { dir, desc }
    }

    pub fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// `slotforge devnet CMD --dir DIR args…`.
    pub fn cmd(&self, cmd: &str, args: &[&str]) -> (bool, String, String) {
        let mut all = vec!["devnet", cmd, "--dir", self.path()];
        all.extend_from_slice(args);
        slotforge(&all)
    }

    pub fn reload(&mut self) {
        self.desc = serde_json::from_slice(&std::fs::read(self.dir.path().join("devnet.json")).unwrap()).unwrap();
    }

    pub fn nodes(&self) -> Vec<Value> {
        self.desc["nodes"].as_array().unwrap().clone()
    }

    pub fn rest(&self, i: usize) -> String {
        self.desc["nodes"][i]["rest"].as_str().unwrap().to_string()
    }

    pub fn slot_ms(&self) -> u64 {
        self.desc["slot_length_ms"].as_u64().unwrap()
    }

    pub fn epoch_length(&self) -> u64 {
        self.desc["epoch_length"].as_u64().unwrap()
    }

    /// The current slot by the wall clock.
    pub fn current_slot(&self) -> u64 {
        let start = chrono::DateTime::parse_from_rfc3339(self.desc["system_start"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        let now = chrono::Utc::now().timestamp_millis();
        ((now - start).max(0) as u64) / self.slot_ms()
    }

    pub fn current_epoch(&self) -> u64 {
        self.current_slot() / self.epoch_length()
    }

    /// Sleeps until `epoch` has begun plus `slots` slots.
    pub fn wait_for_epoch(&self, epoch: u64, slots: u64) {
        let target = epoch * self.epoch_length() + slots;
        while self.current_slot() < target {
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Every log of the devnet, for a failure's message.
    pub fn logs_tail(&self) -> String {
        let mut out = String::new();
        for n in self.nodes() {
            for key in ["node", "enclave"] {
                let log = PathBuf::from(n[key]["log"].as_str().unwrap());
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                out += &format!(
                    "--- {}\n{}\n",
                    log.display(),
                    lines[lines.len().saturating_sub(15)..].join("\n")
                );
            }
        }
        out
    }
}

impl Drop for LiveDevnet {
    fn drop(&mut self) {
        let _ = self.cmd("down", &[]);
    }
}

/// One HTTP/1.1 exchange on loopback: (status, body).
pub fn http(method: &str, url: &str, content_type: Option<&str>, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        req += &format!("Content-Type: {ct}\r\n");
    }
    req += "\r\n";
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut body = buf[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap().trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 4 + n..];
    }
    out
}

/// The first event (or comment) of a server-sent event stream at `url`.
pub fn first_event(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n").as_bytes())
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "{url}: the stream ended");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        assert!(
            head.to_ascii_lowercase().contains("content-type: text/event-stream"),
            "{url}: {head}"
        );
        // Skip the chunk-size line of chunked encoding, then wait for a complete event.
        let events: String = body
            .lines()
            .filter(|l| !l.chars().all(|c| c.is_ascii_hexdigit()) || l.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if let Some((event, _)) = events.trim_start().split_once("\n\n") {
            return event.to_string();
        }
    }
}

/// GET `url` as JSON; panics unless 200.
pub fn get(url: &str) -> Value {
    let (status, body) = http("GET", url, None, &[]).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(status, 200, "GET {url}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// Polls `f` until it returns Some, or panics after `within` with `what`.
pub fn eventually<T>(within: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs `f` with pallas-network's node-to-client client connected to a node's local socket
/// (the client the ecosystem's pallas-based tools use against cardano-node).
pub fn node_to_client<T>(
    socket: &str,
    magic: u64,
    f: impl AsyncFnOnce(&mut pallas_network::facades::NodeClient) -> T,
) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = pallas_network::facades::NodeClient::connect(socket, magic)
            .await
            .unwrap_or_else(|e| panic!("connecting to {socket}: {e}"));
        let out = f(&mut c).await;
        c.abort().await;
        out
    })
}

/// The Conway protocol parameters a node's local socket answers with.
pub fn local_pparams(
    socket: &str,
    magic: u64,
) -> pallas_network::miniprotocols::localstate::queries_v16::ProtocolParam {
    use pallas_network::miniprotocols::localstate::queries_v16 as q;
    node_to_client(socket, magic, async |c| {
        let sq = c.statequery();
        sq.acquire(None).await.unwrap();
        q::get_current_pparams(sq, 6).await.unwrap()
    })
}
