//! Benchmarks the real `slotforge-enclave` process (release build) on loopback:
//!
//! 1. `SignBlock` latency, durable, over mutual TLS and over the Unix socket: p50/p90/p99/max
//!    of sequential requests, each for a new slot (so each is a fresh guard commit).
//! 2. `Schedule` streaming throughput for a full 432,000-slot epoch over mutual TLS, against
//!    the in-process evaluation `slotforge leaderlog` runs (parallel output-only scan), in the
//!    same run.
//! 3. The PostgreSQL sign guard (a throwaway local server): SignBlock latency over mutual TLS,
//!    and 64 clients racing for each slot over 2 enclaves, beside the SQLite guard's race
//!    throughput (`RACE_SLOTS` slots, default 200).
//!
//! Run with `scripts/bench-enclave.sh` (it builds the binary first). `SIGNS` sets the number
//! of signatures per transport (default 2000), `EPOCH_SLOTS` the epoch length of part 2
//! (default 432,000).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_enclave::client::EnclaveClient;
use slotforge_enclave::signer::{EpochParams, PraosIdentity, ScheduledSlot};
use slotforge_enclave::wire::{ScheduleConsensus, ScheduleParams};
use slotforge_praos::forge::{praos_header_body, BlockContent};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::Nonce;

#[path = "../tests/common/pg.rs"]
mod pg;

const SLOTS_PER_KES_PERIOD: u64 = 129_600;
/// The sample opcert starts at KES period 7.
const FIRST_SLOT: u64 = 7 * SLOTS_PER_KES_PERIOD;

fn enclave_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("slotforge-enclave")
}

fn forging(name: &str) -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
        .join("forging")
        .join(name)
}

