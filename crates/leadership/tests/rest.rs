//! The REST routes: every endpoint, bad parameters, jormungandr's v0 shape field by field, the
//! event stream, and the checked-in OpenAPI document against the responses.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use serde_json::Value;
use slotforge_leadership::clock::TokioClock;
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::params::DigestedParams;
use slotforge_leadership::process::{self, LeadershipHandle};
use slotforge_leadership::rest::{self, openapi_conforms, V0_MAX_ENTRIES};
use slotforge_leadership::slot_log::{SlotLog, TransitionInfo};
use slotforge_leadership::status::SlotStatus;
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    handle: LeadershipHandle,
    router: axum::Router,
    now: i64,
}

/// A log with five entries of epoch 1 in five statuses, and one of epoch 2, with the clock
/// set between them.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let signer = signer(dir.path(), 1);
    let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
    let p1 = DigestedParams::new(epoch_params(&signer, 1, 100, 4, 0));
    let p2 = DigestedParams::new(epoch_params(&signer, 2, 100, 4, 0));
    let now = p1.slot_start_ms(150);
    let t0 = p1.slot_start_ms(100) - 60_000;
    log.begin_schedule("pool-0", &p1, 17.5, 100, t0).unwrap();
    log.begin_schedule("pool-0", &p2, 17.5, 200, t0).unwrap();
    let mut ids = Vec::new();
    for slot in [103, 110, 120, 130, 160] {
        ids.push(
            log.add_slot("pool-0", &p1, slot, Some(&[1; 64]), Some(&[2; 80]), t0)
                .unwrap()
                .unwrap()
                .id,
        );
    }
    log.add_slot("pool-0", &p2, 205, None, None, t0).unwrap().unwrap();
    // Both schedules are complete: the process started below has nothing to compute, so the
    // log holds exactly these entries.
    log.complete_schedule("pool-0", &p1).unwrap();
    log.complete_schedule("pool-0", &p2).unwrap();
    let go = |id: i64, to: SlotStatus, info: TransitionInfo, at: i64| log.transition(id, to, &info, at).unwrap();
    // 103: forged, adopted, immutable. 110: missed. 120: forged, orphaned. 130: woke, forged.
    go(
        ids[0],
        SlotStatus::Woke,
        TransitionInfo::default(),
        p1.slot_start_ms(103) - 100,
    );
    go(
        ids[0],
        SlotStatus::Forged,
        TransitionInfo {
            block_hash: Some([0xab; 32]),
            parent_hash: Some([0xcd; 32]),
            ..Default::default()
        },
        p1.slot_start_ms(103) + 2,
    );
    go(
        ids[0],
        SlotStatus::Adopted,
        TransitionInfo {
            chain_length: Some(4872),
            ..Default::default()
        },
        p1.slot_start_ms(103) + 40,
    );
    go(
        ids[1],
        SlotStatus::Woke,
        TransitionInfo::default(),
        p1.slot_start_ms(110) - 100,
    );
    go(
        ids[1],
        SlotStatus::Missed,
        TransitionInfo {
            reason: Some("enclave unreachable: connection refused".into()),
            ..Default::default()
        },
        p1.slot_start_ms(110),
    );
    go(
        ids[2],
        SlotStatus::Woke,
        TransitionInfo::default(),
        p1.slot_start_ms(120) - 100,
    );
    go(
        ids[2],
        SlotStatus::Forged,
        TransitionInfo {
            block_hash: Some([0xef; 32]),
            ..Default::default()
        },
        p1.slot_start_ms(120) + 1,
    );
    go(
        ids[2],
        SlotStatus::Orphaned,
        TransitionInfo::default(),
        p1.slot_start_ms(121),
    );
    go(
        ids[3],
        SlotStatus::Woke,
        TransitionInfo::default(),
        p1.slot_start_ms(130) - 100,
    );
    // As the forge task records it: the first block after genesis (no parent), chain length 1.
    go(
        ids[3],
        SlotStatus::Forged,
        TransitionInfo {
            block_hash: Some([0x11; 32]),
            chain_length: Some(1),
            ..Default::default()
        },
        p1.slot_start_ms(130) + 1,
    );
    let chain = SimChain::default();
    let clock = TokioClock::starting_at(now);
    let (handle, _task) = process::start(
        SimEnclave::new(signer),
        chain,
        SimPool::new(1),
        clock,
        log,
        LeadershipConfig::default(),
    )
    .await
    .unwrap();
    let router = rest::router(handle.clone(), clock);
    Fixture {
        _dir: dir,
        handle,
        router,
        now,
    }
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, value)
}

