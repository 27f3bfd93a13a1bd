//! The REST API's error answers: a status and `{"error": …}` naming the problem.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// `status` with `{"error": message}`.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// 400: a parameter the route cannot use, named in `message`.
pub(super) fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// 503: the chain task is gone (the node is stopping).
pub(super) fn stopped() -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "the chain task has stopped")
}
