//! `slotforge node`, `slotforge keys` and `slotforge devnet` given bad input: every mistake gets
//! a message naming the problem (and the file), exit code 1, no panic, and nothing is lost.
//! And a producer does not forge until it has caught up with a peer, unless it is configured to
//! forge alone.

mod live_devnet;

use std::path::Path;
use std::time::Duration;

use live_devnet::{eventually, get, http, slotforge, LiveDevnet};

/// A one-pool devnet, its pool forging alone from genesis.
const LONE_POOL: &[&str] = &[
    "--pools",
    "1",
    "--slot-length",
    "0.1",
    "--epoch-length",
    "100",
    "--f",
    "1/2",
];

fn fails_with(args: &[&str], needles: &[&str]) {
    let (ok, out, err) = slotforge(args);
    assert!(!ok, "{args:?} should fail:\n{out}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} should mention {n:?}");
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn node_init_writes_a_template_once_and_bad_configurations_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("node.toml");
    let c = cfg.to_str().unwrap();
    let (ok, _, err) = slotforge(&["node", "init", "--config", c]);
    assert!(ok, "{err}");
    let template = std::fs::read_to_string(&cfg).unwrap();
    fails_with(&["node", "init", "--config", c], &["already exists"]);
    assert_eq!(
        std::fs::read_to_string(&cfg).unwrap(),
        template,
        "init never overwrites"
    );

    // The template names a genesis that is not there.
    fails_with(&["node", "run", "--config", c], &["shelley-genesis.json", "node.toml"]);
    // Malformed TOML, an unknown key, a public address.
    write(&cfg, "data_dir = [");
    fails_with(&["node", "run", "--config", c], &["node.toml"]);
    write(&cfg, &template.replace("data_dir", "data_directory"));
    fails_with(&["node", "run", "--config", c], &["unknown field", "data_directory"]);
    write(&cfg, &template.replace("127.0.0.1:8090", "0.0.0.0:8090"));
    fails_with(
        &["node", "run", "--config", c],
        &["not a loopback address", "allow_non_loopback"],
    );
    fails_with(
        &["node", "run", "--config", "/nonexistent/node.toml"],
        &["/nonexistent/node.toml"],
    );
}

#[test]
fn key_commands_make_cardano_cli_files_and_explain_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (ok, out, err) = slotforge(&[
        "keys",
        "cold",
        "--cold-signing-key-file",
        &p("cold.skey"),
        "--cold-verification-key-file",
        &p("cold.vkey"),
        "--operational-certificate-issue-counter-file",
        &p("cold.counter"),
    ]);
    assert!(ok, "{err}");
    let pool_id = out.trim().to_string();
    assert!(pool_id.starts_with("pool1"), "{pool_id}");
    let (ok, out, _) = slotforge(&["keys", "pool-id", "--cold-vkey", &p("cold.vkey")]);
    assert!(ok);
    assert_eq!(out.lines().next(), Some(pool_id.as_str()));
    for (kind, name) in [
        ("kes", "kes"),
        ("vrf", "vrf"),
        ("payment", "pay"),
        ("stake", "stake"),
        ("bft-delegate", "del"),
    ] {
        let (ok, _, err) = slotforge(&[
            "keys",
            kind,
            "--signing-key-file",
            &p(&format!("{name}.skey")),
            "--verification-key-file",
            &p(&format!("{name}.vkey")),
        ]);
        assert!(ok, "{kind}: {err}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p(&format!("{name}.skey")))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{kind}: secret key files are 0600");
    }
    // The envelopes are cardano-cli's.
    let counter: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("cold.counter")).unwrap()).unwrap();
    assert_eq!(counter["type"], "NodeOperationalCertificateIssueCounter");
    assert_eq!(counter["description"], "Next certificate issue number: 0");
    let pay: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("pay.skey")).unwrap()).unwrap();
    assert_eq!(pay["type"], "PaymentSigningKeyShelley_ed25519");
    assert_eq!(pay["cborHex"].as_str().unwrap().len(), 68, "5820 + 32 bytes");

    // Two certificates from one counter: issue numbers 0 and 1.
    for (i, out) in ["a.cert", "b.cert"].iter().enumerate() {
        let (ok, stdout, err) = slotforge(&[
            "keys",
            "opcert",
            "--cold-skey",
            &p("cold.skey"),
            "--counter",
            &p("cold.counter"),
            "--kes-vkey",
            &p("kes.vkey"),
            "--kes-period",
            "3",
            "--out-file",
            &p(out),
        ]);
        assert!(ok, "{err}");
        assert!(stdout.contains(&format!("issue number {i}, KES period 3")), "{stdout}");
    }
    // The header verifier reads them as node certificates.
    let cert: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p("b.cert")).unwrap()).unwrap();
    assert_eq!(cert["type"], "NodeOperationalCertificate");

    // Mistakes.
    fails_with(
        &["keys", "pool-id", "--cold-vkey", &p("missing.vkey")],
        &["missing.vkey"],
    );
    fails_with(
        &["keys", "pool-id", "--cold-vkey", &p("pay.vkey")],
        &["pay.vkey", "StakePoolVerificationKey_ed25519"],
    );
    fails_with(
        &[
            "keys",
            "vrf",
            "--signing-key-file",
            &p("vrf.skey"),
            "--verification-key-file",
            &p("x.vkey"),
        ],
        &["vrf.skey", "already exists"],
    );
    fails_with(
        &[
            "keys",
            "opcert",
            "--cold-skey",
            &p("cold.skey"),
            "--counter",
            &p("kes.vkey"),
            "--kes-vkey",
            &p("kes.vkey"),
            "--kes-period",
            "0",
            "--out-file",
            &p("c.cert"),
        ],
        &["kes.vkey", "NodeOperationalCertificateIssueCounter"],
    );
    assert!(!Path::new(&p("c.cert")).exists(), "a failed opcert writes nothing");
    fails_with(
        &["keys", "address", "--payment-vkey", &p("pay.vkey")],
        &["--mainnet or --testnet-magic"],
    );
    let (ok, addr, _) = slotforge(&[
        "keys",
        "address",
        "--payment-vkey",
        &p("pay.vkey"),
        "--stake-vkey",
        &p("stake.vkey"),
        "--mainnet",
    ]);
    assert!(ok && addr.starts_with("addr1q"), "{addr}");
}

