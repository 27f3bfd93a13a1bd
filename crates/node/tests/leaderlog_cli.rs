//! `slotforge leaderlog` as a user runs it: the real binary, real key files.

use std::path::PathBuf;
use std::process::Command;

fn slotforge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slotforge"))
}

fn vectors() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
}

const NONCE: &str = "3fac34ac3d7d1ac6c976ba68b1509b1ee3aafdbf6de96e10789e488e13e16bd7";

fn custom_args(key: &str) -> Vec<String> {
    [
        "leaderlog",
        "--vrf-skey",
        key,
        "--epoch-nonce",
        NONCE,
        "--pool-stake",
        "1",
        "--active-stake",
        "10",
        "--system-start",
        "2024-01-01T00:00:00Z",
        "--slot-length",
        "1",
        "--epoch-length",
        "2000",
        "--first-slot",
        "4000",
        "--active-slot-coeff",
        "1/2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn key() -> String {
    vectors().join("forging/vrf.skey").display().to_string()
}

#[test]
fn json_schedule_in_cncli_shape() {
    let out = slotforge()
        .args(custom_args(&key()))
        .arg("--tz")
        .arg("Europe/Berlin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["epoch"], 2);
    assert_eq!(v["consensus"], "praos");
    let slots = v["assignedSlots"].as_array().unwrap();
    assert_eq!(v["epochSlots"].as_u64().unwrap() as usize, slots.len());
    // σ = 0.1, f = 1/2: p ≈ 6.7 %, so about 134 of 2000 slots; far from 0 and from all.
    assert!((60..260).contains(&slots.len()), "{}", slots.len());
    let mut last = 0;
    for (i, s) in slots.iter().enumerate() {
        assert_eq!(s["no"], i as u64 + 1);
        let slot = s["slot"].as_u64().unwrap();
        assert!(slot > last && (4000..6000).contains(&slot));
        assert_eq!(s["slotInEpoch"].as_u64().unwrap(), slot - 4000);
        assert!(s["at"].as_str().unwrap().ends_with("+01:00"), "Berlin in winter");
        last = slot;
    }
    // Field order follows cncli.
    let keys = [
        "status",
        "epoch",
        "epochNonce",
        "consensus",
        "epochSlots",
        "epochSlotsIdeal",
        "maxPerformance",
        "poolId",
        "sigma",
        "activeStake",
        "totalActiveStake",
        "d",
        "f",
        "assignedSlots",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| text.find(&format!("\"{k}\"")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "field order");
    // The same schedule from one thread, and as a table.
    let single = slotforge()
        .args(custom_args(&key()))
        .args(["--threads", "1", "--tz", "Europe/Berlin"])
        .output()
        .unwrap();
    assert_eq!(single.stdout, text.as_bytes());
    let table = slotforge()
        .args(custom_args(&key()))
        .args(["--format", "table"])
        .output()
        .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains(&format!("assigned {} slots", slots.len())), "{table}");
}

#[test]
fn errors_are_clear_and_json() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            custom_args("/nonexistent/vrf.skey"),
            "/nonexistent/vrf.skey: cannot read it",
        ),
        (
            custom_args(&vectors().join("forging/kes.skey").display().to_string()),
            "expected \"VrfSigningKey_PraosVRF\"",
        ),
        (
            {
                let mut a = custom_args(&key());
                a[4] = "abcd".into();
                a
            },
            "--epoch-nonce",
        ),
        (
            {
                let mut a = custom_args(&key());
                a[6] = "11".into();
                a
            },
            "exceeds the total active stake",
        ),
        (
            {
                let mut a = custom_args(&key());
                a.extend(["--tz".into(), "Mars/Olympus".into()]);
                a
            },
            "IANA",
        ),
        (
            {
                let mut a = custom_args(&key());
                a.extend(["--consensus".into(), "tpraos".into()]);
                a
            },
            "--d",
        ),
        (
            {
                let mut a = custom_args(&key());
                a.extend(["--d".into(), "3/2".into(), "--consensus".into(), "tpraos".into()]);
                a
            },
            "between 0 and 1",
        ),
        (
            {
                let mut a = custom_args(&key());
                let n = a.len();
                a[n - 1] = "0".into();
                a
            },
            "active slot coefficient",
        ),
        (
            {
                let mut a = custom_args(&key());
                a.extend(["--pool-id".into(), "nope".into()]);
                a
            },
            "--pool-id",
        ),
    ];
    for (args, needle) in cases {
        let out = slotforge().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(v["status"], "error");
        let msg = v["errorMessage"].as_str().unwrap();
        assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(needle));
    }
    // Usage errors: exit 2, still JSON.
    let out = slotforge().args(["leaderlog", "--pool-stake", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "error");
    let out = slotforge()
        .args([
            "leaderlog",
            "--vrf-skey",
            &key(),
            "--epoch-nonce",
            NONCE,
            "--pool-stake",
            "1",
            "--active-stake",
            "2",
            "--network",
            "mainnet",
            "--epoch",
            "100",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Byron"));
}

#[test]
fn warns_about_readable_secret_key_and_bounds_epoch_length() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vrf.skey");
    std::fs::copy(vectors().join("forging/vrf.skey"), &path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = slotforge()
            .args(custom_args(&path.display().to_string()))
            .output()
            .unwrap();
        assert!(out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("accessible by group or others") && stderr.contains("chmod 600"),
            "{stderr}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = slotforge()
            .args(custom_args(&path.display().to_string()))
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&out.stderr).contains("chmod"));
    }
    let mut args = custom_args(&key());
    let i = args.iter().position(|a| a == "--epoch-length").unwrap();
    args[i + 1] = u64::MAX.to_string();
    let out = slotforge().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("more than leaderlog scans"));
}

