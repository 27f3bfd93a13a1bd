//! The REST routes a node mounts: jormungandr's `/api/v0/leaders/logs` (so existing tooling
//! keeps working) and `/api/v1/leadership/…` (schedule, next slots, per-epoch figures,
//! server-sent events), the OpenAPI document of all of them, and `/metrics`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat};
use serde::Serialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use crate::clock::Clock;
use crate::process::LeadershipHandle;
use crate::slot_log::{LogError, Query as LogQuery, SlotEntry, SlotLog};
use crate::status::SlotStatus;

/// The OpenAPI document of these routes (checked in, and tested against them).
pub const OPENAPI: &str = include_str!("../openapi.json");

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Clone)]
struct RestState {
    handle: LeadershipHandle,
    now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
}

/// A 400 with a JSON body that says what is wrong.
struct BadRequest(String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": self.0 }))).into_response()
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": e.to_string() })),
    )
        .into_response()
}

/// The routes, reading `handle`'s slot log and events; `clock` gives "now" for `next`.
pub fn router<C: Clock>(handle: LeadershipHandle, clock: C) -> Router {
    let state = RestState {
        handle,
        now_ms: Arc::new(move || clock.now_ms()),
    };
    Router::new()
        .route("/api/v0/leaders/logs", get(v0_logs))
        .route("/api/v1/leadership/schedule", get(schedule))
        .route("/api/v1/leadership/next", get(next))
        .route("/api/v1/leadership/epochs", get(epochs))
        .route("/api/v1/leadership/events", get(events))
        .route(
            "/api/v1/leadership/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
        .route("/metrics", get(metrics))
        .with_state(state)
}

type Params = Query<HashMap<String, String>>;

/// Rejects parameters the endpoint does not know, so a typo is not silently ignored.
fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), BadRequest> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(BadRequest(format!(
            "unknown parameter {k:?}; this endpoint takes {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, BadRequest> {
    params
        .get(name)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| BadRequest(format!("{name} must be a non-negative integer, got {v:?}")))
        })
        .transpose()
}

fn limit(params: &HashMap<String, String>, default: usize) -> Result<usize, BadRequest> {
    match number(params, "limit")? {
        None => Ok(default),
        Some(n) if (1..=MAX_LIMIT as u64).contains(&n) => Ok(n as usize),
        Some(n) => Err(BadRequest(format!("limit must be between 1 and {MAX_LIMIT}, got {n}"))),
    }
}

fn rfc3339(ms: Option<i64>) -> Value {
    ms.and_then(DateTime::from_timestamp_millis).map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
    })
}

/// The most entries `/api/v0/leaders/logs` returns: the newest, by slot (v0 has no paging;
/// `/api/v1/leadership/schedule` pages through everything).
pub const V0_MAX_ENTRIES: usize = 5_000;

/// The parent jormungandr names for a chain's first block: the all-zero hash.
const GENESIS_PARENT: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// jormungandr's `LeadershipLog` JSON for one entry.
fn v0_entry(e: &SlotEntry) -> Value {
    let status = match e.status {
        SlotStatus::Scheduled | SlotStatus::Woke => json!("Pending"),
        SlotStatus::Forged | SlotStatus::Adopted | SlotStatus::Immutable => json!({
            "Block": {
                "block": e.block_hash,
                "parent": e.parent_hash.as_deref().unwrap_or(GENESIS_PARENT),
                "chain_length": e.chain_length,
            }
        }),
        other => json!({
            "Rejected": {
                "reason": match &e.reason {
                    Some(r) => format!("{other}: {r}"),
                    None => other.to_string(),
                }
            }
        }),
    };
    json!({
        "created_at_time": rfc3339(Some(e.created_at_ms)),
        "enclave_leader_id": e.leader_id,
        "finished_at_time": rfc3339(e.finished_at_ms),
        "scheduled_at_date": format!("{}.{}", e.epoch, e.slot_in_epoch),
        "scheduled_at_time": rfc3339(Some(e.scheduled_at_ms)),
        "status": status,
        "wake_at_time": rfc3339(e.woke_at_ms),
    })
}

/// Runs a slot-log read on tokio's blocking pool: SQLite work never runs on the async runtime.
async fn read_log<T: Send + 'static>(
    s: &RestState,
    read: impl FnOnce(&SlotLog) -> Result<T, LogError> + Send + 'static,
) -> Result<T, Response> {
    let log = s.handle.log.clone();
    match tokio::task::spawn_blocking(move || read(&log)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(internal(e)),
        Err(e) => Err(internal(e)),
    }
}

async fn v0_logs(State(s): State<RestState>, Query(params): Params) -> Response {
    if let Err(e) = only(&params, &[]) {
        return e.into_response();
    }
    match read_log(&s, |log| log.newest(V0_MAX_ENTRIES)).await {
        Ok(entries) => Json(entries.iter().map(v0_entry).collect::<Vec<_>>()).into_response(),
        Err(r) => r,
    }
}