#[test]
fn a_producer_waits_for_its_peers_before_forging_unless_it_forges_alone() {
    // One pool forges alone at genesis (its configuration says so).
    let devnet = LiveDevnet::up(LONE_POOL);
    let rest = devnet.rest(0);
    eventually(Duration::from_secs(30), "the lone pool forges", || {
        get(&format!("{rest}/api/v1/tip"))["block_number"]
            .as_u64()
            .filter(|n| *n >= 2)
    });
    let (ok, _, err) = devnet.cmd("down", &[]);
    assert!(ok, "{err}");

    // The same node told to wait for a peer, whose only peer never answers: it serves its
    // API, says it is syncing, and neither starts leadership nor forges.
    let cfg = devnet.desc["nodes"][0]["node"]["config"].as_str().unwrap().to_string();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let dead_peer = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    write(
        Path::new(&cfg),
        &text
            .replace("forge_without_peers = true", "forge_without_peers = false")
            .replace("topology = \"topology.json\"", &format!("peers = [\"{dead_peer}\"]")),
    );
    let (ok, _, err) = devnet.cmd("up", &["--detach"]);
    assert!(ok, "{err}");
    let tip_before = get(&format!("{rest}/api/v1/tip"))["block_number"].clone();
    // Not a fixed sleep: wait until the node's own clock has passed 40 slots, of which the
    // pool (all the stake, f = 1/2) leads about half (none with probability 2^-40).
    let slot = |n: &serde_json::Value| n["sync"]["current_slot"].as_u64();
    let from = slot(&get(&format!("{rest}/api/v1/node"))).unwrap();
    let node = eventually(Duration::from_secs(60), "40 slots on the node's clock", || {
        let n = get(&format!("{rest}/api/v1/node"));
        (slot(&n)? >= from + 40).then_some(n)
    });
    assert_eq!(node["sync"]["state"], "syncing", "{node}");
    let (status, _) = http("GET", &format!("{rest}/api/v1/leadership/next"), None, &[]).unwrap();
    assert_eq!(status, 503, "leadership waits for a peer");
    assert_eq!(
        get(&format!("{rest}/api/v1/tip"))["block_number"],
        tip_before,
        "no block forged meanwhile"
    );
    // It resumed from its store: the chain it forged alone is still there.
    assert!(tip_before.as_u64().unwrap() >= 2);

    // A second node on the same ports is refused with the reason, and the first runs on.
    fails_with(&["node", "run", "--config", &cfg], &["is another node using that port"]);
    assert_eq!(get(&format!("{rest}/api/v1/node"))["node_name"], "pool-1");

    // An enclave socket where something else listens (it accepts and hangs up), and one that
    // is not there.
    let other = Path::new(&cfg).with_file_name("other.toml");
    let socket = devnet.dir.path().join("not-an-enclave.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            drop(c);
        }
    });
    let free = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string()
    };
    let base = std::fs::read_to_string(&cfg).unwrap();
    let rest_addr = rest.trim_start_matches("http://").to_string();
    let n2n = devnet.desc["nodes"][0]["node_to_node"].as_str().unwrap().to_string();
    let enclave_socket = devnet.desc["nodes"][0]["enclave_socket"].as_str().unwrap().to_string();
    let moved = base
        .replace(&rest_addr, &free(()))
        .replace(&n2n, &free(()))
        .replace("data_dir = \"node-data\"", "data_dir = \"other-data\"");
    write(&other, &moved.replace(&enclave_socket, socket.to_str().unwrap()));
    fails_with(
        &["node", "run", "--config", other.to_str().unwrap()],
        &["enclave", "not-an-enclave.sock"],
    );
    write(&other, &moved.replace(&enclave_socket, "/nonexistent/enclave.sock"));
    fails_with(
        &["node", "run", "--config", other.to_str().unwrap()],
        &["/nonexistent/enclave.sock", "does not exist"],
    );
}

