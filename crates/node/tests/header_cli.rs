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
