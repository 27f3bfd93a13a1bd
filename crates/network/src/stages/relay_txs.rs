//! Transactions between mempools, over tx-submission2. On a connection we opened we [`offer`]
//! our mempool's transactions (the peer pulls them: it asks for ids, then for the transactions
//! it lacks); on one a peer opened we [`pull`] the peer's into our mempool, a window of
//! `TX_WINDOW` ids at a time. Each side checks the other's requests against what it announced
//! or asked.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use slotforge_chain::service::ChainHandle;

use crate::mux::connection::{Channel, ConnectionError};
use crate::peer_stats::PeerStats;
use crate::protocols::limits::{LARGE_BYTES, SMALL_BYTES, TX_SUBMISSION_ANSWER};
use crate::protocols::txsubmission::messages::{EraTx, EraTxId, Message as TxMsg, ERA_CONWAY};
use crate::protocols::txsubmission::PROTOCOL;

/// How often a blocking tx-submission request looks at the mempool again.
const MEMPOOL_POLL: Duration = Duration::from_millis(200);
/// How many transaction ids we ask a peer for at a time (the window of unacknowledged ids).
const TX_WINDOW: u16 = 10;

/// Offers our mempool's transactions to the peer, which pulls them, until it is done.
pub async fn offer(mut ch: Channel, chain: ChainHandle) -> Result<(), ConnectionError> {
    let p = PROTOCOL;
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
                                era: ERA_CONWAY,
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
                                era: ERA_CONWAY,
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

/// Pulls the peer's transactions into our mempool until the peer is done.
pub async fn pull(mut ch: Channel, chain: ChainHandle, stats: Arc<PeerStats>) -> Result<(), ConnectionError> {
    let p = PROTOCOL;
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
