//! Stake snapshots and the epoch boundary, as the Shelley ledger takes them.
//!
//! At the boundary into epoch e+1 (cardano-ledger `NEWEPOCH`/`SNAP`/`POOLREAP`): the pool
//! distribution for leader election in e+1 becomes the `mark` snapshot taken at the previous
//! boundary (`nesPd = ssStakeMarkPoolDistr` of the state before the rule); then `go := set`,
//! `set := mark`, `mark := ` the distribution now; re-registered pools' new parameters take
//! effect; pools retiring at e+1 are removed with their delegations, their deposits refunded to
//! their reward accounts; the epoch's donations go to the treasury. So a change made in epoch e
//! counts for leader election from e+2.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::address::stake_credential;
use crate::state::json::pairs;
use crate::state::{Credential, LedgerState, PoolId};

/// One pool's share of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStake {
    /// The stake delegated to the pool, in lovelace: its delegators' base-address UTxO plus their
    /// rewards.
    pub stake: u64,
    /// The pool's registered VRF key hash when the snapshot was taken.
    pub vrf_key_hash: [u8; 32],
}

/// A stake distribution: active stake per pool and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeSnapshot {
    /// Each pool's share by pool id; a pool with a registered delegator appears even at zero stake.
    #[serde(with = "pairs")]
    pub pools: BTreeMap<PoolId, PoolStake>,
    /// The sum of all pools' stake (σ's denominator in leader election).
    pub total: u64,
}

impl LedgerState {
    /// The stake distribution now: UTxO held at base addresses plus reward balances, by
    /// registered credential, summed per registered pool the credential delegates to; every
    /// pool with at least one delegator appears.
    pub fn stake_distribution(&self) -> StakeSnapshot {
        let mut by_cred: BTreeMap<Credential, u64> = BTreeMap::new();
        for out in self.utxo.values() {
            if let Some(c) = stake_credential(&out.address) {
                let e = by_cred.entry(c).or_insert(0);
                *e = e.saturating_add(out.coin);
            }
        }
        let mut snap = StakeSnapshot::default();
        for (cred, account) in self.accounts.iter() {
            let Some(pool) = account.pool else { continue };
            let Some(ps) = self.pools.get(&pool) else { continue };
            let stake = by_cred.get(cred).copied().unwrap_or(0).saturating_add(account.rewards);
            let e = snap.pools.entry(pool).or_insert(PoolStake {
                stake: 0,
                vrf_key_hash: ps.params.vrf_key_hash,
            });
            e.stake = e.stake.saturating_add(stake);
            snap.total = snap.total.saturating_add(stake);
        }
        // A pool with a registered delegator is in the distribution even at zero stake, as
        // cardano-ledger's `calculatePoolDistr` keeps it; a pool no one delegates to is not.
        snap
    }

    /// Crosses into epoch `self.epoch + 1`.
    pub fn new_epoch(&mut self) {
        let next = self.epoch + 1;
        // SNAP: rotate with the distribution as it is now.
        let now = Arc::new(self.stake_distribution());
        self.go = std::mem::replace(&mut self.set, std::mem::replace(&mut self.mark, now));
        // Re-registrations take effect.
        let updated: Vec<PoolId> = self
            .pools
            .iter()
            .filter(|(_, p)| p.future.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in updated {
            if let Some(p) = self.pools.get_mut(&id) {
                if let Some(f) = p.future.take() {
                    p.params = f;
                }
            }
        }
        // POOLREAP: pools retiring now leave; deposits go back to registered reward accounts.
        let retiring: Vec<PoolId> = self
            .pools
            .iter()
            .filter(|(_, p)| p.retiring == Some(next))
            .map(|(id, _)| *id)
            .collect();
        for id in &retiring {
            if let Some(p) = self.pools.remove(id) {
                self.deposits = self.deposits.saturating_sub(p.deposit);
                let refund_to = crate::address::account_credential(&p.params.reward_account);
                match refund_to.and_then(|c| self.accounts.get_mut(&c)) {
                    Some(a) => a.rewards = a.rewards.saturating_add(p.deposit),
                    // An unclaimed deposit goes to the treasury.
                    None => self.treasury = self.treasury.saturating_add(p.deposit),
                }
            }
        }
        if !retiring.is_empty() {
            let ids: Vec<Credential> = self
                .accounts
                .iter()
                .filter(|(_, a)| a.pool.is_some_and(|p| retiring.contains(&p)))
                .map(|(c, _)| *c)
                .collect();
            for c in ids {
                if let Some(a) = self.accounts.get_mut(&c) {
                    a.pool = None;
                }
            }
        }
        // The donations of the epoch that ended go to the treasury (EPOCH, after POOLREAP).
        self.treasury = self.treasury.saturating_add(self.donations);
        self.donations = 0;
        self.epoch = next;
    }

    /// The distribution leader election uses in the current epoch.
    pub fn leader_distribution(&self) -> &Arc<StakeSnapshot> {
        &self.set
    }

    /// The distribution leader election will use in the next epoch (fixed all this epoch).
    pub fn next_leader_distribution(&self) -> &Arc<StakeSnapshot> {
        &self.mark
    }
}
