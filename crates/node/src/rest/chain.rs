//! The chain: `GET /api/v1/tip`, `GET /api/v1/blocks` (from a slot on) and
//! `GET /api/v1/blocks/{hash}`. Block reads run on a blocking thread with the volatile chain's
//! shared snapshot and a read-only store connection, never on the chain task.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::Point;
use slotforge_chain::selection::VolatileChain;
use slotforge_chain::service::ChainHandle;
use slotforge_chain::store::{BlockReader, StoreError, StoredChain};

use super::errors::{bad_request, error, stopped};
use super::params::{number, only};
use super::NodeApi;
use crate::bech32_ids::{pool_bech32, pool_id_of};

fn hex_point(p: Option<Point>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({ "slot": p.slot, "block_number": p.block_number, "hash": hex::encode(p.hash) }),
    }
}

fn hash32(s: &str) -> Result<[u8; 32], String> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| format!("{s:?} is not a block hash (64 hex digits)"))
}

/// The tip as the API and the event stream give it.
pub(super) async fn tip_json(chain: &ChainHandle) -> Option<Value> {
    let cfg = chain.config().clone();
    chain
        .query(move |v| {
            let tip = v.selection.tip();
            json!({
                "slot": tip.map(|t| t.slot),
                "block_number": tip.map(|t| t.block_number),
                "hash": tip.map(|t| hex::encode(t.hash)),
                "epoch": v.selection.tip_state().epoch(),
                "slot_in_epoch": tip.map(|t| t.slot - cfg.first_slot(cfg.epoch_of(t.slot))),
                "immutable": hex_point(v.selection.anchor().tip),
                "mempool": { "txs": v.mempool.len(), "bytes": v.mempool.size_bytes() },
            })
        })
        .await
}

/// `GET /api/v1/tip`.
pub(super) async fn tip(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = only(&params, &[]) {
        return bad_request(e);
    }
    match tip_json(&api.chain).await {
        Some(t) => Json(t).into_response(),
        None => stopped(),
    }
}

fn block_summary(b: &Block, cfg: &slotforge_chain::config::ChainConfig, selected: bool, immutable: bool) -> Value {
    let vkey = b.header().issuer_vkey();
    json!({
        "hash": hex::encode(b.hash()),
        "slot": b.slot(),
        "epoch": cfg.epoch_of(b.slot()),
        "block_number": b.block_number(),
        "prev_hash": b.prev_hash().map(hex::encode),
        "issuer": pool_bech32(&pool_id_of(&vkey)),
        "issuer_vkey": hex::encode(vkey),
        "size": b.to_cbor().len(),
        "body_size": b.header().body_size(),
        "tx_count": b.body().transactions().len(),
        "protocol_version": b.header().protocol_version(),
        "selected": selected,
        "immutable": immutable,
    })
}

/// `GET /api/v1/blocks/{hash}`: one block's summary, its CBOR and its transactions' ids.
pub(super) async fn block(State(api): State<NodeApi>, Path(hash): Path<String>) -> Response {
    let h = match hash32(&hash) {
        Ok(h) => h,
        Err(e) => return bad_request(e),
    };
    let cfg = api.chain.config().clone();
    let found = read_blocks(&api.chain, move |volatile, store| {
        let on_chain = volatile.position.contains_key(&h);
        if let Some(b) = volatile.blocks.get(&h) {
            return Ok(Some(((**b).clone(), on_chain, false)));
        }
        let store = store()?;
        let immutable = store.immutable_point(&h)?.is_some();
        Ok(store
            .block_bytes(&h)?
            .and_then(|bytes| Block::decode(&bytes).ok().map(|b| (b, immutable, immutable))))
    })
    .await;
    match found {
        None => stopped(),
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Some(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no block {hash} on this node")),
        Some(Ok(Some((b, selected, immutable)))) => {
            let mut summary = block_summary(&b, &cfg, selected, immutable);
            summary["header_cbor"] = json!(hex::encode(b.header_bytes()));
            summary["block_cbor"] = json!(hex::encode(b.to_cbor()));
            summary["transactions"] = b
                .body()
                .transactions()
                .iter()
                .map(|t| json!({ "id": hex::encode(t.id()), "size": t.size() }))
                .collect();
            Json(summary).into_response()
        }
    }
}

/// Runs `f` on a blocking thread with the volatile chain (the chain task's shared snapshot)
/// and a way to open a reader of the block store: block reads never run on the chain task.
/// None when the chain task has stopped.
async fn read_blocks<T: Send + 'static>(
    chain: &ChainHandle,
    f: impl FnOnce(&VolatileChain, &dyn Fn() -> Result<BlockReader, StoreError>) -> Result<T, StoreError> + Send + 'static,
) -> Option<Result<T, StoreError>> {
    let volatile = chain.query(|v| v.selection.volatile()).await?;
    let chain = chain.clone();
    tokio::task::spawn_blocking(move || f(&volatile, &|| chain.block_reader()))
        .await
        .ok()
}

/// Blocks from a slot on, ascending: the immutable chain, the selected volatile chain, and the
/// volatile blocks of abandoned forks (`"selected": false`).
pub(super) async fn blocks(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = only(&params, &["from_slot", "limit"]) {
        return bad_request(e);
    }
    let (from, limit) = match (
        number(&params, "from_slot", 0, u64::MAX),
        number(&params, "limit", 100, 1000),
    ) {
        (Ok(f), Ok(l)) => (f, l),
        (Err(e), _) | (_, Err(e)) => return bad_request(e),
    };
    let cfg = api.chain.config().clone();
    let found = read_blocks(&api.chain, move |volatile, store| {
        let store = store()?;
        let mut out = Vec::new();
        for p in store.immutable_points_from_slot(from, limit)? {
            if let Some(b) = store.block_bytes(&p.hash)?.and_then(|b| Block::decode(&b).ok()) {
                out.push((b.slot(), block_summary(&b, &cfg, true, true)));
            }
        }
        for b in volatile.blocks.values().filter(|b| b.slot() >= from) {
            let selected = volatile.position.contains_key(&b.hash());
            out.push((b.slot(), block_summary(b, &cfg, selected, false)));
        }
        out.sort_by_key(|(slot, _)| *slot);
        out.truncate(limit as usize);
        Ok(out.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
    })
    .await;
    match found {
        None => stopped(),
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Some(Ok(blocks)) => Json(json!({ "blocks": blocks })).into_response(),
    }
}
