//! Block-fetch's client: the bodies of the headers the peer's candidate chain validated, asked
//! for in ranges of consecutive blocks. Each block must be the one its header announced (era,
//! decoding, hash); it then goes to chain selection ([`select_chain`](super::select_chain)),
//! one by one in chain order. Once a range is in, the candidate continues from the state the
//! chain computed for its last block.

use std::sync::atomic::Ordering;

use slotforge_chain::block::Block;
use slotforge_chain::service::ChainHandle;

use super::follow_peer::candidate::{CandidateChain, PendingHeader};
use super::select_chain::{add_block, state_of};
use crate::mux::connection::{Channel, ConnectionError};
use crate::node_chain::network_point;
use crate::peer_stats::PeerStats;
use crate::protocols::blockfetch;
use crate::protocols::blockfetch::messages::{unwrap_block, Message as FetchMsg, BLOCK_ERA_BABBAGE, BLOCK_ERA_CONWAY};
use crate::protocols::limits::{BLOCK_FETCH_ANSWER, LARGE_BYTES, SMALL_BYTES};

/// Headers that wait before their bodies are fetched in one range.
pub(crate) const FETCH_BATCH: usize = 100;

/// Block-fetch's client: brings the bodies of validated headers and hands the blocks on.
pub(crate) struct Fetcher<'a> {
    ch: &'a mut Channel,
    chain: &'a ChainHandle,
    stats: &'a PeerStats,
}

impl<'a> Fetcher<'a> {
    /// A fetcher over a connection's block-fetch channel, counting the blocks in `stats`.
    pub(crate) fn new(ch: &'a mut Channel, chain: &'a ChainHandle, stats: &'a PeerStats) -> Self {
        Fetcher { ch, chain, stats }
    }

    /// Fetches every waiting header's block, in ranges, and adds each to the chain; then
    /// rebases the candidate on the chain's state after the last one, when it holds it.
    pub(crate) async fn fetch(&mut self, candidate: &mut CandidateChain) -> Result<(), ConnectionError> {
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
        let request = FetchMsg::RequestRange(network_point(first), network_point(last));
        self.ch.send(&request.to_cbor()).await?;
        match self
            .ch
            .recv_decoded("StBusy", SMALL_BYTES, Some(BLOCK_FETCH_ANSWER), |b| {
                FetchMsg::decode(b, SMALL_BYTES)
            })
            .await?
        {
            FetchMsg::StartBatch => {}
            FetchMsg::NoBlocks => return Ok(false),
            other => return Err(ConnectionError::violation(p, format!("{other:?} in StBusy"))),
        }
        for expected in headers {
            let wrapped = match self.streamed().await? {
                FetchMsg::Block(b) => b,
                FetchMsg::BatchDone => {
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
            add_block(self.chain, block).await?;
        }
        match self.streamed().await? {
            FetchMsg::BatchDone => Ok(true),
            other => Err(ConnectionError::violation(
                p,
                format!("{other:?} after the range's last block"),
            )),
        }
    }

    /// The next message of a batch (a block or the batch's end).
    async fn streamed(&mut self) -> Result<FetchMsg, ConnectionError> {
        self.ch
            .recv_decoded("StStreaming", LARGE_BYTES, Some(BLOCK_FETCH_ANSWER), |b| {
                FetchMsg::decode(b, LARGE_BYTES)
            })
            .await
    }
}
