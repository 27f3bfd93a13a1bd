//! Loading a pool from cardano-cli files, and the audit log.

use slotforge_enclave::audit::{AuditEntry, AuditLog};
use slotforge_enclave::signer::{LeaderKeysError, PraosLeader};

mod common;

use common::forging;

#[test]
fn the_forging_samples_load_as_one_pool() {
    let l = PraosLeader::from_key_files(
        &forging("vrf.skey"),
        &forging("kes.skey"),
        &forging("node.cert"),
        129_600,
        62,
    )
    .unwrap();
    assert_eq!(l.opcert.kes_period, 7);
    assert_eq!(l.kes.period(), 0);
    assert_eq!(l.opcert.hot_vkey, l.kes.public_key());
}

#[test]
fn mismatched_files_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    // A KES key the certificate does not certify.
    let other_kes = dir.path().join("other-kes.skey");
    let key = slotforge_crypto::kes::KesSecretKey::from_seed(&mut [1; 32]);
    slotforge_crypto::key_file::write_key_file(
        &other_kes,
        slotforge_crypto::key_file::KeyKind::KesSigning,
        &slotforge_crypto::key_file::encode_cbor_bytes(&key.to_bytes()),
    )
    .unwrap();
    let err = PraosLeader::from_key_files(&forging("vrf.skey"), &other_kes, &forging("node.cert"), 129_600, 62)
        .err()
        .unwrap();
    assert!(matches!(err, LeaderKeysError::KesKeyNotCertified { .. }), "{err}");
    assert!(err.to_string().contains("node.cert"));
    // Files swapped.
    let err = PraosLeader::from_key_files(
        &forging("kes.skey"),
        &forging("vrf.skey"),
        &forging("node.cert"),
        129_600,
        62,
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("kes.skey"), "{err}");
    assert!(matches!(
        PraosLeader::from_key_files(&forging("vrf.skey"), &forging("kes.skey"), &forging("node.cert"), 0, 62),
        Err(LeaderKeysError::ZeroKesPeriodLength)
    ));
}

#[test]
fn audit_lines_append_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let entry = |outcome| AuditEntry {
        time_ms: AuditLog::now_ms(),
        client: "unix",
        request: "SignBlock",
        leader: "pool",
        slot: Some(42),
        body_hash: Some("ab".repeat(32)),
        outcome,
    };
    AuditLog::open(&path).unwrap().record(&entry("signed")).unwrap();
    let log = AuditLog::open(&path).unwrap();
    log.record(&entry("refused:double_sign")).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["outcome"], "signed");
    assert_eq!(lines[1]["outcome"], "refused:double_sign");
    assert_eq!(lines[1]["slot"], 42);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn replacing_a_leaders_keys_never_leaves_it_without_keys() {
    use slotforge_enclave::leader_store::{LeaderStore, PraosImport};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    for f in ["vrf.skey", "kes.skey", "node.cert"] {
        std::fs::copy(forging(f), dir.path().join(f)).unwrap();
        common::set_mode(&dir.path().join(f), 0o600);
    }
    let p = |f: &str| dir.path().join(f);
    let (vrf, kes, cert) = (p("vrf.skey"), p("kes.skey"), p("node.cert"));
    let files = PraosImport {
        vrf_skey: &vrf,
        kes_skey: &kes,
        opcert: &cert,
        cold_vkey: None,
    };
    let store = LeaderStore::new(dir.path().join("leaders"), 129_600, 62);
    store.import_praos("pool", &files, false).unwrap();
    let first = store.list().unwrap()[0].1.import_id.clone();
    let key = dir.path().join("leaders/pool/kes.key");
    let (stop, gaps, looks) = (AtomicBool::new(false), AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                looks.fetch_add(1, Ordering::Relaxed);
                if !key.exists() {
                    gaps.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        for _ in 0..30 {
            store.import_praos("pool", &files, true).unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(looks.load(Ordering::Relaxed) > 100);
    assert_eq!(
        gaps.load(Ordering::Relaxed),
        0,
        "the leader had no KES key for a moment"
    );
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_ne!(listed[0].1.import_id, first, "the keys were replaced");
    store.load("pool").unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.path().join("leaders")).unwrap().collect();
    assert_eq!(left.len(), 1, "no old directory is left behind");
}
