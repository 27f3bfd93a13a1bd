//! NEWEPOCH and EPOCH (Conway `NewEpoch.hs`, `Epoch.hs`): the epoch boundary, in the
//! reference's order.
//!
//! 1. The reward update of the epoch that ended is applied (`rules::rupd`); the blocks made
//!    this epoch become the previous epoch's.
//! 2. SNAP: `go := set`, `set := mark`, `mark :=` the stake now; the fees collected become the
//!    fee snapshot the next reward update distributes.
//! 3. POOLREAP (`rules::poolreap`).
//! 4. What ratification decided at the last boundary is carried out: treasury withdrawals paid
//!    to registered accounts; expired proposals removed with their descendants; each enacted
//!    action becomes the last of its purpose, its competitors removed with their descendants;
//!    every removed proposal's deposit returned (to the treasury when its account is not
//!    registered); the committee, constitution and parameters of the enact state taken up (the
//!    previous parameters kept for the next reward update).
//! 5. Dormant epochs counted, committee hot keys of former members dropped, the epoch's
//!    donations moved to the treasury, the deposits recounted.
//! 6. HARDFORK when the protocol version changed (`rules::hardfork`).
//! 7. The proposals as they stand now are ratified for the next boundary (`rules::ratify`).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::state::{GovActionId, LedgerState, Proposal};

/// Crosses into epoch `state.epoch + 1`.
pub(crate) fn new_epoch(state: &mut LedgerState) {
    let epoch = state.epoch + 1;
    // NEWEPOCH
    super::rupd::apply(state);
    state.blocks_previous = std::mem::take(&mut state.blocks_current);
    // EPOCH
    let instant = state.instant_stake();
    let now = Arc::new(state.snapshot(&instant));
    state.go = std::mem::replace(&mut state.set, std::mem::replace(&mut state.mark, now));
    state.fee_snapshot = state.fees;
    super::poolreap::apply(state, epoch);
    carry_out_ratification(state, epoch);
    if state.params.protocol_version != state.prev_params.protocol_version {
        super::hardfork::apply(state);
    }
    state.epoch = epoch;
    state.governance.ratification = super::ratify::ratify(state, &instant);
}

/// EPOCH's governance steps, with the ratification computed at the last boundary.
fn carry_out_ratification(state: &mut LedgerState, epoch: u64) {
    let ratification = std::mem::take(&mut state.governance.ratification);
    if let Some(es) = &ratification.enact_state {
        // `applyEnactedWithdrawals`: to unregistered accounts they stay in the treasury.
        for (cred, amount) in es.withdrawals.iter() {
            if let Some(a) = state.accounts.get_mut(cred) {
                a.rewards = a.rewards.saturating_add(*amount);
                state.treasury = state.treasury.saturating_sub(*amount);
            }
        }
    }
    let removed = apply_enactment(state, &ratification.enacted, &ratification.expired);
    state.prev_params = state.params.clone();
    if let Some(es) = ratification.enact_state {
        let gov = &mut state.governance;
        gov.committee = es.committee;
        gov.committee_threshold = es.committee_threshold;
        gov.guardrail = es.guardrail;
        gov.constitution_anchor = es.constitution_anchor;
        // The parameters change only when something was enacted (`predictFuturePParams`).
        if !ratification.enacted.is_empty() {
            state.params = es.params;
        }
    }
    // `returnProposalDeposits`.
    for p in &removed {
        state.pay_or_treasury(crate::address::account_credential(&p.return_account), p.deposit);
    }
    let gov = &mut state.governance;
    // `updateNumDormantEpochs`.
    if !gov.proposals.values().any(|p| p.expires_after >= epoch) {
        gov.dormant_epochs += 1;
    }
    // Hot keys and resignations only of the committee's members.
    match &gov.committee {
        Some(members) => {
            let kept = gov
                .committee_keys
                .clone()
                .into_iter()
                .filter(|(cold, _)| members.contains_key(cold));
            gov.committee_keys = kept.collect();
        }
        None => gov.committee_keys.clear(),
    }
    let anchors = gov.resignation_anchors.clone().into_iter();
    gov.resignation_anchors = anchors
        .filter(|(cold, _)| gov.committee_keys.contains_key(cold))
        .collect();
    state.treasury = state.treasury.saturating_add(state.donations);
    state.donations = 0;
    state.deposits = obligations(state);
}

