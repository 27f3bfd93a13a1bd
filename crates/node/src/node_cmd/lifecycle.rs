//! A node's life as `slotforge node run` leads it: the listeners bound first (a port in use
//! is reported before anything starts), the enclaves connected, the chain and network started,
//! the REST server run, leadership added once the node has caught up with a peer, SIGHUP
//! reloading the peers, and SIGTERM or SIGINT stopping everything in order.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use slotforge::node_runtime::{NodeSpec, ProducerSpec, RunningNode};
use slotforge_chain::service::ServiceConfig;
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::grpc_enclave::GrpcEnclave;
use slotforge_network::stages::track_peers::NetworkConfig;

use super::config_files::{chain_config, peers};
use super::enclave_connection::connect_enclave;
use crate::epoch_archive::EpochArchive;
use crate::node_config::NodeConfig;
use crate::private_dir::create_private_dir;
use crate::rest::write_stall::{WriteStallListener, WRITE_STALL_LIMIT};
use crate::rest::{self, NodeApi};

/// Binds `addr` now so that a port in use is a clear error before anything starts.
async fn bind(addr: std::net::SocketAddr, what: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for {what} on {addr} (is another node using that port?)"))
}

fn check_port_free(addr: std::net::SocketAddr) -> anyhow::Result<()> {
    std::net::TcpListener::bind(addr)
        .map(drop)
        .with_context(|| format!("cannot listen for peers on {addr} (is another node using that port?)"))
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// SIGHUP: reads the configuration's peers and topology again and dials the new ones (peers
/// removed from the files stay connected until the node restarts).
fn reload_peers(path: &Path, node: &mut RunningNode) {
    let loaded = NodeConfig::load(path)
        .map_err(anyhow::Error::from)
        .and_then(|c| peers(&c));
    match loaded {
        Ok(list) => {
            let added = list.into_iter().filter(|p| node.network.add_peer(p.clone())).count();
            tracing::info!(added, "SIGHUP: peers reloaded");
        }
        Err(e) => tracing::warn!("SIGHUP: the peers were not reloaded: {e:#}"),
    }
}

/// How often the enclave's Health is read for its leaders' certificate expiries.
const KES_POLL: std::time::Duration = std::time::Duration::from_secs(60);

/// Keeps `kes` at what the enclave's Health says of its leaders' certificate expiries.
async fn watch_kes(
    enclave: GrpcEnclave,
    kes: Arc<std::sync::Mutex<Vec<slotforge_enclave_api::wire::proto::LeaderKes>>>,
) {
    loop {
        match enclave.health().await {
            Ok(h) => *kes.lock().unwrap_or_else(|e| e.into_inner()) = h.kes,
            Err(e) => tracing::debug!(error = %e, "cannot read the enclave's health"),
        }
        tokio::time::sleep(KES_POLL).await;
    }
}

pub(super) async fn run_node(cfg: NodeConfig) -> anyhow::Result<()> {
    let chain_cfg = chain_config(&cfg)?;
    create_private_dir(&cfg.data_dir).context("the data directory")?;
    let clock = SystemClock::new();
    let rest = bind(cfg.rest_listen, "REST").await?;
    check_port_free(cfg.listen)?;
    let enclave = match &cfg.enclave {
        Some(e) => Some(connect_enclave(e).await?),
        None => None,
    };
    let mut network = NetworkConfig::new(cfg.listen, chain_cfg.genesis.shelley.network_magic);
    network.peers = peers(&cfg)?;
    if let Some(b) = cfg.max_backoff {
        network.max_backoff = b;
    }
    if let Some(n) = cfg.max_inbound {
        network.max_inbound = n;
    }
    if let Some(n) = cfg.max_inbound_per_address {
        network.max_inbound_per_address = n;
    }
    let spec = NodeSpec {
        chain: chain_cfg,
        store: cfg.chain_db(),
        service: ServiceConfig::default(),
        network,
        local: cfg.local.clone(),
    };
    let mut node = RunningNode::start(spec, None::<ProducerSpec<GrpcEnclave>>, clock).await?;
    let archive = Arc::new(EpochArchive::open(cfg.data_dir.join("epochs.json")));
    let archive_task = tokio::spawn(archive.clone().follow(node.chain.clone()));
    let caught_up = Arc::new(AtomicBool::new(false));
    let leadership_routes = Arc::new(OnceLock::new());
    let leadership_metrics = Arc::new(OnceLock::new());
    let kes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kes_task = enclave.clone().map(|e| tokio::spawn(watch_kes(e, kes.clone())));
    let api = NodeApi {
        chain: node.chain.clone(),
        peers: node.network.registry.clone(),
        epochs: archive,
        name: cfg.name.clone(),
        producer: enclave.is_some(),
        caught_up: caught_up.clone(),
        leadership: leadership_routes.clone(),
        leadership_metrics: leadership_metrics.clone(),
        devnet: cfg.devnet.clone(),
        now_ms: { Arc::new(move || clock.now_ms()) },
        cors_origins: Arc::new(
            cfg.rest_cors_origins
                .iter()
                .filter_map(|o| axum::http::HeaderValue::from_str(o).ok())
                .collect(),
        ),
        limits: rest::RestLimits::default(),
        kes: kes.clone(),
        kes_warning: cfg.kes_warning,
    };
    let (stop_rest, rest_stopped) = tokio::sync::watch::channel(false);
    let mut rest_stopped_rx = rest_stopped.clone();
    let server = tokio::spawn(async move {
        // A client that stops reading (an event-stream subscriber) is dropped after a while.
        let rest = WriteStallListener::new(rest, WRITE_STALL_LIMIT);
        axum::serve(rest, rest::router(api))
            .with_graceful_shutdown(async move {
                let _ = rest_stopped_rx.wait_for(|s| *s).await;
            })
            .await
    });
    tracing::info!(
        name = %cfg.name,
        rest = %cfg.rest_listen,
        peers = %cfg.listen,
        producer = enclave.is_some(),
        "node started"
    );
    eprintln!(
        "slotforge node {}: dashboard http://{}/ · node-to-node {} · {}",
        cfg.name,
        cfg.rest_listen,
        node.network.local_addr,
        if enclave.is_some() { "block producer" } else { "relay" }
    );
    let registry = node.network.registry.clone();
    let forge_alone = cfg.forge_without_peers;
    let gate = async move {
        if !forge_alone {
            registry.caught_up().await;
        }
    };
    tokio::pin!(gate);
    let mut enclave = enclave;
    let mut gated = false;
    let mut hangup =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).context("listening for SIGHUP")?;
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let which = loop {
        tokio::select! {
            s = &mut signal => break s,
            _ = hangup.recv() => reload_peers(&cfg.path, &mut node),
            () = &mut gate, if !gated => {
                gated = true;
                caught_up.store(true, Ordering::Relaxed);
                if let Some(enclave) = enclave.take() {
                    tracing::info!("caught up with the peers; leadership starts");
                    node.add_producer(
                        ProducerSpec {
                            enclave,
                            slot_log: cfg.slot_log(),
                            leadership: cfg.leadership.clone(),
                        },
                        clock,
                    )
                    .await?;
                    if let Some(p) = &node.producer {
                        let _ = leadership_routes.set(slotforge_leadership::rest::router(p.handle.clone(), clock));
                        let _ = leadership_metrics.set(p.handle.metrics.clone());
                    }
                }
            }
        }
    };
    tracing::info!("{which}: stopping");
    eprintln!("slotforge node {}: {which}, stopping", cfg.name);
    let _ = stop_rest.send(true);
    let _ = server.await;
    archive_task.abort();
    if let Some(t) = kes_task {
        t.abort();
    }
    node.stop().await;
    Ok(())
}
