//! Tracking the node's peers: a listener that accepts up to a limit of inbound connections, and
//! one dialer per topology access point that keeps an outbound connection up, retrying with
//! exponential [`backoff`] — and, after a peer misbehaved (an invalid header or block, a
//! protocol violation, a timeout), only after a longer pause. Each connection runs a
//! [`peer_session`]; every disconnection is logged with its reason and counted in the peer's
//! [`PeerStats`](crate::peer_stats::PeerStats).

pub mod backoff;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use self::backoff::{is_misbehaviour, DialBackoff};
use super::peer_session::{self, SessionContext};
use crate::mux::connection::ConnectionError;
use crate::peer_stats::PeerRegistry;
use crate::topology::AccessPoint;

/// How the node connects.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// Where to accept peers (loopback unless asked otherwise).
    pub listen: SocketAddr,
    /// The peers to dial.
    pub peers: Vec<AccessPoint>,
    /// The network's magic number: a peer on another network is refused at the handshake.
    pub network_magic: u32,
    /// Inbound connections at once; more are closed at once.
    pub max_inbound: usize,
    /// Inbound connections at once from one IP address; more from it are closed at once.
    pub max_inbound_per_address: usize,
    /// The first retry delay, doubled after each failure up to `max_backoff`.
    pub initial_backoff: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
    /// How long a peer that misbehaved is not dialled again.
    pub misbehaviour_pause: Duration,
}

impl NetworkConfig {
    /// Listening on `listen`, no peers to dial yet, and the default limits: 64 inbound
    /// connections (8 from one address), retries from 1 s up to 60 s, a 200 s pause after
    /// misbehaviour.
    pub fn new(listen: SocketAddr, network_magic: u32) -> Self {
        NetworkConfig {
            listen,
            peers: Vec::new(),
            network_magic,
            max_inbound: 64,
            max_inbound_per_address: 8,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            misbehaviour_pause: Duration::from_secs(200),
        }
    }
}

/// How long a dial may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The running network: stopped when dropped.
pub struct Network {
    /// The address the listener is bound to (its port, when 0 was asked).
    pub local_addr: SocketAddr,
    /// Every peer's counters: the node reports them, and registers them as metrics.
    pub registry: Arc<PeerRegistry>,
    cfg: NetworkConfig,
    ctx: SessionContext,
    tasks: JoinSet<()>,
}

impl Network {
    /// Binds the listener and starts the dialers.
    pub async fn start(cfg: NetworkConfig, ctx: SessionContext) -> std::io::Result<Network> {
        let listener = TcpListener::bind(cfg.listen).await?;
        let local_addr = listener.local_addr()?;
        let registry = Arc::new(PeerRegistry::default());
        let mut tasks = JoinSet::new();
        let limits = InboundLimits {
            total: cfg.max_inbound,
            per_address: cfg.max_inbound_per_address,
        };
        tasks.spawn(accept(listener, limits, ctx.clone(), registry.clone()));
        for peer in cfg.peers.clone() {
            tasks.spawn(dial(peer, cfg.clone(), ctx.clone(), registry.clone()));
        }
        tracing::info!(%local_addr, peers = cfg.peers.len(), "node-to-node listening");
        Ok(Network {
            local_addr,
            registry,
            cfg,
            ctx,
            tasks,
        })
    }

    /// Starts dialling `peer` unless it is dialled already (a topology reload); returns
    /// whether it is new.
    pub fn add_peer(&mut self, peer: AccessPoint) -> bool {
        if self.cfg.peers.contains(&peer) {
            return false;
        }
        tracing::info!(peer = %format!("{}:{}", peer.address, peer.port), "peer added");
        self.cfg.peers.push(peer.clone());
        self.tasks
            .spawn(dial(peer, self.cfg.clone(), self.ctx.clone(), self.registry.clone()));
        true
    }
}

/// How many inbound connections are served at once.
#[derive(Debug, Clone, Copy)]
struct InboundLimits {
    total: usize,
    per_address: usize,
}

/// Inbound connections open per remote IP address; an entry leaves with its last connection.
#[derive(Default)]
struct OpenByAddress(std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>);

/// One inbound connection counted in [`OpenByAddress`] while it lives.
struct AddressSlot {
    open: Arc<OpenByAddress>,
    ip: IpAddr,
}

impl OpenByAddress {
    /// Takes a slot for `ip` unless it already holds `max`.
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<AddressSlot> {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if m.get(&ip).copied().unwrap_or(0) >= max {
            return None;
        }
        *m.entry(ip).or_insert(0) += 1;
        Some(AddressSlot { open: self.clone(), ip })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut m = self.open.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

async fn accept(listener: TcpListener, limits: InboundLimits, ctx: SessionContext, registry: Arc<PeerRegistry>) {
    let slots = Arc::new(Semaphore::new(limits.total));
    let by_address = Arc::new(OpenByAddress::default());
    let mut sessions = JoinSet::new();
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%remote, max_inbound = limits.total, "inbound connection refused: the limit is reached");
            continue;
        };
        let Some(address_slot) = by_address.take(remote.ip(), limits.per_address) else {
            tracing::warn!(
                %remote,
                max_inbound_per_address = limits.per_address,
                "inbound connection refused: the limit for its address is reached"
            );
            continue;
        };
        // Counted by IP: inbound ports are ephemeral, and a table by port would grow forever.
        let stats = registry.peer("inbound", &remote.ip().to_string());
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let ctx = ctx.clone();
        sessions.spawn(async move {
            let reason = peer_session::inbound(stream, ctx, stats).await;
            log_end("inbound", &remote.to_string(), &reason);
            drop((permit, address_slot));
        });
        while sessions.try_join_next().is_some() {}
    }
}

async fn dial(peer: AccessPoint, cfg: NetworkConfig, ctx: SessionContext, registry: Arc<PeerRegistry>) {
    let name = peer.to_string();
    let stats = registry.peer("outbound", &name);
    let mut backoff = DialBackoff::new(&cfg);
    loop {
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((peer.address.as_str(), peer.port)))
            .await
            .unwrap_or_else(|_| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connecting timed out",
                ))
            });
        let stream = match connected {
            Ok(s) => s,
            Err(e) => {
                let delay = backoff.dial_failed();
                tracing::debug!(peer = %name, error = %e, retry_in = ?delay, "cannot connect");
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        stats.connections.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        tracing::info!(peer = %name, "connected");
        let reason = peer_session::outbound(stream, ctx.clone(), stats.clone()).await;
        log_end("outbound", &name, &reason);
        tokio::time::sleep(backoff.connection_ended(is_misbehaviour(&reason), started.elapsed())).await;
    }
}

fn log_end(direction: &str, peer: &str, reason: &ConnectionError) {
    if is_misbehaviour(reason) {
        tracing::warn!(direction, peer, %reason, "peer disconnected");
    } else {
        tracing::info!(direction, peer, %reason, "connection ended");
    }
}
