//! The reward update of an epoch boundary, as cardano-ledger computes it (`startStep` and
//! `completeRupd` in Shelley's `PulsingReward.hs`, `mkPoolRewardInfo`, `maxPool'`,
//! `mkApparentPerformance`, `calcStakePoolOperatorReward`, `calcStakePoolMemberReward`), at
//! protocol versions from 7 on (Babbage and Conway: no decentralisation parameter, no prefilter
//! of unregistered credentials, a credential's rewards from several pools summed).
//!
//! A pure function of the `go` snapshot, the blocks each pool made in the epoch before, the
//! fees of that epoch, the reserves and the previous epoch's parameters. Every quantity is an
//! exact rational, floored where the reference floors — never a float.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use serde::{Deserialize, Serialize};

use crate::params::Rational;
use crate::state::json::pairs;
use crate::state::{Credential, PoolId, PoolParams};

/// A stake snapshot as the reward calculation reads it (cardano-ledger's `SnapShot`): the
/// active stake of each credential, the pool it delegates to, and the pools' parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardSnapshot {
    /// Each delegating credential's stake (UTxO at its base addresses plus its reward balance).
    #[serde(with = "pairs")]
    pub stake: BTreeMap<Credential, u64>,
    /// The pool each credential delegates to.
    #[serde(with = "pairs")]
    pub delegations: BTreeMap<Credential, PoolId>,
    /// The registered pools' parameters.
    #[serde(with = "pairs")]
    pub pools: BTreeMap<PoolId, PoolParams>,
}

/// What the calculation needs besides the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardInputs {
    /// The blocks each pool made in the epoch being rewarded (`nesBprev`).
    pub blocks: BTreeMap<PoolId, u64>,
    /// The fees of that epoch (`ssFee`).
    pub fees: u64,
    /// The reserves now.
    pub reserves: u64,
    /// The maximum lovelace supply.
    pub max_supply: u64,
    /// ρ, the monetary expansion.
    pub rho: Rational,
    /// τ, the treasury's cut.
    pub tau: Rational,
    /// a0, the pledge influence.
    pub a0: Rational,
    /// nOpt, the desired number of pools.
    pub n_opt: u64,
    /// f, the active slot coefficient.
    pub active_slots: Rational,
    /// Slots in the epoch being rewarded.
    pub slots_per_epoch: u64,
}

/// A reward update (cardano-ledger's `RewardUpdate`): `delta_treasury + delta_reserves +
/// Σ rewards − fees = 0`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RewardUpdate {
    /// To the treasury (`deltaT`).
    pub delta_treasury: u64,
    /// To the reserves (`deltaR`), negative when they pay out more than they take back.
    pub delta_reserves: i128,
    /// Each credential's rewards, summed over the pools that pay it; a pool's leader reward
    /// is present even when it is zero.
    pub rewards: BTreeMap<Credential, u64>,
    /// Taken from the fee pot (`deltaF`, negated).
    pub fees: u64,
    /// What the pools shared (`R`: the fees and the expansion less the treasury's cut).
    pub reward_pot: u64,
    /// Each pool that made blocks: what it paid its leader and members together (the pool
    /// reward `f` less what rounding kept), whether or not their accounts are registered.
    pub pool_rewards: BTreeMap<PoolId, u64>,
}

fn ratio((n, d): Rational) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d.max(1)))
}

fn int(n: u64) -> BigRational {
    BigRational::from_integer(BigInt::from(n))
}

/// `x %? y`: zero when the denominator is.
fn div_or_zero(x: u64, y: u64) -> BigRational {
    if y == 0 {
        BigRational::zero()
    } else {
        BigRational::new(BigInt::from(x), BigInt::from(y))
    }
}

fn floor(r: &BigRational) -> u64 {
    r.floor()
        .to_integer()
        .to_u64()
        .unwrap_or(if r.is_negative() { 0 } else { u64::MAX })
}

