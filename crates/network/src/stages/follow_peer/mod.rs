//! Following one peer's chain, on a connection we opened: chain-sync's client proposes an
//! intersection, then asks for update after update. Each header rolled forward to is judged on
//! the peer's [`candidate`] chain before its body is asked for; the headers that passed are
//! handed to [`fetch_blocks`](super::fetch_blocks) in batches (and whenever the peer is at its
//! tip), whose blocks go on to chain selection. A roll-backward is checked against what the
//! peer announced.

pub mod candidate;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use slotforge_chain::service::ChainHandle;

use self::candidate::{CandidateChain, Verdict};
use super::fetch_blocks::{Fetcher, FETCH_BATCH};
use super::select_chain::state_of;
use crate::mux::connection::{Channel, ConnectionError};
use crate::node_chain::{chain_point, network_point};
use crate::peer_stats::PeerStats;
use crate::protocols::chainsync;
use crate::protocols::chainsync::client::{intersection_points, ChainSyncClient, Event};
use crate::protocols::chainsync::messages::{Message as SyncMsg, Point, ERA_BABBAGE, ERA_CONWAY};
use crate::protocols::limits::{CHAIN_SYNC_ANSWER, CHAIN_SYNC_MUST_REPLY, SMALL_BYTES};

/// The system clock in Unix milliseconds: when a header arrived.
fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The points a chain-sync client offers for an intersection: the selected chain from the
/// immutable anchor on (see [`intersection_points`]), with the anchor itself always among them.
pub fn intersection_candidates(view: &slotforge_chain::service::ChainView<'_>) -> Vec<Point> {
    let chain: Vec<Point> = view
        .selection
        .anchor()
        .tip
        .into_iter()
        .chain(view.selection.selected().iter().filter_map(|(_, s)| s.tip))
        .map(network_point)
        .collect();
    let mut points = intersection_points(&chain);
    if let Some(a) = chain.first() {
        if !points.contains(a) {
            points.insert(points.len() - 1, *a);
        }
    }
    points
}

/// Follows the peer's chain, headers first, until the connection fails.
pub async fn run(
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
    let mut fetcher = Fetcher::new(&mut fetch_ch, &chain, &stats);
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