fn is_rfc3339_utc(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with("+00:00"))
}

#[tokio::test(start_paused = true)]
async fn v0_logs_have_jormungandrs_shape_field_by_field() {
    let f = fixture().await;
    let (status, body) = get(&f.router, "/api/v0/leaders/logs").await;
    assert_eq!(status, StatusCode::OK);
    let logs = body.as_array().unwrap();
    assert_eq!(logs.len(), 6);
    // jormungandr's documented entry (doc/jcli/rest.md, "Get leadership logs", and its REST
    // types): these seven fields, no others.
    let documented = serde_json::json!({
        "created_at_time": "2019-11-15T21:57:43.762219400+00:00",
        "enclave_leader_id": 1,
        "finished_at_time": "2019-11-15T22:04:37.031734500+00:00",
        "scheduled_at_date": "7.208",
        "scheduled_at_time": "2019-11-15T22:04:37+00:00",
        "status": {"Block": {"block": "c611e8f4e84f0d79953d1f5221799ad1fb77ab3272f98de7927bffa12c73d1d2", "chain_length": 4872}},
        "wake_at_time": "2019-11-15T22:04:37.031734500+00:00"
    });
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for log in logs {
        assert_eq!(keys(log), keys(&documented));
        assert!(is_rfc3339_utc(&log["created_at_time"]));
        assert!(is_rfc3339_utc(&log["scheduled_at_time"]));
        for opt in ["wake_at_time", "finished_at_time"] {
            assert!(log[opt].is_null() || is_rfc3339_utc(&log[opt]), "{opt}: {}", log[opt]);
        }
        assert!(log["enclave_leader_id"].is_u64());
        let date = log["scheduled_at_date"].as_str().unwrap();
        let (e, s) = date.split_once('.').unwrap();
        assert!(e.parse::<u64>().is_ok() && s.parse::<u64>().is_ok(), "{date}");
    }
    let by_date = |d: &str| logs.iter().find(|l| l["scheduled_at_date"] == d).unwrap();
    // Adopted: a Block with the documented fields (plus the parent).
    let block = &by_date("1.3")["status"]["Block"];
    assert_eq!(block["block"], hex::encode([0xab; 32]));
    assert_eq!(block["chain_length"], 4872);
    assert_eq!(block["parent"], hex::encode([0xcd; 32]));
    assert!(is_rfc3339_utc(&by_date("1.3")["finished_at_time"]));
    // Every Block has its three fields, none null (jormungandr's `LeadershipLogStatus::Block`
    // has no optional field): a first block names the all-zero hash as its parent.
    let blocks: Vec<&Value> = logs.iter().filter_map(|l| l["status"].get("Block")).collect();
    assert_eq!(blocks.len(), 2);
    for b in &blocks {
        assert!(
            b["block"].is_string() && b["parent"].is_string() && b["chain_length"].is_u64(),
            "{b}"
        );
    }
    assert_eq!(by_date("1.30")["status"]["Block"]["parent"], "00".repeat(32));
    // Scheduled: "Pending", no wake or finish time yet (as jormungandr prints it).
    assert_eq!(by_date("1.60")["status"], "Pending");
    assert!(by_date("1.60")["wake_at_time"].is_null());
    assert!(by_date("1.60")["finished_at_time"].is_null());
    // Missed and orphaned: Rejected with a reason.
    assert_eq!(
        by_date("1.10")["status"]["Rejected"]["reason"],
        "missed: enclave unreachable: connection refused"
    );
    assert_eq!(by_date("1.20")["status"]["Rejected"]["reason"], "orphaned");
    // A slot on a whole second prints like jormungandr's scheduled_at_time (no fraction).
    assert!(!by_date("1.3")["scheduled_at_time"].as_str().unwrap().contains('.'));
    let (status, body) = get(&f.router, "/api/v0/leaders/logs?x=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("unknown parameter"));
}

#[tokio::test(start_paused = true)]
async fn v0_logs_are_bounded_to_the_newest_entries() {
    let f = fixture().await;
    let keys = tempfile::tempdir().unwrap();
    let signer = signer(keys.path(), 1);
    let p3 = DigestedParams::new(epoch_params(&signer, 3, 10_000, 4, 0));
    let first = p3.slots().start;
    let log = &f.handle.log;
    log.begin_schedule("pool-0", &p3, 1.0, first, 0).unwrap();
    for slot in first..first + V0_MAX_ENTRIES as u64 {
        log.add_slot("pool-0", &p3, slot, None, None, 0).unwrap().unwrap();
    }
    let (status, body) = get(&f.router, "/api/v0/leaders/logs").await;
    assert_eq!(status, StatusCode::OK);
    let logs = body.as_array().unwrap();
    // The six older entries are left out; the newest V0_MAX_ENTRIES come oldest first.
    assert_eq!(logs.len(), V0_MAX_ENTRIES);
    assert_eq!(logs[0]["scheduled_at_date"], "3.0");
    assert_eq!(
        logs[V0_MAX_ENTRIES - 1]["scheduled_at_date"],
        format!("3.{}", V0_MAX_ENTRIES - 1)
    );
}

#[tokio::test(start_paused = true)]
async fn v1_schedule_filters_and_pages() {
    let f = fixture().await;
    let (status, body) = get(&f.router, "/api/v1/leadership/schedule?epoch=1").await;
    assert_eq!(status, StatusCode::OK);
    let slots: Vec<u64> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slot"].as_u64().unwrap())
        .collect();
    assert_eq!(slots, [103, 110, 120, 130, 160]);
    assert!(body["next_cursor"].is_null());
    let (_, body) = get(&f.router, "/api/v1/leadership/schedule?status=missed").await;
    assert_eq!(body["entries"][0]["reason"], "enclave unreachable: connection refused");
    assert_eq!(body["entries"].as_array().unwrap().len(), 1);
    let (_, body) = get(&f.router, "/api/v1/leadership/schedule?leader=nobody").await;
    assert!(body["entries"].as_array().unwrap().is_empty());
    // Pages of 2 walk everything once.
    let mut seen = Vec::new();
    let mut uri = "/api/v1/leadership/schedule?limit=2".to_string();
    loop {
        let (status, body) = get(&f.router, &uri).await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["slot"].as_u64().unwrap()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/leadership/schedule?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [103, 110, 120, 130, 160, 205]);
    for (query, needle) in [
        ("epoch=x", "epoch must be"),
        ("epoch=-1", "epoch must be"),
        ("status=lost", "is not one of"),
        ("limit=0", "limit must be"),
        ("limit=1001", "limit must be"),
        ("cursor=zz", "cursor"),
        ("cursor=5-x", "cursor"),
        ("epochs=1", "unknown parameter"),
    ] {
        let (status, body) = get(&f.router, &format!("/api/v1/leadership/schedule?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body["error"].as_str().unwrap().contains(needle), "{query}: {body}");
    }
}

#[tokio::test(start_paused = true)]
async fn v1_next_and_epochs() {
    let f = fixture().await;
    let (status, body) = get(&f.router, "/api/v1/leadership/next").await;
    assert_eq!(status, StatusCode::OK);
    let slots = body["slots"].as_array().unwrap();
    // 160 (this epoch) and 205 (the next), soonest first, with the time until each.
    assert_eq!(slots.len(), 2);
    assert_eq!(slots[0]["slot"], 160);
    assert_eq!(slots[0]["in_ms"], 10 * SLOT_MS);
    assert_eq!(slots[1]["slot"], 205);
    assert!(is_rfc3339_utc(&body["now"]));
    let (_, body) = get(&f.router, "/api/v1/leadership/next?limit=1&leader=pool-0").await;
    assert_eq!(body["slots"].as_array().unwrap().len(), 1);
    let (status, _) = get(&f.router, "/api/v1/leadership/next?limit=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = get(&f.router, "/api/v1/leadership/epochs").await;
    assert_eq!(status, StatusCode::OK);
    let epochs = body["epochs"].as_array().unwrap();
    assert_eq!(epochs[0]["epoch"], 2, "newest first");
    let e1 = &epochs[1];
    assert_eq!(
        (e1["assigned"].as_u64(), e1["forged"].as_u64(), e1["adopted"].as_u64()),
        (Some(5), Some(3), Some(1))
    );
    assert_eq!((e1["orphaned"].as_u64(), e1["missed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(e1["ideal"], 17.5);
    assert_eq!(e1["performance"], 20.0);
    let (status, _) = get(&f.router, "/api/v1/leadership/epochs?leader=pool-0&x=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = get(&f.router, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body
        .as_str()
        .unwrap()
        .contains("slotforge_leadership_schedule_computations_total"));
}

#[tokio::test(start_paused = true)]
async fn events_stream_every_status_change() {
    let f = fixture().await;
    let response = f
        .router
        .clone()
        .oneshot(Request::get("/api/v1/leadership/events").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body().into_data_stream();
    // A status change is published by the process; here, one made through its log and sent
    // on its event channel as the process does.
    let pending = f.handle.log.pending().unwrap();
    let e = f
        .handle
        .log
        .transition(pending[0].id, SlotStatus::Woke, &TransitionInfo::default(), f.now)
        .unwrap();
    f.handle.events.send(e.clone()).unwrap();
    use tokio_stream::StreamExt;
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    assert!(text.starts_with("event: slot\ndata: "), "{text}");
    let data: Value = serde_json::from_str(text.lines().nth(1).unwrap().strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(
        (data["slot"].as_u64(), data["status"].as_str()),
        (Some(e.slot), Some("woke"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_openapi_document_matches_the_routes_and_their_answers() {
    let f = fixture().await;
    let doc: Value = serde_json::from_str(rest::OPENAPI).unwrap();
    let (status, served) = get(&f.router, "/api/v1/leadership/openapi.json").await;
    assert_eq!((status, &served), (StatusCode::OK, &doc));
    let paths = doc["paths"].as_object().unwrap();
    // Every documented path answers, with the documented shape.
    for (path, item) in paths {
        if path.ends_with("/events") {
            continue; // a stream, checked above
        }
        let (status, body) = get(&f.router, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let content = &item["get"]["responses"]["200"]["content"];
        if let Some(schema) = content.get("application/json").map(|c| &c["schema"]) {
            openapi_conforms(&doc, schema, &body, path).unwrap_or_else(|e| panic!("{e}"));
        }
        // Every documented 400 answers with the documented error shape.
        if item["get"]["responses"].get("400").is_some() {
            let (status, body) = get(&f.router, &format!("{path}?not_a_parameter=1")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            openapi_conforms(&doc, &doc["components"]["schemas"]["Error"], &body, path).unwrap();
        }
        // Every documented parameter is accepted.
        for p in item["get"]["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            let sample = match name {
                "status" => "scheduled",
                "leader" => "pool-0",
                "cursor" => "0-0",
                _ => "1",
            };
            let (status, _) = get(&f.router, &format!("{path}?{name}={sample}")).await;
            assert_eq!(status, StatusCode::OK, "{path}?{name}");
        }
    }
    // And no route is undocumented: the router answers 404 for anything else.
    for undocumented in ["/api/v0/leaders", "/api/v1/leadership", "/api/v1/leadership/slots"] {
        assert!(!paths.contains_key(undocumented));
        let (status, _) = get(&f.router, undocumented).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{undocumented}");
    }
}
