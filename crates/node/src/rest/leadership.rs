//! The leadership module's routes (`/api/v1/leadership/*`, `/api/v0/leaders/*`), forwarded to
//! its own router once it runs; every other unknown path is a 404 that points to the OpenAPI
//! document.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use tower::ServiceExt;

use super::errors::error;
use super::NodeApi;

/// The router's fallback: leadership's routes, or 404.
pub(super) async fn leadership_routes(State(api): State<NodeApi>, req: Request) -> Response {
    let path = req.uri().path();
    let is_leadership = path.starts_with("/api/v1/leadership/") || path.starts_with("/api/v0/leaders/");
    if !is_leadership {
        return error(
            StatusCode::NOT_FOUND,
            format!("no route {path}; see /api/v1/openapi.json"),
        );
    }
    match api.leadership.get() {
        Some(r) => match r.clone().oneshot(req).await {
            Ok(r) => r,
            Err(e) => match e {},
        },
        None if api.producer => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "leadership has not started: the node is catching up with its peers",
        ),
        None => error(StatusCode::NOT_FOUND, "this node is a relay: it does not forge"),
    }
}
