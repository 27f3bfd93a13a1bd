//! The node's REST API (axum): the node and its sync state, the tip, blocks, epochs' leadership
//! parameters, UTxOs, transaction submission as cardano-submit-api takes it, a server-sent event
//! stream of the chain, the dashboard's static pages, and the leadership module's routes once
//! it runs. Every answer is JSON; a bad parameter gets a 400 that names it.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::{EpochConsensus, EpochLeadership, Point};
use slotforge_chain::selection::{SelectionEvent, VolatileChain};
use slotforge_chain::service::{ChainHandle, ChainNotice, SubmitError};
use slotforge_chain::store::{BlockReader, StoreError, StoredChain};
use slotforge_network::peer_stats::PeerRegistry;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;
use tower::ServiceExt;

use crate::bech32_ids::{address_bech32, parse_address, pool_bech32, pool_id_of};
use crate::epoch_archive::EpochArchive;

/// What the routes read.
#[derive(Clone)]
pub struct NodeApi {
    pub chain: ChainHandle,
    pub peers: Arc<PeerRegistry>,
    pub epochs: Arc<EpochArchive>,
    pub name: String,
    pub producer: bool,
    /// Set once the node has caught up with a peer (or forges alone).
    pub caught_up: Arc<AtomicBool>,
    /// The leadership module's routes, once it runs (a producer starts it after catching up).
    pub leadership: Arc<OnceLock<Router>>,
    /// The `devnet.json` of the devnet this node belongs to.
    pub devnet: Option<std::path::PathBuf>,
    /// Leadership's metrics, once it runs.
    pub leadership_metrics: Arc<OnceLock<Arc<slotforge_leadership::metrics::Metrics>>>,
    /// Now, in Unix milliseconds.
    pub now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// Origins whose pages may read this API (`[rest] cors_origins`); none: same-origin only.
    pub cors_origins: Arc<Vec<HeaderValue>>,
    /// Requests served at once, and event-stream subscribers at once.
    pub limits: RestLimits,
}

/// What bounds the REST API's work: requests served at once (more get 503), event-stream
/// subscribers at once, and the size of a request body (more gets 413).
#[derive(Clone)]
pub struct RestLimits {
    requests: Arc<tokio::sync::Semaphore>,
    subscribers: Arc<tokio::sync::Semaphore>,
}

/// Requests the API serves at once.
pub const MAX_CONCURRENT_REQUESTS: usize = 64;
/// How long a request may take, its body included (an event stream: until its first answer).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Event-stream subscribers at once.
pub const MAX_SUBSCRIBERS: usize = 32;
/// The largest request body (a transaction is at most the ledger's maxTxSize, 16 KiB on
/// Cardano's networks).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

impl Default for RestLimits {
    fn default() -> Self {
        RestLimits {
            requests: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_REQUESTS)),
            subscribers: Arc::new(tokio::sync::Semaphore::new(MAX_SUBSCRIBERS)),
        }
    }
}

const INDEX_HTML: &str = include_str!("../assets/index.html");
const DEVNET_HTML: &str = include_str!("../assets/devnet.html");
const DASHBOARD_JS: &str = include_str!("../assets/dashboard.js");
const DEVNET_JS: &str = include_str!("../assets/devnet.js");
const DASHBOARD_CSS: &str = include_str!("../assets/dashboard.css");
/// The OpenAPI document of every route this node serves (leadership's included).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The node's routes.
pub fn router(api: NodeApi) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { static_asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/devnet",
            get(|| async { static_asset("text/html; charset=utf-8", DEVNET_HTML) }),
        )
        .route(
            "/assets/dashboard.js",
            get(|| async { static_asset("text/javascript; charset=utf-8", DASHBOARD_JS) }),
        )
        .route(
            "/assets/devnet.js",
            get(|| async { static_asset("text/javascript; charset=utf-8", DEVNET_JS) }),
        )
        .route(
            "/assets/dashboard.css",
            get(|| async { static_asset("text/css; charset=utf-8", DASHBOARD_CSS) }),
        )
        .route(
            "/api/v1/openapi.json",
            get(|| async { static_asset("application/json", OPENAPI) }),
        )
        .route("/api/v1/node", get(node))
        .route("/api/v1/tip", get(tip))
        .route("/api/v1/blocks", get(blocks))
        .route("/api/v1/blocks/{hash}", get(block))
        .route("/api/v1/epochs/{epoch}", get(epoch))
        .route("/api/v1/utxos", get(utxos))
        .route("/api/v1/events", get(events))
        .route("/api/v1/devnet", get(devnet))
        .route("/api/submit/tx", post(submit_tx))
        .route("/metrics", get(metrics))
        .fallback(leadership_routes)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(api.clone(), limit_and_cors))
        .with_state(api)
}

