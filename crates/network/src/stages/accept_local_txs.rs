//! Local tx-submission's server: each transaction a local client submits goes to the mempool,
//! and the client hears whether it was accepted or why not, the ledger's failures written as
//! cardano-node writes them. While the mempool is full the submission waits for room, as
//! cardano-node makes a local submitter wait.

use slotforge_chain::mempool::MempoolError;
use slotforge_chain::service::{ChainHandle, SubmitError};
use slotforge_ledger::tx::TxId;

use crate::mux::connection::{Channel, ConnectionError};
use crate::protocols::local_state_query::queries::ERA_CONWAY;
use crate::protocols::local_tx_submission::messages::{Message, MAX_MESSAGE_BYTES};
use crate::protocols::local_tx_submission::{rejection, PROTOCOL};

/// Serves local tx-submission until the client is done.
pub async fn run(mut ch: Channel, chain: ChainHandle) -> Result<(), ConnectionError> {
    loop {
        let reply = match ch
            .recv_decoded("StIdle", MAX_MESSAGE_BYTES, None, Message::decode)
            .await?
        {
            Message::SubmitTx(era, _) if era != ERA_CONWAY => Message::RejectTx(rejection::era_mismatch(era)),
            Message::SubmitTx(_, tx) => match submit_when_room(&chain, tx).await {
                Ok(id) => {
                    tracing::debug!(tx = %hex::encode(id), "local transaction accepted");
                    Message::AcceptTx
                }
                Err(SubmitError::Mempool(MempoolError::Invalid(e))) => {
                    Message::RejectTx(rejection::ledger_rejection(&e))
                }
                // As cardano-node answers a resubmission: the ledger's verdict (spent inputs).
                Err(SubmitError::Mempool(MempoolError::Duplicate { ledger: Some(e), .. })) => {
                    Message::RejectTx(rejection::ledger_rejection(&e))
                }
                // Only a transaction larger than the whole mempool, which no wait would fit.
                Err(SubmitError::Mempool(e)) => Message::RejectTx(rejection::mempool_rejection(&e.to_string())),
                // The reference cannot decode it either: a codec failure, which ends the connection.
                Err(SubmitError::Decode(e)) => {
                    return Err(ConnectionError::Decode {
                        protocol: PROTOCOL,
                        state: "StIdle",
                        error: e.to_string(),
                    })
                }
                Err(SubmitError::Stopped) => return Err(ConnectionError::chain_stopped()),
            },
            Message::Done => return Ok(()),
            other => {
                return Err(ConnectionError::violation(
                    PROTOCOL,
                    format!("{other:?} in state StIdle"),
                ))
            }
        };
        ch.send(&reply.to_cbor()).await?;
    }
}

/// Submits `tx`, trying again each time the mempool changes while it has no room for it (the
/// reference's `implAddTx` blocks its caller likewise). A transaction larger than the whole
/// mempool is refused at once.
async fn submit_when_room(chain: &ChainHandle, tx: Vec<u8>) -> Result<TxId, SubmitError> {
    let mut changes = chain.mempool_changes();
    loop {
        // Seen before submitting: a change while the submission is judged is not missed.
        changes.borrow_and_update();
        match chain.submit_tx(tx.clone()).await {
            Err(SubmitError::Mempool(MempoolError::Full { capacity, needed, .. })) if needed <= capacity => {
                tracing::debug!(needed, capacity, "mempool full; the local submission waits for room");
                if changes.changed().await.is_err() {
                    return Err(SubmitError::Stopped);
                }
            }
            other => return other,
        }
    }
}
