//! A real `slotforge-enclave` process for tests: its own directory, configuration, TLS
//! certificates and the forging sample pool imported through the CLI.
#![allow(dead_code)]

pub mod pg;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use slotforge_enclave::client::EnclaveClient;
use slotforge_enclave::signer::{Identity, ScheduledSlot};
use slotforge_enclave::wire::{ScheduleConsensus, ScheduleParams};
use slotforge_praos::forge::{praos_header_body, BlockContent};
use slotforge_praos::header::HeaderBody;
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::Nonce;

pub const BIN: &str = env!("CARGO_BIN_EXE_slotforge-enclave");
/// Short KES periods so the sample opcert (start period 7) covers slots 700..6900.
pub const SLOTS_PER_KES_PERIOD: u64 = 100;
pub const NONCE: Nonce = Nonce::Hash([0x5a; 32]);

pub fn vectors() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
}

pub fn forging(name: &str) -> PathBuf {
    vectors().join("forging").join(name)
}

/// Epoch `e` of 1000 slots, the sample pool holding all stake at f = 1/2.
pub fn praos_epoch(e: u64) -> ScheduleParams {
    ScheduleParams {
        epoch: e,
        first_slot: e * 1000,
        epoch_length: 1000,
        consensus: ScheduleConsensus::Praos {
            variant: VrfVariant::Praos,
            nonce: NONCE,
            active_slot_coeff: (1, 2),
            pool_stake: 1,
            total_stake: 1,
            decentralisation: (0, 1),
        },
    }
}

/// The body a node builds for a scheduled slot; `tag` varies its content.
pub fn body_for(identity: &Identity, s: &ScheduledSlot, tag: u8) -> HeaderBody {
    let p = identity.praos().expect("a pool");
    praos_header_body(
        &BlockContent {
            block_number: s.slot / 10,
            slot: s.slot,
            prev_hash: Some([tag; 32]),
            block_body_size: 1000 + u64::from(tag),
            block_body_hash: [tag; 32],
            protocol_version: (10, 0),
        },
        p.vrf_vkey,
        s.output.as_ref().unwrap(),
        s.proof.as_ref().unwrap(),
        &p.opcert,
    )
}

pub struct Setup {
    pub tcp: bool,
    pub metrics: bool,
    pub import_pool: bool,
    pub slots_per_kes_period: u64,
    /// A PostgreSQL sign guard's URL; None keeps the default SQLite guard.
    pub guard_url: Option<String>,
    /// The enclave's clock: None is mainnet's (every test slot is long past); Some(s) is a
    /// chain of 1-second slots that started `s` seconds ago, so slot `s` is now.
    pub chain_started_s_ago: Option<u64>,
    /// Configuration appended at the end (`[[client]]` rules).
    pub extra_config: String,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            tcp: true,
            metrics: false,
            import_pool: true,
            slots_per_kes_period: SLOTS_PER_KES_PERIOD,
            guard_url: None,
            chain_started_s_ago: None,
            extra_config: String::new(),
        }
    }
}

/// One enclave's directory and, while started, its process.
pub struct TestEnclave {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub child: Option<Child>,
    pub tls_addr: Option<String>,
    pub metrics_addr: Option<String>,
    pub stderr: Option<mpsc::Receiver<String>>,
}

/// Runs the binary with `args`, returning its output.
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run slotforge-enclave")
}

impl TestEnclave {
    pub fn new(setup: Setup) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("enclave.toml");
        let mut text = format!(
            "data_dir = \"data\"\nunix_socket = \"enclave.sock\"\nslots_per_kes_period = {}\nmax_kes_evolutions = 62\n",
            setup.slots_per_kes_period
        );
        match setup.chain_started_s_ago {
            None => text += "network = \"mainnet\"\n",
            Some(s) => {
                let start = chrono::Utc::now() - chrono::Duration::seconds(s as i64);
                let genesis = serde_json::json!({
                    "systemStart": start.to_rfc3339(),
                    "slotLength": 1,
                    "epochLength": 1000,
                    "activeSlotsCoeff": 0.5,
                    "securityParam": 10,
                });
                std::fs::write(dir.path().join("genesis.json"), genesis.to_string()).unwrap();
                text += "shelley_genesis = \"genesis.json\"\n";
            }
        }
        if setup.tcp {
            let out = run(&["tls", "init", "--out", dir.path().join("tls").to_str().unwrap()]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            text += "[tcp]\nlisten = \"127.0.0.1:0\"\nca_cert = \"tls/ca.pem\"\nserver_cert = \"tls/server.pem\"\nserver_key = \"tls/server.key\"\n";
        }
        if setup.metrics {
            text += "[metrics]\nlisten = \"127.0.0.1:0\"\n";
        }
        if let Some(url) = &setup.guard_url {
            text += &format!("[guard]\nbackend = \"postgres\"\nurl = \"{url}\"\n");
        }
        text += &setup.extra_config;
        std::fs::write(&config, text).unwrap();
        let e = TestEnclave {
            dir,
            config,
            child: None,
            tls_addr: None,
            metrics_addr: None,
            stderr: None,
        };
        if setup.import_pool {
            e.import_sample_pool("pool");
        }
        e
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn socket(&self) -> PathBuf {
        self.path("enclave.sock")
    }

    /// Runs a subcommand against this enclave's configuration (`-c` is appended after it).
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-c", self.config.to_str().unwrap()]);
        run(&all)
    }

