//! POOLREAP (Shelley `PoolReap.hs`): at the boundary into epoch `e`, re-registrations' new
//! parameters take effect; pools retiring at `e` leave, their deposits going back to their
//! reward accounts (to the treasury when the account is not registered), and their delegators'
//! stake delegations are dropped (vote delegations stay).

use crate::state::{Credential, LedgerState, PoolId};

/// Runs POOLREAP for the boundary into `epoch`.
pub(crate) fn apply(state: &mut LedgerState, epoch: u64) {
    let updated: Vec<PoolId> = state
        .pools
        .iter()
        .filter(|(_, p)| p.future.is_some())
        .map(|(id, _)| *id)
        .collect();
    for id in updated {
        if let Some(p) = state.pools.get_mut(&id) {
            if let Some(f) = p.future.take() {
                p.params = f;
            }
        }
    }
    let retiring: Vec<PoolId> = state
        .pools
        .iter()
        .filter(|(_, p)| p.retiring == Some(epoch))
        .map(|(id, _)| *id)
        .collect();
    if retiring.is_empty() {
        return;
    }
    for id in &retiring {
        if let Some(p) = state.pools.remove(id) {
            state.deposits = state.deposits.saturating_sub(p.deposit);
            let refund_to = crate::address::account_credential(&p.params.reward_account);
            state.pay_or_treasury(refund_to, p.deposit);
        }
    }
    let delegators: Vec<Credential> = state
        .accounts
        .iter()
        .filter(|(_, a)| a.pool.is_some_and(|p| retiring.contains(&p)))
        .map(|(c, _)| *c)
        .collect();
    for c in delegators {
        if let Some(a) = state.accounts.get_mut(&c) {
            a.pool = None;
        }
    }
}
