//! The sign guard on real SQLite files.

use std::sync::{Arc, Barrier};

use slotforge_enclave::sign_guard::{GuardError, GuardOutcome, Interchange, Refusal, SignGuard, Signed};

fn hash(n: u8) -> [u8; 32] {
    [n; 32]
}

/// Signs with a signer that returns `body_tag ‖ slot`, so each body gives distinct bytes.
fn sign(g: &SignGuard, leader: &str, slot: u64, body: u8) -> GuardOutcome<String> {
    g.sign(leader, slot, hash(body), || Ok::<_, String>(vec![body, slot as u8]))
        .unwrap()
}

fn fresh(o: GuardOutcome<String>) -> Vec<u8> {
    match o {
        GuardOutcome::Signed(Signed::Fresh(b)) => b,
        other => panic!("expected a fresh signature, got {other:?}"),
    }
}

#[test]
fn rules() {
    let dir = tempfile::tempdir().unwrap();
    let g = SignGuard::create(&dir.path().join("guard.db")).unwrap();
    assert_eq!(fresh(sign(&g, "pool-a", 100, 1)), vec![1, 100]);
    // Same body: the stored bytes, and the signer is not called.
    let replay = g
        .sign("pool-a", 100, hash(1), || -> Result<Vec<u8>, String> {
            panic!("must not sign again")
        })
        .unwrap();
    assert!(matches!(replay, GuardOutcome::Signed(Signed::Replayed(ref b)) if b == &vec![1, 100]));
    // Different body for a signed slot.
    assert!(matches!(
        sign(&g, "pool-a", 100, 2),
        GuardOutcome::Refused(Refusal::DoubleSign { slot: 100, .. })
    ));
    // Below the highest.
    assert_eq!(fresh(sign(&g, "pool-a", 150, 3)), vec![3, 150]);
    assert!(matches!(
        sign(&g, "pool-a", 120, 4),
        GuardOutcome::Refused(Refusal::Regression {
            slot: 120,
            highest: 150
        })
    ));
    // An old slot retried with its own body is still a safe replay.
    assert!(matches!(
        sign(&g, "pool-a", 100, 1),
        GuardOutcome::Signed(Signed::Replayed(_))
    ));
    // Leaders are independent.
    assert_eq!(fresh(sign(&g, "pool-b", 120, 4)), vec![4, 120]);
    // A failing signer records nothing.
    let failed = g
        .sign("pool-a", 200, hash(5), || Err::<Vec<u8>, _>("KES expired".to_string()))
        .unwrap();
    assert!(matches!(failed, GuardOutcome::SignerFailed(ref e) if e == "KES expired"));
    assert_eq!(g.highest_slot("pool-a").unwrap(), Some(150));
    assert_eq!(fresh(sign(&g, "pool-a", 200, 6)), vec![6, 200]);
    // Absurd slots are an error, not a record.
    assert!(matches!(
        g.sign("pool-a", u64::MAX, hash(1), || Ok::<_, String>(vec![])),
        Err(GuardError::SlotOutOfRange(_))
    ));
}

#[test]
fn history_survives_reopening_and_is_never_silently_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guard.db");
    assert!(matches!(SignGuard::open(&path), Err(GuardError::Missing(_))));
    {
        let g = SignGuard::create(&path).unwrap();
        fresh(sign(&g, "pool", 10, 1));
    }
    assert!(matches!(SignGuard::create(&path), Err(GuardError::AlreadyExists(_))));
    let g = SignGuard::open(&path).unwrap();
    assert!(matches!(
        sign(&g, "pool", 10, 2),
        GuardOutcome::Refused(Refusal::DoubleSign { .. })
    ));
    assert!(matches!(
        sign(&g, "pool", 9, 2),
        GuardOutcome::Refused(Refusal::Regression { .. })
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn corrupt_or_foreign_databases_stop_the_guard() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).unwrap();
    let err = SignGuard::open(&junk).err().unwrap();
    assert!(matches!(err, GuardError::Corrupt { .. }), "{err:?}");
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .unwrap();
    let err = SignGuard::open(&foreign).err().unwrap();
    assert!(matches!(err, GuardError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("not a slotforge sign-guard database"), "{err}");
    // A guard database from a future schema is refused, not reinterpreted.
    let future = dir.path().join("future.db");
    drop(SignGuard::create(&future).unwrap());
    rusqlite::Connection::open(&future)
        .unwrap()
        .execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'", [])
        .unwrap();
    let err = SignGuard::open(&future).err().unwrap();
    assert!(err.to_string().contains("schema version"), "{err}");
}

/// 64 concurrent requests for one slot with 64 different bodies: exactly one is signed,
/// through one guard (threads) and through two guards on the same file (as two processes).
#[test]
fn concurrent_requests_sign_exactly_one_body() {
    for guards in [1usize, 2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guard.db");
        drop(SignGuard::create(&path).unwrap());
        let shared: Vec<Arc<SignGuard>> = (0..guards).map(|_| Arc::new(SignGuard::open(&path).unwrap())).collect();
        let barrier = Arc::new(Barrier::new(64));
        let handles: Vec<_> = (0..64u8)
            .map(|i| {
                let g = shared[i as usize % guards].clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    sign(&g, "pool", 4242, i)
                })
            })
            .collect();
        let outcomes: Vec<GuardOutcome<String>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let signed: Vec<&Signed> = outcomes
            .iter()
            .filter_map(|o| if let GuardOutcome::Signed(s) = o { Some(s) } else { None })
            .collect();
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, GuardOutcome::Refused(Refusal::DoubleSign { .. })))
            .count();
        assert_eq!(signed.len(), 1, "{guards} guard(s)");
        assert_eq!(refused, 63);
        assert!(matches!(signed[0], Signed::Fresh(_)));
    }
}

