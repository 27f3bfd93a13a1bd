//! RATIFY (Conway `Ratify.hs`, the DRep pulser's `computeDRepDistr`): at an epoch boundary,
//! the proposals as they stand, in priority order, each enacted on the evolving enact state
//! when its predecessor is the last enacted of its purpose, its committee terms fit, no
//! delaying action was enacted before it in this run, the treasury covers it, and the
//! committee, the DReps and the stake pools accept it; the others that are past their lifetime
//! expire. The result is carried out at the next boundary (`rules::epoch`).

use std::collections::BTreeMap;

use pallas_primitives::conway::{GovAction, ProtocolParamUpdate};

use super::enact::enact;
use crate::params::Rational;
use crate::state::{
    CommitteeAuthorization, Credential, DRep, EnactState, GovActionId, GovActionKind, LedgerState, PoolId, Proposal,
    Ratification, Vote,
};

/// The stake each body votes with (the pulser's snapshot): each DRep's delegated stake and
/// each pool's, both with the proposal deposits of their delegators.
struct VotingStake {
    dreps: BTreeMap<DRep, u64>,
    pools: BTreeMap<PoolId, u64>,
    pools_total: u64,
}

/// Ratifies the proposals of `state` (after EPOCH, `state.epoch` the new epoch) with the stake
/// of `instant` (UTxO by credential) and its new `mark` distribution.
pub(crate) fn ratify(state: &LedgerState, instant: &BTreeMap<Credential, u64>) -> Ratification {
    let gov = &state.governance;
    let epoch = state.epoch;
    let stake = voting_stake(state, instant);
    let mut es = EnactState {
        committee: gov.committee.clone(),
        committee_threshold: gov.committee_threshold,
        guardrail: gov.guardrail,
        constitution_anchor: gov.constitution_anchor.clone(),
        params: state.params.clone(),
        roots: gov.roots.clone(),
        withdrawals: Default::default(),
        treasury: state.treasury,
    };
    // `reorderActions`: by priority, submission order within one.
    let mut order: Vec<(GovActionId, &Proposal)> = gov
        .proposal_order
        .iter()
        .filter_map(|id| gov.proposals.get(id).map(|p| (*id, p)))
        .collect();
    order.sort_by_key(|(_, p)| priority(&p.kind));
    let mut delayed = false;
    let mut enacted = Vec::new();
    let mut expired = Vec::new();
    for (id, p) in order {
        let action: Option<GovAction> = pallas_codec::minicbor::decode(&p.action).ok();
        let can_enact = action.as_ref().is_some_and(|action| {
            !delayed
                && p.kind
                    .purpose()
                    .is_none_or(|purpose| es.roots.get(&purpose).copied() == p.prev)
                && valid_committee_term(action, &es, epoch)
                && can_withdraw(action, &es)
                && committee_accepts(state, &es, p, epoch)
                && dreps_accept(state, &es, &stake, p, action, epoch)
                && pools_accept(state, &es, &stake, p, action)
        });
        match action {
            Some(action) if can_enact => {
                enact(&mut es, id, &action);
                delayed = is_delaying(&p.kind);
                enacted.push(id);
            }
            _ if p.expires_after < epoch => expired.push(id),
            _ => {}
        }
    }
    Ratification {
        enacted,
        expired,
        enact_state: Some(es),
        delayed,
        drep_stake: stake.dreps.into_iter().collect(),
        pool_stake: stake.pools.into_iter().collect(),
    }
}

/// `computeDRepDistr` and the pool distribution with proposal deposits.
fn voting_stake(state: &LedgerState, instant: &BTreeMap<Credential, u64>) -> VotingStake {
    let deposits = state.proposal_deposits();
    let mark = &state.mark;
    let mut pools: BTreeMap<PoolId, u64> = mark.pools.iter().map(|(id, p)| (*id, p.stake)).collect();
    let mut pools_total = mark.total.max(1);
    for (cred, deposit) in &deposits {
        let pool = state.accounts.get(cred).and_then(|a| a.pool);
        if let Some(stake) = pool.and_then(|p| pools.get_mut(&p)) {
            *stake += deposit;
            pools_total += deposit;
        }
    }
    VotingStake {
        dreps: state.drep_distribution(instant, &deposits),
        pools,
        pools_total,
    }
}

