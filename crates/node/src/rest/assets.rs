//! The dashboard's static pages (`/`, `/devnet`, `/assets/*`, compiled in) and the OpenAPI
//! document of every route (`/api/v1/openapi.json`).

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../../assets/index.html");
const DEVNET_HTML: &str = include_str!("../../assets/devnet.html");
const DASHBOARD_JS: &str = include_str!("../../assets/dashboard.js");
const DEVNET_JS: &str = include_str!("../../assets/devnet.js");
const DASHBOARD_CSS: &str = include_str!("../../assets/dashboard.css");
/// The OpenAPI document of every route this node serves (leadership's included).
pub const OPENAPI: &str = include_str!("../../openapi.json");

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

/// `GET /`: the node's dashboard.
pub(super) async fn index_html() -> Response {
    static_asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /devnet`: the devnet overview.
pub(super) async fn devnet_html() -> Response {
    static_asset("text/html; charset=utf-8", DEVNET_HTML)
}

/// `GET /assets/dashboard.js`.
pub(super) async fn dashboard_js() -> Response {
    static_asset("text/javascript; charset=utf-8", DASHBOARD_JS)
}

/// `GET /assets/devnet.js`.
pub(super) async fn devnet_js() -> Response {
    static_asset("text/javascript; charset=utf-8", DEVNET_JS)
}

/// `GET /assets/dashboard.css`.
pub(super) async fn dashboard_css() -> Response {
    static_asset("text/css; charset=utf-8", DASHBOARD_CSS)
}

/// `GET /api/v1/openapi.json`.
pub(super) async fn openapi_json() -> Response {
    static_asset("application/json", OPENAPI)
}