/// `memberRew`: ⌊(f − c) · (1 − m) · t / σ⌋ for a member of stake `stake` in a pool of stake
/// `pool_stake` whose reward is `above_cost` over its cost, exactly; in integers when they fit
/// (one member in a million accounts is paid per boundary, so this is the reward update's
/// inner loop), in rationals otherwise.
fn member_reward(above_cost: u64, margin: Rational, stake: u64, pool_stake: u64) -> u64 {
    let (mn, md) = (margin.0, margin.1.max(1));
    if mn >= md || pool_stake == 0 {
        return 0;
    }
    let num = u128::from(above_cost)
        .checked_mul(u128::from(md - mn))
        .and_then(|x| x.checked_mul(u128::from(stake)));
    let den = u128::from(md).checked_mul(u128::from(pool_stake));
    match (num, den) {
        (Some(n), Some(d)) => u64::try_from(n / d).unwrap_or(u64::MAX),
        _ => floor(&(int(above_cost) * (BigRational::one() - ratio(margin)) * div_or_zero(stake, pool_stake))),
    }
}

/// `maxPool'`: the most a pool of relative stake σ and relative pledge p earns from `r`.
pub fn max_pool(a0: Rational, n_opt: u64, r: u64, sigma: &BigRational, pledge: &BigRational) -> u64 {
    if n_opt == 0 {
        return 0;
    }
    let z0 = BigRational::new(BigInt::one(), BigInt::from(n_opt));
    let a0 = ratio(a0);
    let sigma_ = sigma.clone().min(z0.clone());
    let p_ = pledge.clone().min(z0.clone());
    let factor1 = int(r) / (BigRational::one() + &a0);
    let factor2 = &sigma_ + &p_ * &a0 * ((&sigma_ - &p_ * ((&z0 - &sigma_) / &z0)) / &z0);
    floor(&(factor1 * factor2))
}