/// `actionPriority`.
fn priority(kind: &GovActionKind) -> u8 {
    match kind {
        GovActionKind::NoConfidence => 0,
        GovActionKind::UpdateCommittee { .. } => 1,
        GovActionKind::NewConstitution => 2,
        GovActionKind::HardFork { .. } => 3,
        GovActionKind::ParameterChange { .. } => 4,
        GovActionKind::TreasuryWithdrawals => 5,
        GovActionKind::Info => 6,
    }
}

/// `delayingAction`: after one of these is enacted, nothing else is in the same run.
fn is_delaying(kind: &GovActionKind) -> bool {
    matches!(
        kind,
        GovActionKind::NoConfidence
            | GovActionKind::HardFork { .. }
            | GovActionKind::UpdateCommittee { .. }
            | GovActionKind::NewConstitution
    )
}

/// `validCommitteeTerm`: an update's new terms end within `committeeMaxTermLength`.
fn valid_committee_term(action: &GovAction, es: &EnactState, epoch: u64) -> bool {
    match action {
        GovAction::UpdateCommittee(_, _, added, _) => {
            let limit = epoch.saturating_add(es.params.committee_max_term_length);
            added.values().all(|term| *term <= limit)
        }
        _ => true,
    }
}

/// `withdrawalCanWithdraw`: the withdrawals fit in what the treasury has left.
fn can_withdraw(action: &GovAction, es: &EnactState) -> bool {
    match action {
        GovAction::TreasuryWithdrawals(w, _) => {
            w.values().map(|c| u128::from(*c)).sum::<u128>() <= u128::from(es.treasury)
        }
        _ => true,
    }
}

/// A threshold a body must reach: `None` when the action cannot be ratified at all.
type Needed = Option<Rational>;

/// `ratio >= threshold`, exactly (a zero threshold needs no votes).
fn reaches(yes: u128, total: u128, (n, d): Rational) -> bool {
    if n == 0 {
        return true;
    }
    // yes / total >= n / d, with yes %? 0 = 0.
    total != 0 && yes * u128::from(d) >= u128::from(n) * total
}

fn bootstrap(es: &EnactState) -> bool {
    es.params.protocol_version.0 == 9
}

/// `committeeAccepted`.
fn committee_accepts(state: &LedgerState, es: &EnactState, p: &Proposal, epoch: u64) -> bool {
    let keys = &state.governance.committee_keys;
    let hot = |cold: &Credential| match keys.get(cold) {
        Some(CommitteeAuthorization::Hot(h)) => Some(*h),
        _ => None,
    };
    let needed: Needed = match &p.kind {
        GovActionKind::NoConfidence | GovActionKind::UpdateCommittee { .. } => Some((0, 1)),
        GovActionKind::Info => None,
        _ => es.committee.as_ref().and_then(|members| {
            let active = members
                .iter()
                .filter(|(cold, expiry)| hot(cold).is_some() && epoch <= **expiry)
                .count() as u64;
            (bootstrap(es) || active >= es.params.committee_min_size).then_some(es.committee_threshold)
        }),
    };
    let Some(threshold) = needed else { return false };
    if threshold.0 == 0 {
        return true;
    }
    let Some(members) = &es.committee else { return false };
    let (mut yes, mut total) = (0u128, 0u128);
    for (cold, expiry) in members.iter() {
        if epoch > *expiry {
            continue;
        }
        let Some(h) = hot(cold) else { continue };
        match p.committee_votes.get(&h) {
            Some(Vote::Yes) => {
                yes += 1;
                total += 1;
            }
            Some(Vote::Abstain) => {}
            Some(Vote::No) | None => total += 1,
        }
    }
    reaches(yes, total, threshold)
}