#[test]
fn mainnet_tpraos_epoch_211_skips_overlay_slots() {
    let out = slotforge()
        .args([
            "leaderlog",
            "--vrf-skey",
            &key(),
            "--network",
            "mainnet",
            "--epoch",
            "211",
            "--epoch-nonce",
            NONCE,
        ])
        .args([
            "--pool-stake",
            "75284250207839",
            "--active-stake",
            "10177811974823000",
            "--d",
            "9/10",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["consensus"], "tpraos");
    assert_eq!(v["d"], 0.9);
    for s in v["assignedSlots"].as_array().unwrap() {
        let within = s["slotInEpoch"].as_u64().unwrap();
        assert!(!slotforge_overlay(within), "slot {within} is an overlay slot");
    }
}

/// ⌈s·9/10⌉ < ⌈(s+1)·9/10⌉, written out independently of the library.
fn slotforge_overlay(s: u64) -> bool {
    (s * 9).div_ceil(10) < ((s + 1) * 9).div_ceil(10)
}

/// `custom_args` without the stake and nonce flags.
fn args_without_stake_and_nonce(key: &str) -> Vec<String> {
    let mut a = custom_args(key);
    for flag in ["--epoch-nonce", "--pool-stake", "--active-stake"] {
        let i = a.iter().position(|x| x == flag).unwrap();
        a.drain(i..i + 2);
    }
    a
}

fn slots_of(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["assignedSlots"].clone()
}

#[test]
fn cardano_cli_snapshot_and_protocol_state_replace_hand_copied_figures() {
    const POOL_HEX: &str = "0f292fcaa02b8b2f9b3c8f9fd8e0bb21abedb692a6d5058df3ef2735";
    const POOL_BECH32: &str = "pool1pu5jlj4q9w9jlxeu370a3c9myx47md5j5m2str0naunn2q3lkdy";
    let dir = tempfile::tempdir().unwrap();
    // As cardano-cli 10 prints them: the set snapshot has σ = 1/10 (custom_args' figures),
    // the mark snapshot σ = 3/10; the next nonce is candidate ⭒ last epoch block nonce.
    let snapshot = dir.path().join("snapshot.json");
    std::fs::write(
        &snapshot,
        format!(
            r#"{{"pools": {{"{POOL_HEX}": {{"stakeGo": 7, "stakeMark": 3, "stakeSet": 1}}}},
                "total": {{"stakeGo": 70, "stakeMark": 10, "stakeSet": 10}}}}"#
        ),
    )
    .unwrap();
    let (candidate, lab) = ("aa".repeat(32), "bb".repeat(32));
    let state = dir.path().join("state.json");
    std::fs::write(
        &state,
        format!(
            r#"{{"candidateNonce": "{candidate}", "epochNonce": "{NONCE}", "evolvingNonce": "{candidate}",
                "labNonce": "{lab}", "lastEpochBlockNonce": "{lab}", "lastSlot": 4321, "oCertCounters": {{}}}}"#
        ),
    )
    .unwrap();
    let files = |set: &str, pool: &str| {
        let mut a = args_without_stake_and_nonce(&key());
        a.extend(
            [
                "--stake-snapshot",
                snapshot.to_str().unwrap(),
                "--protocol-state",
                state.to_str().unwrap(),
            ]
            .map(String::from),
        );
        a.extend(["--pool-id", pool, "--ledger-set", set].map(String::from));
        slotforge().args(a).output().unwrap()
    };
    // current = the set snapshot and the epoch nonce: the hand-given run's schedule.
    let by_hand = slotforge().args(custom_args(&key())).output().unwrap();
    let out = files("current", POOL_BECH32);
    assert_eq!(slots_of(&out), slots_of(&by_hand));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["poolId"], POOL_HEX);
    assert_eq!(
        (v["activeStake"].as_u64(), v["totalActiveStake"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(slots_of(&files("current", POOL_HEX)), slots_of(&by_hand));
    // next = the mark snapshot and blake2b-256(candidate ‖ last epoch block nonce).
    let next_nonce = hex::encode(slotforge_praos::nonce::blake2b256(&[&[0xaa; 32], &[0xbb; 32]]));
    let mut next_by_hand = args_without_stake_and_nonce(&key());
    next_by_hand.extend(
        [
            "--epoch-nonce",
            &next_nonce,
            "--pool-stake",
            "3",
            "--active-stake",
            "10",
        ]
        .map(String::from),
    );
    let next = slots_of(&files("next", POOL_BECH32));
    assert_eq!(next, slots_of(&slotforge().args(next_by_hand).output().unwrap()));
    assert_ne!(next, slots_of(&by_hand));
    // Errors name the problem.
    let other_pool = files("current", &"11".repeat(28));
    assert_eq!(other_pool.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&other_pool.stdout).contains("not in the snapshot"));
    let not_a_pool = files("current", "pool1notbech32");
    assert!(String::from_utf8_lossy(&not_a_pool.stdout).contains("--pool-id"));
    let mut no_nonce = args_without_stake_and_nonce(&key());
    no_nonce.extend(["--pool-stake", "1", "--active-stake", "10"].map(String::from));
    let out = slotforge().args(no_nonce).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--protocol-state"));
}
