//! `GET /api/v1/pots`: where the lovelace is — reserves, treasury, deposits, fees, donations,
//! reward balances and the UTxO — on the selected chain's tip; together they make the
//! maximum supply.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::errors::{error, stopped};
use super::NodeApi;

/// The pots of the tip's ledger state (the UTxO summed on a blocking thread).
pub(super) async fn pots(State(api): State<NodeApi>) -> Response {
    let Some(ledger) = api.chain.query(|v| v.selection.tip_state().ledger.clone()).await else {
        return stopped();
    };
    let answer = tokio::task::spawn_blocking(move || {
        let utxo: u128 = ledger.utxo.values().map(|o| u128::from(o.coin)).sum();
        let rewards: u128 = ledger.accounts.values().map(|a| u128::from(a.rewards)).sum();
        json!({
            "epoch": ledger.epoch,
            "reserves": ledger.reserves,
            "treasury": ledger.treasury,
            "deposits": ledger.deposits,
            "fees": ledger.fees,
            "donations": ledger.donations,
            "rewards": rewards,
            "utxo": utxo,
            "max_supply": ledger.params.max_lovelace_supply,
        })
    })
    .await;
    match answer {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("summing the pots: {e}")),
    }
}