/// The DRep groups a parameter update touches (`pparamsUpdateThreshold`): network, economic,
/// technical, governance.
fn drep_groups(u: &ProtocolParamUpdate) -> [bool; 4] {
    let network = u.max_block_body_size.is_some()
        || u.max_transaction_size.is_some()
        || u.max_block_header_size.is_some()
        || u.max_value_size.is_some()
        || u.max_tx_ex_units.is_some()
        || u.max_block_ex_units.is_some()
        || u.max_collateral_inputs.is_some();
    let economic = u.minfee_a.is_some()
        || u.minfee_b.is_some()
        || u.key_deposit.is_some()
        || u.pool_deposit.is_some()
        || u.expansion_rate.is_some()
        || u.treasury_growth_rate.is_some()
        || u.min_pool_cost.is_some()
        || u.ada_per_utxo_byte.is_some()
        || u.execution_costs.is_some()
        || u.minfee_refscript_cost_per_byte.is_some();
    let technical = u.maximum_epoch.is_some()
        || u.desired_number_of_stake_pools.is_some()
        || u.pool_pledge_influence.is_some()
        || u.cost_models_for_script_languages.is_some()
        || u.collateral_percentage.is_some();
    let governance = u.pool_voting_thresholds.is_some()
        || u.drep_voting_thresholds.is_some()
        || u.min_committee_size.is_some()
        || u.committee_term_limit.is_some()
        || u.governance_action_validity_period.is_some()
        || u.governance_action_deposit.is_some()
        || u.drep_deposit.is_some()
        || u.drep_inactivity_period.is_some();
    [network, economic, technical, governance]
}

fn max_ratio(a: Rational, b: Rational) -> Rational {
    if u128::from(a.0) * u128::from(b.1) >= u128::from(b.0) * u128::from(a.1) {
        a
    } else {
        b
    }
}

/// `dRepAccepted`.
fn dreps_accept(
    state: &LedgerState,
    es: &EnactState,
    stake: &VotingStake,
    p: &Proposal,
    action: &GovAction,
    epoch: u64,
) -> bool {
    let t = &es.params.drep_voting_thresholds;
    let needed: Needed = match action {
        GovAction::Information => None,
        _ if bootstrap(es) => Some((0, 1)),
        GovAction::NoConfidence(_) => Some(t.motion_no_confidence.0),
        GovAction::UpdateCommittee(..) if es.committee.is_some() => Some(t.committee_normal.0),
        GovAction::UpdateCommittee(..) => Some(t.committee_no_confidence.0),
        GovAction::NewConstitution(..) => Some(t.update_to_constitution.0),
        GovAction::HardForkInitiation(..) => Some(t.hard_fork_initiation.0),
        GovAction::TreasuryWithdrawals(..) => Some(t.treasury_withdrawal.0),
        GovAction::ParameterChange(_, u, _) => {
            let groups = [
                t.pp_network_group.0,
                t.pp_economic_group.0,
                t.pp_technical_group.0,
                t.pp_gov_group.0,
            ];
            drep_groups(u)
                .iter()
                .zip(groups)
                .filter(|(touched, _)| **touched)
                .map(|(_, g)| g)
                .reduce(max_ratio)
                .or(Some((0, 1)))
        }
    };
    let Some(threshold) = needed else { return false };
    if threshold.0 == 0 {
        return true;
    }
    let no_confidence = matches!(action, GovAction::NoConfidence(_));
    let (mut yes, mut total) = (0u128, 0u128);
    for (drep, s) in &stake.dreps {
        let s = u128::from(*s);
        match drep {
            DRep::AlwaysAbstain => {}
            DRep::AlwaysNoConfidence => {
                total += s;
                if no_confidence {
                    yes += s;
                }
            }
            DRep::Key(_) | DRep::Script(_) => {
                let Some(c) = drep.credential() else { continue };
                let Some(registered) = state.governance.dreps.get(&c) else {
                    continue;
                };
                if epoch > registered.expiry {
                    continue;
                }
                match p.drep_votes.get(&c) {
                    Some(Vote::Yes) => {
                        yes += s;
                        total += s;
                    }
                    Some(Vote::Abstain) => {}
                    Some(Vote::No) | None => total += s,
                }
            }
        }
    }
    reaches(yes, total, threshold)
}