/// `proposalsApplyEnactment`: removes the expired proposals with their descendants, then
/// promotes each enacted one to the last of its purpose, removing its competitors with their
/// descendants. Returns every proposal removed, enacted ones included.
fn apply_enactment(state: &mut LedgerState, enacted: &[GovActionId], expired: &[GovActionId]) -> Vec<Proposal> {
    let gov = &mut state.governance;
    let mut gone: BTreeSet<GovActionId> = BTreeSet::new();
    for id in expired {
        with_descendants(gov, *id, &mut gone);
    }
    for id in enacted {
        let Some(p) = gov.proposals.get(id) else { continue };
        gone.insert(*id);
        if let Some(purpose) = p.kind.purpose() {
            let siblings: Vec<GovActionId> = gov
                .proposals
                .iter()
                .filter(|(other, q)| {
                    *other != id && !gone.contains(other) && q.kind.purpose() == Some(purpose) && q.prev == p.prev
                })
                .map(|(other, _)| *other)
                .collect();
            for s in siblings {
                with_descendants(gov, s, &mut gone);
            }
            gov.roots.insert(purpose, *id);
        }
    }
    let mut removed = Vec::new();
    for id in &gone {
        if let Some(p) = gov.proposals.remove(id) {
            removed.push(p);
        }
    }
    gov.proposal_order.retain(|id| !gone.contains(id));
    removed
}

/// Adds `id` and every proposal that builds on it, directly or not, to `gone`.
fn with_descendants(gov: &crate::state::Governance, id: GovActionId, gone: &mut BTreeSet<GovActionId>) {
    let mut stack = vec![id];
    while let Some(id) = stack.pop() {
        if !gone.insert(id) {
            continue;
        }
        let purpose = gov.proposals.get(&id).and_then(|p| p.kind.purpose());
        stack.extend(
            gov.proposals
                .iter()
                .filter(|(_, q)| q.prev == Some(id) && q.kind.purpose() == purpose && purpose.is_some())
                .map(|(child, _)| *child),
        );
    }
}

