//! `GET /api/v1/events`: a server-sent event stream of the chain (`tip`, `rollback`), each
//! subscription holding one of [`MAX_SUBSCRIBERS`] places while it lasts.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use slotforge_chain::selection::SelectionEvent;
use slotforge_chain::service::ChainNotice;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

use super::chain::tip_json;
use super::errors::error;
use super::limits::MAX_SUBSCRIBERS;
use super::NodeApi;

/// `tip` at every change of the selected chain (and at once), `rollback` when it rolls back.
/// At most [`MAX_SUBSCRIBERS`] at once. A subscriber that falls a whole notice buffer (1,024)
/// behind has its stream ended; what is buffered for it is the notice channel's, whatever it
/// does.
pub(super) async fn events(State(api): State<NodeApi>) -> Response {
    let Ok(permit) = api.limits.subscribers.clone().try_acquire_owned() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_SUBSCRIBERS} event-stream subscribers are connected; retry later"),
        );
    };
    let first = tip_json(&api.chain).await;
    let chain = api.chain.clone();
    let notices = BroadcastStream::new(api.chain.subscribe()).take_while(|n| n.is_ok());
    let initial =
        tokio_stream::iter(first.map(|t| Ok::<_, Infallible>(Event::default().event("tip").data(t.to_string()))));
    let updates = notices.then(move |n| {
        let chain = chain.clone();
        async move {
            match n {
                Ok(ChainNotice::TipChanged { .. }) => tip_json(&chain)
                    .await
                    .map(|t| Event::default().event("tip").data(t.to_string())),
                Ok(ChainNotice::Block(SelectionEvent::RolledBack { to })) => Some(
                    Event::default().event("rollback").data(
                        json!({ "to_slot": to.map(|p| p.slot), "to_hash": to.map(|p| hex::encode(p.hash)) })
                            .to_string(),
                    ),
                ),
                _ => None,
            }
        }
    });
    // The subscription's permit lives as long as its stream.
    let stream = initial
        .chain(updates.filter_map(|e| e.map(Ok::<_, Infallible>)))
        .map(move |e| {
            let _held = &permit;
            e
        });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
