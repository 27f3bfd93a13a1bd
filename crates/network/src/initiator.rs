//! The initiator side of a connection we opened: headers-first sync (chain-sync for headers,
//! each validated before block-fetch brings its body, complete blocks handed to chain
//! selection), tx-submission2 offering our mempool's transactions, and keep-alive.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use slotforge_chain::block::Block;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::selection::{AddError, SelectionEvent};
use slotforge_chain::service::{ChainError, ChainHandle};

use crate::blockfetch::{self, unwrap_block, BLOCK_ERA_BABBAGE, BLOCK_ERA_CONWAY};
use crate::candidate::{CandidateChain, PendingHeader, Verdict};
use crate::chainsync::{self, Message as SyncMsg, ERA_BABBAGE, ERA_CONWAY};
use crate::chainsync_client::{ChainSyncClient, Event};
use crate::connection::{Channel, ConnectionError};
use crate::keepalive;
use crate::limits::*;
use crate::node_chain::{chain_point, intersection_candidates, network_point};
use crate::peer_stats::PeerStats;
use crate::txsubmission::{self, EraTx, EraTxId, Message as TxMsg};

/// Headers that wait before their bodies are fetched in one range.
const FETCH_BATCH: usize = 100;
/// How often a blocking tx-submission request looks at the mempool again.
const MEMPOOL_POLL: Duration = Duration::from_millis(200);

/// The chain's state after `at` (None: genesis), selected or not; None when it holds none.
/// The system clock in Unix milliseconds: when a header arrived.
fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn state_of(chain: &ChainHandle, at: Option<[u8; 32]>) -> Result<Option<Arc<ChainState>>, ConnectionError> {
    chain
        .query(move |v| v.selection.state_of(at))
        .await
        .ok_or_else(ConnectionError::chain_stopped)
}

/// Follows the peer's chain, headers first, until the connection fails.
pub async fn sync(
    mut sync_ch: Channel,
    mut fetch_ch: Channel,
    chain: ChainHandle,
    stats: Arc<PeerStats>,
) -> Result<(), ConnectionError> {
    let cfg = chain.config().clone();
    let mut client = ChainSyncClient::default();
    let points = chain
        .query(intersection_candidates)
        .await
        .ok_or_else(ConnectionError::chain_stopped)?;
    let m = client.find_intersect(points).expect("a new client is idle");
    sync_ch.send(&m.to_cbor()).await?;
    let answer = sync_ch
        .recv_decoded("StIntersect", SMALL_BYTES, Some(CHAIN_SYNC_ANSWER), SyncMsg::decode)
        .await?;
    let at = match client
        .on_message(answer)
        .map_err(|e| ConnectionError::violation(chainsync::PROTOCOL, e))?
    {
        Event::Intersected(p, _) => p,
        Event::NoIntersection(tip) => {
            return Err(ConnectionError::Invalid(format!(
                "the peer's chain (tip {tip:?}) shares no block with ours after our immutable tip"
            )))
        }
        other => {
            return Err(ConnectionError::violation(
                chainsync::PROTOCOL,
                format!("{other:?} in StIntersect"),
            ))
        }
    };
    let base = state_of(&chain, chain_point(&at)).await?;
    let mut candidate = CandidateChain::new(cfg.clone(), chain_point(&at), base);
    let mut fetcher = Fetcher {
        ch: &mut fetch_ch,
        chain: &chain,
        stats: &stats,
    };
    let mut must_reply = false;
    loop {
        if !must_reply {
            let m = client.request_next().expect("the client is idle between updates");
            sync_ch.send(&m.to_cbor()).await?;
        }
        let (state, timeout) = if must_reply {
            ("StMustReply", CHAIN_SYNC_MUST_REPLY)
        } else {
            ("StCanAwait", CHAIN_SYNC_ANSWER)
        };
        let msg = sync_ch
            .recv_decoded(state, SMALL_BYTES, Some(timeout), SyncMsg::decode)
            .await?;
        must_reply = false;
        match client
            .on_message(msg)
            .map_err(|e| ConnectionError::violation(chainsync::PROTOCOL, e))?
        {
            Event::RollForward(h, tip) => {
                if h.era != ERA_CONWAY && h.era != ERA_BABBAGE {
                    return Err(ConnectionError::Invalid(format!(
                        "a header of era {}; this chain runs Babbage/Conway blocks",
                        h.era
                    )));
                }
                stats.headers_received.fetch_add(1, Ordering::Relaxed);
                let judge = |candidate: &mut CandidateChain| {
                    candidate
                        .roll_forward(&h.header, unix_now_ms())
                        .map_err(|e| ConnectionError::Invalid(e.to_string()))
                };
                let mut verdict = judge(&mut candidate)?;
                if let Verdict::NotYet { slot_start_ms } = verdict {
                    // A little early (the peer's clock runs ahead): judged once its slot starts.
                    let wait = slot_start_ms.saturating_sub(unix_now_ms()).max(0) as u64;
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    verdict = judge(&mut candidate)?;
                }
                if verdict == Verdict::FetchFirst {
                    fetcher.fetch(&mut candidate).await?;
                    verdict = judge(&mut candidate)?;
                }
                debug_assert_eq!(verdict, Verdict::Accepted);
                let at_tip = Some(tip.point) == candidate.tip().map(network_point);
                if candidate.pending_len() >= FETCH_BATCH || at_tip {
                    fetcher.fetch(&mut candidate).await?;
                }
            }
            Event::RollBackward(p, _) => {
                let to = chain_point(&p);
                tracing::debug!(to = ?to.map(hex::encode), "roll-backward");
                // A point the peer never announced, or deeper than k: a protocol violation.
                let rebase = candidate
                    .roll_backward(to)
                    .map_err(|e| ConnectionError::violation(chainsync::PROTOCOL, e))?;
                if rebase {
                    candidate.rebase(state_of(&chain, to).await?);
                }
            }
            Event::AwaitingUpdate => {
                fetcher.fetch(&mut candidate).await?;
                stats.reached_tip.store(true, Ordering::Relaxed);
                must_reply = true;
            }
            other => {
                return Err(ConnectionError::violation(
                    chainsync::PROTOCOL,
                    format!("{other:?} after the intersection"),
                ))
            }
        }
    }
}