/// `totalObligation`: the deposits of stake credentials, pools, DReps and proposals.
fn obligations(state: &LedgerState) -> u64 {
    let accounts: u64 = state.accounts.values().map(|a| a.deposit).sum();
    let pools: u64 = state.pools.values().map(|p| p.deposit).sum();
    let dreps: u64 = state.governance.dreps.values().map(|d| d.deposit).sum();
    let proposals: u64 = state.governance.proposals.values().map(|p| p.deposit).sum();
    accounts + pools + dreps + proposals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ratify::tests::{fixture, key, propose, vote, withdrawal};
    use crate::state::{DRep, Vote};
    use pallas_primitives::conway::{GovAction, ProtocolParamUpdate};

    /// The fixture's state, its DRep's stake in the UTxO-less ledger given by account 4's
    /// reward balance, the pools' stake by their reward accounts' balances.
    fn state() -> LedgerState {
        let mut s = fixture();
        s.accounts.get_mut(&key(4)).expect("account").rewards = 1_000;
        s.reserves = 10_000_000;
        s.deposits = 0;
        s
    }

    #[test]
    fn a_withdrawal_voted_in_an_epoch_is_paid_at_the_second_boundary_after() {
        let mut s = state();
        let id = propose(&mut s, 1, withdrawal(400_000, 4), 4);
        vote(&mut s, id, Vote::Yes);
        s.deposits = 10;
        let treasury = s.treasury;
        new_epoch(&mut s);
        assert_eq!(s.treasury, treasury, "ratified at the first boundary, not yet paid");
        assert_eq!(s.governance.ratification.enacted, [id]);
        new_epoch(&mut s);
        assert_eq!(s.treasury, treasury - 400_000);
        // The withdrawal and the returned deposit.
        assert_eq!(s.accounts[&key(4)].rewards, 1_000 + 400_000 + 10);
        assert!(s.governance.proposals.is_empty());
        assert_eq!(s.deposits, 0, "the proposal's deposit left the deposit pot");
    }

    #[test]
    fn votes_cast_after_a_boundary_count_at_the_next_one() {
        let mut s = state();
        let id = propose(&mut s, 1, withdrawal(1, 4), 4);
        new_epoch(&mut s);
        assert!(s.governance.ratification.enacted.is_empty(), "no votes at the boundary");
        vote(&mut s, id, Vote::Yes);
        new_epoch(&mut s);
        assert!(
            s.governance.proposals.contains_key(&id),
            "the votes were not in the last snapshot"
        );
        assert_eq!(s.governance.ratification.enacted, [id]);
    }

    #[test]
    fn an_enacted_parameter_change_takes_effect_at_the_boundary_it_is_carried_out() {
        let mut s = state();
        // {8: 600}: nOpt (technical group: the committee and DReps decide, not the pools).
        let update: ProtocolParamUpdate =
            pallas_codec::minicbor::decode(&[0xa1, 0x08, 0x19, 0x02, 0x58]).expect("an update");
        assert_eq!(update.desired_number_of_stake_pools, Some(600));
        let id = propose(&mut s, 1, GovAction::ParameterChange(None, Box::new(update), None), 4);
        vote(&mut s, id, Vote::Yes);
        let before = s.params.n_opt;
        new_epoch(&mut s);
        assert_eq!(s.params.n_opt, before);
        new_epoch(&mut s);
        assert_eq!(s.params.n_opt, 600);
        assert_eq!(s.prev_params.n_opt, before, "the previous epoch's parameters are kept");
        assert_eq!(
            s.governance.roots.get(&crate::state::GovPurpose::ParameterChange),
            Some(&id)
        );
    }

    #[test]
    fn the_fees_of_an_epoch_are_shared_at_the_second_boundary_after() {
        let mut s = state();
        s.fees = 1_000;
        let (treasury, reserves) = (s.treasury, s.reserves);
        new_epoch(&mut s);
        assert_eq!((s.fee_snapshot, s.treasury, s.reserves), (1_000, treasury, reserves));
        new_epoch(&mut s);
        // No block made: no expansion; τ = 1/5 of the fees to the treasury, the rest back to
        // the reserves.
        assert_eq!((s.fees, s.treasury, s.reserves), (0, treasury + 200, reserves + 800));
    }

    #[test]
    fn expired_proposals_leave_with_their_descendants_and_deposits() {
        let mut s = state();
        let parent = propose(&mut s, 1, GovAction::NoConfidence(None), 4);
        let child = propose(
            &mut s,
            2,
            GovAction::NoConfidence(Some(pallas_primitives::conway::GovActionId {
                transaction_id: parent.tx.into(),
                action_index: 0,
            })),
            4,
        );
        s.governance.proposals.get_mut(&parent).expect("parent").expires_after = 9;
        // At the boundary into 11 the ratification of 10 (taken at the boundary into 10)
        // removes the parent that expired, and its child with it.
        s.governance.proposals.get_mut(&child).expect("child").expires_after = 30;
        new_epoch(&mut s);
        assert_eq!(s.governance.ratification.expired, [parent]);
        new_epoch(&mut s);
        assert!(s.governance.proposals.is_empty());
        assert_eq!(s.accounts[&key(4)].rewards, 1_000 + 20);
    }

    #[test]
    fn a_deposit_whose_account_is_not_registered_goes_to_the_treasury() {
        let mut s = state();
        // Account 99 is not registered.
        let id = propose(&mut s, 1, GovAction::NoConfidence(None), 99);
        s.governance.proposals.get_mut(&id).expect("proposed").expires_after = 9;
        let treasury = s.treasury;
        new_epoch(&mut s);
        new_epoch(&mut s);
        assert!(s.governance.proposals.is_empty());
        assert_eq!(s.treasury, treasury + 10);
    }

    #[test]
    fn into_version_10_delegations_to_unregistered_dreps_are_dropped() {
        let mut s = state();
        s.accounts.get_mut(&key(7)).expect("account").drep = Some(DRep::Key([9; 28]));
        s.accounts.get_mut(&key(8)).expect("account").drep = Some(DRep::AlwaysAbstain);
        super::super::hardfork::apply(&mut s);
        assert_eq!(s.accounts[&key(7)].drep, None);
        assert_eq!(s.accounts[&key(8)].drep, Some(DRep::AlwaysAbstain));
        assert_eq!(
            s.accounts[&key(4)].drep,
            Some(DRep::Key([3; 28])),
            "a registered DRep stays"
        );
    }
}
