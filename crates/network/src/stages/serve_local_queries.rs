//! Local state query's server: a local client acquires a ledger state (the tip, the immutable
//! tip, or a point of the selected chain) and queries it; the state stays the client's until it
//! releases it or acquires another, and answers are computed on a blocking thread from that
//! state, never on the chain task. A state held longer than the session's limit, queried or
//! not, ends the connection: an acquisition that is never released holds old ledger states in
//! memory.

use std::sync::Arc;
use std::time::Duration;

use slotforge_chain::chain_state::ChainState;
use slotforge_chain::service::{ChainHandle, ChainView};
use slotforge_chain::store::StoredChain;

use crate::mux::connection::{Channel, ConnectionError};
use crate::protocols::chainsync::messages::Point;
use crate::protocols::local_state_query::answers::answer;
use crate::protocols::local_state_query::messages::{AcquireFailure, Message, Target, MAX_MESSAGE_BYTES};
use crate::protocols::local_state_query::queries::Query;
use crate::protocols::local_state_query::server::{Action, LocalStateQueryServer, State};
use crate::protocols::local_state_query::PROTOCOL;

/// The state `target` names on the chain `v` holds.
pub fn acquire(v: &ChainView<'_>, target: Target) -> Result<Arc<ChainState>, AcquireFailure> {
    let selection = v.selection;
    let anchor = selection.anchor();
    match target {
        Target::VolatileTip => Ok(selection.tip_state().clone()),
        Target::ImmutableTip => Ok(anchor.clone()),
        Target::Point(Point::Origin) if anchor.tip.is_none() => Ok(anchor.clone()),
        Target::Point(Point::Origin) => Err(AcquireFailure::PointTooOld),
        Target::Point(Point::Specific { slot, hash }) => match selection.state_after(Some(hash)) {
            Some(s) if s.tip.is_some_and(|t| t.slot == slot) => Ok(s.clone()),
            _ => match v.store.immutable_point(&hash) {
                Ok(Some(p)) if p.slot == slot => Err(AcquireFailure::PointTooOld),
                _ => Err(AcquireFailure::PointNotOnChain),
            },
        },
    }
}

/// Serves local state queries until the client is done.
/// Serves local state queries until the client is done, answered as node-to-client `version`
/// answers them; a client holds an acquired state `acquired` at most.
pub async fn run(mut ch: Channel, chain: ChainHandle, acquired: Duration, version: u64) -> Result<(), ConnectionError> {
    let mut server = LocalStateQueryServer::<Arc<ChainState>>::default();
    // When the state held now was acquired: it is held `acquired` at most, queries or not.
    let mut since = tokio::time::Instant::now();
    loop {
        let (state, timeout) = match server.state() {
            State::Acquired => ("StAcquired", Some(acquired.saturating_sub(since.elapsed()))),
            _ => ("StIdle", None),
        };
        let msg = ch
            .recv_decoded(state, MAX_MESSAGE_BYTES, timeout, Message::decode)
            .await?;
        match server
            .on_message(msg)
            .map_err(|e| ConnectionError::violation(PROTOCOL, e))?
        {
            Action::Acquire(target) => {
                let outcome = chain
                    .query(move |v| acquire(v, target))
                    .await
                    .ok_or_else(ConnectionError::chain_stopped)?;
                since = tokio::time::Instant::now();
                ch.send(&server.acquired(outcome).to_cbor()).await?;
            }
            Action::Answer(bytes) => {
                let query = Query::decode(&bytes).map_err(|e| ConnectionError::Decode {
                    protocol: PROTOCOL,
                    state: "StAcquired",
                    error: e.to_string(),
                })?;
                let held = server
                    .held()
                    .cloned()
                    .ok_or_else(|| ConnectionError::Local("no state held".into()))?;
                let cfg = chain.config().clone();
                let result = tokio::task::spawn_blocking(move || answer(&query, &held, &cfg, version))
                    .await
                    .map_err(|e| ConnectionError::Local(format!("answering a query: {e}")))?;
                ch.send(&Message::Result(result).to_cbor()).await?;
            }
            Action::Nothing => {}
            Action::Done => return Ok(()),
        }
    }
}
