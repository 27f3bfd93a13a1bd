//! `GET /api/v1/node`: the node itself — its name, network, role, sync state, peers and, for a
//! producer, when its leaders' operational certificates expire.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::errors::bad_request;
use super::params::only;
use super::NodeApi;

/// The node, its sync state (its tip against the wall clock's slot) and every peer's figures.
pub(super) async fn node(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = only(&params, &[]) {
        return bad_request(e);
    }
    let cfg = api.chain.config().clone();
    let now = (api.now_ms)();
    let current_slot = cfg.slot_at_ms(now.max(cfg.genesis.system_start_ms));
    let tip = api.chain.tip().await;
    let peers: Vec<Value> = api
        .peers
        .snapshot()
        .into_iter()
        .map(|((direction, address), s)| {
            json!({
                "address": address,
                "direction": direction,
                "connected": s.open.load(Ordering::Relaxed) > 0,
                "reached_tip": s.reached_tip.load(Ordering::Relaxed),
                "headers_received": s.headers_received.load(Ordering::Relaxed),
                "blocks_received": s.blocks_received.load(Ordering::Relaxed),
                "blocks_served": s.blocks_served.load(Ordering::Relaxed),
                "last_error": s.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            })
        })
        .collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "node_name": api.name,
        "network_magic": cfg.genesis.shelley.network_magic,
        "producer": api.producer,
        "sync": {
            "state": if api.caught_up.load(Ordering::Relaxed) { "caught_up" } else { "syncing" },
            "tip_slot": tip.map(|(t, _)| t.slot),
            "current_slot": current_slot,
            "current_epoch": cfg.epoch_of(current_slot),
            "slot_length_ms": cfg.genesis.slot_length_ms(),
            "epoch_length": cfg.epoch_length(),
            "system_start": chrono::DateTime::from_timestamp_millis(cfg.genesis.system_start_ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        },
        "peers": peers,
        "kes": kes(&api, now),
    }))
    .into_response()
}

/// Each leader's operational-certificate expiry, as the enclave's last Health said; `warning`
/// when it is within `[leadership] kes_warning_hours` (or past).
fn kes(api: &NodeApi, now_ms: i64) -> Vec<Value> {
    let warning_ms = i64::try_from(api.kes_warning.as_millis()).unwrap_or(i64::MAX);
    api.kes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|k| {
            // 0: the enclave has no clock, so no time is known.
            let known = k.expires_unix_ms != 0;
            let left_ms = k.expires_unix_ms.saturating_sub(now_ms);
            json!({
                "leader": k.leader,
                "kes_period": k.kes_period,
                "end_kes_period": k.end_period,
                "end_slot": k.end_slot,
                "expires_at": known.then(|| chrono::DateTime::from_timestamp_millis(k.expires_unix_ms)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))).flatten(),
                "seconds_left": known.then_some(left_ms.max(0) / 1000),
                "warning": known && left_ms < warning_ms,
            })
        })
        .collect()
}
