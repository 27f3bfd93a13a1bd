//! One local client's connection: the multiplexer on its Unix socket, the node-to-client
//! handshake (versions 16 to 23, the network magic checked, a query answered with our
//! versions), then the four node-to-client protocols until the client is done or breaks one
//! of them — the reason is what it is disconnected for.

use std::sync::Arc;
use std::time::Duration;

use slotforge_chain::service::ChainHandle;
use tokio::net::UnixStream;
use tokio::task::JoinSet;

use super::peer_session::{take, why_ended};
use super::{accept_local_txs, monitor_mempool, serve_chain, serve_local_queries};
use crate::mux::connection::{Channel, Connection, ConnectionError, Traffic};
use crate::mux::framing::Direction;
use crate::protocols::chainsync::server::Serving;
use crate::protocols::handshake::messages::{version_table, ClientVersionData, Message as HsMsg, MAX_MESSAGE_BYTES};
use crate::protocols::handshake::server::respond;
use crate::protocols::{chainsync, handshake, local_state_query, local_tx_monitor, local_tx_submission};

/// The mini-protocols a node-to-client connection runs (no keep-alive, as in the reference).
const PROTOCOLS: [u16; 5] = [
    handshake::PROTOCOL,
    chainsync::LOCAL_PROTOCOL,
    local_tx_submission::PROTOCOL,
    local_state_query::PROTOCOL,
    local_tx_monitor::PROTOCOL,
];

/// How long a local client may take over what it must send.
#[derive(Debug, Clone, Copy)]
pub struct LocalLimits {
    /// To propose versions, once connected (10 s).
    pub handshake: Duration,
    /// To hold an acquired ledger state, queries included (10 minutes): an acquisition never
    /// released would hold old ledger states in memory.
    pub acquired: Duration,
    /// To take what the node writes (60 s): a client that stops reading is disconnected
    /// rather than left holding the answers it does not read.
    pub write: Duration,
}

impl Default for LocalLimits {
    fn default() -> Self {
        LocalLimits {
            handshake: Duration::from_secs(10),
            acquired: Duration::from_secs(600),
            write: crate::mux::connection::WRITE_TIMEOUT,
        }
    }
}

/// What a local session needs of the node.
#[derive(Clone)]
pub struct LocalContext {
    /// The node's chain: what is served, queried and submitted to.
    pub chain: ChainHandle,
    /// The network's magic number, required in the handshake.
    pub network_magic: u32,
    /// How long the client may take.
    pub limits: LocalLimits,
}

/// Serves a local client until it is done or fails; returns why the connection ended.
pub async fn serve(stream: UnixStream, ctx: LocalContext) -> ConnectionError {
    let traffic = Arc::new(Traffic::default());
    let (mut conn, mut channels) =
        Connection::start_with_write_limit(stream, Direction::Responder, &PROTOCOLS, traffic, ctx.limits.write);
    let mut hs = take(&mut channels, handshake::PROTOCOL);
    let answer = match handshake(&mut hs, &ctx).await {
        Ok(a) => a,
        Err(e) => return why_ended(&mut conn, Err(e)).await,
    };
    let version = match answer {
        HsMsg::Accept(version, data) => {
            tracing::debug!(version, ?data, "local client accepted");
            Ok(version)
        }
        HsMsg::QueryReply(_) => Err("a version query, answered".to_string()),
        other => Err(format!("refused: {other:?}")),
    };
    let version = match version {
        Ok(v) => v,
        Err(why) => {
            // The answer reaches the client before the connection closes.
            drop((hs, channels));
            conn.drain(Duration::from_secs(1)).await;
            return ConnectionError::Handshake(why);
        }
    };
    let mut tasks = JoinSet::new();
    tasks.spawn(serve_chain::chain_sync(
        take(&mut channels, chainsync::LOCAL_PROTOCOL),
        ctx.chain.clone(),
        Serving::Blocks,
    ));
    tasks.spawn(accept_local_txs::run(
        take(&mut channels, local_tx_submission::PROTOCOL),
        ctx.chain.clone(),
    ));
    tasks.spawn(serve_local_queries::run(
        take(&mut channels, local_state_query::PROTOCOL),
        ctx.chain.clone(),
        ctx.limits.acquired,
        version,
    ));
    tasks.spawn(monitor_mempool::run(
        take(&mut channels, local_tx_monitor::PROTOCOL),
        ctx.chain.clone(),
    ));
    let result = super::peer_session::run(&mut conn, tasks).await;
    why_ended(&mut conn, result).await
}

/// Reads the client's proposal and sends the answer: accepted (the greatest version both
/// know, with the same magic), refused, or our versions to a query.
async fn handshake(hs: &mut Channel, ctx: &LocalContext) -> Result<HsMsg<ClientVersionData>, ConnectionError> {
    let ours = version_table(ClientVersionData {
        network_magic: ctx.network_magic,
        query: false,
    });
    let proposal = match hs
        .recv_decoded(
            "StPropose",
            MAX_MESSAGE_BYTES,
            Some(ctx.limits.handshake),
            HsMsg::<ClientVersionData>::decode,
        )
        .await?
    {
        HsMsg::Propose(t) => t,
        other => {
            return Err(ConnectionError::Handshake(format!(
                "{other:?} where a proposal was expected"
            )))
        }
    };
    let answer = respond(&ours, &proposal);
    hs.send(&answer.to_cbor()).await?;
    Ok(answer)
}
