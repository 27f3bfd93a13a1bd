//! `GET /api/v1/epochs/{epoch}`: an epoch's leadership parameters as the chain announced them,
//! from the node's epoch archive (so a past epoch's schedule can be recomputed).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::errors::{bad_request, error};
use super::NodeApi;

/// The archived parameters of one epoch, or 404 naming the epochs the node knows.
pub(super) async fn epoch(State(api): State<NodeApi>, Path(e): Path<String>) -> Response {
    let Ok(e) = e.parse::<u64>() else {
        return bad_request(format!("{e:?} is not an epoch number"));
    };
    match api.epochs.get(e) {
        Some(v) => Json(v).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!(
                "epoch {e}'s leadership parameters are not known to this node (it knows {})",
                api.epochs.known()
            ),
        ),
    }
}
