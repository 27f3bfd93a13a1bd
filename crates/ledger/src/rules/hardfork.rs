//! HARDFORK (Conway `HardFork.hs`): what a change of the protocol's major version does to the
//! state at the boundary it takes effect.

use crate::state::{DRep, LedgerState};

/// Runs HARDFORK for the protocol version now in force. Into version 10
/// (`updateDRepDelegations`): a vote delegation to a DRep that is not registered is dropped.
pub(crate) fn apply(state: &mut LedgerState) {
    if state.params.protocol_version.0 != 10 {
        return;
    }
    let dangling: Vec<_> = state
        .accounts
        .iter()
        .filter(|(_, a)| {
            a.drep
                .as_ref()
                .and_then(DRep::credential)
                .is_some_and(|c| !state.governance.dreps.contains_key(&c))
        })
        .map(|(c, _)| *c)
        .collect();
    for c in dangling {
        if let Some(a) = state.accounts.get_mut(&c) {
            a.drep = None;
        }
    }
}