#[test]
fn devnet_commands_explain_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let d = d.to_str().unwrap();
    fails_with(&["devnet", "status", "--dir", d], &["no devnet in", "devnet up"]);
    fails_with(&["devnet", "up", "--dir", d, "--pools", "0"], &["1 to 100 pools"]);
    let (ok, _, err) = slotforge(&["devnet", "up", "--dir", d, "--slot-length", "0.0001"]);
    assert!(!ok && err.contains("0.02 to 60 s"), "{err}");
    let (ok, _, err) = slotforge(&["devnet", "up", "--dir", d, "--f", "3/2"]);
    assert!(!ok && err.contains("(0, 1]"), "{err}");
    // The old default shape: the randomness window 4k/f (200 slots) is longer than the epoch.
    fails_with(
        &[
            "devnet",
            "up",
            "--dir",
            d,
            "--epoch-length",
            "150",
            "--k",
            "10",
            "--f",
            "1/5",
        ],
        &["4k/f is 200 slots", "--epoch-length 500"],
    );
    fails_with(
        &["devnet", "up", "--dir", d, "--epoch-length", "80"],
        &["4k/f is 80 slots", "--epoch-length 200"],
    );
    assert!(!dir.path().join("net").exists(), "nothing was created");
}

#[test]
fn a_bft_devnet_in_the_foreground_forges_round_robin_and_stops_on_ctrl_c() {
    live_devnet::ensure_enclave_binary();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("bft");
    let mut up = std::process::Command::new(live_devnet::BIN)
        .args([
            "devnet",
            "up",
            "--dir",
            d.to_str().unwrap(),
            "--pools",
            "2",
            "--consensus",
            "bft",
        ])
        .args(["--slot-length", "0.2", "--epoch-length", "50"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let desc: serde_json::Value = eventually(Duration::from_secs(60), "devnet.json with both nodes started", || {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("devnet.json")).ok()?).ok()?;
        v["nodes"]
            .as_array()?
            .iter()
            .all(|n| n["node"]["pid"].is_u64())
            .then_some(v)
    });
    let rest = desc["nodes"][0]["rest"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(60), "six BFT blocks", || {
        live_devnet::http("GET", &format!("{rest}/api/v1/tip"), None, &[])
            .ok()
            .and_then(|(_, b)| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|t| t["block_number"].as_u64())
            .filter(|n| *n >= 5)
    });
    // Round robin: slot s (in its epoch) belongs to delegate s mod 2, and both forge.
    let vkeys: Vec<String> = desc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let env: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(n["keys"]["bft_vkey"].as_str().unwrap()).unwrap())
                    .unwrap();
            env["cborHex"].as_str().unwrap()[4..].to_string()
        })
        .collect();
    let blocks = get(&format!("{rest}/api/v1/blocks?from_slot=0&limit=1000"));
    let mut issuers = std::collections::BTreeSet::new();
    for b in blocks["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["selected"] == true)
    {
        let slot = b["slot"].as_u64().unwrap();
        assert_eq!(
            b["issuer_vkey"].as_str().unwrap(),
            vkeys[(slot % 50 % 2) as usize],
            "slot {slot}"
        );
        issuers.insert(b["issuer_vkey"].as_str().unwrap().to_string());
    }
    assert_eq!(issuers.len(), 2, "both delegates forged");
    assert_eq!(get(&format!("{rest}/api/v1/epochs/0"))["consensus"], "bft");

    // Ctrl-C in the terminal: `devnet up` stops every process and exits.
    // SAFETY: kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(up.id() as i32, libc::SIGINT) }, 0);
    let status = up.wait().unwrap();
    assert!(status.success(), "{status}");
    for n in desc["nodes"].as_array().unwrap() {
        for key in ["node", "enclave"] {
            let pid = n[key]["pid"].as_u64().unwrap();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            assert!(
                stat.is_empty() || stat.contains(") Z"),
                "{key} {pid} still runs after Ctrl-C"
            );
        }
    }
    let after: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("devnet.json")).unwrap()).unwrap();
    assert!(
        after["nodes"][0]["node"]["pid"].is_null(),
        "devnet.json records the stop"
    );
}

