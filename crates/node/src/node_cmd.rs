//! `slotforge node run|init`: one process with the chain, the network, the REST API and the
//! dashboard, and — given an enclave — leadership, which starts once the node has caught up
//! with a peer. SIGTERM or SIGINT stops it in order (forging, network, chain).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use slotforge_chain::config::ChainConfig;
use slotforge_chain::genesis::Genesis;
use slotforge_chain::service::ServiceConfig;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_enclave_api::client::EnclaveClient;
use slotforge_leadership::seams::{Clock, GrpcEnclave, SystemClock};
use slotforge_network::peers::NetworkConfig;
use slotforge_network::topology::{self, AccessPoint};

use crate::epoch_archive::EpochArchive;
use crate::node_api::{self, NodeApi};
use crate::node_config::{self, EnclaveEndpoint, NodeConfig};
use slotforge::node_runtime::{NodeSpec, ProducerSpec, RunningNode};

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run a node until SIGTERM or SIGINT.
    Run(RunArgs),
    /// Write a commented configuration file to start from.
    Init {
        /// Where to write it.
        #[arg(long, short, value_name = "FILE", default_value = "node.toml")]
        config: PathBuf,
        /// The Shelley genesis file to name in it.
        #[arg(long, value_name = "FILE", default_value = "shelley-genesis.json")]
        shelley_genesis: String,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The node's configuration (made by `slotforge node init`).
    #[arg(long, short, value_name = "FILE")]
    pub config: PathBuf,
}

pub fn run(cmd: NodeCommand) -> anyhow::Result<()> {
    match cmd {
        NodeCommand::Init {
            config,
            shelley_genesis,
        } => {
            node_config::write_template(&config, &shelley_genesis)?;
            println!(
                "wrote {}; edit it, then: slotforge node run --config {}",
                config.display(),
                config.display()
            );
            Ok(())
        }
        NodeCommand::Run(args) => {
            let cfg = NodeConfig::load(&args.config)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(run_node(cfg))
        }
    }
}

/// Reads the genesis files (and BFT delegate keys) the configuration names.
pub fn chain_config(cfg: &NodeConfig) -> anyhow::Result<ChainConfig> {
    let genesis = Genesis::load(&cfg.shelley_genesis, cfg.alonzo_genesis.as_deref())
        .with_context(|| format!("reading the genesis named in {}", cfg.path.display()))?;
    let delegates = match &cfg.bft_delegate_vkeys {
        None => None,
        Some(paths) => Some(
            paths
                .iter()
                .map(|p| {
                    key_file::read_key_file(
                        p,
                        KeyKind::GenesisDelegateVerification,
                        key_file::parse_ed25519_verification_key,
                    )
                    .map(|k| k.to_bytes())
                    .with_context(|| format!("reading the BFT delegate key {}", p.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
    };
    ChainConfig::new(genesis, delegates).with_context(|| format!("the genesis named in {}", cfg.path.display()))
}

fn peers(cfg: &NodeConfig) -> anyhow::Result<Vec<AccessPoint>> {
    let mut out = Vec::new();
    if let Some(t) = &cfg.topology {
        out = topology::load(t)?;
    }
    for p in &cfg.peers {
        let (address, port) = node_config::parse_host_port(p).map_err(anyhow::Error::msg)?;
        let a = AccessPoint { address, port };
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

const ENCLAVE_HINT: &str =
    "is `slotforge-enclave serve` running with this socket or address, and does it accept this client?";

/// Connects to one enclave and checks that it answers (and lets us in).
async fn connect_one(endpoint: &EnclaveEndpoint) -> anyhow::Result<EnclaveClient> {
    let hint = ENCLAVE_HINT;
    let mut client = match endpoint {
        EnclaveEndpoint::Unix(path) => {
            if !path.exists() {
                bail!("the enclave's socket {} does not exist: {hint}", path.display());
            }
            EnclaveClient::connect_unix(path).await
        }
        EnclaveEndpoint::Tls { address, .. } => EnclaveClient::connect_tls(address, tls_config(endpoint)?).await,
    }
    .with_context(|| format!("cannot reach the enclave at {endpoint}: {hint}"))?;
    let leaders = client
        .list_leaders()
        .await
        .with_context(|| format!("the enclave at {endpoint} refused: {hint}"))?;
    if leaders.is_empty() {
        tracing::warn!(%endpoint, "the enclave holds no leaders yet (slotforge-enclave keys import); the node will forge once it does");
    }
    Ok(client)
}

fn tls_config(endpoint: &EnclaveEndpoint) -> anyhow::Result<tonic::transport::ClientTlsConfig> {
    let EnclaveEndpoint::Tls {
        address,
        ca_cert,
        client_cert,
        client_key,
        server_name,
    } = endpoint
    else {
        bail!("{endpoint} is not a TLS endpoint");
    };
    let host = server_name
        .clone()
        .unwrap_or_else(|| address.rsplit_once(':').map_or(address.clone(), |(h, _)| h.to_string()));
    slotforge_enclave_api::tls::client_config(ca_cert, client_cert, client_key, &host)
        .context("loading the enclave client's TLS files")
}

/// Connects to the enclaves: one must answer now; the others (failover enclaves sharing its
/// sign guard) may be down and are connected when first needed.
pub async fn connect_enclave(endpoints: &[EnclaveEndpoint]) -> anyhow::Result<GrpcEnclave> {
    let mut clients = Vec::new();
    let mut errors = Vec::new();
    for endpoint in endpoints {
        let client = match connect_one(endpoint).await {
            Ok(c) => c,
            Err(e) if endpoints.len() == 1 => return Err(e),
            Err(e) => {
                tracing::warn!(%endpoint, error = %format!("{e:#}"), "enclave not reachable now; it is tried when needed");
                errors.push(e);
                match endpoint {
                    EnclaveEndpoint::Unix(path) => EnclaveClient::lazy_unix(path)?,
                    EnclaveEndpoint::Tls { address, .. } => EnclaveClient::lazy_tls(address, tls_config(endpoint)?)?,
                }
            }
        };
        clients.push((endpoint.to_string(), client));
    }
    // The node starts when at least one enclave answers; the others are tried when needed.
    if errors.len() == endpoints.len() {
        return Err(errors.swap_remove(0).context("none of the configured enclaves answers"));
    }
    Ok(GrpcEnclave::with_failover(clients))
}

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

/// Creates `dir` (and its parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

async fn run_node(cfg: NodeConfig) -> anyhow::Result<()> {
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
    };
    let mut node = RunningNode::start(spec, None::<ProducerSpec<GrpcEnclave>>, clock).await?;
    let archive = Arc::new(EpochArchive::open(cfg.data_dir.join("epochs.json")));
    let archive_task = tokio::spawn(archive.clone().follow(node.chain.clone()));
    let caught_up = Arc::new(AtomicBool::new(false));
    let leadership_routes = Arc::new(OnceLock::new());
    let leadership_metrics = Arc::new(OnceLock::new());
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
        limits: node_api::RestLimits::default(),
    };
    let (stop_rest, rest_stopped) = tokio::sync::watch::channel(false);
    let mut rest_stopped_rx = rest_stopped.clone();
    let server = tokio::spawn(async move {
        // A client that stops reading (an event-stream subscriber) is dropped after a while.
        let rest = crate::write_stall::WriteStallListener::new(rest, crate::write_stall::WRITE_STALL_LIMIT);
        axum::serve(rest, node_api::router(api))
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
    node.stop().await;
    Ok(())
}
