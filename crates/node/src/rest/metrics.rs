//! `GET /metrics`: the node's metrics in Prometheus' text format.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::NodeApi;

/// The chain's, every peer's and (once it runs) leadership's metrics.
pub(super) async fn metrics(State(api): State<NodeApi>) -> Response {
    let leadership = api.leadership_metrics.get().map(|m| &**m);
    let out = slotforge::node_metrics::render(&api.chain, &api.peers, leadership).await;
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        Body::from(out),
    )
        .into_response()
}
