//! Runs tests/data/sign_guard_cases.json: every step's outcome must be the expected one.

mod common;

use slotforge_enclave::sign_guard::{
    GuardError, GuardOutcome, Interchange, PostgresGuardConfig, Refusal, SignGuard, Signed,
};
use slotforge_praos::nonce::blake2b256;

fn body_hash(tag: &str) -> [u8; 32] {
    blake2b256(&[&hex::decode(tag).expect("body tags are hex")])
}

/// Interchange text may write `BODY:tag` for the hash of a body tag.
fn resolve_bodies(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.starts_with("BODY:") => {
            serde_json::Value::String(hex::encode(body_hash(&s[5..])))
        }
        serde_json::Value::Array(a) => a.iter().map(resolve_bodies).collect(),
        serde_json::Value::Object(o) => o.iter().map(|(k, v)| (k.clone(), resolve_bodies(v))).collect(),
        other => other.clone(),
    }
}

fn sign_outcome(g: &SignGuard, step: &serde_json::Value) -> String {
    let leader = step["leader"].as_str().unwrap();
    let slot: u64 = step["slot"].as_str().unwrap().parse().unwrap();
    let body = step["body"].as_str().unwrap();
    match g.sign(leader, slot, body_hash(body), || {
        Ok::<_, String>(hex::decode(body).unwrap())
    }) {
        Ok(GuardOutcome::Signed(Signed::Fresh(_))) => "signed".into(),
        Ok(GuardOutcome::Signed(Signed::Replayed(b))) => {
            assert_eq!(b, hex::decode(body).unwrap(), "a replay returns what was stored");
            "replayed".into()
        }
        Ok(GuardOutcome::Refused(Refusal::DoubleSign { .. })) => "refused:double_sign".into(),
        Ok(GuardOutcome::Refused(Refusal::Regression { .. })) => "refused:regression".into(),
        Ok(GuardOutcome::Refused(r)) => format!("refused: {r}"),
        Ok(GuardOutcome::SignerFailed(e)) => format!("signer failed: {e}"),
        Err(GuardError::SlotOutOfRange(_)) => "error:slot_out_of_range".into(),
        Err(e) => format!("error: {e}"),
    }
}

fn import_outcome(g: &SignGuard, interchange: &serde_json::Value) -> String {
    let Ok(interchange) = serde_json::from_value::<Interchange>(resolve_bodies(interchange)) else {
        return "refused:invalid".into();
    };
    match g.import(&interchange) {
        Ok(s) => format!("imported:{}/{}", s.added, s.already_known),
        Err(e) if e.to_string().contains("conflicts") => "refused:conflict".into(),
        Err(GuardError::Interchange(_)) | Err(GuardError::SlotOutOfRange(_)) => "refused:invalid".into(),
        Err(e) => format!("error: {e}"),
    }
}

/// Runs every case; `open(name, create)` opens the guard database `name`, creating it (empty)
/// first when `create` is set.
fn run_cases(backend: &str, mut open: impl FnMut(&str, bool) -> SignGuard) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sign_guard_cases.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = file["cases"].as_array().unwrap();
    let mut steps_run = 0;
    for (c, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let mut db = format!("case{c}");
        let mut g = open(&db, true);
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            if step.get("reopen").is_some() {
                drop(g);
                g = open(&db, false);
                continue;
            }
            if step.get("export_import_into_fresh").is_some() {
                let history = g.export().unwrap();
                db = format!("case{c}moved{i}");
                g = open(&db, true);
                g.import(&history).unwrap();
                continue;
            }
            let got = if let Some(s) = step.get("sign") {
                sign_outcome(&g, s)
            } else {
                import_outcome(&g, &step["import"])
            };
            assert_eq!(
                got,
                step["expect"].as_str().unwrap(),
                "{backend}: case {name:?}, step {i}"
            );
            steps_run += 1;
        }
    }
    println!(
        "sign guard cases on {backend}: {} cases, {steps_run} checked steps",
        cases.len()
    );
    assert!(steps_run > 30);
}

#[test]
fn sign_guard_cases_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    run_cases("sqlite", |name, create| {
        let path = dir.path().join(format!("{name}.db"));
        if create {
            SignGuard::create(&path).unwrap()
        } else {
            SignGuard::open(&path).unwrap()
        }
    });
}

/// The same cases on a real PostgreSQL server: one database per case.
#[test]
fn sign_guard_cases_postgres() {
    let pg = common::pg::PgServer::start();
    run_cases("postgres", |name, create| {
        let url = if create { pg.create_database(name) } else { pg.url(name) };
        SignGuard::open_postgres(&PostgresGuardConfig::new(url), create).unwrap()
    });
}
