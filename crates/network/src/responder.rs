//! The responder side of a connection a peer opened to us: chain-sync and block-fetch serve
//! our selected chain, tx-submission2 pulls the peer's transactions into our mempool, and
//! keep-alive echoes. Each runs the protocol's state machine over its [`Channel`], with the
//! state's size and time limits.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use slotforge_chain::service::{ChainHandle, ChainNotice};
use slotforge_chain::store::{BlockReader, StoreError};
use tokio::sync::broadcast::error::RecvError;

use crate::blockfetch::{self, BlockFetchServer, Reply};
use crate::chainsync::{self, Message as SyncMsg};
use crate::chainsync_server::{self, ChainSyncServer};
use crate::connection::{Channel, ConnectionError};
use crate::keepalive;
use crate::limits::*;
use crate::node_chain::NodeChain;
use crate::peer_stats::PeerStats;
use crate::txsubmission::{self, EraTxId, Message as TxMsg};

/// How many blocks a batch reads from the chain at a time while streaming.
const BLOCKS_PER_READ: usize = 16;
/// How many transaction ids we ask a peer for at a time (the window of unacknowledged ids).
const TX_WINDOW: u16 = 10;

/// The node's chain as one server reads it, off the chain task: the task only hands over its
/// shared snapshot of the volatile part; the store is read through this server's own
/// [`BlockReader`], on a blocking thread.
struct ServedChain {
    chain: ChainHandle,
    store: Option<BlockReader>,
}

impl ServedChain {
    fn new(chain: ChainHandle) -> Self {
        ServedChain { chain, store: None }
    }

    /// Runs `f` on the chain.
    async fn read<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&NodeChain<'_>) -> T + Send + 'static,
    ) -> Result<T, ConnectionError> {
        let volatile = self
            .chain
            .query(|v| v.selection.volatile())
            .await
            .ok_or_else(ConnectionError::chain_stopped)?;
        let store = self.store.take();
        let chain = self.chain.clone();
        let (store, out) = tokio::task::spawn_blocking(move || {
            let store = match store {
                Some(s) => s,
                None => chain.block_reader()?,
            };
            let out = f(&NodeChain {
                volatile: &volatile,
                store: &store,
            });
            Ok::<_, StoreError>((store, out))
        })
        .await
        .map_err(|e| ConnectionError::Local(format!("reading the chain: {e}")))?
        .map_err(|e| ConnectionError::Local(format!("reading the chain: {e}")))?;
        self.store = Some(store);
        Ok(out)
    }
}

/// Serves chain-sync until the client is done.
pub async fn chain_sync(mut ch: Channel, chain: ChainHandle) -> Result<(), ConnectionError> {
    let mut server = ChainSyncServer::new();
    let mut notices = chain.subscribe();
    let mut served = ServedChain::new(chain);
    loop {
        let msg = ch
            .recv_decoded("StIdle", SMALL_BYTES, Some(CHAIN_SYNC_IDLE), SyncMsg::decode)
            .await?;
        let (back, out) = served
            .read(move |nc| {
                let out = server.on_message(msg, nc);
                (server, out)
            })
            .await?;
        server = back;
        for m in out.map_err(|e| ConnectionError::violation(chainsync::PROTOCOL, e))? {
            ch.send(&m.to_cbor()).await?;
        }
        match server.state() {
            chainsync_server::State::Done => return Ok(()),
            chainsync_server::State::Idle => {}
            chainsync_server::State::MustReply => loop {
                match notices.recv().await {
                    Ok(ChainNotice::TipChanged { .. }) | Err(RecvError::Lagged(_)) => {}
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return Err(ConnectionError::chain_stopped()),
                }
                let (back, out) = served
                    .read(move |nc| {
                        let out = server.on_chain_changed(nc);
                        (server, out)
                    })
                    .await?;
                server = back;
                for m in &out {
                    ch.send(&m.to_cbor()).await?;
                }
                if !out.is_empty() {
                    break;
                }
            },
        }
    }
}