fn check(out: std::process::Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn params(epoch_length: u64, f: (u64, u64), stake: (u64, u64)) -> ScheduleParams {
    ScheduleParams {
        epoch: 0,
        first_slot: FIRST_SLOT,
        epoch_length,
        consensus: ScheduleConsensus::Praos {
            variant: VrfVariant::Praos,
            nonce: Nonce::Hash([0x42; 32]),
            active_slot_coeff: f,
            pool_stake: stake.0,
            total_stake: stake.1,
            decentralisation: (0, 1),
        },
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn sign_latencies(c: &mut EnclaveClient, slots: &[ScheduledSlot]) -> Vec<Duration> {
    let id = c.identity("pool").await.unwrap();
    let p = id.praos().unwrap().clone();
    let mut out = Vec::with_capacity(slots.len());
    for s in slots {
        let body = body(&p, s, 1);
        let started = Instant::now();
        let signed = c.sign_block("pool", body).await.unwrap();
        out.push(started.elapsed());
        assert!(signed.fresh);
    }
    out.sort();
    out
}

fn report(name: &str, sorted: &[Duration]) {
    println!(
        "SignBlock {name:<14} n={} p50={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        sorted.len(),
        percentile(sorted, 0.50).as_secs_f64() * 1e3,
        percentile(sorted, 0.90).as_secs_f64() * 1e3,
        percentile(sorted, 0.99).as_secs_f64() * 1e3,
        sorted[sorted.len() - 1].as_secs_f64() * 1e3,
    );
}

/// An enclave in `dir` (TLS files, config, the sample pool imported, serving), with the
/// PostgreSQL guard at `guard_url` or the default SQLite one; returns it and its TLS address.
fn start_enclave(bin: &Path, dir: &Path, guard_url: Option<&str>) -> (Child, String) {
    let d = |p: &str| dir.join(p).to_str().unwrap().to_string();
    check(
        Command::new(bin)
            .args(["tls", "init", "--out", &d("tls")])
            .output()
            .unwrap(),
    );
    let guard = guard_url.map_or(String::new(), |url| {
        format!("[guard]\nbackend = \"postgres\"\nurl = \"{url}\"\n")
    });
    std::fs::write(
        dir.join("enclave.toml"),
        format!(
            "data_dir = \"data\"\nnetwork = \"mainnet\"\nunix_socket = \"enclave.sock\"\nslots_per_kes_period = {SLOTS_PER_KES_PERIOD}\n\
             [tcp]\nlisten = \"127.0.0.1:0\"\nca_cert = \"tls/ca.pem\"\nserver_cert = \"tls/server.pem\"\nserver_key = \"tls/server.key\"\n{guard}"
        ),
    )
    .unwrap();
    for f in ["vrf.skey", "kes.skey", "node.cert"] {
        std::fs::copy(forging(f), dir.join(f)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let cfg = d("enclave.toml");
    check(
        Command::new(bin)
            .args([
                "keys",
                "import",
                "-c",
                &cfg,
                "--name",
                "pool",
                "--vrf-skey",
                &d("vrf.skey"),
            ])
            .args(["--kes-skey", &d("kes.skey"), "--opcert", &d("node.cert")])
            .output()
            .unwrap(),
    );
    let mut child = Command::new(bin)
        .args(["serve", "-c", &cfg, "--new-history"])
        .env("SLOTFORGE_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let ready = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("slotforge-enclave: ready"))
        .expect("the enclave started");
    std::thread::spawn(move || for _ in lines {});
    let addr = ready
        .split("https://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    (child, addr)
}

async fn tls_client(dir: &Path, addr: &str) -> EnclaveClient {
    let tls = slotforge_enclave::tls::client_config(
        &dir.join("tls/ca.pem"),
        &dir.join("tls/client.pem"),
        &dir.join("tls/client.key"),
        "localhost",
    )
    .unwrap();
    EnclaveClient::connect_tls(addr, tls).await.unwrap()
}

/// `clients` concurrent clients spread over `enclaves` race for each of `slots` with different
/// bodies, as nodes sharing enclaves would: (requests answered per second, slots signed).
async fn race_throughput(enclaves: &[EnclaveClient], clients: usize, slots: &[ScheduledSlot]) -> (f64, usize) {
    let id = enclaves[0].clone().identity("pool").await.unwrap();
    let p = id.praos().unwrap().clone();
    let started = Instant::now();
    let mut signed = 0;
    for s in slots {
        let mut calls = Vec::with_capacity(clients);
        for i in 0..clients {
            let mut c = enclaves[i % enclaves.len()].clone();
            let body = body(&p, s, i as u8);
            calls.push(tokio::spawn(async move { c.sign_block("pool", body).await }));
        }
        for call in calls {
            signed += usize::from(call.await.unwrap().is_ok());
        }
    }
    ((slots.len() * clients) as f64 / started.elapsed().as_secs_f64(), signed)
}

fn body(p: &PraosIdentity, s: &ScheduledSlot, tag: u8) -> Vec<u8> {
    praos_header_body(
        &BlockContent {
            block_number: s.slot,
            slot: s.slot,
            prev_hash: Some([tag; 32]),
            block_body_size: 65_536,
            block_body_hash: [2; 32],
            protocol_version: (10, 0),
        },
        p.vrf_vkey,
        s.output.as_ref().unwrap(),
        s.proof.as_ref().unwrap(),
        &p.opcert,
    )
    .to_cbor()
}

async fn won_slots(c: &mut EnclaveClient, params: &ScheduleParams) -> Vec<ScheduledSlot> {
    let mut won = Vec::new();
    let mut stream = c.schedule("pool", params, 0..0).await.unwrap();
    while let Some(s) = stream.next().await {
        won.push(s.unwrap());
    }
    won
}

#[tokio::main]
async fn main() {
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let signs = env("SIGNS", 2000) as usize;
    let epoch_slots = env("EPOCH_SLOTS", 432_000);
    let bin = enclave_binary();
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --release -p slotforge-enclave`",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start_enclave(&bin, dir.path(), None);
    let mut over_tls = tls_client(dir.path(), &addr).await;
    let mut over_unix = EnclaveClient::connect_unix(&dir.path().join("enclave.sock"))
        .await
        .unwrap();
    println!(
        "machine: {} cores; enclave {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        bin.display()
    );

    // 1. SignBlock latency: every won slot at f = 1/2, σ = 1 is a fresh, durable signature.
    let many = params(4 * signs as u64 + 100, (1, 2), (1, 1));
    let won = won_slots(&mut over_tls, &many).await;
    assert!(won.len() >= 2 * signs, "{} won slots", won.len());
    let tls_latencies = sign_latencies(&mut over_tls, &won[..signs]).await;
    let unix_latencies = sign_latencies(&mut over_unix, &won[signs..2 * signs]).await;
    report("mutual TLS", &tls_latencies);
    report("Unix socket", &unix_latencies);

    // 2. Schedule throughput for a whole epoch, against the in-process evaluation.
    let epoch = params(epoch_slots, (1, 20), (1, 1000));
    let EpochParams::Praos(local) = epoch.to_epoch_params().unwrap() else {
        unreachable!()
    };
    let vrf = key_file::read_key_file(
        &forging("vrf.skey"),
        KeyKind::VrfSigning,
        key_file::parse_vrf_signing_key,
    )
    .unwrap();
    let mut streamed = Vec::new();
    let mut in_process = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut stream = over_tls.schedule("pool", &epoch, 0..0).await.unwrap();
        let mut n = 0;
        while let Some(s) = stream.next().await {
            s.unwrap();
            n += 1;
        }
        streamed.push((started.elapsed(), n));
        let started = Instant::now();
        let slots = local.slots();
        let chunks: Vec<std::ops::Range<u64>> = slots
            .clone()
            .step_by(4096)
            .map(|s| s..(s + 4096).min(slots.end))
            .collect();
        let m: usize = chunks.into_par_iter().map(|r| local.scan(&vrf, r).len()).sum();
        in_process.push((started.elapsed(), m));
    }
    assert!(streamed.iter().zip(&in_process).all(|(a, b)| a.1 == b.1), "same slots");
    streamed.sort();
    in_process.sort();
    let (s, p) = (streamed[1].0.as_secs_f64(), in_process[1].0.as_secs_f64());
    println!(
        "Schedule {epoch_slots} slots ({} won): streamed over mutual TLS {s:.2} s, in-process evaluation {p:.2} s, ratio {:.3} (medians of 3)",
        streamed[1].1,
        s / p
    );

    // 3. The shared PostgreSQL guard (a throwaway server on loopback, fsync on): SignBlock
    //    latency over mutual TLS, and the race throughput of 64 clients over 2 enclaves,
    //    beside the SQLite guard's (1 enclave) in the same run.
    let races = env("RACE_SLOTS", 200) as usize;
    let race = params(4 * (signs + races) as u64 + 100, (1, 2), (1, 1));
    let sqlite_won = won_slots(&mut over_tls, &race).await;
    let (sqlite_rate, sqlite_signed) =
        race_throughput(&[over_tls.clone()], 64, &sqlite_won[2 * signs..2 * signs + races]).await;
    let _ = child.kill();
    let _ = child.wait();
    let pg = pg::PgServer::start();
    let url = pg.create_database("bench");
    let (dirs, mut children, mut clients) = (
        [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()],
        Vec::new(),
        Vec::new(),
    );
    for (i, d) in dirs.iter().enumerate() {
        let (child, addr) = start_enclave(&bin, d.path(), Some(&url));
        children.push(child);
        let mut c = tls_client(d.path(), &addr).await;
        let w = won_slots(&mut c, &race).await;
        assert_eq!(w.len(), sqlite_won.len(), "enclave {i} schedules alike");
        clients.push(c);
    }
    let pg_latencies = sign_latencies(&mut clients[0], &sqlite_won[..signs]).await;
    report("mutual TLS, PostgreSQL guard", &pg_latencies);
    let (pg_rate, pg_signed) = race_throughput(&clients, 64, &sqlite_won[2 * signs..2 * signs + races]).await;
    println!(
        "race, 64 clients, {races} slots: SQLite guard (1 enclave) {sqlite_rate:.0} requests/s, {sqlite_signed} signed; \
         PostgreSQL guard (2 enclaves) {pg_rate:.0} requests/s, {pg_signed} signed; ratio {:.2}",
        pg_rate / sqlite_rate
    );
    assert_eq!(
        (sqlite_signed, pg_signed),
        (races, races),
        "exactly one body signed per slot"
    );
    for mut c in children {
        let _ = c.kill();
        let _ = c.wait();
    }
}
