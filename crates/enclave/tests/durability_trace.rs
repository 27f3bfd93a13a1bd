//! Durability proven from the system calls, not assumed: the real enclave binary runs under
//! strace, and for every signature the trace must show, between the request arriving on the
//! socket and the reply leaving it, the sign guard's record reaching stable storage (an fsync
//! of its SQLite files that returned) — and, for a signature made with a freshly evolved KES
//! key, the key file fsynced and its directory fsynced after the rename. (SIGKILL leaves the
//! page cache intact, so a crash test alone cannot tell whether anything was synced.)

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::*;

/// One event of the trace, in the order strace observed them.
#[derive(Debug)]
enum Event {
    /// A read-class call on a socket whose data contain a marker.
    Received(String),
    /// A write-class call on a socket whose data contain a marker (logged at its entry).
    Sent(String),
    /// An fsync/fdatasync that returned 0, with the path of its file descriptor.
    Synced(String),
}

const READS: [&str; 4] = ["read", "readv", "recvfrom", "recvmsg"];
const WRITES: [&str; 4] = ["write", "writev", "sendto", "sendmsg"];

/// The syscall name and the text after "pid " of a strace line.
fn call(line: &str) -> Option<(u32, &str)> {
    let (pid, rest) = line.split_once(' ')?;
    Some((pid.parse().ok()?, rest.trim_start()))
}

/// The path strace -yy prints for the first argument: `fsync(7</a/b>)` → "/a/b" (with -xx
/// every byte is printed as `\xHH`).
fn fd_path(args: &str) -> Option<String> {
    let start = args.find('<')? + 1;
    let end = args[start..].find('>')? + start;
    let escaped = &args[start..end];
    let bytes: Option<Vec<u8>> = escaped
        .split("\\x")
        .skip(1)
        .map(|h| u8::from_str_radix(h, 16).ok())
        .collect();
    match bytes {
        Some(b) if escaped.starts_with("\\x") => Some(String::from_utf8_lossy(&b).into_owned()),
        _ => Some(escaped.to_string()),
    }
}

fn parse(trace: &str, markers: &[String]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut pending_sync: HashMap<u32, String> = HashMap::new();
    for line in trace.lines() {
        let Some((pid, rest)) = call(line) else { continue };
        if let Some(resumed) = rest.strip_prefix("<... ") {
            let name = resumed.split_whitespace().next().unwrap_or("");
            if (name == "fsync" || name == "fdatasync") && resumed.trim_end().ends_with("= 0") {
                if let Some(path) = pending_sync.remove(&pid) {
                    events.push(Event::Synced(path));
                }
            }
            continue;
        }
        let name = rest.split('(').next().unwrap_or("");
        let on_socket = rest.contains("<UNIX-STREAM:") || rest.contains("<TCP");
        if name == "fsync" || name == "fdatasync" {
            let path = fd_path(rest).unwrap_or_default();
            if rest.contains("<unfinished ...>") {
                pending_sync.insert(pid, path);
            } else if rest.trim_end().ends_with("= 0") {
                events.push(Event::Synced(path));
            }
        } else if on_socket && (READS.contains(&name) || WRITES.contains(&name)) {
            for m in markers.iter().filter(|m| rest.contains(m.as_str())) {
                events.push(if READS.contains(&name) {
                    Event::Received(m.clone())
                } else {
                    Event::Sent(m.clone())
                });
            }
        }
    }
    events
}

/// The events strictly between the request carrying `marker` and its reply.
fn between<'a>(events: &'a [Event], marker: &str) -> &'a [Event] {
    let r = events
        .iter()
        .position(|e| matches!(e, Event::Received(m) if m == marker))
        .unwrap_or_else(|| panic!("the request {marker} is not in the trace"));
    let w = events[r..]
        .iter()
        .position(|e| matches!(e, Event::Sent(m) if m == marker))
        .unwrap_or_else(|| panic!("the reply to {marker} is not in the trace"))
        + r;
    &events[r + 1..w]
}

fn synced<'a>(events: &'a [Event], what: impl Fn(&str) -> bool + 'a) -> impl Iterator<Item = usize> + 'a {
    events
        .iter()
        .enumerate()
        .filter_map(move |(i, e)| matches!(e, Event::Synced(p) if what(p)).then_some(i))
}

#[test]
fn every_signature_leaves_only_after_its_guard_record_and_its_evolved_kes_key_are_on_disk() {
    assert!(
        Command::new("strace")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "strace is not installed: run scripts/test.sh, which installs it"
    );
    let mut e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    let trace = e.path("trace.txt");
    let trace_arg = trace.to_str().unwrap().to_string();
    e.start_under(
        true,
        &[
            "strace",
            "-f",
            "-qq",
            "-yy",
            "-xx",
            "-s",
            "65536",
            "-o",
            &trace_arg,
            "-e",
            "trace=fsync,fdatasync,read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg",
        ],
    );
    // Three signatures: two in the opcert's first KES period, one in the next (its key is
    // evolved, saved and synced before that signature leaves).
    let period = |slot: u64| slot / SLOTS_PER_KES_PERIOD;
    let tags: Vec<u8> = vec![0xa1, 0xa2, 0xa3];
    let evolved_tag = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut c = e.unix_client().await;
        let id = c.identity("pool").await.unwrap();
        let first_period = 7; // the sample opcert's start
        let mut stream = c.schedule("pool", &praos_epoch(0), 700..1000).await.unwrap();
        let mut won = Vec::new();
        while let Some(s) = stream.next().await {
            won.push(s.unwrap());
        }
        let same: Vec<_> = won.iter().filter(|s| period(s.slot) == first_period).take(2).collect();
        let next = won.iter().find(|s| period(s.slot) == first_period + 1).unwrap();
        for (s, tag) in same.iter().chain([&next]).zip(&tags) {
            c.sign_block("pool", body_for(&id, s, *tag).to_cbor()).await.unwrap();
        }
        tags[2]
    });
    // Stop the enclave itself (strace's child) with SIGTERM; strace then exits with it and
    // the trace is complete.
    let mut tracer = e.child.take().expect("strace runs");
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", tracer.id())).unwrap();
    let enclave: i32 = children
        .split_whitespace()
        .next()
        .expect("the enclave runs")
        .parse()
        .unwrap();
    // SAFETY: signalling our own grandchild.
    unsafe { libc::kill(enclave, libc::SIGTERM) };
    tracer.wait().unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    // A body's block hash is 32 bytes of its tag: in the request and again in the reply.
    let marker = |tag: u8| format!("\\x{tag:02x}").repeat(32);
    let markers: Vec<String> = tags.iter().map(|t| marker(*t)).collect();
    let events = parse(&text, &markers);
    let data = e.path("data");
    let data = data.to_str().unwrap();
    for tag in &tags {
        let window = between(&events, &marker(*tag));
        let guard = synced(window, |p| p.starts_with(data) && p.contains("guard.db")).count();
        assert!(
            guard > 0,
            "signature {tag:#x}: no sign-guard fsync before the reply: {window:?}"
        );
        if *tag == evolved_tag {
            let key = synced(window, |p| p.starts_with(data) && p.ends_with("/kes.key.tmp"))
                .next()
                .unwrap_or_else(|| panic!("no fsync of the evolved KES key before the reply: {window:?}"));
            let key_dir = synced(window, |p| p.starts_with(data) && Path::new(p).join("kes.key").exists()).last();
            assert!(
                key_dir.is_some_and(|d| d > key),
                "the KES key's directory was not fsynced after the key file: {window:?}"
            );
        }
    }
}
