//! RUPD and `applyRUpd` (Shelley `Rupd.hs`, `IncrementalStake.hs`): the reward update of the
//! epoch that ended, paid at the boundary. The reference computes it during the epoch from
//! what the last boundary fixed (the `go` snapshot, the blocks made the epoch before, the fee
//! snapshot, the reserves, the previous parameters), none of which changes before the next
//! boundary; here it is computed at the boundary from the same inputs ([`crate::rewards`]).

use crate::rewards::{reward_update, RewardInputs};
use crate::state::LedgerState;

/// Computes and applies the reward update: the treasury's cut and the rewards of unregistered
/// credentials to the treasury, the rest of the change to the reserves, the distributed fees
/// out of the fee pot, each registered credential's rewards to its balance.
pub(crate) fn apply(state: &mut LedgerState) {
    let p = &state.prev_params;
    let inputs = RewardInputs {
        blocks: state.blocks_previous.iter().map(|(k, v)| (*k, *v)).collect(),
        fees: state.fee_snapshot,
        reserves: state.reserves,
        max_supply: p.max_lovelace_supply,
        rho: p.rho,
        tau: p.tau,
        a0: p.a0,
        n_opt: p.n_opt,
        active_slots: p.active_slot_coeff,
        slots_per_epoch: p.epoch_length,
    };
    let update = reward_update(&state.go.accounts, &inputs);
    for (cred, amount) in &update.rewards {
        state.pay_or_treasury(Some(*cred), *amount);
    }
    state.treasury = state.treasury.saturating_add(update.delta_treasury);
    let reserves = i128::from(state.reserves) + update.delta_reserves;
    state.reserves = u64::try_from(reserves.max(0)).unwrap_or(u64::MAX);
    state.fees = state.fees.saturating_sub(update.fees);
    state.pool_rewards = update.pool_rewards.into_iter().collect();
}
