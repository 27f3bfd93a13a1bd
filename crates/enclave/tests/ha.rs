//! Highly available enclaves: several real `slotforge-enclave` processes, each with its own
//! copy of the pool's keys, share one sign guard on a real PostgreSQL server.
//!
//! - 64 concurrent SignBlock calls per slot with 64 different bodies, spread over 2 and then
//!   3 enclaves, for `SLOTFORGE_HA_SLOTS` slots (1,000 by default): exactly one body is
//!   signed per slot; every other call is refused `double_sign`, naming the slot.
//! - The crash test: random enclaves are SIGKILLed and restarted while the others keep
//!   signing, and PostgreSQL itself is restarted (immediate shutdown) mid-run: no slot ever
//!   has two signed bodies, every signature a client received is in the shared history, and
//!   signing resumes. `SLOTFORGE_HA_KILLS` sets the rounds (60 by default).
//! - PostgreSQL going away: `guard_unavailable`, health and metrics say so, and the enclave
//!   recovers without a restart.
//! - `history move` from SQLite to PostgreSQL; KES keys evolved by one enclave are evolved by
//!   the others when they load.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::pg::PgServer;
use common::*;
use slotforge_enclave::client::EnclaveClient;
use slotforge_enclave::signer::{Identity, ScheduledSlot};

/// KES periods of 1,000 slots: the sample opcert (periods 7..69) covers slots 7,000..69,000.
fn enclave_on(url: &str, metrics: bool) -> TestEnclave {
    TestEnclave::new(Setup {
        tcp: false,
        metrics,
        import_pool: true,
        slots_per_kes_period: 1000,
        guard_url: Some(url.to_string()),
        ..Setup::default()
    })
}

/// Starts `n` enclaves on the database at `url` (the first creates the schema).
async fn start_enclaves(url: &str, n: usize) -> (Vec<TestEnclave>, Vec<EnclaveClient>) {
    let mut enclaves = Vec::new();
    let mut clients = Vec::new();
    for i in 0..n {
        let mut e = enclave_on(url, false);
        e.start(i == 0);
        clients.push(e.unix_client().await);
        enclaves.push(e);
    }
    (enclaves, clients)
}

/// Tells every enclave the epochs' parameters and returns the won slots (from the first).
async fn schedule_on_all(clients: &mut [EnclaveClient], epochs: std::ops::Range<u64>) -> Vec<ScheduledSlot> {
    let mut won = Vec::new();
    for epoch in epochs {
        let slots = schedule_all(&mut clients[0], "pool", &praos_epoch(epoch), 0..0).await;
        for c in clients[1..].iter_mut() {
            assert_eq!(schedule_all(c, "pool", &praos_epoch(epoch), 0..0).await, slots);
        }
        won.extend(slots);
    }
    won
}

/// The signed headers in the shared history, by slot (read through any enclave's CLI).
fn recorded(e: &TestEnclave) -> HashMap<u64, String> {
    e.history()
        .data
        .iter()
        .flat_map(|h| h.signed_slots.iter())
        .map(|s| (s.slot.parse().unwrap(), s.signed.clone()))
        .collect()
}

