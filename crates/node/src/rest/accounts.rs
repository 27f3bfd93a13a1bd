//! `GET /api/v1/accounts/{stake_address}`: a registered stake credential's deposit, reward
//! balance and delegations (pool and DRep) on the selected chain's tip.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use slotforge_ledger::state::DRep;
use slotforge_ledger::Credential;

use super::errors::{bad_request, error, stopped};
use super::NodeApi;
use crate::bech32_ids::{address_bech32, parse_stake_address, pool_bech32};

/// The account, 400 for what is not a stake address, 404 when it is not registered.
pub(super) async fn account(State(api): State<NodeApi>, Path(text): Path<String>) -> Response {
    let address = match parse_stake_address(&text) {
        Ok(a) => a,
        Err(e) => return bad_request(e),
    };
    let Some(credential) = slotforge_ledger::address::account_credential(&address) else {
        return bad_request(format!("{text:?} is not a stake address"));
    };
    let Some(account) = api
        .chain
        .query(move |v| v.selection.tip_state().ledger.accounts.get(&credential).cloned())
        .await
    else {
        return stopped();
    };
    match account {
        Some(a) => Json(json!({
            "stake_address": address_bech32(&address),
            "deposit": a.deposit,
            "rewards": a.rewards,
            "pool": a.pool.as_ref().map(pool_bech32),
            "drep": a.drep.as_ref().map(drep_json),
        }))
        .into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("{} is not a registered stake credential", address_bech32(&address)),
        ),
    }
}

/// A credential: `{"key": hash}` or `{"script": hash}`.
pub(super) fn credential_json(c: &Credential) -> Value {
    match c {
        Credential::Key(h) => json!({ "key": hex::encode(h) }),
        Credential::Script(h) => json!({ "script": hex::encode(h) }),
    }
}

/// A DRep: its credential, `"always_abstain"` or `"always_no_confidence"`.
pub(super) fn drep_json(d: &DRep) -> Value {
    match d {
        DRep::Key(_) | DRep::Script(_) => d.credential().as_ref().map_or(Value::Null, credential_json),
        DRep::AlwaysAbstain => json!("always_abstain"),
        DRep::AlwaysNoConfidence => json!("always_no_confidence"),
    }
}
