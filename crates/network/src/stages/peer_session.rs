//! One connection's life: the multiplexer, the handshake, then the stages of our side of it,
//! until one of them or the multiplexer fails — the reason is what the peer is disconnected
//! for.
//!
//! Connections are unidirectional: on one we open we run the initiator side (we propose
//! initiator-only): [`follow_peer`] (with block-fetch's client), [`relay_txs::offer`] and
//! [`keep_alive::client`]; on one we accept the responder side: [`serve_chain`],
//! [`relay_txs::pull`] and [`keep_alive::server`]. A node that dials each of its peers and
//! accepts their connections has both directions with each.

use std::collections::HashMap;
use std::sync::Arc;

use slotforge_chain::service::ChainHandle;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::{follow_peer, keep_alive, relay_txs, serve_chain};
use crate::mux::connection::{Channel, Connection, ConnectionError};
use crate::mux::framing::Direction;
use crate::peer_stats::PeerStats;
use crate::protocols::chainsync::server::Serving;
use crate::protocols::handshake::client::{conclude, Outcome};
use crate::protocols::handshake::messages::{version_table, Message as HsMsg, VersionData, MAX_MESSAGE_BYTES};
use crate::protocols::handshake::server::respond;
use crate::protocols::{blockfetch, chainsync, handshake, keepalive, txsubmission};

/// The mini-protocols a node-to-node connection runs.
const PROTOCOLS: [u16; 5] = [
    handshake::PROTOCOL,
    chainsync::PROTOCOL,
    blockfetch::PROTOCOL,
    txsubmission::PROTOCOL,
    keepalive::PROTOCOL,
];

/// How long a session waits for the multiplexer's reason after a channel closed.
const CLOSE_REASON_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// What a session needs of the node.
#[derive(Clone)]
pub struct SessionContext {
    /// The node's chain: what the stages follow into and serve from, and its mempool.
    pub chain: ChainHandle,
    /// The network's magic number, proposed and required in the handshake.
    pub network_magic: u32,
}

/// The channel of mini-protocol `p` (every protocol a connection starts with has one).
pub(crate) fn take(channels: &mut HashMap<u16, Channel>, p: u16) -> Channel {
    channels.remove(&p).expect("every protocol has a channel")
}

async fn recv_handshake(ch: &mut Channel) -> Result<HsMsg, ConnectionError> {
    ch.recv_decoded(
        "StPropose/StConfirm",
        MAX_MESSAGE_BYTES,
        Some(std::time::Duration::from_secs(handshake::TIMEOUT_SECS)),
        HsMsg::decode,
    )
    .await
}

/// Runs a connection we opened until it fails; returns why.
pub async fn outbound(stream: TcpStream, ctx: SessionContext, stats: Arc<PeerStats>) -> ConnectionError {
    let (mut conn, mut channels) = Connection::start(stream, Direction::Initiator, &PROTOCOLS, stats.traffic.clone());
    let result = async {
        let mut hs = take(&mut channels, handshake::PROTOCOL);
        let ours = version_table(VersionData {
            initiator_only: true,
            ..VersionData::node(ctx.network_magic)
        });
        hs.send(&HsMsg::Propose(ours.clone()).to_cbor()).await?;
        match conclude(&ours, recv_handshake(&mut hs).await?) {
            Ok(Outcome::Accepted { version, .. }) => tracing::debug!(version, "handshake accepted"),
            Ok(Outcome::Queried(_)) => return Err(ConnectionError::Handshake("the peer answered a query".into())),
            Err(e) => return Err(ConnectionError::Handshake(e.to_string())),
        }
        let _open = stats.opened();
        let mut tasks = JoinSet::new();
        tasks.spawn(follow_peer::run(
            take(&mut channels, chainsync::PROTOCOL),
            take(&mut channels, blockfetch::PROTOCOL),
            ctx.chain.clone(),
            stats.clone(),
        ));
        tasks.spawn(relay_txs::offer(
            take(&mut channels, txsubmission::PROTOCOL),
            ctx.chain.clone(),
        ));
        tasks.spawn(keep_alive::client(take(&mut channels, keepalive::PROTOCOL)));
        run(&mut conn, tasks).await
    }
    .await;
    finish(&mut conn, &stats, result).await
}

/// Runs a connection a peer opened until it fails; returns why.
pub async fn inbound(stream: TcpStream, ctx: SessionContext, stats: Arc<PeerStats>) -> ConnectionError {
    let (mut conn, mut channels) = Connection::start(stream, Direction::Responder, &PROTOCOLS, stats.traffic.clone());
    let result = async {
        let mut hs = take(&mut channels, handshake::PROTOCOL);
        let ours = version_table(VersionData::node(ctx.network_magic));
        let proposal = match recv_handshake(&mut hs).await? {
            HsMsg::Propose(t) => t,
            other => {
                return Err(ConnectionError::Handshake(format!(
                    "{other:?} where a proposal was expected"
                )))
            }
        };
        let answer = respond(&ours, &proposal);
        hs.send(&answer.to_cbor()).await?;
        let why = match answer {
            HsMsg::Accept(version, data) => {
                tracing::debug!(version, ?data, "handshake accepted");
                None
            }
            HsMsg::QueryReply(_) => Some("a version query, answered".to_string()),
            other => Some(format!("refused: {other:?}")),
        };
        if let Some(why) = why {
            // The answer reaches the peer before the connection closes.
            drop(hs);
            channels.clear();
            conn.drain(std::time::Duration::from_secs(1)).await;
            return Err(ConnectionError::Handshake(why));
        }
        let _open = stats.opened();
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_chain::chain_sync(
            take(&mut channels, chainsync::PROTOCOL),
            ctx.chain.clone(),
            Serving::Headers,
        ));
        tasks.spawn(serve_chain::block_fetch(
            take(&mut channels, blockfetch::PROTOCOL),
            ctx.chain.clone(),
            stats.clone(),
        ));
        tasks.spawn(relay_txs::pull(
            take(&mut channels, txsubmission::PROTOCOL),
            ctx.chain.clone(),
            stats.clone(),
        ));
        tasks.spawn(keep_alive::server(take(&mut channels, keepalive::PROTOCOL)));
        run(&mut conn, tasks).await
    }
    .await;
    finish(&mut conn, &stats, result).await
}

/// Waits for the protocols: the connection ends when all are done, or at the first failure.
pub(crate) async fn run(
    conn: &mut Connection,
    mut tasks: JoinSet<Result<(), ConnectionError>>,
) -> Result<(), ConnectionError> {
    loop {
        tokio::select! {
            e = conn.failed() => return Err(e),
            done = tasks.join_next() => match done {
                None => return Ok(()),
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => return Err(e),
                Some(Err(e)) => return Err(ConnectionError::Invalid(format!("a protocol task failed: {e}"))),
            }
        }
    }
}

async fn finish(conn: &mut Connection, stats: &PeerStats, result: Result<(), ConnectionError>) -> ConnectionError {
    let e = why_ended(conn, result).await;
    if e != ConnectionError::Closed {
        stats.failed(e.to_string());
    }
    e
}

/// Why a connection ended, given how its protocols ended: a protocol sees its channel close
/// when the multiplexer stopped, and the multiplexer knows why.
pub(crate) async fn why_ended(conn: &mut Connection, result: Result<(), ConnectionError>) -> ConnectionError {
    match result {
        Ok(()) => ConnectionError::Closed,
        Err(ConnectionError::Closed) => tokio::time::timeout(CLOSE_REASON_WAIT, conn.failed())
            .await
            .unwrap_or(ConnectionError::Closed),
        Err(e) => e,
    }
}
