//! `GET /api/v1/protocol-parameters`: the protocol parameters a transaction submitted now is
//! judged by — the mempool's, whose state is the tip ticked to the current slot, so they are
//! the new epoch's as soon as its boundary passes, before its first block.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::errors::stopped;
use super::NodeApi;

/// The current epoch and its parameters.
pub(super) async fn protocol_parameters(State(api): State<NodeApi>) -> Response {
    let current = api
        .chain
        .query(|v| {
            let s = v.mempool.pending_state();
            (s.epoch, s.params.clone())
        })
        .await;
    match current {
        Some((epoch, params)) => Json(json!({ "epoch": epoch, "parameters": &*params })).into_response(),
        None => stopped(),
    }
}