/// Block-fetch's client: brings the bodies of validated headers and hands the blocks on.
struct Fetcher<'a> {
    ch: &'a mut Channel,
    chain: &'a ChainHandle,
    stats: &'a PeerStats,
}

impl Fetcher<'_> {
    /// Fetches every waiting header's block, in ranges, and adds each to the chain; then
    /// rebases the candidate on the chain's state after the last one, when it holds it.
    async fn fetch(&mut self, candidate: &mut CandidateChain) -> Result<(), ConnectionError> {
        let mut last = None;
        loop {
            let headers = candidate.take(FETCH_BATCH);
            let Some(end) = headers.last().map(|h| h.point) else {
                break;
            };
            tracing::debug!(
                blocks = headers.len(),
                from = headers[0].point.block_number,
                "fetching a range"
            );
            if !self.fetch_range(&headers).await? {
                tracing::debug!("the peer has no blocks for the range");
                // The peer no longer has them (it switched forks); chain-sync will say so.
                candidate.take(usize::MAX);
                break;
            }
            last = Some(end);
        }
        if let Some(end) = last {
            let state = state_of(self.chain, Some(end.hash)).await?;
            if state.is_some() && candidate.pending_len() == 0 && candidate.tip() == Some(end) {
                candidate.rebase(state);
            }
        }
        Ok(())
    }

    /// One range; false when the peer answered that it has none of it.
    async fn fetch_range(&mut self, headers: &[PendingHeader]) -> Result<bool, ConnectionError> {
        let p = blockfetch::PROTOCOL;
        let (first, last) = (headers[0].point, headers[headers.len() - 1].point);
        let request = blockfetch::Message::RequestRange(network_point(first), network_point(last));
        self.ch.send(&request.to_cbor()).await?;
        match self
            .ch
            .recv_decoded("StBusy", SMALL_BYTES, Some(BLOCK_FETCH_ANSWER), |b| {
                blockfetch::Message::decode(b, SMALL_BYTES)
            })
            .await?
        {
            blockfetch::Message::StartBatch => {}
            blockfetch::Message::NoBlocks => return Ok(false),
            other => return Err(ConnectionError::violation(p, format!("{other:?} in StBusy"))),
        }
        for expected in headers {
            let wrapped = match self.streamed().await? {
                blockfetch::Message::Block(b) => b,
                blockfetch::Message::BatchDone => {
                    return Err(ConnectionError::violation(p, "the batch ended before the range did"));
                }
                other => return Err(ConnectionError::violation(p, format!("{other:?} in StStreaming"))),
            };
            let (era, bytes) = unwrap_block(&wrapped).map_err(|e| ConnectionError::violation(p, e))?;
            if era != BLOCK_ERA_CONWAY && era != BLOCK_ERA_BABBAGE {
                return Err(ConnectionError::Invalid(format!("a block of era {era}")));
            }
            let block =
                Block::decode(bytes).map_err(|e| ConnectionError::Invalid(format!("undecodable block: {e}")))?;
            if block.hash() != expected.point.hash {
                return Err(ConnectionError::Invalid(format!(
                    "block-fetch sent block {} where {} was asked",
                    hex::encode(block.hash()),
                    hex::encode(expected.point.hash)
                )));
            }
            self.stats.blocks_received.fetch_add(1, Ordering::Relaxed);
            self.add(block).await?;
        }
        match self.streamed().await? {
            blockfetch::Message::BatchDone => Ok(true),
            other => Err(ConnectionError::violation(
                p,
                format!("{other:?} after the range's last block"),
            )),
        }
    }

    /// The next message of a batch (a block or the batch's end).
    async fn streamed(&mut self) -> Result<blockfetch::Message, ConnectionError> {
        self.ch
            .recv_decoded("StStreaming", LARGE_BYTES, Some(BLOCK_FETCH_ANSWER), |b| {
                blockfetch::Message::decode(b, LARGE_BYTES)
            })
            .await
    }

    async fn add(&self, block: Block) -> Result<(), ConnectionError> {
        let hash = block.hash();
        match self.chain.add_block(block).await {
            Ok(events) => {
                for e in events {
                    if let SelectionEvent::Rejected { point, error } = e {
                        return Err(ConnectionError::Invalid(format!(
                            "invalid block {} at slot {}: {error}",
                            hex::encode(point.hash),
                            point.slot
                        )));
                    }
                }
                Ok(())
            }
            Err(ChainError::NotConsidered(AddError::Known(_))) => Ok(()),
            Err(ChainError::NotConsidered(e @ (AddError::BodyMismatch { .. } | AddError::KnownInvalid { .. }))) => {
                Err(ConnectionError::Invalid(e.to_string()))
            }
            // Its header was judged on its parent's state, so we had the parent: the peer's
            // chain-sync and block-fetch disagree, or its fork is deeper than we may roll back.
            Err(ChainError::NotConsidered(e @ AddError::UnknownParent { .. })) => Err(ConnectionError::Invalid(
                format!("{e}: the peer's chain does not continue ours"),
            )),
            Err(ChainError::NotConsidered(e)) => {
                tracing::debug!(block = %hex::encode(hash), error = %e, "a fetched block was not considered");
                Ok(())
            }
            // Our store failed (a full disk): not the peer's fault; the block comes again.
            Err(e @ ChainError::Store(_)) => Err(ConnectionError::Local(e.to_string())),
            Err(e) => Err(ConnectionError::Invalid(e.to_string())),
        }
    }
}

