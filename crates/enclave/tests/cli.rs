//! The `slotforge-enclave` command line: init, a guard that must exist, history moved between
//! enclaves, key import checks, status, usage errors.

mod common;

use common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn init_writes_a_config_that_serves_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("e.toml");
    let out = run(&["init", "-c", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert!(text.lines().filter(|l| l.starts_with('#')).count() > 10, "commented");
    slotforge_enclave::config::Config::load(&cfg).unwrap();
    let again = run(&["init", "-c", cfg.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&cfg).unwrap(), text);
}

#[test]
fn a_missing_or_corrupt_guard_database_stops_the_enclave() {
    let e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    let out = e.cli(&["serve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--new-history"), "{}", stderr(&out));
    assert!(!e.path("data/guard.db").exists(), "nothing was created");

    // Start once for real, then corrupt the file.
    let mut e = e;
    e.start(true);
    e.kill();
    std::fs::write(
        e.path("data/guard.db"),
        b"this is not a database, it is a text file of 48b",
    )
    .unwrap();
    let _ = std::fs::remove_file(e.path("data/guard.db-wal"));
    let _ = std::fs::remove_file(e.path("data/guard.db-shm"));
    let out = e.cli(&["serve", "--new-history"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot be used"), "{}", stderr(&out));
}

#[test]
fn a_second_enclave_on_one_data_directory_is_refused() {
    let mut e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    e.start(true);
    let out = e.cli(&["serve"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("another slotforge-enclave"), "{}", stderr(&out));
    let status = e.cli(&["status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("serving:   yes"), "{text}");
    assert!(text.contains("leader pool: praos pool "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_history_protects_the_pool_in_another_enclave() {
    let mut a = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    a.start(true);
    let mut c = a.unix_client().await;
    let id = c.identity("pool").await.unwrap();
    let won = schedule_all(&mut c, "pool", &praos_epoch(2), 0..0).await;
    let signed = c.sign_block("pool", body_for(&id, &won[5], 1).to_cbor()).await.unwrap();
    a.kill();
    let export = a.path("history.json");
    let out = a.cli(&["history", "export", "--out", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Another enclave with the same keys under another name imports the history.
    let mut b = TestEnclave::new(Setup {
        tcp: false,
        import_pool: false,
        ..Setup::default()
    });
    b.import_sample_pool("moved");
    let out = b.cli(&["history", "import", "--in", export.to_str().unwrap(), "--new-history"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1 signed slots"));
    b.start(false);
    let mut c = b.unix_client().await;
    schedule_all(&mut c, "moved", &praos_epoch(2), 0..1).await;
    let err = c
        .sign_block("moved", body_for(&id, &won[5], 2).to_cbor())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("double_sign"));
    let err = c
        .sign_block("moved", body_for(&id, &won[4], 1).to_cbor())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("regression"));
    let replay = c
        .sign_block("moved", body_for(&id, &won[5], 1).to_cbor())
        .await
        .unwrap();
    assert!(!replay.fresh);
    assert_eq!(replay.header, signed.header);

    // While b serves, an import is refused: the enclave reads the history only at start.
    let history = b.history();
    let dir = b.dir.path().to_path_buf();
    let write = |name: &str, h: &slotforge_enclave::sign_guard::Interchange| {
        let p = dir.join(name);
        std::fs::write(&p, serde_json::to_string(h).unwrap()).unwrap();
        p
    };
    let genuine = write("genuine.json", &history);
    let args = |path: &std::path::Path| ["history", "import", "--in", path.to_str().unwrap()].map(String::from);
    let out = b.cli(&args(&genuine).each_ref().map(String::as_str));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is serving"), "{}", stderr(&out));
    b.kill();
    let import = |path: &std::path::Path| b.cli(&args(path).each_ref().map(String::as_str));
    let out = import(&genuine);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(1 already known)"));

    // Every record must be a header the leader signed for that slot, or nothing is imported.
    let record = &history.data[0].signed_slots[0];
    let other_slot = (record.slot.parse::<u64>().unwrap() + 1).to_string();
    let mut forged_signature = record.signed.clone();
    let last = forged_signature.pop().unwrap();
    forged_signature.push(if last == '0' { '1' } else { '0' });
    // A KES-period record (the key's evolution from its opcert's start, as the guard keeps it)
    // needs a header of the file signed with that key at that evolution or later, and may not
    // lie beyond the enclave clock's period: either would stop the pool.
    let signed_bytes = hex::decode(&record.signed).unwrap();
    let header = slotforge_praos::header::Header::decode(&signed_bytes).unwrap();
    let kes_record = |kes_vkey: [u8; 32], period: u32| slotforge_enclave::sign_guard::KesPeriodRecord {
        leader: history.data[0].leader.clone(),
        kes_vkey: hex::encode(kes_vkey),
        period: period.to_string(),
    };
    let evolution = (header.body().slot / common::SLOTS_PER_KES_PERIOD - header.body().opcert.kes_period) as u32;
    let supported = kes_record(header.body().opcert.hot_vkey, evolution);
    let mut with_record = history.clone();
    with_record.kes_periods = vec![supported.clone()];
    let out = import(&write("kes.json", &with_record));
    assert!(out.status.success(), "a supported KES record: {}", stderr(&out));
    type Tamper<'a> = Box<dyn Fn(&mut slotforge_enclave::sign_guard::Interchange) + 'a>;
    let cases: [(&str, Tamper); 7] = [
        (
            "supported by no header",
            Box::new(|h| h.kes_periods = vec![kes_record([0x11; 32], 0)]),
        ),
        (
            "beyond every evolution",
            Box::new(|h| h.kes_periods = vec![kes_record(header.body().opcert.hot_vkey, evolution + 1)]),
        ),
        (
            "does not hash to body_hash",
            Box::new(|h| h.data[0].signed_slots[0].body_hash = "00".repeat(32)),
        ),
        (
            "is for slot",
            Box::new(|h| h.data[0].signed_slots[0].slot = other_slot.clone()),
        ),
        (
            "KES signature",
            Box::new(|h| h.data[0].signed_slots[0].signed = forged_signature.clone()),
        ),
        (
            "not a Praos header",
            Box::new(|h| h.data[0].signed_slots[0].signed = "8200".into()),
        ),
        ("another pool", Box::new(|h| h.data[0].leader = "ab".repeat(28))),
    ];
    for (expected, tamper) in cases {
        let mut h = history.clone();
        tamper(&mut h);
        let out = import(&write("tampered.json", &h));
        assert_eq!(out.status.code(), Some(1), "{expected}");
        let err = stderr(&out);
        assert!(
            err.contains(expected) && err.contains("nothing imported"),
            "{expected}: {err}"
        );
    }
    let mut expected = history.clone();
    expected.kes_periods = vec![supported];
    assert_eq!(b.history(), expected, "a refused import changed nothing");
}

#[test]
fn key_imports_are_checked_and_explained() {
    let e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    let k = |f: &str| e.path("keys").join(f).to_str().unwrap().to_string();
    // The same name again needs --replace.
    let dup = e.cli(&[
        "keys",
        "import",
        "--name",
        "pool",
        "--vrf-skey",
        &k("vrf.skey"),
        "--kes-skey",
        &k("kes.skey"),
        "--opcert",
        &k("node.cert"),
    ]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(stderr(&dup).contains("--replace"));
    // Files swapped: the VRF key where the KES key belongs.
    let swapped = e.cli(&[
        "keys",
        "import",
        "--name",
        "p2",
        "--vrf-skey",
        &k("vrf.skey"),
        "--kes-skey",
        &k("vrf.skey"),
        "--opcert",
        &k("node.cert"),
    ]);
    assert_eq!(swapped.status.code(), Some(1));
    assert!(stderr(&swapped).contains("vrf.skey"), "{}", stderr(&swapped));
    // A cold key that did not issue the opcert.
    let other_cold = e.path("keys/other-cold.vkey");
    let cold = slotforge_crypto::ed25519::SigningKey::from_bytes(&[8; 32]);
    slotforge_crypto::key_file::write_key_file(
        &other_cold,
        slotforge_crypto::key_file::KeyKind::ColdVerification,
        &slotforge_crypto::key_file::encode_cbor_bytes(&cold.verifying_key().to_bytes()),
    )
    .unwrap();
    let wrong_cold = e.cli(&[
        "keys",
        "import",
        "--name",
        "p3",
        "--vrf-skey",
        &k("vrf.skey"),
        "--kes-skey",
        &k("kes.skey"),
        "--opcert",
        &k("node.cert"),
        "--cold-vkey",
        other_cold.to_str().unwrap(),
    ]);
    assert_eq!(wrong_cold.status.code(), Some(1));
    assert!(
        stderr(&wrong_cold).contains("another cold key"),
        "{}",
        stderr(&wrong_cold)
    );
    // Bad names; pool and BFT files together.
    let bad_name = e.cli(&["keys", "import", "--name", "../x", "--bft-skey", &k("vrf.skey")]);
    assert!(stderr(&bad_name).contains("not allowed"), "{}", stderr(&bad_name));
    let both = e.cli(&[
        "keys",
        "import",
        "--name",
        "p4",
        "--vrf-skey",
        &k("vrf.skey"),
        "--kes-skey",
        &k("kes.skey"),
        "--opcert",
        &k("node.cert"),
        "--bft-skey",
        &k("vrf.skey"),
    ]);
    assert_eq!(both.status.code(), Some(2), "a usage error");
    // Nothing half-imported is left behind.
    let list = e.cli(&["keys", "list"]);
    assert_eq!(String::from_utf8_lossy(&list.stdout), "pool\tpraos\n");

    // A stored secret that became readable by others stops the enclave at start.
    set_mode(&e.path("data/leaders/pool/vrf.skey"), 0o644);
    let out = e.cli(&["serve", "--new-history"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2_and_bad_configs_name_the_problem() {
    assert_eq!(run(&["serve"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("e.toml");
    std::fs::write(&cfg, "data_dir = \"d\"\nnetwork = \"mainnet\"\nunix_socket = \"s\"\n[tcp]\nlisten = \"0.0.0.0:7300\"\nca_cert = \"a\"\nserver_cert = \"b\"\nserver_key = \"c\"\n").unwrap();
    let out = run(&["serve", "-c", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("allow_non_loopback"), "{}", stderr(&out));
    // No network timing: the enclave would have no clock of its own.
    std::fs::write(&cfg, "data_dir = \"d\"\nunix_socket = \"s\"\n").unwrap();
    let out = run(&["serve", "-c", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("own clock"), "{}", stderr(&out));
    // A genesis that is not there is named when the enclave starts.
    std::fs::write(
        &cfg,
        "data_dir = \"d\"\nshelley_genesis = \"nowhere.json\"\nunix_socket = \"s\"\n",
    )
    .unwrap();
    let out = run(&["serve", "-c", cfg.to_str().unwrap(), "--new-history"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nowhere.json"), "{}", stderr(&out));
    let out = run(&["status", "-c", dir.path().join("missing.toml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.toml"));
}

#[test]
fn a_postgres_guard_config_is_checked_and_an_unreachable_server_stops_the_start() {
    let e = TestEnclave::new(Setup {
        tcp: false,
        ..Setup::default()
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = std::fs::read_to_string(&e.config).unwrap()
        + &format!("[guard]\nbackend = \"postgres\"\nurl = \"postgresql://u:secret@127.0.0.1:{port}/db\"\n");
    std::fs::write(&e.config, text).unwrap();
    // A password in a file others can read is refused.
    set_mode(&e.config, 0o644);
    let out = e.cli(&["serve", "--new-history"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
    // No server there: the enclave says so and does not start; the password is not printed.
    set_mode(&e.config, 0o600);
    let out = e.cli(&["serve", "--new-history"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("cannot reach its database") && err.contains(&format!("127.0.0.1:{port}/db")),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    // history move wants a SQLite file to move from.
    let out = e.cli(&["history", "move", "--from", e.path("nothing.db").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no sign guard database"), "{}", stderr(&out));
}