#[test]
fn interchange_roundtrip_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let a = SignGuard::create(&dir.path().join("a.db")).unwrap();
    fresh(sign(&a, "pool-a", 10, 1));
    fresh(sign(&a, "pool-a", 20, 2));
    fresh(sign(&a, "pool-b", 15, 3));
    let exported = a.export().unwrap();
    let json = serde_json::to_string_pretty(&exported).unwrap();
    let parsed: Interchange = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, exported);

    let b = SignGuard::create(&dir.path().join("b.db")).unwrap();
    let summary = b.import(&parsed).unwrap();
    assert_eq!((summary.added, summary.already_known), (3, 0));
    assert_eq!(b.import(&parsed).unwrap().already_known, 3);
    // The moved history protects: the same slot with another body, and older slots, refused.
    assert!(matches!(
        sign(&b, "pool-a", 20, 9),
        GuardOutcome::Refused(Refusal::DoubleSign { .. })
    ));
    assert!(matches!(
        sign(&b, "pool-a", 19, 9),
        GuardOutcome::Refused(Refusal::Regression { .. })
    ));
    assert!(matches!(
        sign(&b, "pool-a", 20, 2),
        GuardOutcome::Signed(Signed::Replayed(_))
    ));

    // A conflicting import writes nothing at all.
    let c = SignGuard::create(&dir.path().join("c.db")).unwrap();
    fresh(sign(&c, "pool-a", 20, 7));
    let err = c.import(&parsed).err().unwrap();
    assert!(err.to_string().contains("conflicts"), "{err}");
    assert_eq!(c.highest_slot("pool-b").unwrap(), None, "rolled back");

    let mut wrong_version = parsed.clone();
    wrong_version.metadata.interchange_format_version = "9".into();
    assert!(c.import(&wrong_version).is_err());
    let mut bad_slot = parsed.clone();
    bad_slot.data[0].signed_slots[0].slot = "ten".into();
    assert!(c.import(&bad_slot).is_err());
}

/// A guard database written by an older build (schema 1, before KES periods were recorded)
/// is migrated at open and keeps its history.
#[test]
fn an_older_schema_is_migrated_and_keeps_its_history() {
    use slotforge_enclave::sign_guard::sqlite::{SqliteGuard, SCHEMA_VERSION};
    use slotforge_enclave::sign_guard::{GuardRequest, KesUse};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    SqliteGuard::create_at_version(&path, 1).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO signed (leader, slot, body_hash, signed) VALUES ('p', 5, ?1, x'aa')",
            [&hash(1)[..]],
        )
        .unwrap();
    let g = SignGuard::open(&path).unwrap();
    let version: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION.to_string());
    assert!(matches!(
        sign(&g, "p", 5, 2),
        GuardOutcome::Refused(Refusal::DoubleSign { slot: 5, .. })
    ));
    let req = GuardRequest {
        leader: "p",
        slot: 6,
        body_hash: hash(3),
        kes: Some(KesUse {
            kes_vkey: [1; 32],
            period: 2,
        }),
    };
    assert!(matches!(
        g.sign_request(&req, || Ok::<_, String>(vec![3])).unwrap(),
        GuardOutcome::Signed(_)
    ));
    assert_eq!(g.kes_period("p", &[1; 32]).unwrap(), Some(2));
}
