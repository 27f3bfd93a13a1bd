//! A minimal HTTP/1.1 client (hyper) for the devnet commands, which talk to their own nodes'
//! REST APIs on loopback.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;

/// How long one request may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A response: its status and JSON body (Null when it has none or is not JSON).
pub struct JsonResponse {
    pub status: u16,
    pub body: serde_json::Value,
}

async fn send(url: &str, method: &str, content_type: Option<&str>, body: Vec<u8>) -> anyhow::Result<JsonResponse> {
    let uri: hyper::Uri = url.parse().with_context(|| format!("{url:?} is not a URL"))?;
    if uri.scheme_str() != Some("http") {
        bail!("{url}: only http:// URLs are supported");
    }
    let host = uri.host().ok_or_else(|| anyhow!("{url} has no host"))?.to_string();
    let port = uri.port_u16().unwrap_or(80);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .with_context(|| format!("cannot connect to {host}:{port}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let conn = tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(uri.path_and_query().map_or("/", |p| p.as_str()))
            .header(hyper::header::HOST, format!("{host}:{port}"));
        if let Some(ct) = content_type {
            req = req.header(hyper::header::CONTENT_TYPE, ct);
        }
        let res = sender.send_request(req.body(Full::new(Bytes::from(body)))?).await?;
        let status = res.status().as_u16();
        let bytes = res.into_body().collect().await?.to_bytes();
        conn.abort();
        Ok::<_, anyhow::Error>(JsonResponse {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        })
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| anyhow!("{url}: no answer within {} s", TIMEOUT.as_secs()))?
        .with_context(|| format!("{method} {url}"))
}

/// GETs `url`.
pub async fn get(url: &str) -> anyhow::Result<JsonResponse> {
    send(url, "GET", None, Vec::new()).await
}

/// GETs `url` and expects 200.
pub async fn get_ok(url: &str) -> anyhow::Result<serde_json::Value> {
    let r = get(url).await?;
    if r.status != 200 {
        bail!("GET {url}: {} {}", r.status, r.body);
    }
    Ok(r.body)
}

/// POSTs a CBOR body.
pub async fn post_cbor(url: &str, body: Vec<u8>) -> anyhow::Result<JsonResponse> {
    send(url, "POST", Some("application/cbor"), body).await
}