/// Serves block-fetch until the client is done.
pub async fn block_fetch(mut ch: Channel, chain: ChainHandle, stats: Arc<PeerStats>) -> Result<(), ConnectionError> {
    let mut server = BlockFetchServer::default();
    let mut served = ServedChain::new(chain);
    loop {
        let msg = ch
            .recv_decoded("StIdle", SMALL_BYTES, None, |b| {
                blockfetch::Message::decode(b, SMALL_BYTES)
            })
            .await?;
        let (back, reply) = served
            .read(move |nc| {
                let r = server.on_message(msg, nc);
                (server, r)
            })
            .await?;
        server = back;
        let points = match reply.map_err(|e| ConnectionError::violation(blockfetch::PROTOCOL, e))? {
            None => return Ok(()),
            Some(Reply::NoBlocks) => {
                ch.send(&blockfetch::Message::NoBlocks.to_cbor()).await?;
                continue;
            }
            Some(Reply::Batch(points)) => points,
        };
        ch.send(&blockfetch::Message::StartBatch.to_cbor()).await?;
        for chunk in points.chunks(BLOCKS_PER_READ) {
            let chunk = chunk.to_vec();
            let chunk_len = chunk.len();
            let blocks = served
                .read(move |nc| chunk.iter().map_while(|p| nc.wrapped_block(p)).collect::<Vec<_>>())
                .await?;
            let complete = blocks.len() == chunk_len;
            for b in blocks {
                ch.send(&blockfetch::Message::Block(b).to_cbor()).await?;
                stats.blocks_served.fetch_add(1, Ordering::Relaxed);
            }
            // A block the node no longer holds (pruned meanwhile: its fork fell more than k
            // behind) ends the batch early.
            if !complete {
                break;
            }
        }
        ch.send(&blockfetch::Message::BatchDone.to_cbor()).await?;
    }
}

/// Pulls the peer's transactions into our mempool until the peer is done.
pub async fn tx_submission(mut ch: Channel, chain: ChainHandle, stats: Arc<PeerStats>) -> Result<(), ConnectionError> {
    let p = txsubmission::PROTOCOL;
    match ch
        .recv_decoded("StInit", SMALL_BYTES, None, |b| TxMsg::decode(b, SMALL_BYTES))
        .await?
    {
        TxMsg::Init => {}
        other => return Err(ConnectionError::violation(p, format!("{other:?} before MsgInit"))),
    }
    let mut unacked: u16 = 0;
    let mut to_ack: u16 = 0;
    loop {
        let outstanding = unacked - to_ack;
        let blocking = outstanding == 0;
        let req = TX_WINDOW - outstanding;
        ch.send(
            &TxMsg::RequestTxIds {
                blocking,
                ack: to_ack,
                req,
            }
            .to_cbor(),
        )
        .await?;
        unacked = outstanding;
        let timeout = (!blocking).then_some(TX_SUBMISSION_ANSWER);
        let ids = match ch
            .recv_decoded("StTxIds", SMALL_BYTES, timeout, |b| TxMsg::decode(b, SMALL_BYTES))
            .await?
        {
            TxMsg::ReplyTxIds(ids) => ids,
            TxMsg::Done if blocking => return Ok(()),
            other => return Err(ConnectionError::violation(p, format!("{other:?} in StTxIds"))),
        };
        if ids.len() > req as usize || (blocking && ids.is_empty()) {
            return Err(ConnectionError::violation(
                p,
                format!("{} transaction ids where 1 to {req} were asked", ids.len()),
            ));
        }
        unacked += ids.len() as u16;
        let wanted: Vec<EraTxId> = {
            let ids: Vec<EraTxId> = ids.into_iter().map(|(id, _)| id).collect();
            chain
                .query(move |v| {
                    ids.into_iter()
                        .filter(|i| !<[u8; 32]>::try_from(i.id.as_slice()).is_ok_and(|id| v.mempool.contains(&id)))
                        .collect()
                })
                .await
                .ok_or_else(ConnectionError::chain_stopped)?
        };
        to_ack = unacked;
        if wanted.is_empty() {
            continue;
        }
        let n = wanted.len();
        ch.send(&TxMsg::RequestTxs(wanted).to_cbor()).await?;
        let txs = match ch
            .recv_decoded("StTxs", LARGE_BYTES, Some(TX_SUBMISSION_ANSWER), |b| {
                TxMsg::decode(b, LARGE_BYTES)
            })
            .await?
        {
            TxMsg::ReplyTxs(txs) => txs,
            other => return Err(ConnectionError::violation(p, format!("{other:?} in StTxs"))),
        };
        if txs.len() > n {
            return Err(ConnectionError::violation(
                p,
                format!("{} transactions where {n} were asked", txs.len()),
            ));
        }
        for t in txs {
            stats.txs_received.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = chain.submit_tx(t.tx).await {
                // An invalid or late transaction is the peer's view of the ledger, not misbehaviour.
                tracing::debug!(error = %e, "a peer's transaction was not admitted");
            }
        }
    }
}

/// Echoes keep-alive cookies until the client is done.
pub async fn keep_alive(mut ch: Channel) -> Result<(), ConnectionError> {
    loop {
        let msg = ch
            .recv_decoded(
                "StClient",
                SMALL_BYTES,
                Some(KEEP_ALIVE_CLIENT),
                keepalive::Message::decode,
            )
            .await?;
        match keepalive::respond(msg) {
            Ok(Some(reply)) => ch.send(&reply.to_cbor()).await?,
            Ok(None) => return Ok(()),
            Err(m) => {
                return Err(ConnectionError::violation(
                    keepalive::PROTOCOL,
                    format!("{m:?} from the client"),
                ))
            }
        }
    }
}
