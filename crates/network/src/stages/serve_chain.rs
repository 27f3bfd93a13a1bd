//! Serving the node's chain on a connection a peer opened: chain-sync's server follows our
//! selected chain for the peer (an update whenever the chain task announces a new tip) and
//! block-fetch's server streams the ranges it asks for. Each runs its protocol's state machine
//! over its [`Channel`], with the state's size and time limits, and reads the chain through a
//! [`NodeChain`] on a blocking thread, never on the chain task.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use slotforge_chain::service::{ChainHandle, ChainNotice};
use slotforge_chain::store::{BlockReader, StoreError};
use tokio::sync::broadcast::error::RecvError;

use crate::mux::connection::{Channel, ConnectionError};
use crate::node_chain::NodeChain;
use crate::peer_stats::PeerStats;
use crate::protocols::blockfetch::messages::Message as FetchMsg;
use crate::protocols::blockfetch::server::{BlockFetchServer, Reply};
use crate::protocols::chainsync::messages::Message as SyncMsg;
use crate::protocols::chainsync::server::{ChainSyncServer, Serving, State as SyncState};
use crate::protocols::limits::{CHAIN_SYNC_IDLE, SMALL_BYTES};
use crate::protocols::{blockfetch, chainsync};

/// How many blocks a batch reads from the chain at a time while streaming.
const BLOCKS_PER_READ: usize = 16;

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

/// Serves chain-sync (headers to a peer, or blocks to a local client) until the client is done.
pub async fn chain_sync(mut ch: Channel, chain: ChainHandle, serving: Serving) -> Result<(), ConnectionError> {
    let mut server = ChainSyncServer::serving(serving);
    // A peer that says nothing for an hour is gone; a local client may follow at its own pace
    // (the reference sets no time limits on node-to-client protocols).
    let idle = match serving {
        Serving::Headers => Some(CHAIN_SYNC_IDLE),
        Serving::Blocks => None,
    };
    let mut notices = chain.subscribe();
    let mut served = ServedChain::new(chain);
    loop {
        let msg = ch.recv_decoded("StIdle", SMALL_BYTES, idle, SyncMsg::decode).await?;
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
            SyncState::Done => return Ok(()),
            SyncState::Idle => {}
            SyncState::MustReply => loop {
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
            .recv_decoded("StIdle", SMALL_BYTES, None, |b| FetchMsg::decode(b, SMALL_BYTES))
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
                ch.send(&FetchMsg::NoBlocks.to_cbor()).await?;
                continue;
            }
            Some(Reply::Batch(points)) => points,
        };
        ch.send(&FetchMsg::StartBatch.to_cbor()).await?;
        for chunk in points.chunks(BLOCKS_PER_READ) {
            let chunk = chunk.to_vec();
            let chunk_len = chunk.len();
            let blocks = served
                .read(move |nc| chunk.iter().map_while(|p| nc.wrapped_block(p)).collect::<Vec<_>>())
                .await?;
            let complete = blocks.len() == chunk_len;
            for b in blocks {
                ch.send(&FetchMsg::Block(b).to_cbor()).await?;
                stats.blocks_served.fetch_add(1, Ordering::Relaxed);
            }
            // A block the node no longer holds (pruned meanwhile: its fork fell more than k
            // behind) ends the batch early.
            if !complete {
                break;
            }
        }
        ch.send(&FetchMsg::BatchDone.to_cbor()).await?;
    }
}
