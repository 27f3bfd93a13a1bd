//! The devnet's processes: `slotforge-enclave serve` and `slotforge node run`, each in a process
//! group of its own (a Ctrl-C in the terminal reaches only `devnet up`, which stops them in
//! order), logging to a file beside its configuration.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::layout::{Process, ProcessKind};

/// The `slotforge-enclave` binary: beside this one, else on PATH.
pub fn enclave_binary() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("slotforge-enclave")));
    match beside {
        Some(p) if p.exists() => p,
        _ => PathBuf::from("slotforge-enclave"),
    }
}

fn slotforge_binary() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding the slotforge binary")
}

/// Runs a command to completion; its output goes into the error when it fails.
pub fn run_to_end(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot run {:?}", cmd.get_program()))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Starts `p` (a node or an enclave) detached from the terminal; returns its pid.
pub fn spawn(p: &Process, kind: ProcessKind) -> anyhow::Result<u32> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&p.log)
        .with_context(|| format!("opening the log {}", p.log.display()))?;
    let mut cmd = match kind {
        ProcessKind::Enclave => {
            let mut c = Command::new(enclave_binary());
            c.args(["serve", "--new-history", "--config"]).arg(&p.config);
            c
        }
        ProcessKind::Node => {
            let mut c = Command::new(slotforge_binary()?);
            c.args(["node", "run", "--config"]).arg(&p.config);
            c
        }
    };
    if std::env::var_os("SLOTFORGE_LOG").is_none() {
        cmd.env("SLOTFORGE_LOG", "info");
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {} ({:?})", p.name, cmd.get_program()))?;
    let pid = child.id();
    // Reaped by a thread of ours while we live; by init once we exit (detached devnets).
    std::thread::spawn(move || {
        let mut child = child;
        let _ = child.wait();
    });
    Ok(pid)
}

/// Whether the process `pid` exists and has not exited (a zombie has).
pub fn running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name in parentheses: "pid (comm) S ...".
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, Some("Z") | Some("X") | None)
}

/// Whether `pid` is a running slotforge process (not a recycled pid). Not for a process just
/// spawned: while it executes, its command line can read as empty ([`running`] is right then).
pub fn alive(pid: u32) -> bool {
    running(pid)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains("slotforge"))
            .unwrap_or(false)
}

/// Sends `signal` to `pid` if it is a live slotforge process.
pub fn signal(pid: u32, signal: i32) -> bool {
    // SAFETY: kill(2) has no memory effects; the pid was checked to be ours just before.
    alive(pid) && unsafe { libc::kill(pid as i32, signal) } == 0
}

/// SIGTERM, then SIGKILL after `grace`; waits until the process is gone.
pub fn stop(pid: u32, grace: Duration) -> bool {
    if !signal(pid, libc::SIGTERM) {
        return false;
    }
    let deadline = Instant::now() + grace;
    while alive(pid) {
        if Instant::now() > deadline {
            signal(pid, libc::SIGKILL);
            std::thread::sleep(Duration::from_millis(100));
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Waits until `path` exists (an enclave's socket) or the process exits.
pub fn wait_for_socket(path: &Path, pid: u32, log: &Path, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while !path.exists() {
        if !running(pid) {
            bail!("the enclave exited at start; see {}:\n{}", log.display(), tail(log, 20));
        }
        if Instant::now() > deadline {
            bail!(
                "the enclave's socket {} did not appear within {within:?}; see {}",
                path.display(),
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The last `n` lines of a log, for error messages.
pub fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Picks the devnet's listening ports outside the kernel's ephemeral range, so no outgoing
/// connection (the nodes dial each other) can take a port before its node binds it: each port
/// is checked free when picked, none is picked twice, and the search starts at a random place so
/// two devnets started together draw different ports.
pub struct PortPicker {
    range: std::ops::Range<u16>,
    next: u16,
    taken: std::collections::HashSet<u16>,
}

/// The lowest port a devnet listens on.
const LOWEST_PORT: u16 = 10_000;

impl PortPicker {
    /// A picker that never returns a port of `taken` (the devnet's ports already given).
    pub fn new(taken: impl IntoIterator<Item = u16>) -> anyhow::Result<Self> {
        let (low, high) = ephemeral_range();
        let range = if low > LOWEST_PORT + 1_000 {
            LOWEST_PORT..low
        } else if high < u16::MAX - 1_000 {
            high + 1..u16::MAX
        } else {
            bail!(
                "the kernel's ephemeral port range {low}-{high} leaves no room for a devnet's ports \
                 (see /proc/sys/net/ipv4/ip_local_port_range)"
            );
        };
        let mut seed = [0u8; 2];
        getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("drawing a random port: {e}"))?;
        let span = range.end - range.start;
        let next = range.start + u16::from_le_bytes(seed) % span;
        Ok(PortPicker {
            range,
            next,
            taken: taken.into_iter().collect(),
        })
    }

    /// The next port that is free on loopback now.
    pub fn pick(&mut self) -> anyhow::Result<u16> {
        let span = self.range.end - self.range.start;
        for _ in 0..span {
            let port = self.next;
            self.next = if self.next + 1 >= self.range.end {
                self.range.start
            } else {
                self.next + 1
            };
            if self.taken.contains(&port) || std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                continue;
            }
            self.taken.insert(port);
            return Ok(port);
        }
        bail!("no free loopback port in {}-{}", self.range.start, self.range.end - 1)
    }
}

/// The kernel's ephemeral port range (Linux's default where it cannot be read).
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            let mut it = t.split_whitespace().map(|n| n.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32_768, 60_999))
}