/// Offers our mempool's transactions to the peer, which pulls them, until it is done.
pub async fn tx_submission(mut ch: Channel, chain: ChainHandle) -> Result<(), ConnectionError> {
    let p = txsubmission::PROTOCOL;
    ch.send(&TxMsg::Init.to_cbor()).await?;
    // Announced and not yet acknowledged, oldest first; and every id announced on this
    // connection that is still in the mempool.
    let mut unacked: VecDeque<[u8; 32]> = VecDeque::new();
    let mut announced: HashSet<[u8; 32]> = HashSet::new();
    loop {
        let msg = ch
            .recv_decoded("StIdle", SMALL_BYTES, None, |b| TxMsg::decode(b, SMALL_BYTES))
            .await?;
        match msg {
            TxMsg::RequestTxIds { blocking, ack, req } => {
                if ack as usize > unacked.len() {
                    return Err(ConnectionError::violation(
                        p,
                        format!("{ack} acknowledged, {} outstanding", unacked.len()),
                    ));
                }
                unacked.drain(..ack as usize);
                if req == 0 || unacked.len() + req as usize > u16::MAX as usize {
                    return Err(ConnectionError::violation(
                        p,
                        format!("a request for {req} transaction ids"),
                    ));
                }
                let ids = loop {
                    let seen = announced.clone();
                    let (fresh, present) = chain
                        .query(move |v| {
                            let txs = v.mempool.transactions();
                            let present: HashSet<[u8; 32]> = txs.iter().map(|t| t.id()).collect();
                            let fresh: Vec<([u8; 32], u32)> = txs
                                .iter()
                                .filter(|t| !seen.contains(&t.id()))
                                .take(req as usize)
                                .map(|t| (t.id(), t.size() as u32))
                                .collect();
                            (fresh, present)
                        })
                        .await
                        .ok_or_else(ConnectionError::chain_stopped)?;
                    announced.retain(|id| present.contains(id) || unacked.contains(id));
                    if !fresh.is_empty() || !blocking {
                        break fresh;
                    }
                    tokio::time::sleep(MEMPOOL_POLL).await;
                };
                for (id, _) in &ids {
                    announced.insert(*id);
                    unacked.push_back(*id);
                }
                let reply = ids
                    .into_iter()
                    .map(|(id, size)| {
                        (
                            EraTxId {
                                era: txsubmission::ERA_CONWAY,
                                id: id.to_vec(),
                            },
                            size,
                        )
                    })
                    .collect();
                ch.send(&TxMsg::ReplyTxIds(reply).to_cbor()).await?;
            }
            TxMsg::RequestTxs(ids) => {
                let wanted: Vec<[u8; 32]> = ids.iter().filter_map(|i| i.id.as_slice().try_into().ok()).collect();
                if wanted.iter().any(|id| !unacked.contains(id)) {
                    return Err(ConnectionError::violation(
                        p,
                        "a request for a transaction that was not announced",
                    ));
                }
                let txs = chain
                    .query(move |v| {
                        v.mempool
                            .transactions()
                            .iter()
                            .filter(|t| wanted.contains(&t.id()))
                            .map(|t| EraTx {
                                era: txsubmission::ERA_CONWAY,
                                tx: t.to_cbor(),
                            })
                            .collect::<Vec<_>>()
                    })
                    .await
                    .ok_or_else(ConnectionError::chain_stopped)?;
                ch.send(&TxMsg::ReplyTxs(txs).to_cbor()).await?;
            }
            other => return Err(ConnectionError::violation(p, format!("{other:?} from the server"))),
        }
    }
}

/// Sends a keep-alive cookie every [`KEEP_ALIVE_INTERVAL`] and checks the echo.
pub async fn keep_alive(mut ch: Channel) -> Result<(), ConnectionError> {
    let mut cookie: u16 = 0;
    loop {
        tokio::time::sleep(KEEP_ALIVE_INTERVAL).await;
        cookie = cookie.wrapping_add(1);
        ch.send(&keepalive::Message::KeepAlive(cookie).to_cbor()).await?;
        match ch
            .recv_decoded(
                "StServer",
                SMALL_BYTES,
                Some(KEEP_ALIVE_SERVER),
                keepalive::Message::decode,
            )
            .await?
        {
            keepalive::Message::Response(c) if c == cookie => {}
            other => {
                return Err(ConnectionError::violation(
                    keepalive::PROTOCOL,
                    format!("{other:?} where the echo of cookie {cookie} was expected"),
                ))
            }
        }
    }
}