/// The reward update for the epoch the inputs describe.
pub fn reward_update(go: &RewardSnapshot, inputs: &RewardInputs) -> RewardUpdate {
    let blocks_made: u64 = inputs.blocks.values().sum();
    let expected = floor(&(ratio(inputs.active_slots) * int(inputs.slots_per_epoch)));
    let eta = if expected == 0 {
        BigRational::one()
    } else {
        BigRational::new(BigInt::from(blocks_made), BigInt::from(expected))
    };
    let delta_r1 = floor(&(eta.min(BigRational::one()) * ratio(inputs.rho) * int(inputs.reserves)));
    let reward_pot = inputs.fees.saturating_add(delta_r1);
    let delta_t1 = floor(&(ratio(inputs.tau) * int(reward_pot)));
    let r = reward_pot - delta_t1;
    let total_stake = inputs.max_supply.saturating_sub(inputs.reserves);
    let total_active = match go.stake.values().sum::<u64>() {
        0 => 1,
        n => n,
    };

    let mut delegators: BTreeMap<PoolId, Vec<(Credential, u64)>> = BTreeMap::new();
    for (cred, pool) in &go.delegations {
        let stake = go.stake.get(cred).copied().unwrap_or(0);
        delegators.entry(*pool).or_default().push((*cred, stake));
    }
    let mut rewards: BTreeMap<Credential, u64> = BTreeMap::new();
    let mut pool_rewards: BTreeMap<PoolId, u64> = BTreeMap::new();
    let mut credit = |c: Credential, amount: u64| {
        let e = rewards.entry(c).or_insert(0);
        *e = e.saturating_add(amount);
    };
    for (id, params) in &go.pools {
        // Pools that made no block earn nothing; their share stays in the reserves.
        let Some(&n) = inputs.blocks.get(id) else { continue };
        let members = delegators.get(id).map(Vec::as_slice).unwrap_or_default();
        let pool_stake: u64 = members.iter().map(|(_, s)| s).sum();
        let is_owner = |c: &Credential| c.key_hash().is_some_and(|h| params.owners.contains(&h));
        let owner_stake: u64 = members.iter().filter(|(c, _)| is_owner(c)).map(|(_, s)| s).sum();
        let sigma = div_or_zero(pool_stake, total_stake);
        let sigma_active = BigRational::new(BigInt::from(pool_stake), BigInt::from(total_active));
        let pledge = div_or_zero(params.pledge, total_stake);
        let max = if params.pledge <= owner_stake {
            max_pool(inputs.a0, inputs.n_opt, r, &sigma, &pledge)
        } else {
            0
        };
        let performance = if sigma_active.is_zero() {
            BigRational::zero()
        } else {
            BigRational::new(BigInt::from(n), BigInt::from(blocks_made.max(1))) / &sigma_active
        };
        let pool_reward = floor(&(performance * int(max)));
        let (cost, margin) = (params.cost, ratio(params.margin));
        let leader = if pool_reward <= cost {
            pool_reward
        } else {
            // s / σ = owner stake / pool stake, exactly.
            let share = BigRational::new(BigInt::from(owner_stake), BigInt::from(pool_stake));
            let one = BigRational::one();
            cost + floor(&(int(pool_reward - cost) * (&margin + (&one - &margin) * share)))
        };
        // A reward account that cannot be decoded is credited nothing, so counts nothing.
        let mut paid = match crate::address::account_credential(&params.reward_account) {
            Some(account) => {
                credit(account, leader);
                leader
            }
            None => 0,
        };
        if pool_reward > cost {
            for (cred, stake) in members.iter().filter(|(c, _)| !is_owner(c)) {
                let member = member_reward(pool_reward - cost, params.margin, *stake, pool_stake);
                if member != 0 {
                    credit(*cred, member);
                    paid = paid.saturating_add(member);
                }
            }
        }
        pool_rewards.insert(*id, paid);
    }
    let paid: u64 = rewards.values().sum();
    RewardUpdate {
        delta_treasury: delta_t1,
        delta_reserves: i128::from(r) - i128::from(paid) - i128::from(delta_r1),
        rewards,
        fees: inputs.fees,
        reward_pot: r,
        pool_rewards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(i: u8) -> Credential {
        Credential::Key([i; 28])
    }

    fn account(i: u8) -> Vec<u8> {
        let mut a = vec![0xe0];
        a.extend_from_slice(&[i; 28]);
        a
    }

    fn pool(pledge: u64, cost: u64, margin: Rational, owner: u8, reward: u8) -> PoolParams {
        PoolParams {
            vrf_key_hash: [0; 32],
            pledge,
            cost,
            margin,
            reward_account: account(reward),
            owners: vec![[owner; 28]],
            relays: Vec::new(),
            metadata: Vec::new(),
        }
    }

    /// Supply 1,000, reserves 600, fees 50, ρ 1/10, τ 1/5, f 1/2 over 20 slots (10 blocks
    /// expected, 10 made); one pool (cost 10, margin 1/4, a0 0, nOpt 2) of an owner and a
    /// member with 100 each.
    fn example() -> (RewardSnapshot, RewardInputs) {
        let p = [1u8; 28];
        let go = RewardSnapshot {
            stake: [(key(2), 100), (key(3), 100)].into(),
            delegations: [(key(2), p), (key(3), p)].into(),
            pools: [(p, pool(0, 10, (1, 4), 2, 9))].into(),
        };
        let inputs = RewardInputs {
            blocks: [(p, 10)].into(),
            fees: 50,
            reserves: 600,
            max_supply: 1_000,
            rho: (1, 10),
            tau: (1, 5),
            a0: (0, 1),
            n_opt: 2,
            active_slots: (1, 2),
            slots_per_epoch: 20,
        };
        (go, inputs)
    }

    #[test]
    fn a_worked_example() {
        // ΔR1 = ⌊1 · 1/10 · 600⌋ = 60; pot 110; ΔT = ⌊110/5⌋ = 22; R = 88; σ = 200/400 = z0, so
        // the pool earns ⌊88 · 1/2⌋ = 44; the leader 10 + ⌊34 · (1/4 + 3/4 · 1/2)⌋ = 31; the
        // member ⌊34 · 3/4 · 1/2⌋ = 12; the owner no member reward.
        let (go, inputs) = example();
        let u = reward_update(&go, &inputs);
        assert_eq!(u.delta_treasury, 22);
        assert_eq!(u.rewards, [(key(3), 12), (key(9), 31)].into());
        assert_eq!(u.delta_reserves, 88 - 43 - 60);
        assert_eq!((u.fees, u.reward_pot), (50, 88));
        assert_eq!(u.pool_rewards, [([1u8; 28], 43)].into());
    }

    #[test]
    fn a_pool_counts_only_what_it_credited() {
        // The same pool with a reward account that is not an account: its leader's 31 is
        // credited to no one, so the pool paid only its member's 12.
        let (mut go, inputs) = example();
        go.pools.get_mut(&[1u8; 28]).expect("the pool").reward_account = vec![0xff];
        let u = reward_update(&go, &inputs);
        assert_eq!(u.rewards, [(key(3), 12)].into());
        assert_eq!(u.pool_rewards, [([1u8; 28], 12)].into());
    }

    #[test]
    fn max_pool_with_pledge_influence() {
        // z0 = 1/2, σ' = 1/2, p' = 1/4: 88/1.3 · (1/2 + 1/4 · 3/10 · (1/2 / 1/2)) = 506/13.
        let half = BigRational::new(1.into(), 2.into());
        let quarter = BigRational::new(1.into(), 4.into());
        assert_eq!(max_pool((3, 10), 2, 88, &half, &quarter), 38);
    }

    #[test]
    fn an_unmet_pledge_pays_a_zero_leader_reward_and_no_members() {
        let (mut go, inputs) = example();
        let p = [1u8; 28];
        go.pools.insert(p, pool(101, 10, (1, 4), 2, 9));
        let u = reward_update(&go, &inputs);
        assert_eq!(u.rewards, [(key(9), 0)].into());
        assert_eq!(u.delta_reserves, 88 - 60);
    }

    #[test]
    fn a_pool_without_blocks_earns_nothing() {
        let (go, mut inputs) = example();
        inputs.blocks.clear();
        let u = reward_update(&go, &inputs);
        assert!(u.rewards.is_empty());
        // η = 0: no expansion; the fees less the treasury's cut go to the reserves.
        assert_eq!((u.delta_treasury, u.delta_reserves), (10, 40));
    }

    proptest! {
        /// The integer member reward is the rational one, whatever the sizes (large ones take
        /// the rational path).
        #[test]
        fn member_rewards_in_integers_are_exact(
            above in prop_oneof![0u64..1_000_000_000, any::<u64>()],
            mn in prop_oneof![0u64..1_000, any::<u64>()],
            md in prop_oneof![1u64..1_000, any::<u64>()],
            stake in prop_oneof![0u64..1_000_000_000_000, any::<u64>()],
            extra in prop_oneof![0u64..1_000_000_000_000, any::<u64>()],
        ) {
            let pool_stake = stake.saturating_add(extra).max(1);
            let margin = (mn.min(md), md);
            let exact = floor(
                &(int(above) * (BigRational::one() - ratio(margin)) * BigRational::new(stake.into(), pool_stake.into())),
            );
            prop_assert_eq!(member_reward(above, margin, stake, pool_stake), exact);
        }

        /// Whatever the stake, blocks and parameters, the rewards paid never exceed the pot
        /// left after the treasury's cut, and the update moves no lovelace in or out.
        #[test]
        fn rewards_stay_within_the_pot(
            stakes in proptest::collection::vec((0u64..1_000_000, 0u8..4), 1..12),
            pools in proptest::collection::vec((0u64..500_000, 0u64..50_000, 0u64..=100, 0u64..20), 1..4),
            fees in 0u64..1_000_000,
            reserves in 1_000_000u64..10_000_000,
            rho in 0u64..=100,
            tau in 0u64..=100,
            a0 in 0u64..=100,
            n_opt in 1u64..10,
        ) {
            let mut go = RewardSnapshot::default();
            let mut blocks = BTreeMap::new();
            for (i, (pledge, cost, margin, made)) in pools.iter().enumerate() {
                let id = [100 + i as u8; 28];
                go.pools.insert(id, pool(*pledge, *cost, (*margin, 100), 200 + i as u8, 150 + i as u8));
                if *made > 0 {
                    blocks.insert(id, *made);
                }
            }
            for (i, (stake, p)) in stakes.iter().enumerate() {
                let c = if i == 0 { key(200) } else { key(i as u8) };
                go.stake.insert(c, *stake);
                go.delegations.insert(c, [100 + (*p as usize % pools.len()) as u8; 28]);
            }
            let inputs = RewardInputs {
                blocks,
                fees,
                reserves,
                max_supply: 45_000_000,
                rho: (rho, 1000),
                tau: (tau, 100),
                a0: (a0, 100),
                n_opt,
                active_slots: (1, 20),
                slots_per_epoch: 400,
            };
            let u = reward_update(&go, &inputs);
            let paid: u64 = u.rewards.values().sum();
            prop_assert!(paid <= u.reward_pot, "paid {} of a pot of {}", paid, u.reward_pot);
            prop_assert_eq!(u.pool_rewards.values().sum::<u64>(), paid, "each pool's total is what it paid");
            prop_assert!(u.delta_treasury + u.reward_pot >= fees, "the pot holds the fees");
            prop_assert_eq!(u.delta_treasury as i128 + u.delta_reserves + paid as i128 - fees as i128, 0);
        }
    }
}
