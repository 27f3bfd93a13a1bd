//! The node's REST API (axum), one file per resource: the node and its sync state
//! ([`node`]), the chain's tip and blocks ([`chain`]), UTxOs ([`utxos`]), stake accounts
//! ([`accounts`]), the pots ([`pots`]), governance ([`governance`]), a server-sent event
//! stream of the chain ([`events`]), epochs' leadership parameters ([`epochs`]), transaction
//! submission as cardano-submit-api takes it ([`submit`]), the devnet's node list
//! ([`devnet`]), Prometheus metrics ([`metrics`]), the dashboard's static pages ([`assets`]),
//! and the leadership module's routes once it runs ([`leadership`]). This file assembles the
//! router, holds the state the routes read, and wires the limits ([`limits`]) and CORS in.
//! Every answer is JSON; a bad parameter gets a 400 that names it ([`errors`], [`params`]).

mod accounts;
mod assets;
mod chain;
mod devnet;
mod epochs;
mod errors;
mod events;
mod governance;
mod leadership;
mod limits;
mod metrics;
mod node;
mod params;
mod pots;
mod protocol_parameters;
mod submit;
mod utxos;
pub mod write_stall;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use slotforge_chain::service::ChainHandle;
use slotforge_network::peer_stats::PeerRegistry;

use crate::epoch_archive::EpochArchive;
use errors::error;
pub use limits::RestLimits;
use limits::{MAX_BODY_BYTES, MAX_CONCURRENT_REQUESTS, REQUEST_TIMEOUT};

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
    pub devnet: Option<PathBuf>,
    /// Leadership's metrics, once it runs.
    pub leadership_metrics: Arc<OnceLock<Arc<slotforge_leadership::metrics::Metrics>>>,
    /// Now, in Unix milliseconds.
    pub now_ms: Arc<dyn Fn() -> i64 + Send + Sync>,
    /// Origins whose pages may read this API (`[rest] cors_origins`); none: same-origin only.
    pub cors_origins: Arc<Vec<HeaderValue>>,
    /// Requests served at once, and event-stream subscribers at once.
    pub limits: RestLimits,
    /// The enclave's leaders' certificate expiries, as its last Health said (a producer).
    pub kes: Arc<std::sync::Mutex<Vec<slotforge_enclave_api::wire::proto::LeaderKes>>>,
    /// How soon an expiry is warned about.
    pub kes_warning: std::time::Duration,
}

/// The node's routes.
pub fn router(api: NodeApi) -> Router {
    Router::new()
        .route("/", get(assets::index_html))
        .route("/devnet", get(assets::devnet_html))
        .route("/assets/dashboard.js", get(assets::dashboard_js))
        .route("/assets/devnet.js", get(assets::devnet_js))
        .route("/assets/dashboard.css", get(assets::dashboard_css))
        .route("/api/v1/openapi.json", get(assets::openapi_json))
        .route("/api/v1/node", get(node::node))
        .route("/api/v1/tip", get(chain::tip))
        .route("/api/v1/blocks", get(chain::blocks))
        .route("/api/v1/blocks/{hash}", get(chain::block))
        .route("/api/v1/epochs/{epoch}", get(epochs::epoch))
        .route("/api/v1/utxos", get(utxos::utxos))
        .route("/api/v1/accounts/{stake_address}", get(accounts::account))
        .route("/api/v1/pots", get(pots::pots))
        .route(
            "/api/v1/protocol-parameters",
            get(protocol_parameters::protocol_parameters),
        )
        .route("/api/v1/governance", get(governance::governance))
        .route("/api/v1/events", get(events::events))
        .route("/api/v1/devnet", get(devnet::devnet))
        .route("/api/submit/tx", post(submit::submit_tx))
        .route("/metrics", get(metrics::metrics))
        .fallback(leadership::leadership_routes)
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
