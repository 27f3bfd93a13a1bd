//! One local client's connection: the multiplexer on its Unix socket, the node-to-client
//! handshake (versions 16 to 23, the network magic checked, a query answered with our
//! versions), then the four node-to-client protocols until the client is done or breaks one
//! of them — the reason is what it is disconnected for.

use std::sync::Arc;
use std::time::Duration;

use slotforge_chain::service::ChainHandle;
use tokio::net::UnixStream;
use tokio::task::JoinSet;

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

/// How long a local client may take to propose versions.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a local session needs of the node.
#[derive(Clone)]
pub struct LocalContext {
    /// The node's chain: what is served, queried and submitted to.
    pub chain: ChainHandle,
    /// The network's magic number, required in the handshake.
    pub network_magic: u32,
}

fn take(channels: &mut std::collections::HashMap<u16, Channel>, p: u16) -> Channel {
    channels.remove(&p).expect("every protocol has a channel")
}

/// Serves a local client until it is done or fails; returns why the connection ended.
pub async fn serve(stream: UnixStream, ctx: LocalContext) -> ConnectionError {
    let traffic = Arc::new(Traffic::default());
    let (mut conn, mut channels) = Connection::start_on(stream, Direction::Responder, &PROTOCOLS, traffic);
    let result = async {
        let mut hs = take(&mut channels, handshake::PROTOCOL);
        let ours = version_table(ClientVersionData {
            network_magic: ctx.network_magic,
            query: false,
        });
        let proposal = match hs
            .recv_decoded(
                "StPropose",
                MAX_MESSAGE_BYTES,
                Some(HANDSHAKE_TIMEOUT),
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
        match answer {
            HsMsg::Accept(version, data) => tracing::debug!(version, ?data, "local client accepted"),
            HsMsg::QueryReply(_) => return Err(ConnectionError::Handshake("a version query, answered".into())),
            other => return Err(ConnectionError::Handshake(format!("refused: {other:?}"))),
        }
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
        ));
        tasks.spawn(monitor_mempool::run(
            take(&mut channels, local_tx_monitor::PROTOCOL),
            ctx.chain.clone(),
        ));
        super::peer_session::run(&mut conn, tasks).await
    }
    .await;
    match result {
        // A protocol sees its channel close when the multiplexer stopped: it knows why.
        Err(ConnectionError::Closed) => match tokio::time::timeout(Duration::from_secs(1), conn.failed()).await {
            Ok(reason) => reason,
            Err(_) => ConnectionError::Closed,
        },
        Err(e) => e,
        Ok(()) => ConnectionError::Closed,
    }
}
