//! Local tx-monitor's server: a local client acquires a snapshot of the mempool and walks it,
//! asks whether it holds a transaction, and its sizes and measures; an acquisition made while
//! one is held waits until the mempool differs from it, as the reference's does.

use slotforge_chain::service::ChainHandle;

use crate::mux::connection::{Channel, ConnectionError};
use crate::protocols::local_state_query::queries::ERA_CONWAY;
use crate::protocols::local_tx_monitor::messages::{Message, MAX_MESSAGE_BYTES};
use crate::protocols::local_tx_monitor::server::{Action, LocalTxMonitorServer, MempoolSnapshot, SnapshotTx};
use crate::protocols::local_tx_monitor::PROTOCOL;

/// The mempool now. Its capacity in execution units and reference-script bytes is twice a
/// block's, as the reference's default mempool capacity is.
async fn snapshot(chain: &ChainHandle) -> Result<MempoolSnapshot, ConnectionError> {
    chain
        .query(|v| {
            let m = v.mempool;
            let p = &m.pending_state().params;
            MempoolSnapshot {
                slot: m.slot(),
                capacity: (
                    m.capacity_bytes(),
                    (
                        p.max_block_ex_units.mem.saturating_mul(2),
                        p.max_block_ex_units.steps.saturating_mul(2),
                    ),
                    p.max_ref_script_size_per_block.saturating_mul(2),
                ),
                txs: m
                    .transactions()
                    .iter()
                    .map(|t| {
                        let (units, refs) = m.limits_of(&t.id()).unwrap_or_default();
                        SnapshotTx {
                            id: t.id(),
                            cbor: t.to_cbor(),
                            size: t.size(),
                            ex_units: (units.mem, units.steps),
                            ref_script_bytes: refs,
                        }
                    })
                    .collect(),
            }
        })
        .await
        .ok_or_else(ConnectionError::chain_stopped)
}

/// Serves local tx-monitor until the client is done.
pub async fn run(mut ch: Channel, chain: ChainHandle) -> Result<(), ConnectionError> {
    let mut server = LocalTxMonitorServer::default();
    let mut changes = chain.mempool_changes();
    loop {
        let msg = ch
            .recv_decoded("StIdle/StAcquired", MAX_MESSAGE_BYTES, None, Message::decode)
            .await?;
        match server
            .on_message(msg, ERA_CONWAY)
            .map_err(|e| ConnectionError::violation(PROTOCOL, e))?
        {
            Action::Reply(m) => ch.send(&m.to_cbor()).await?,
            Action::Acquire => {
                changes.borrow_and_update();
                let s = snapshot(&chain).await?;
                ch.send(&server.acquired(s).to_cbor()).await?;
            }
            Action::AwaitChange => loop {
                changes.changed().await.map_err(|_| ConnectionError::chain_stopped())?;
                let s = snapshot(&chain).await?;
                // Changed transactions (or capacity), not a new slot.
                let held = server.snapshot();
                if s.txs != held.txs || s.capacity != held.capacity {
                    ch.send(&server.acquired(s).to_cbor()).await?;
                    break;
                }
            },
            Action::Nothing => {}
            Action::Done => return Ok(()),
        }
    }
}
