//! The hand-off to chain selection: validating a block's body, selecting the chain and
//! adopting it are the chain task's, in one step ([`ChainHandle::add_block`]: it validates,
//! stores and selects — a candidate chain is validated block by block, every ledger rule on its
//! parent's state, before the selected chain switches to it, which the servers then follow).
//! So this stage is the hand-off only: a fetched block goes to the chain task, and what comes
//! back becomes a verdict on the peer — an invalid block disconnects it; a block already known,
//! or not considered, does not; our store failing is ours, not the peer's.
//!
//! The candidate chain then continues from the state the chain computed (`state_of`).

use std::sync::Arc;

use slotforge_chain::block::Block;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::selection::{AddError, SelectionEvent};
use slotforge_chain::service::{ChainError, ChainHandle};

use crate::mux::connection::ConnectionError;

/// The chain's state after `at` (None: genesis), selected or not; None when it holds none.
pub(crate) async fn state_of(
    chain: &ChainHandle,
    at: Option<[u8; 32]>,
) -> Result<Option<Arc<ChainState>>, ConnectionError> {
    chain
        .query(move |v| v.selection.state_of(at))
        .await
        .ok_or_else(ConnectionError::chain_stopped)
}

/// Hands a block whose header the candidate chain accepted to chain selection; an error when
/// the block (or the peer that sent it) is at fault, or the chain could not take it.
pub(crate) async fn add_block(chain: &ChainHandle, block: Block) -> Result<(), ConnectionError> {
    let hash = block.hash();
    match chain.add_block(block).await {
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
        Err(ChainError::NotConsidered(e @ AddError::UnknownParent { .. })) => Err(ConnectionError::Invalid(format!(
            "{e}: the peer's chain does not continue ours"
        ))),
        Err(ChainError::NotConsidered(e)) => {
            tracing::debug!(block = %hex::encode(hash), error = %e, "a fetched block was not considered");
            Ok(())
        }
        // Our store failed (a full disk): not the peer's fault; the block comes again.
        Err(e @ ChainError::Store(_)) => Err(ConnectionError::Local(e.to_string())),
        Err(e) => Err(ConnectionError::Invalid(e.to_string())),
    }
}