async fn exactly_one_body_per_slot(n: usize, pg: &PgServer, slots: usize) {
    let url = pg.create_database(&format!("race{n}"));
    let (enclaves, mut clients) = start_enclaves(&url, n).await;
    let id: Identity = clients[0].identity("pool").await.unwrap();
    let won = schedule_on_all(&mut clients, 7..7 + (slots as u64 / 400) + 1).await;
    assert!(won.len() >= slots, "{} won slots", won.len());
    let mut winners: HashMap<u64, Vec<u8>> = HashMap::new();
    for s in &won[..slots] {
        let mut calls = Vec::new();
        for tag in 0..64u8 {
            let mut c = clients[tag as usize % n].clone();
            let body = body_for(&id, s, tag).to_cbor();
            calls.push(tokio::spawn(async move { c.sign_block("pool", body).await }));
        }
        let mut signed = Vec::new();
        for call in calls {
            match call.await.unwrap() {
                Ok(h) => signed.push(h),
                Err(e) => {
                    assert_eq!(e.reason(), Some("double_sign"), "slot {}: {e}", s.slot);
                    let slotforge_enclave::client::ClientError::Refused { slot, .. } = e else {
                        unreachable!()
                    };
                    assert_eq!(slot, Some(s.slot), "the refusal names its slot");
                }
            }
        }
        assert_eq!(signed.len(), 1, "slot {}: {} bodies signed", s.slot, signed.len());
        assert!(signed[0].fresh);
        winners.insert(s.slot, signed[0].header.clone());
    }
    let history = recorded(&enclaves[n - 1]);
    assert_eq!(history.len(), slots, "one record per slot");
    for (slot, header) in &winners {
        assert_eq!(history.get(slot), Some(&hex::encode(header)), "slot {slot}");
    }
    // Every enclave signed some of the winners: the race really was spread.
    let audit_signed: Vec<usize> = enclaves
        .iter()
        .map(|e| {
            std::fs::read_to_string(e.path("data/audit.jsonl"))
                .unwrap()
                .lines()
                .filter(|l| l.contains("\"outcome\":\"signed\""))
                .count()
        })
        .collect();
    assert_eq!(audit_signed.iter().sum::<usize>(), slots, "{audit_signed:?}");
    assert!(audit_signed.iter().all(|c| *c > 0), "{audit_signed:?}");
    eprintln!("{n} enclaves: {slots} slots, 64 calls each, signed per enclave {audit_signed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_and_three_enclaves_sign_exactly_one_body_per_slot() {
    let slots = env_u64("SLOTFORGE_HA_SLOTS").unwrap_or(1000) as usize;
    let pg = PgServer::start();
    exactly_one_body_per_slot(2, &pg, slots).await;
    exactly_one_body_per_slot(3, &pg, slots).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_enclaves_and_restarting_postgres_never_signs_a_slot_twice() {
    let rounds = env_u64("SLOTFORGE_HA_KILLS").unwrap_or(60);
    let seed = seed("SLOTFORGE_HA_SEED");
    eprintln!("HA crash test: {rounds} rounds, SLOTFORGE_HA_SEED={seed}");
    let mut rng = Rng(seed);
    let mut pg = PgServer::start();
    let url = pg.create_database("crash");
    let (mut enclaves, mut clients) = start_enclaves(&url, 3).await;
    let id: Identity = clients[0].identity("pool").await.unwrap();
    let epochs = 7..7 + rounds / 100 + 2;
    let won = schedule_on_all(&mut clients, epochs.clone()).await;
    let mut received: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();
    let (mut next, mut signed_any, mut pg_restarts) = (0usize, 0usize, 0);
    for round in 0..rounds {
        assert!(next + 4 < won.len(), "ran out of slots");
        let mut tasks = Vec::new();
        for s in &won[next..next + 4] {
            // Two conflicting bodies and a retry of the first, each to a random enclave.
            for tag in [1u8, 2, 1] {
                let mut c = clients[rng.below(3) as usize].clone();
                let (body, slot) = (body_for(&id, s, tag).to_cbor(), s.slot);
                tasks.push(tokio::spawn(async move { (slot, c.sign_block("pool", body).await) }));
            }
        }
        tokio::time::sleep(Duration::from_micros(rng.below(15_000))).await;
        let victim = rng.below(3) as usize;
        enclaves[victim].kill();
        // Twice a run, PostgreSQL itself goes down hard while requests are in flight.
        let restart_pg = round == rounds / 3 || round == 2 * rounds / 3;
        if restart_pg {
            pg.stop_immediate();
        }
        for t in tasks {
            let (slot, r) = t.await.unwrap();
            if let Ok(signed) = r {
                signed_any += 1;
                let seen = received.entry(slot).or_default();
                if !seen.contains(&signed.header) {
                    seen.push(signed.header);
                }
            }
        }
        if restart_pg {
            pg.start_server();
            pg_restarts += 1;
        }
        enclaves[victim].start(false);
        clients[victim] = enclaves[victim].unix_client().await;
        // The restarted enclave learns the epochs again, as a node would tell it.
        for epoch in epochs.clone() {
            schedule_all(&mut clients[victim], "pool", &praos_epoch(epoch), 0..1).await;
        }
        next += rng.below(5) as usize;
    }
    // Signing resumes on every enclave after all that.
    next += 4;
    for (i, c) in clients.iter_mut().enumerate() {
        let s = &won[next + i];
        let signed = c.sign_block("pool", body_for(&id, s, 7).to_cbor()).await;
        let signed = signed.unwrap_or_else(|e| panic!("enclave {i} does not sign after the run: {e}"));
        received.entry(s.slot).or_default().push(signed.header);
    }
    for (slot, headers) in &received {
        assert_eq!(
            headers.len(),
            1,
            "slot {slot} was signed with {} different bodies",
            headers.len()
        );
    }
    let history = recorded(&enclaves[0]);
    for (slot, headers) in &received {
        assert_eq!(
            history.get(slot),
            Some(&hex::encode(&headers[0])),
            "slot {slot}: a signature a client received is not in the shared history"
        );
    }
    assert_eq!(pg_restarts, 2);
    assert!(
        received.len() as u64 >= rounds / 2,
        "too few slots signed ({})",
        received.len()
    );
    eprintln!(
        "HA crash test: {rounds} enclave kills, {pg_restarts} PostgreSQL restarts, {} slots signed, {signed_any} signatures received, {} recorded",
        received.len(),
        history.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_refused_reported_and_recovered_from() {
    let mut pg = PgServer::start();
    let url = pg.create_database("outage");
    let mut e = enclave_on(&url, true);
    e.start(true);
    let mut c = e.unix_client().await;
    let id: Identity = c.identity("pool").await.unwrap();
    let won = schedule_all(&mut c, "pool", &praos_epoch(7), 0..0).await;
    c.sign_block("pool", body_for(&id, &won[0], 1).to_cbor()).await.unwrap();
    let metrics = || {
        let addr = e.metrics_addr.clone().unwrap();
        async move { http_get(&addr, "/metrics").await }
    };
    assert!(metrics().await.contains("slotforge_enclave_guard_available 1"));

    pg.stop_immediate();
    let err = c
        .sign_block("pool", body_for(&id, &won[1], 1).to_cbor())
        .await
        .expect_err("nothing is signed without the guard");
    assert_eq!(err.reason(), Some("guard_unavailable"), "{err}");
    assert!(err.is_unavailable(), "a client may try another enclave: {err}");
    let health = c.health().await.unwrap();
    assert_eq!(health.guard_backend, "postgres");
    assert!(!health.guard_available && !health.guard_error.is_empty(), "{health:?}");
    assert!(metrics().await.contains("slotforge_enclave_guard_available 0"));

    pg.start_server();
    let signed = c.sign_block("pool", body_for(&id, &won[1], 1).to_cbor()).await;
    assert!(signed.unwrap().fresh, "signing resumes without restarting the enclave");
    assert!(c.health().await.unwrap().guard_available);
    assert!(metrics().await.contains("slotforge_enclave_guard_available 1"));
    let out = e.cli(&["status"]);
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains(&format!(
            "guard:     postgres postgresql://127.0.0.1:{}/outage",
            pg.port
        )),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_history_moves_to_postgres_and_keeps_protecting() {
    let pg = PgServer::start();
    // An enclave on SQLite signs a few slots.
    let mut old = TestEnclave::new(Setup {
        tcp: false,
        slots_per_kes_period: 1000,
        ..Setup::default()
    });
    old.start(true);
    let mut c = old.unix_client().await;
    let id: Identity = c.identity("pool").await.unwrap();
    let won = schedule_all(&mut c, "pool", &praos_epoch(8), 0..0).await;
    // Slots 0, 2 and 3 of the schedule; slot 1 is left out (below the highest signed).
    let mut headers = Vec::new();
    for s in [&won[0], &won[2], &won[3]] {
        headers.push(
            c.sign_block("pool", body_for(&id, s, 1).to_cbor())
                .await
                .unwrap()
                .header,
        );
    }
    let before = old.history();

    let url = pg.create_database("moved");
    let new = enclave_on(&url, false);
    let from = old.path("data/guard.db");
    let from = from.to_str().unwrap();
    let out = new.cli(&["history", "move", "--from", from, "--new-history"]);
    assert!(!out.status.success(), "the SQLite enclave is still serving");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"));
    let out = old.cli(&["history", "move", "--from", from]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SQLite guard"),
        "the target must be PostgreSQL"
    );

    old.terminate();
    let out = new.cli(&["history", "move", "--from", from, "--new-history"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("moved 3 signed slots"));
    assert!(!old.path("data/guard.db").exists(), "the SQLite file is renamed");
    assert!(old.path("data/guard.db.moved-to-postgres").exists());
    let out = old.cli(&["serve"]);
    assert!(
        !out.status.success(),
        "the old enclave does not start from an empty history"
    );

    let mut new = new;
    new.start(false);
    assert_eq!(new.history().data, before.data, "the same history, now in PostgreSQL");
    let mut c = new.unix_client().await;
    schedule_all(&mut c, "pool", &praos_epoch(8), 0..0).await;
    let replay = c.sign_block("pool", body_for(&id, &won[0], 1).to_cbor()).await.unwrap();
    assert!(!replay.fresh && replay.header == headers[0]);
    let err = c
        .sign_block("pool", body_for(&id, &won[2], 2).to_cbor())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("double_sign"));
    let err = c
        .sign_block("pool", body_for(&id, &won[1], 2).to_cbor())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("regression"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enclave_catches_up_with_kes_periods_another_signed_in() {
    let pg = PgServer::start();
    let url = pg.create_database("kes");
    let (mut enclaves, mut clients) = start_enclaves(&url, 2).await;
    let id: Identity = clients[0].identity("pool").await.unwrap();
    // Epoch 9 is KES period 9, two periods past the opcert's start (7).
    let won = schedule_on_all(&mut clients, 9..10).await;
    let signed = clients[0].sign_block("pool", body_for(&id, &won[0], 1).to_cbor()).await;
    assert!(signed.unwrap().fresh);
    let period = |i: Identity| i.praos().unwrap().kes_period;
    assert_eq!(period(clients[0].identity("pool").await.unwrap()), 2);
    assert_eq!(
        period(clients[1].identity("pool").await.unwrap()),
        0,
        "B has not signed yet"
    );
    // Restarted, B evolves its own key to the period A signed in (erasing periods 0 and 1).
    enclaves[1].terminate();
    enclaves[1].start(false);
    let mut b = enclaves[1].unix_client().await;
    assert_eq!(period(b.identity("pool").await.unwrap()), 2);
    let out = enclaves[1].cli(&["status"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("key at period 9 (+2)"));
    schedule_all(&mut b, "pool", &praos_epoch(9), 0..0).await;
    let signed = b.sign_block("pool", body_for(&id, &won[1], 1).to_cbor()).await;
    assert!(signed.unwrap().fresh);
}
