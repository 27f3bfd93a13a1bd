//! `GET /api/v1/devnet`: the nodes of the devnet this node belongs to (names and REST URLs,
//! from its `devnet.json`), which the devnet overview page lists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::errors::error;
use super::NodeApi;

/// The devnet's nodes, or 404 when the node is not part of one.
pub(super) async fn devnet(State(api): State<NodeApi>) -> Response {
    let Some(path) = &api.devnet else {
        return error(StatusCode::NOT_FOUND, "this node is not part of a devnet");
    };
    let read = tokio::fs::read(path)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(devnet) = read else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read {}", path.display()),
        );
    };
    let nodes: Vec<Value> = devnet["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| json!({ "name": n["name"], "rest": n["rest"] }))
        .collect();
    Json(json!({ "nodes": nodes })).into_response()
}