    pub fn import_sample_pool(&self, name: &str) {
        // Copies with mode 0600, as an operator keeps secret key files.
        let keys = self.path("keys");
        std::fs::create_dir_all(&keys).unwrap();
        for f in ["vrf.skey", "kes.skey", "node.cert"] {
            let to = keys.join(f);
            if !to.exists() {
                std::fs::copy(forging(f), &to).unwrap();
                set_mode(&to, 0o600);
            }
        }
        let k = |f: &str| keys.join(f).to_str().unwrap().to_string();
        let (vrf, kes, cert) = (k("vrf.skey"), k("kes.skey"), k("node.cert"));
        let out = self.cli(&[
            "keys",
            "import",
            "--name",
            name,
            "--vrf-skey",
            &vrf,
            "--kes-skey",
            &kes,
            "--opcert",
            &cert,
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts `serve` and waits for its ready line.
    pub fn start(&mut self, new_history: bool) {
        self.start_under(new_history, &[]);
    }

    /// Starts `serve` as the child of `wrapper` (like `strace … -o FILE`), which runs it.
    pub fn start_under(&mut self, new_history: bool, wrapper: &[&str]) {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        cmd.args(["serve", "-c", self.config.to_str().unwrap()]);
        if new_history {
            cmd.arg("--new-history");
        }
        let mut child = cmd
            .env("SLOTFORGE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        self.child = Some(child);
        let mut said = Vec::new();
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => l,
                Err(_) => {
                    let status = self.child.as_mut().unwrap().try_wait().unwrap();
                    panic!(
                        "the enclave did not become ready (exit: {status:?}): {}",
                        said.join("\n")
                    );
                }
            };
            said.push(line.clone());
            if let Some(rest) = line.strip_prefix("slotforge-enclave: ready") {
                self.tls_addr = field(rest, "https://");
                self.metrics_addr = field(rest, "http://");
                break;
            }
        }
        self.stderr = Some(rx);
    }

    /// Stops the process with SIGKILL (no chance to clean up).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the process with SIGTERM and returns its exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        c.wait().unwrap()
    }

    pub fn signal(&self, sig: i32) {
        let c = self.child.as_ref().expect("running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(c.id() as i32, sig) };
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub async fn unix_client(&self) -> EnclaveClient {
        EnclaveClient::connect_unix(&self.socket()).await.unwrap()
    }

    pub fn client_tls(&self, tls_dir: &Path) -> tonic::transport::ClientTlsConfig {
        slotforge_enclave::tls::client_config(
            &self.path("tls/ca.pem"),
            &tls_dir.join("client.pem"),
            &tls_dir.join("client.key"),
            "localhost",
        )
        .unwrap()
    }

    pub async fn tls_client(&self) -> EnclaveClient {
        let tls = self.client_tls(&self.path("tls"));
        EnclaveClient::connect_tls(self.tls_addr.as_deref().unwrap(), tls)
            .await
            .unwrap()
    }

    /// The signing history as exported by the CLI.
    pub fn history(&self) -> slotforge_enclave::sign_guard::Interchange {
        let out = self.cli(&["history", "export"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for TestEnclave {
    fn drop(&mut self) {
        self.kill();
    }
}

fn field(line: &str, scheme: &str) -> Option<String> {
    let start = line.find(scheme)? + scheme.len();
    let rest = &line[start..];
    let end = rest.find([' ', '/', ',']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Collects a whole schedule stream.
pub async fn schedule_all(
    client: &mut EnclaveClient,
    leader: &str,
    params: &ScheduleParams,
    slots: std::ops::Range<u64>,
) -> Vec<ScheduledSlot> {
    let mut stream = client.schedule(leader, params, slots).await.unwrap();
    let mut out = Vec::new();
    while let Some(s) = stream.next().await {
        out.push(s.unwrap());
    }
    out
}

/// A plain HTTP/1.1 GET, returning the whole response.
pub async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

/// xorshift64*: reproducible from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The seed in environment variable `name`, or one from the clock (printed by the caller so a
/// run can be replayed).
pub fn seed(name: &str) -> u64 {
    env_u64(name).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    })
}
