//! `slotforge header inspect|verify` on the real mainnet headers.

use std::path::PathBuf;
use std::process::Command;

fn slotforge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slotforge"))
}

fn mainnet(file: &str) -> String {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
        .join("mainnet")
        .join(file)
        .display()
        .to_string()
}

const NONCE_211: &str = "3fac34ac3d7d1ac6c976ba68b1509b1ee3aafdbf6de96e10789e488e13e16bd7";

fn verify(file: &str, pool_stake: &str) -> (Option<i32>, serde_json::Value) {
    let out = slotforge()
        .args([
            "header",
            "verify",
            file,
            "--epoch-nonce",
            NONCE_211,
            "--pool-stake",
            pool_stake,
        ])
        .args([
            "--active-stake",
            "10177811974823000",
            "--active-slot-coeff",
            "1/20",
            "--d",
            "9/10",
            "--epoch-first-slot",
            "5788800",
        ])
        .output()
        .unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
    )
}

#[test]
fn inspect_decodes_and_checks() {
    let out = slotforge()
        .args(["header", "inspect", &mainnet("header-4576496.cbor.hex")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["header"]["slot"], 6220749);
    assert_eq!(
        v["header"]["hash"],
        "d78e446b6540612e161ebdda32ee1715ef0f9fc68e890c7e3aae167b0354f998"
    );
    assert_eq!(v["header"]["vrf"]["format"], "tpraos");
    for check in ["opcertSignature", "kesPeriod", "kesSignature"] {
        assert_eq!(v["checks"][check]["ok"], true, "{check}");
    }
    // Raw CBOR works as well as hex.
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("h.cbor");
    let hex_text = std::fs::read_to_string(mainnet("header-4576496.cbor.hex")).unwrap();
    let mut bytes = hex::decode(hex_text.trim()).unwrap();
    std::fs::write(&raw, &bytes).unwrap();
    let out = slotforge()
        .args(["header", "inspect", raw.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    // A flipped bit in the KES signature shows in the checks, not as a crash.
    let n = bytes.len();
    bytes[n - 5] ^= 1;
    std::fs::write(&raw, &bytes).unwrap();
    let out = slotforge()
        .args(["header", "inspect", raw.to_str().unwrap()])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["checks"]["kesSignature"]["ok"], false);
    assert_eq!(v["checks"]["opcertSignature"]["ok"], true);
}

#[test]
fn verify_exit_codes() {
    let (code, v) = verify(&mainnet("header-4556956.cbor.hex"), "75284250207839");
    assert_eq!((code, v["valid"].clone()), (Some(0), serde_json::Value::Bool(true)));
    let (code, v) = verify(&mainnet("header-4556956.cbor.hex"), "75284250207");
    assert_eq!(code, Some(1));
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"], "InsufficientStake");
    assert!(v["detail"].as_str().unwrap().contains("threshold"));
    // Bad usage: exit 2 with a message.
    let out = slotforge().args(["header", "verify", "/nonexistent"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk");
    std::fs::write(&junk, "abcd").unwrap();
    let (code, _) = verify(junk.to_str().unwrap(), "1");
    assert_eq!(code, Some(2));
    let out = slotforge()
        .args([
            "header",
            "verify",
            &mainnet("header-4556956.cbor.hex"),
            "--epoch-nonce",
            "zz",
            "--pool-stake",
            "1",
            "--active-stake",
            "2",
            "--active-slot-coeff",
            "1/20",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epoch-nonce"));
}

/// A Babbage-format header from the Haskell reference's cases: opcert counter 74, the pool's
/// last seen counter 73, σ = 1.
fn reference_pass_case() -> serde_json::Value {
    let path = std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
        .join("header-cases/praos-header-cases.json");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases
        .into_iter()
        .find(|c| c["expected"] == "pass")
        .expect("a passing case")
}

#[test]
fn verify_reports_checks_it_could_not_run_instead_of_failing_them() {
    let case = reference_pass_case();
    let ctx = &case["context"];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.hex");
    std::fs::write(&file, case["header"].as_str().unwrap()).unwrap();
    let (last, counter) = ctx["ocertCounters"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .map(|v| (v.as_u64().unwrap(), v))
        .unwrap();
    assert!(
        last >= 2,
        "the case must have a counter the default of 0 would reject: {counter}"
    );
    let run = |extra: &[String]| {
        let out = slotforge()
            .args(["header", "verify", file.to_str().unwrap(), "--consensus", "praos"])
            .args([
                "--epoch-nonce",
                ctx["nonce"].as_str().unwrap(),
                "--pool-stake",
                "1",
                "--active-stake",
                "1",
            ])
            .args(["--active-slot-coeff", "1/50"])
            .args(["--slots-per-kes-period", &ctx["praosSlotsPerKESPeriod"].to_string()])
            .args(["--max-kes-evolutions", &ctx["praosMaxKESEvo"].to_string()])
            .args(extra)
            .output()
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code(), v)
    };
    // Without the ledger context: valid, and both checks say why they did not run.
    let (code, v) = run(&[]);
    assert_eq!((code, &v["valid"]), (Some(0), &serde_json::json!(true)), "{v}");
    assert!(v["notRun"]["opcertCounter"]
        .as_str()
        .unwrap()
        .contains("--last-sequence-number"));
    assert!(v["notRun"]["vrfKeyRegistered"]
        .as_str()
        .unwrap()
        .contains("--vrf-key-hash"));
    // With it: the checks run, pass with the right values and fail with wrong ones.
    let vrf = [
        "--vrf-key-hash".to_string(),
        ctx["vrfVKeyHash"].as_str().unwrap().to_string(),
    ];
    let with_last = |n: u64| [vrf.to_vec(), vec!["--last-sequence-number".into(), n.to_string()]].concat();
    let (code, v) = run(&with_last(last));
    assert_eq!((code, &v["valid"]), (Some(0), &serde_json::json!(true)), "{v}");
    assert_eq!(v["notRun"], serde_json::json!({}));
    let (code, v) = run(&with_last(last + 5));
    assert_eq!(
        (code, v["error"].as_str()),
        (Some(1), Some("SequenceNumberTooSmall")),
        "{v}"
    );
    let (code, v) = run(&with_last(0));
    assert_eq!(
        (code, v["error"].as_str()),
        (Some(1), Some("SequenceNumberTooFarAhead")),
        "{v}"
    );
    let (code, v) = run(&["--vrf-key-hash".into(), "00".repeat(32)]);
    assert_eq!((code, v["error"].as_str()), (Some(1), Some("VrfKeyMismatch")), "{v}");
}

#[test]
fn an_overlay_slot_is_checked_against_the_genesis_delegates() {
    let genesis = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../praos/tests/data/mainnet-shelley-genesis.json");
    let run = |extra: &[&str]| {
        slotforge()
            .args(["header", "verify", &mainnet("header-4490511.cbor.hex")])
            .args([
                "--epoch-nonce",
                "1a3be38bcbb7911969283716ad7aa550250226b76a61fc51cc9a9a35d9276d81",
            ])
            .args(["--pool-stake", "0", "--active-stake", "1"])
            .args([
                "--active-slot-coeff",
                "1/20",
                "--d",
                "1",
                "--epoch-first-slot",
                "4492800",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    // Without the delegations, the check cannot be made: a usage error says what to give.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--shelley-genesis"));
    let out = run(&["--shelley-genesis", genesis.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{v} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(v["overlay"], true);
}