/// `spoAccepted`.
fn pools_accept(state: &LedgerState, es: &EnactState, stake: &VotingStake, p: &Proposal, action: &GovAction) -> bool {
    let t = &es.params.pool_voting_thresholds;
    let needed: Needed = match action {
        GovAction::Information => None,
        GovAction::NoConfidence(_) => Some(t.motion_no_confidence.0),
        GovAction::UpdateCommittee(..) if es.committee.is_some() => Some(t.committee_normal.0),
        GovAction::UpdateCommittee(..) => Some(t.committee_no_confidence.0),
        GovAction::HardForkInitiation(..) => Some(t.hard_fork_initiation.0),
        GovAction::ParameterChange(..) if matches!(p.kind, GovActionKind::ParameterChange { security_group: true }) => {
            Some(t.pp_security_group.0)
        }
        GovAction::ParameterChange(..) | GovAction::NewConstitution(..) | GovAction::TreasuryWithdrawals(..) => {
            Some((0, 1))
        }
    };
    let Some(threshold) = needed else { return false };
    if threshold.0 == 0 {
        return true;
    }
    let hard_fork = matches!(action, GovAction::HardForkInitiation(..));
    let no_confidence = matches!(action, GovAction::NoConfidence(_));
    let (mut yes, mut abstain) = (0u128, 0u128);
    for (pool, s) in &stake.pools {
        let s = u128::from(*s);
        let vote = match p.pool_votes.get(pool) {
            Some(v) => Some(*v),
            None if hard_fork => Some(Vote::No),
            None if bootstrap(es) => Some(Vote::Abstain),
            // `defaultStakePoolVote`: what the DRep of the pool's reward account says.
            None => {
                let drep = state
                    .pools
                    .get(pool)
                    .and_then(|ps| crate::address::account_credential(&ps.params.reward_account))
                    .and_then(|c| state.accounts.get(&c))
                    .and_then(|a| a.drep);
                match drep {
                    Some(DRep::AlwaysNoConfidence) if no_confidence => Some(Vote::Yes),
                    Some(DRep::AlwaysAbstain) => Some(Vote::Abstain),
                    _ => Some(Vote::No),
                }
            }
        };
        match vote {
            Some(Vote::Yes) => yes += s,
            Some(Vote::Abstain) => abstain += s,
            _ => {}
        }
    }
    let total = u128::from(stake.pools_total).saturating_sub(abstain);
    reaches(yes, total, threshold)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::state::{Account, DRepState, PoolParams, PoolState};
    use pallas_primitives::conway::{Anchor, Constitution, ProposalProcedure};
    use std::collections::BTreeMap as Map;
    use std::sync::Arc;

    pub(crate) fn key(i: u8) -> Credential {
        Credential::Key([i; 28])
    }

    pub(crate) fn reward_account(i: u8) -> Vec<u8> {
        let mut a = vec![0xe0];
        a.extend([i; 28]);
        a
    }

    /// Epoch 10, protocol version 10: one committee member (cold 1, hot 2) with quorum 1/2 and
    /// a term to epoch 100; one DRep (credential 3) delegated 1,000 by account 4; pools 5 and 6,
    /// with reward accounts 7 and 8, and 100 of stake each in `mark`; 1,000,000 in the treasury.
    pub(crate) fn fixture() -> LedgerState {
        let mut s = LedgerState {
            epoch: 10,
            treasury: 1_000_000,
            ..LedgerState::default()
        };
        let mut p = (*s.params).clone();
        p.protocol_version = (10, 0);
        p.committee_min_size = 1;
        s.params = Arc::new(p);
        let gov = &mut s.governance;
        gov.committee = Some([(key(1), 100u64)].into_iter().collect());
        gov.committee_threshold = (1, 2);
        gov.committee_keys.insert(key(1), CommitteeAuthorization::Hot(key(2)));
        gov.dreps.insert(
            key(3),
            DRepState {
                deposit: 0,
                expiry: 20,
                anchor: vec![],
            },
        );
        let account = |pool: Option<PoolId>, drep: Option<DRep>| Account {
            deposit: 0,
            rewards: 0,
            pool,
            drep,
        };
        s.accounts.insert(key(4), account(None, Some(DRep::Key([3; 28]))));
        for (pool, reward) in [(5u8, 7u8), (6, 8)] {
            s.pools.insert(
                [pool; 28],
                PoolState {
                    params: PoolParams {
                        vrf_key_hash: [0; 32],
                        pledge: 0,
                        cost: 0,
                        margin: (0, 1),
                        reward_account: reward_account(reward),
                        owners: vec![],
                        relays: Vec::new(),
                        metadata: Vec::new(),
                    },
                    future: None,
                    retiring: None,
                    deposit: 0,
                },
            );
            s.accounts.insert(key(reward), account(None, None));
        }
        let mut mark = crate::snapshots::StakeSnapshot::default();
        for pool in [5u8, 6] {
            mark.pools.insert(
                [pool; 28],
                crate::snapshots::PoolStake {
                    stake: 100,
                    vrf_key_hash: [0; 32],
                },
            );
            mark.total += 100;
        }
        s.mark = Arc::new(mark);
        s
    }

    /// The instant stake of the fixture: account 4 holds 1,000.
    pub(crate) fn instant() -> Map<Credential, u64> {
        [(key(4), 1_000)].into()
    }

    /// Proposes `action` as transaction `[n; 32]`, deposit 10 returned to account `returns`.
    pub(crate) fn propose(s: &mut LedgerState, n: u8, action: GovAction, returns: u8) -> GovActionId {
        let procedure = ProposalProcedure {
            deposit: 10,
            reward_account: reward_account(returns).into(),
            gov_action: action,
            anchor: Anchor {
                url: "https://example.org".into(),
                content_hash: [0; 32].into(),
            },
        };
        let id = GovActionId { tx: [n; 32], index: 0 };
        s.governance
            .add_proposal(id, Proposal::new(&procedure, s.epoch, s.epoch + 5));
        id
    }

    pub(crate) fn withdrawal(amount: u64, to: u8) -> GovAction {
        GovAction::TreasuryWithdrawals([(reward_account(to).into(), amount)].into_iter().collect(), None)
    }

    fn constitution() -> GovAction {
        GovAction::NewConstitution(
            None,
            Constitution {
                anchor: Anchor {
                    url: "https://example.org".into(),
                    content_hash: [0; 32].into(),
                },
                guardrail_script: None,
            },
        )
    }

    /// The committee (hot 2) and the DRep (3) vote `vote` on `id`.
    pub(crate) fn vote(s: &mut LedgerState, id: GovActionId, vote: Vote) {
        let p = s.governance.proposals.get_mut(&id).expect("proposed");
        p.committee_votes.insert(key(2), vote);
        p.drep_votes.insert(key(3), vote);
    }

    fn enacted(s: &LedgerState) -> Vec<GovActionId> {
        ratify(s, &instant()).enacted
    }

    #[test]
    fn a_withdrawal_the_committee_and_dreps_accept_is_enacted_within_the_treasury() {
        let mut s = fixture();
        let id = propose(&mut s, 1, withdrawal(400_000, 4), 4);
        assert!(enacted(&s).is_empty(), "no votes yet");
        vote(&mut s, id, Vote::Yes);
        let r = ratify(&s, &instant());
        assert_eq!(r.enacted, [id]);
        let es = r.enact_state.expect("enact state");
        assert_eq!(es.withdrawals.get(&key(4)), Some(&400_000));
        assert_eq!(es.treasury, 600_000);
        // A second one that the treasury left cannot cover waits.
        let second = propose(&mut s, 2, withdrawal(700_000, 4), 4);
        vote(&mut s, second, Vote::Yes);
        assert_eq!(enacted(&s), [id]);
    }

    #[test]
    fn an_expired_drep_does_not_count() {
        let mut s = fixture();
        let id = propose(&mut s, 1, withdrawal(1, 4), 4);
        vote(&mut s, id, Vote::Yes);
        s.governance.dreps.get_mut(&key(3)).expect("DRep").expiry = 9;
        assert!(enacted(&s).is_empty(), "the only DRep is inactive: no DRep stake");
    }

    #[test]
    fn a_delaying_action_of_higher_priority_goes_first_and_stops_the_run() {
        let mut s = fixture();
        let w = propose(&mut s, 1, withdrawal(1, 4), 4);
        let c = propose(&mut s, 2, constitution(), 4);
        vote(&mut s, w, Vote::Yes);
        vote(&mut s, c, Vote::Yes);
        // Proposed after the withdrawal, the constitution is ratified first and delays it.
        assert_eq!(enacted(&s), [c]);
    }

    #[test]
    fn the_committee_needs_its_minimum_size_after_bootstrap() {
        let mut s = fixture();
        let c = propose(&mut s, 1, constitution(), 4);
        vote(&mut s, c, Vote::Yes);
        assert_eq!(enacted(&s), [c]);
        let mut p = (*s.params).clone();
        p.committee_min_size = 2;
        s.params = Arc::new(p.clone());
        assert!(enacted(&s).is_empty(), "one active member of two required");
        p.protocol_version = (9, 0);
        s.params = Arc::new(p);
        assert_eq!(enacted(&s), [c], "in bootstrap the minimum does not apply");
    }

    #[test]
    fn pools_that_do_not_vote_follow_their_reward_accounts_drep() {
        let mut s = fixture();
        let n = propose(&mut s, 1, GovAction::NoConfidence(None), 4);
        s.governance
            .proposals
            .get_mut(&n)
            .expect("proposed")
            .drep_votes
            .insert(key(3), Vote::Yes);
        s.governance
            .proposals
            .get_mut(&n)
            .expect("proposed")
            .pool_votes
            .insert([5; 28], Vote::Yes);
        // Pool 6 did not vote: by default No, so 100 of 200 is below 51 %.
        assert!(enacted(&s).is_empty());
        // Its reward account delegates to AlwaysAbstain: its stake leaves the denominator.
        s.accounts.get_mut(&key(8)).expect("account").drep = Some(DRep::AlwaysAbstain);
        assert_eq!(enacted(&s), [n]);
        // AlwaysNoConfidence votes Yes on a no-confidence motion.
        s.accounts.get_mut(&key(8)).expect("account").drep = Some(DRep::AlwaysNoConfidence);
        assert_eq!(enacted(&s), [n]);
    }

    #[test]
    fn proposal_deposits_count_as_their_delegators_stake() {
        let mut s = fixture();
        let n = propose(&mut s, 1, GovAction::NoConfidence(None), 7);
        let p = s.governance.proposals.get_mut(&n).expect("proposed");
        p.drep_votes.insert(key(3), Vote::Yes);
        p.pool_votes.insert([5; 28], Vote::Yes);
        p.pool_votes.insert([6; 28], Vote::No);
        assert!(enacted(&s).is_empty(), "100 of 200");
        // Account 7 (the deposit's return account) delegates to pool 5: 110 of 210.
        s.accounts.get_mut(&key(7)).expect("account").pool = Some([5; 28]);
        assert_eq!(enacted(&s), [n]);
    }
}
