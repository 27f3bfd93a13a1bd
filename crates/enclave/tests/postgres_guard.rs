//! The PostgreSQL sign guard against a real server: schema migrations, the KES-period rule
//! shared between guards, and what happens when the server goes away and comes back.

mod common;

use common::pg::PgServer;
use slotforge_enclave::sign_guard::{
    GuardError, GuardOutcome, GuardRequest, KesUse, PostgresGuardConfig, Refusal, SignGuard, Signed,
};

fn config(url: String) -> PostgresGuardConfig {
    let mut c = PostgresGuardConfig::new(url);
    c.connect_timeout = std::time::Duration::from_secs(2);
    c
}

fn sign(g: &SignGuard, slot: u64, body: u8, kes_period: Option<u32>) -> Result<GuardOutcome<String>, GuardError> {
    g.sign_request(
        &GuardRequest {
            leader: "pool",
            slot,
            body_hash: [body; 32],
            kes: kes_period.map(|period| KesUse {
                kes_vkey: [9; 32],
                period,
            }),
        },
        || Ok::<_, String>(vec![body; 8]),
    )
}

#[test]
fn schema_is_created_only_when_asked_migrated_once_and_never_downgraded() {
    let pg = PgServer::start();
    let url = pg.create_database("guard");
    let err = SignGuard::open_postgres(&config(url.clone()), false).err().unwrap();
    assert!(matches!(err, GuardError::NoSchema(_)), "{err}");
    assert!(err.to_string().contains("new signing history"), "{err}");
    let g = SignGuard::open_postgres(&config(url.clone()), true).unwrap();
    assert!(matches!(
        sign(&g, 10, 1, None).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    drop(g);
    // Opening again (even with the flag) keeps the history and applies nothing twice.
    let g = SignGuard::open_postgres(&config(url.clone()), true).unwrap();
    assert!(matches!(
        sign(&g, 10, 1, None).unwrap(),
        GuardOutcome::Signed(Signed::Replayed(_))
    ));
    assert_eq!(
        pg.psql(
            "guard",
            "SELECT string_agg(version::text, ',') FROM slotforge_schema_migrations"
        ),
        "1"
    );
    drop(g);
    // A schema from a newer build is refused, not reinterpreted.
    pg.psql("guard", "INSERT INTO slotforge_schema_migrations (version) VALUES (2)");
    let err = SignGuard::open_postgres(&config(url), false).err().unwrap();
    assert!(
        matches!(err, GuardError::NewerSchema { found: 2, known: 1, .. }),
        "{err}"
    );
}

#[test]
fn kes_periods_are_shared_between_guards() {
    let pg = PgServer::start();
    let url = pg.create_database("guard");
    let a = SignGuard::open_postgres(&config(url.clone()), true).unwrap();
    let b = SignGuard::open_postgres(&config(url), false).unwrap();
    assert!(matches!(
        sign(&a, 100, 1, Some(3)).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    assert_eq!(b.kes_period("pool", &[9; 32]).unwrap(), Some(3));
    assert_eq!(
        b.kes_period("pool", &[8; 32]).unwrap(),
        None,
        "another KES key has no record"
    );
    // A later slot with an older period's key is refused through the other guard.
    match sign(&b, 101, 2, Some(2)).unwrap() {
        GuardOutcome::Refused(Refusal::KesPeriodPassed {
            slot: 101,
            period: 2,
            recorded: 3,
        }) => {}
        other => panic!("expected kes_period_passed, got {other:?}"),
    }
    assert!(matches!(
        sign(&b, 101, 2, Some(4)).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    assert_eq!(a.kes_period("pool", &[9; 32]).unwrap(), Some(4));
    // The export carries the periods, and an import never lowers them.
    let history = a.export().unwrap();
    assert_eq!(history.kes_periods.len(), 1);
    assert_eq!(history.kes_periods[0].period, "4");
    let mut older = history.clone();
    older.kes_periods[0].period = "1".into();
    b.import(&older).unwrap();
    assert_eq!(a.kes_period("pool", &[9; 32]).unwrap(), Some(4));
}

#[test]
fn unreachable_database_refuses_then_recovers_without_reopening() {
    let mut pg = PgServer::start();
    let url = pg.create_database("guard");
    let g = SignGuard::open_postgres(&config(url), true).unwrap();
    assert!(matches!(
        sign(&g, 1, 1, None).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    assert!(g.health().available);
    pg.stop_immediate();
    let err = sign(&g, 2, 2, None).expect_err("no database, no signature");
    assert!(matches!(err, GuardError::Unavailable(_)), "{err}");
    let health = g.health();
    assert!(!health.available && health.error.is_some(), "{health:?}");
    assert!(!health.location.contains("password"));
    pg.start_server();
    let health = g.health();
    assert!(health.available, "{health:?} {}", pg.log());
    assert!(matches!(
        sign(&g, 2, 2, None).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    // What was committed before the immediate shutdown survived it.
    assert!(matches!(
        sign(&g, 1, 9, None).unwrap(),
        GuardOutcome::Refused(Refusal::DoubleSign { slot: 1, .. })
    ));
}

#[test]
fn tls_to_the_server_is_required_and_verified_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let names = ["127.0.0.1".to_string()];
    slotforge_enclave::tls::init(&dir.path().join("ours"), &names, "guard").unwrap();
    slotforge_enclave::tls::init(&dir.path().join("other"), &names, "guard").unwrap();
    let ours = dir.path().join("ours");
    let pg = PgServer::start_with_tls(&ours.join("server.pem"), &ours.join("server.key"));
    let url = pg.create_database("guard");
    // The server takes TCP clients over TLS only: without ca_cert the guard does not get in.
    let err = SignGuard::open_postgres(&config(url.clone()), true).err().unwrap();
    assert!(err.to_string().contains("no encryption"), "{err}");
    // Our CA verifies the server's certificate.
    let mut tls = config(url.clone());
    tls.ca_cert = Some(ours.join("ca.pem"));
    let g = SignGuard::open_postgres(&tls, true).unwrap();
    assert!(matches!(
        sign(&g, 1, 1, None).unwrap(),
        GuardOutcome::Signed(Signed::Fresh(_))
    ));
    // A server whose certificate another CA signed is not trusted.
    let mut wrong = config(url);
    wrong.ca_cert = Some(dir.path().join("other/ca.pem"));
    let err = SignGuard::open_postgres(&wrong, false).err().unwrap();
    assert!(matches!(err, GuardError::Unavailable(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
}