/// At most [`MAX_CONCURRENT_REQUESTS`] requests at once, each for at most [`REQUEST_TIMEOUT`]
/// (an event stream counts only while it starts: its subscription has a limit of its own); a
/// page from a configured origin may read the answer (the devnet overview reads every node
/// from one), any other only from its own.
async fn limit_and_cors(State(api): State<NodeApi>, req: Request, next: axum::middleware::Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .filter(|o| api.cors_origins.contains(o))
        .cloned();
    let Ok(_permit) = api.limits.requests.try_acquire() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_CONCURRENT_REQUESTS} requests are being served; retry shortly"),
        );
    };
    // A client that sends its body slowly or never keeps its place only this long.
    let Ok(mut r) = tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await else {
        return error(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request was not answered within {REQUEST_TIMEOUT:?} (a body sent too slowly?)"),
        );
    };
    if let Some(o) = origin {
        r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
        r.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

fn stopped() -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "the chain task has stopped")
}

async fn leadership_routes(State(api): State<NodeApi>, req: Request) -> Response {
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

fn hex_point(p: Option<Point>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({ "slot": p.slot, "block_number": p.block_number, "hash": hex::encode(p.hash) }),
    }
}

/// Rejects parameters the endpoint does not know, so a typo is not silently ignored.
fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), String> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown parameter {k:?}; this endpoint takes {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )),
        None => Ok(()),
    }
}

fn number(params: &HashMap<String, String>, name: &str, default: u64, max: u64) -> Result<u64, String> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!("{name}={v:?}: expected a whole number from 0 to {max}")),
        },
    }
}

fn hash32(s: &str) -> Result<[u8; 32], String> {
    hex::decode(s)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| format!("{s:?} is not a block hash (64 hex digits)"))
}

async fn node(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
    if let Err(e) = only(&params, &[]) {
        return bad_request(e);
    }
    let cfg = api.chain.config().clone();
    let now = (api.now_ms)();
    let current_slot = cfg.slot_at_ms(now.max(cfg.genesis.system_start_ms));
    let tip = api.chain.tip().await;
    let peers: Vec<Value> = api
        .peers
        .snapshot()
        .into_iter()
        .map(|((direction, address), s)| {
            json!({
                "address": address,
                "direction": direction,
                "connected": s.open.load(Ordering::Relaxed) > 0,
                "reached_tip": s.reached_tip.load(Ordering::Relaxed),
                "headers_received": s.headers_received.load(Ordering::Relaxed),
                "blocks_received": s.blocks_received.load(Ordering::Relaxed),
                "blocks_served": s.blocks_served.load(Ordering::Relaxed),
                "last_error": s.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            })
        })
        .collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "node_name": api.name,
        "network_magic": cfg.genesis.shelley.network_magic,
        "producer": api.producer,
        "sync": {
            "state": if api.caught_up.load(Ordering::Relaxed) { "caught_up" } else { "syncing" },
            "tip_slot": tip.map(|(t, _)| t.slot),
            "current_slot": current_slot,
            "current_epoch": cfg.epoch_of(current_slot),
            "slot_length_ms": cfg.genesis.slot_length_ms(),
            "epoch_length": cfg.epoch_length(),
            "system_start": chrono::DateTime::from_timestamp_millis(cfg.genesis.system_start_ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        },
        "peers": peers,
    }))
    .into_response()
}

