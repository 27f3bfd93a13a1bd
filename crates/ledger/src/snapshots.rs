//! Stake snapshots: each credential's stake, the pool it delegates to and the pools'
//! parameters, and the pool distribution leader election reads. SNAP takes one at every epoch
//! boundary (`rules::epoch`): `go := set`, `set := mark`, `mark :=` the stake now, so a change
//! made in epoch e counts for leader election from e+2 and for rewards of e+2's blocks.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::address::stake_credential;
use crate::rewards::RewardSnapshot;
use crate::state::json::pairs;
use crate::state::{Credential, DRep, LedgerState, PoolId};

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
    /// Each delegating credential's stake and pool, and the registered pools' parameters: what
    /// the reward update reads of the `go` snapshot.
    #[serde(default)]
    pub accounts: RewardSnapshot,
}

impl LedgerState {
    /// Each stake credential's coin in the UTxO (`instantStake`): outputs at base addresses
    /// whose stake part is the credential (pointer addresses count for nothing since Conway).
    pub fn instant_stake(&self) -> BTreeMap<Credential, u64> {
        let mut by_cred: BTreeMap<Credential, u64> = BTreeMap::new();
        for out in self.utxo.values() {
            if let Some(c) = stake_credential(&out.address) {
                let e = by_cred.entry(c).or_insert(0);
                *e = e.saturating_add(out.coin);
            }
        }
        by_cred
    }

    /// The proposal deposits by the credential of the account they return to.
    pub fn proposal_deposits(&self) -> BTreeMap<Credential, u64> {
        let mut deposits: BTreeMap<Credential, u64> = BTreeMap::new();
        for p in self.governance.proposals.values() {
            if let Some(c) = crate::address::account_credential(&p.return_account) {
                *deposits.entry(c).or_insert(0) += p.deposit;
            }
        }
        deposits
    }

    /// The stake each DRep votes with (`computeDRepDistr`): for every account delegating its
    /// vote to a registered DRep or a predefined one, its UTxO (`instant`), its proposal
    /// deposits (`deposits`) and its reward balance.
    pub fn drep_distribution(
        &self,
        instant: &BTreeMap<Credential, u64>,
        deposits: &BTreeMap<Credential, u64>,
    ) -> BTreeMap<DRep, u64> {
        let mut dreps: BTreeMap<DRep, u64> = BTreeMap::new();
        for (cred, account) in self.accounts.iter() {
            let Some(d) = account.drep else { continue };
            if d.credential().is_none_or(|c| self.governance.dreps.contains_key(&c)) {
                let amount = |m: &BTreeMap<Credential, u64>| m.get(cred).copied().unwrap_or(0);
                *dreps.entry(d).or_insert(0) += amount(instant) + amount(deposits) + account.rewards;
            }
        }
        dreps
    }

    /// The stake distribution now (SNAP's `snapShotFromInstantStake`).
    pub fn stake_distribution(&self) -> StakeSnapshot {
        self.snapshot(&self.instant_stake())
    }

    /// The stake distribution now, given the instant stake: UTxO plus reward balance of every
    /// registered credential that delegates to a registered pool, summed per pool; every pool
    /// with at least one delegator appears, even at zero stake (`calculatePoolDistr`).
    pub(crate) fn snapshot(&self, instant: &BTreeMap<Credential, u64>) -> StakeSnapshot {
        let mut snap = StakeSnapshot::default();
        for (cred, account) in self.accounts.iter() {
            let Some(pool) = account.pool else { continue };
            let Some(ps) = self.pools.get(&pool) else { continue };
            let stake = instant.get(cred).copied().unwrap_or(0).saturating_add(account.rewards);
            let e = snap.pools.entry(pool).or_insert(PoolStake {
                stake: 0,
                vrf_key_hash: ps.params.vrf_key_hash,
            });
            e.stake = e.stake.saturating_add(stake);
            snap.total = snap.total.saturating_add(stake);
            snap.accounts.stake.insert(*cred, stake);
            snap.accounts.delegations.insert(*cred, pool);
        }
        snap.accounts.pools = self.pools.iter().map(|(id, p)| (*id, p.params.clone())).collect();
        snap
    }

    /// Crosses into epoch `self.epoch + 1` (NEWEPOCH and EPOCH: `rules::epoch`).
    pub fn new_epoch(&mut self) {
        crate::rules::epoch::new_epoch(self);
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
