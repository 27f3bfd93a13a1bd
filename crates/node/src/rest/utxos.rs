//! `GET /api/v1/utxos`: the outputs at an address, a page at a time, read from the ledger
//! state's address index on a blocking thread.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::errors::{bad_request, error, stopped};
use super::params::{number, only};
use slotforge_ledger::state::Datum;

use super::NodeApi;
use crate::bech32_ids::{address_bech32, parse_address};

/// The outputs at an address on the selected chain — each with its lovelace, assets, datum
/// (its hash, and the datum itself when inline) and reference script's hash — (with `include_mempool=true`: after the
/// pending transactions, as a wallet chaining payments needs them), in input order, at most
/// `limit` (100 by default, up to 1,000) after the input `after`; `next` names where the
/// next page starts. The chain task only hands over the ledger state (persistent maps,
/// shared); the page is read from its address index on a blocking thread.
pub(super) async fn utxos(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = only(&params, &["address", "include_mempool", "limit", "after"]) {
        return bad_request(e);
    }
    let pending = match params.get("include_mempool").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => return bad_request(format!("include_mempool={v:?}: expected true or false")),
    };
    let Some(text) = params.get("address") else {
        return bad_request("address is required (bech32 or hex)");
    };
    let address = match parse_address(text) {
        Ok(a) => a,
        Err(e) => return bad_request(e),
    };
    let limit = match number(&params, "limit", 100, 1000) {
        Ok(0) => return bad_request("limit=0: expected a whole number from 1 to 1000"),
        Ok(l) => l as usize,
        Err(e) => return bad_request(e),
    };
    let after = match params.get("after").map(|a| parse_txin(a)).transpose() {
        Ok(a) => a,
        Err(e) => return bad_request(e),
    };
    let Some(ledger) = api
        .chain
        .query(move |v| {
            if pending {
                v.mempool.pending_state().clone()
            } else {
                v.selection.tip_state().ledger.clone()
            }
        })
        .await
    else {
        return stopped();
    };
    let page = tokio::task::spawn_blocking(move || {
        let mut found: Vec<_> = ledger
            .utxos_at(&address, after)
            .take(limit + 1)
            .map(|(i, o)| (i, o.clone()))
            .collect();
        let more = found.len() > limit;
        found.truncate(limit);
        let next = more.then(|| found.last().map(|(i, _)| i.to_string())).flatten();
        let utxos: Vec<Value> = found
            .iter()
            .map(|(i, o)| {
                json!({
                    "tx_id": hex::encode(i.tx),
                    "index": i.index,
                    "address": address_bech32(&o.address),
                    "lovelace": o.coin,
                    "assets": o.assets.iter().map(|(p, names)| json!({
                        "policy": hex::encode(p),
                        "assets": names.iter().map(|(n, q)| json!({ "name": hex::encode(n), "quantity": q })).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "datum_hash": match &o.datum {
                        Some(Datum::Hash(h)) => Some(hex::encode(h)),
                        Some(Datum::Inline(d)) => Some(hex::encode(slotforge_praos::nonce::blake2b256(&[d]))),
                        None => None,
                    },
                    "inline_datum": match &o.datum {
                        Some(Datum::Inline(d)) => Some(hex::encode(d)),
                        _ => None,
                    },
                    "reference_script_hash": o.script_ref.as_ref().map(|s| hex::encode(s.hash())),
                })
            })
            .collect();
        json!({ "utxos": utxos, "next": next })
    })
    .await;
    match page {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("reading the UTxO: {e}")),
    }
}

/// An input written `TXID#INDEX`, as `next` names one.
fn parse_txin(s: &str) -> Result<slotforge_ledger::TxIn, String> {
    let bad = || format!("after={s:?}: expected TXID#INDEX (64 hex digits, '#', a number), as `next` gives");
    let (tx, index) = s.split_once('#').ok_or_else(bad)?;
    Ok(slotforge_ledger::TxIn {
        tx: hex::decode(tx).ok().and_then(|t| t.try_into().ok()).ok_or_else(bad)?,
        index: index.parse().map_err(|_| bad())?,
    })
}
