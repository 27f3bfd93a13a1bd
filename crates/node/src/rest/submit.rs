//! `POST /api/submit/tx`: transaction submission as cardano-submit-api takes it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use slotforge_chain::service::SubmitError;

use super::errors::{error, stopped};
use super::NodeApi;

/// As cardano-submit-api: a CBOR transaction in, 202 and its id out, or 400 and why.
pub(super) async fn submit_tx(State(api): State<NodeApi>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/cbor" {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be application/cbor (got {content_type:?}); send the signed transaction's CBOR bytes"),
        );
    }
    match api.chain.submit_tx(body.to_vec()).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!(hex::encode(id)))).into_response(),
        Err(SubmitError::Stopped) => stopped(),
        Err(e) => {
            use slotforge_chain::mempool::MempoolError;
            let message = e.to_string();
            // Every predicate failure by the reference's name, the first as `kind`.
            let ledger = match &e {
                SubmitError::Mempool(MempoolError::Invalid(l)) => Some(l),
                // A resubmission also carries the ledger's verdict on it (its inputs are spent).
                SubmitError::Mempool(MempoolError::Duplicate { ledger, .. }) => ledger.as_deref(),
                _ => None,
            };
            let failures: Vec<Value> = ledger.map_or_else(Vec::new, |l| {
                l.failures()
                    .iter()
                    .map(|f| json!({ "predicate": f.name(), "message": f.to_string() }))
                    .collect()
            });
            let kind = match &e {
                SubmitError::Decode(_) => "DecoderFailure".to_string(),
                SubmitError::Mempool(MempoolError::Duplicate { .. }) => "Duplicate".into(),
                SubmitError::Mempool(MempoolError::Full { .. }) => "MempoolFull".into(),
                SubmitError::Mempool(MempoolError::Invalid(l)) => l.name().to_string(),
                _ => message.split(':').next().unwrap_or("LedgerError").trim().to_string(),
            };
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "tag": "TxSubmitFail", "kind": kind, "message": message, "failures": failures })),
            )
                .into_response()
        }
    }
}