/// A free loopback address.
fn free_addr() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

#[test]
fn a_relay_follows_a_producer_that_reaches_its_enclave_over_mutual_tls() {
    let mut devnet = LiveDevnet::up(LONE_POOL);
    let (ok, _, err) = devnet.cmd("down", &[]);
    assert!(ok, "{err}");
    // The pool's enclave also listens on mutual TLS, and its node reaches it there.
    let node = devnet.nodes()[0].clone();
    let enclave_cfg = Path::new(node["enclave"]["config"].as_str().unwrap()).to_path_buf();
    let tls = enclave_cfg.with_file_name("tls");
    let out = std::process::Command::new(Path::new(live_devnet::BIN).with_file_name("slotforge-enclave"))
        .args([
            "tls",
            "init",
            "--out",
            tls.to_str().unwrap(),
            "--client-name",
            "relay-test-node",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let enclave_addr = free_addr();
    let t = |f: &str| tls.join(f).to_str().unwrap().to_string();
    let mut text = std::fs::read_to_string(&enclave_cfg).unwrap();
    text += &format!(
        "\n[tcp]\nlisten = \"{enclave_addr}\"\nca_cert = {:?}\nserver_cert = {:?}\nserver_key = {:?}\n",
        t("ca.pem"),
        t("server.pem"),
        t("server.key")
    );
    write(&enclave_cfg, &text);
    let node_cfg = Path::new(node["node"]["config"].as_str().unwrap()).to_path_buf();
    let socket_line = format!("unix_socket = {:?}", node["enclave_socket"].as_str().unwrap());
    let text = std::fs::read_to_string(&node_cfg).unwrap();
    assert!(text.contains(&socket_line), "{text}");
    write(
        &node_cfg,
        &text.replace(
            &socket_line,
            &format!(
                "tcp = \"{enclave_addr}\"\nca_cert = {:?}\nclient_cert = {:?}\nclient_key = {:?}\nserver_name = \"localhost\"",
                t("ca.pem"),
                t("client.pem"),
                t("client.key")
            ),
        ),
    );
    let (ok, _, err) = devnet.cmd("up", &["--detach"]);
    assert!(ok, "{err}\n{}", devnet.logs_tail());
    devnet.reload();
    let producer = devnet.rest(0);
    let height = |rest: &str| get(&format!("{rest}/api/v1/tip"))["block_number"].as_u64().unwrap_or(0);
    let start = height(&producer);
    eventually(
        Duration::from_secs(30),
        "the producer forges through the TLS enclave",
        || (height(&producer) >= start + 3).then_some(()),
    );
    let enclave_log = std::fs::read_to_string(node["enclave"]["log"].as_str().unwrap()).unwrap();
    assert!(
        enclave_log
            .lines()
            .any(|l| l.contains("SignBlock") && l.contains("CN=relay-test-node")),
        "the enclave signed for the TLS client:\n{enclave_log}"
    );

    // A relay: no [enclave]; it follows the producer and says it does not forge.
    let relay_dir = tempfile::tempdir().unwrap();
    let relay_cfg = relay_dir.path().join("relay.toml");
    let relay_rest = free_addr();
    write(
        &relay_cfg,
        &format!(
            "data_dir = \"data\"\n[genesis]\nshelley = {:?}\nalonzo = {:?}\n[network]\nlisten = \"{}\"\npeers = [\"{}\"]\n[rest]\nlisten = \"{relay_rest}\"\n",
            devnet.desc["genesis"]["shelley"].as_str().unwrap(),
            devnet.desc["genesis"]["alonzo"].as_str().unwrap(),
            free_addr(),
            node["node_to_node"].as_str().unwrap(),
        ),
    );
    let _relay = Running(
        std::process::Command::new(live_devnet::BIN)
            .args(["node", "run", "--config", relay_cfg.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let relay = format!("http://{relay_rest}");
    eventually(Duration::from_secs(30), "the relay holds the producer's chain", || {
        let r = live_devnet::http("GET", &format!("{relay}/api/v1/tip"), None, &[]).ok()?;
        let tip: serde_json::Value = serde_json::from_slice(&r.1).ok()?;
        let theirs = get(&format!("{producer}/api/v1/tip"));
        (tip["block_number"].as_u64()? >= start + 3
            && tip["block_number"].as_u64()? + 1 >= theirs["block_number"].as_u64()?)
        .then_some(())
    });
    let info = get(&format!("{relay}/api/v1/node"));
    assert_eq!(
        (info["producer"].as_bool(), info["sync"]["state"].as_str()),
        (Some(false), Some("caught_up"))
    );
    let (status, body) = http("GET", &format!("{relay}/api/v1/leadership/next"), None, &[]).unwrap();
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("relay"));
}