#[derive(Serialize)]
struct SchedulePage {
    entries: Vec<SlotEntry>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

fn parse_cursor(c: &str) -> Result<(u64, i64), BadRequest> {
    let bad = || BadRequest(format!("cursor {c:?} is not one this API returned"));
    let (slot, id) = c.split_once('-').ok_or_else(bad)?;
    Ok((slot.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

async fn schedule(State(s): State<RestState>, Query(params): Params) -> Response {
    let query = (|| {
        only(&params, &["epoch", "leader", "status", "limit", "cursor"])?;
        let status = params
            .get("status")
            .map(|v| {
                SlotStatus::parse(v).ok_or_else(|| {
                    let all: Vec<&str> = SlotStatus::ALL.iter().map(|s| s.as_str()).collect();
                    BadRequest(format!("status {v:?} is not one of {}", all.join(", ")))
                })
            })
            .transpose()?;
        Ok::<_, BadRequest>(LogQuery {
            epoch: number(&params, "epoch")?,
            leader: params.get("leader").cloned(),
            status,
            after: params.get("cursor").map(|c| parse_cursor(c)).transpose()?,
            limit: limit(&params, DEFAULT_LIMIT)?,
        })
    })();
    let query = match query {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let limit = query.limit;
    match read_log(&s, move |log| log.query(&query)).await {
        Ok(entries) => {
            let next_cursor = (entries.len() == limit)
                .then(|| entries.last().map(|e| format!("{}-{}", e.slot, e.id)))
                .flatten();
            Json(SchedulePage { entries, next_cursor }).into_response()
        }
        Err(r) => r,
    }
}

async fn next(State(s): State<RestState>, Query(params): Params) -> Response {
    let checked = only(&params, &["leader", "limit"]).and_then(|()| limit(&params, 10));
    let limit = match checked {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let now = (s.now_ms)();
    let pending = match read_log(&s, |log| log.pending()).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let slots: Vec<Value> = pending
        .iter()
        .filter(|e| e.status == SlotStatus::Scheduled && e.scheduled_at_ms >= now)
        .filter(|e| params.get("leader").is_none_or(|l| *l == e.leader))
        .take(limit)
        .map(|e| {
            json!({
                "leader": e.leader,
                "slot": e.slot,
                "epoch": e.epoch,
                "slot_in_epoch": e.slot_in_epoch,
                "scheduled_at": rfc3339(Some(e.scheduled_at_ms)),
                "in_ms": e.scheduled_at_ms - now,
            })
        })
        .collect();
    Json(json!({ "now": rfc3339(Some(now)), "slots": slots })).into_response()
}

async fn epochs(State(s): State<RestState>, Query(params): Params) -> Response {
    if let Err(e) = only(&params, &["leader"]) {
        return e.into_response();
    }
    let leader = params.get("leader").cloned();
    match read_log(&s, move |log| log.epochs(leader.as_deref())).await {
        Ok(epochs) => Json(json!({ "epochs": epochs })).into_response(),
        Err(r) => r,
    }
}

async fn events(State(s): State<RestState>) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(s.handle.events.subscribe()).filter_map(|e| {
        e.ok().map(|entry| {
            Ok(Event::default()
                .event("slot")
                .json_data(&entry)
                .unwrap_or_else(|_| Event::default().comment("unencodable entry")))
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn metrics(State(s): State<RestState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        s.handle.metrics.render(),
    )
}

/// Checks a JSON answer against an OpenAPI document's schema — the subset of JSON Schema
/// slotforge's documents use ($ref, allOf, oneOf, enum, nullable, required, additionalProperties,
/// items, types) — naming the first place that differs.
pub fn openapi_conforms(doc: &Value, schema: &Value, value: &Value, path: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap();
        return openapi_conforms(doc, &doc["components"]["schemas"][name], value, path);
    }
    if let Some(all) = schema["allOf"].as_array() {
        if value.is_null() && schema["nullable"] == true {
            return Ok(());
        }
        for s in all {
            openapi_conforms(doc, s, value, path)?;
        }
        return Ok(());
    }
    if value.is_null() {
        return if schema["nullable"] == true {
            Ok(())
        } else {
            Err(format!("{path}: null"))
        };
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let matching = options
            .iter()
            .filter(|o| openapi_conforms(doc, o, value, path).is_ok())
            .count();
        return if matching == 1 {
            Ok(())
        } else {
            Err(format!("{path}: matches {matching} of oneOf"))
        };
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            return Err(format!("{path}: {value} not in enum"));
        }
    }
    let ok = match schema["type"].as_str() {
        Some("object") => {
            let obj = value.as_object().ok_or(format!("{path}: not an object"))?;
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            for r in schema["required"].as_array().into_iter().flatten() {
                if !obj.contains_key(r.as_str().unwrap()) {
                    return Err(format!("{path}: missing {r}"));
                }
            }
            for (k, v) in obj {
                match props.get(k) {
                    Some(s) => openapi_conforms(doc, s, v, &format!("{path}.{k}"))?,
                    None if schema["additionalProperties"] == false => {
                        return Err(format!("{path}: undocumented field {k}"))
                    }
                    None => {}
                }
            }
            true
        }
        Some("array") => {
            for (i, v) in value
                .as_array()
                .ok_or(format!("{path}: not an array"))?
                .iter()
                .enumerate()
            {
                openapi_conforms(doc, &schema["items"], v, &format!("{path}[{i}]"))?;
            }
            true
        }
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{path}: {value} is not a {}", schema["type"]))
    }
}