/// The tip as the API and the event stream give it.
async fn tip_json(chain: &ChainHandle) -> Option<Value> {
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

async fn tip(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
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

async fn block(State(api): State<NodeApi>, Path(hash): Path<String>) -> Response {
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
async fn blocks(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
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

/// The leadership parameters of an epoch as JSON: everything needed to recompute any pool's
/// schedule.
pub fn epoch_json(e: &EpochLeadership) -> Value {
    let mut v = json!({
        "epoch": e.epoch,
        "first_slot": e.first_slot,
        "length": e.epoch_length,
        "start": chrono::DateTime::from_timestamp_millis(e.epoch_start_unix_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "slot_length_ms": e.slot_length_ms,
    });
    match &e.consensus {
        EpochConsensus::Praos {
            variant,
            nonce,
            active_slot_coeff,
            stake,
            total_stake,
        } => {
            v["consensus"] = json!("praos");
            v["vrf_variant"] = json!(format!("{variant:?}"));
            v["nonce"] = match nonce {
                slotforge_praos::nonce::Nonce::Neutral => Value::Null,
                slotforge_praos::nonce::Nonce::Hash(h) => json!(hex::encode(h)),
            };
            v["active_slot_coeff"] = json!(format!("{}/{}", active_slot_coeff.0, active_slot_coeff.1));
            v["total_stake"] = json!(total_stake);
            v["stake"] = stake
                .iter()
                .map(|(id, s)| {
                    json!({
                        "pool_id": pool_bech32(id),
                        "pool_id_hex": hex::encode(id),
                        "stake": s,
                        "share": if *total_stake == 0 { 0.0 } else { *s as f64 / *total_stake as f64 },
                    })
                })
                .collect();
        }
        EpochConsensus::Bft { leaders } => {
            v["consensus"] = json!("bft");
            v["leaders"] = leaders.iter().map(hex::encode).collect();
        }
    }
    v
}

async fn epoch(State(api): State<NodeApi>, Path(e): Path<String>) -> Response {
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

/// The outputs at an address on the selected chain (with `include_mempool=true`: after the
/// pending transactions, as a wallet chaining payments needs them), in input order, at most
/// `limit` (100 by default, up to 1,000) after the input `after`; `next` names where the
/// next page starts. The chain task only hands over the ledger state (persistent maps,
/// shared); the page is read from its address index on a blocking thread.
async fn utxos(State(api): State<NodeApi>, Query(params): Query<HashMap<String, String>>) -> Response {
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
fn parse_txin(s: &str) -> Result<slotforge_chain::ledger::TxIn, String> {
    let bad = || format!("after={s:?}: expected TXID#INDEX (64 hex digits, '#', a number), as `next` gives");
    let (tx, index) = s.split_once('#').ok_or_else(bad)?;
    Ok(slotforge_chain::ledger::TxIn {
        tx: hex::decode(tx).ok().and_then(|t| t.try_into().ok()).ok_or_else(bad)?,
        index: index.parse().map_err(|_| bad())?,
    })
}

/// As cardano-submit-api: a CBOR transaction in, 202 and its id out, or 400 and why.
async fn submit_tx(State(api): State<NodeApi>, headers: HeaderMap, body: Bytes) -> Response {
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
            let message = e.to_string();
            let kind = match &e {
                SubmitError::Decode(_) => "DecoderFailure".to_string(),
                SubmitError::Mempool(slotforge_chain::mempool::MempoolError::Duplicate(_)) => "Duplicate".into(),
                SubmitError::Mempool(slotforge_chain::mempool::MempoolError::Full { .. }) => "MempoolFull".into(),
                _ => message.split(':').next().unwrap_or("LedgerError").trim().to_string(),
            };
            (
                StatusCode::BAD_REQUEST,
                Json(json!({ "tag": "TxSubmitFail", "kind": kind, "message": message })),
            )
                .into_response()
        }
    }
}

/// `tip` at every change of the selected chain (and at once), `rollback` when it rolls back.
/// At most [`MAX_SUBSCRIBERS`] at once. A subscriber that falls a whole notice buffer (1,024)
/// behind has its stream ended; what is buffered for it is the notice channel's, whatever it
/// does.
async fn events(State(api): State<NodeApi>) -> Response {
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

async fn devnet(State(api): State<NodeApi>) -> Response {
    let Some(path) = &api.devnet else {
        return error(StatusCode::NOT_FOUND, "this node is not part of a devnet");
    };
    let read = tokio::fs::read(path)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
    let Some(devnet) = read else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("cannot read {}", path.display()),
        );
    };
    let nodes: Vec<Value> = devnet["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| json!({ "name": n["name"], "rest": n["rest"] }))
        .collect();
    Json(json!({ "nodes": nodes })).into_response()
}

/// The chain's, every peer's and (once it runs) leadership's metrics.
async fn metrics(State(api): State<NodeApi>) -> Response {
    let mut out = slotforge::node_runtime::chain_metrics(&api.chain).await;
    api.peers.render_prometheus(&mut out);
    if let Some(m) = api.leadership_metrics.get() {
        out.push_str(&m.render());
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        Body::from(out),
    )
        .into_response()
}
