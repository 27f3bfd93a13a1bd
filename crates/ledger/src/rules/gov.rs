//! GOV (Conway `GOV`): the transaction's proposals (deposit, accounts, policy, previous action,
//! hard-fork succession) are added, then its votes are checked (voters exist, the actions exist
//! and have not expired, the voters may vote on them) and recorded.

use std::collections::BTreeSet;

use pallas_primitives::conway::{GovAction, ProposalProcedure, Vote as PallasVote};

use super::tx_view::TxView;
use crate::address::{reward_account_order, reward_credential};
use crate::error::{GovFailure, LedgerError, RewardAccount};
use crate::params::LedgerParams;
use crate::state::{
    gov_action_cbor, CommitteeAuthorization, Credential, GovActionId, GovActionKind, GovPurpose, LedgerState, Proposal,
    Vote, Voter,
};

/// Runs GOV for `tx`; failures are collected.
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    if let Some(f) = unelected_committee_voters(state, p, tx) {
        failures.push(f.into());
    }
    for (index, proposal) in tx.body.proposal_procedures.iter().flat_map(|s| s.iter()).enumerate() {
        let id = GovActionId {
            tx: tx.tx.id(),
            index: index as u16,
        };
        let before = failures.len();
        check_proposal(state, p, proposal, failures);
        if failures.len() == before {
            let expires_after = state.epoch.saturating_add(p.gov_action_lifetime);
            let proposal = Proposal::new(proposal, state.epoch, expires_after);
            state.governance.add_proposal(id, proposal);
        }
    }
    check_and_record_votes(state, tx, failures);
    // The votes of DReps retiring in this transaction are removed from every proposal.
    let retiring: Vec<Credential> = tx
        .body
        .certificates
        .iter()
        .flat_map(|s| s.iter())
        .filter_map(|c| match c {
            pallas_primitives::conway::Certificate::UnRegDRepCert(c, _) => Some(Credential::from(c)),
            _ => None,
        })
        .collect();
    if !retiring.is_empty() {
        let ids: Vec<GovActionId> = state.governance.proposals.keys().copied().collect();
        for id in ids {
            if let Some(pr) = state.governance.proposals.get_mut(&id) {
                for c in &retiring {
                    pr.drep_votes.remove(c);
                }
            }
        }
    }
}

fn check_proposal(state: &LedgerState, p: &LedgerParams, pr: &ProposalProcedure, failures: &mut Vec<LedgerError>) {
    // In the reference's order: hard-fork succession, well-formedness, accounts, deposit,
    // network, the action's own checks, then the previous action (which decides insertion).
    let mut fail = |f: GovFailure| failures.push(f.into());
    if let Some(f) = hard_fork_cannot_follow(state, p, &pr.gov_action) {
        fail(f);
    }
    if let GovAction::ParameterChange(_, ppu, _) = &pr.gov_action {
        if !well_formed(ppu) {
            fail(GovFailure::MalformedProposal(gov_action_cbor::gov_action(
                &pr.gov_action,
            )));
        }
    }
    if !account_registered(state, &pr.reward_account) {
        fail(GovFailure::ProposalReturnAccountDoesNotExist(
            pr.reward_account.to_vec(),
        ));
    }
    if let GovAction::TreasuryWithdrawals(w, _) = &pr.gov_action {
        let unregistered = accounts(w.keys().filter(|a| !account_registered(state, a)));
        if !unregistered.is_empty() {
            fail(GovFailure::TreasuryWithdrawalReturnAccountsDoNotExist(unregistered));
        }
    }
    if pr.deposit != p.gov_action_deposit {
        fail(GovFailure::ProposalDepositIncorrect {
            supplied: pr.deposit,
            expected: p.gov_action_deposit,
        });
    }
    if reward_credential(&pr.reward_account, p.network_id).is_err() {
        fail(GovFailure::ProposalProcedureNetworkIdMismatch {
            account: pr.reward_account.to_vec(),
            expected: p.network_id,
        });
    }
    match &pr.gov_action {
        GovAction::TreasuryWithdrawals(w, policy) => {
            let wrong_network = accounts(w.keys().filter(|a| reward_credential(a, p.network_id).is_err()));
            if !wrong_network.is_empty() {
                fail(GovFailure::TreasuryWithdrawalsNetworkIdMismatch {
                    accounts: wrong_network,
                    expected: p.network_id,
                });
            }
            if let Some(f) = policy_mismatch(state, policy.as_deref().copied()) {
                fail(f);
            }
            if w.values().map(|c| *c as u128).sum::<u128>() == 0 {
                fail(GovFailure::ZeroTreasuryWithdrawals(gov_action_cbor::gov_action(
                    &pr.gov_action,
                )));
            }
        }
        GovAction::UpdateCommittee(_, removed, added, _) => {
            let removed: BTreeSet<Credential> = removed.iter().map(Credential::from).collect();
            let mut both: Vec<Credential> = added
                .keys()
                .map(Credential::from)
                .filter(|c| removed.contains(c))
                .collect();
            both.sort_by_key(Credential::reference_order);
            both.dedup();
            if !both.is_empty() {
                fail(GovFailure::ConflictingCommitteeUpdate(both));
            }
            let mut too_small: Vec<(Credential, u64)> = added
                .iter()
                .filter(|(_, e)| **e <= state.epoch)
                .map(|(c, e)| (Credential::from(c), *e))
                .collect();
            too_small.sort_by_key(|(c, _)| c.reference_order());
            too_small.dedup_by_key(|(c, _)| *c);
            if !too_small.is_empty() {
                fail(GovFailure::ExpirationEpochTooSmall(too_small));
            }
        }
        GovAction::ParameterChange(_, _, policy) => {
            if let Some(f) = policy_mismatch(state, policy.as_deref().copied()) {
                fail(f);
            }
        }
        _ => {}
    }
    if !prev_valid(state, &pr.gov_action) {
        fail(GovFailure::InvalidPrevGovActionId {
            prev: GovActionId::previous(&pr.gov_action),
            proposal: gov_action_cbor::proposal_procedure(pr),
        });
    }
}

/// Reward accounts as a set of the reference: its order, each once.
fn accounts<'a>(accounts: impl Iterator<Item = &'a pallas_primitives::RewardAccount>) -> Vec<RewardAccount> {
    let mut v: Vec<RewardAccount> = accounts.map(|a| a.to_vec()).collect();
    v.sort_by(|a, b| reward_account_order(a).cmp(&reward_account_order(b)));
    v.dedup();
    v
}

/// Whether the credential of a reward account is registered, whatever its network.
fn account_registered(state: &LedgerState, account: &[u8]) -> bool {
    let cred = match account.first().map(|h| h & 0xf0) {
        Some(0xe0) => account.get(1..29).and_then(|h| h.try_into().ok()).map(Credential::Key),
        Some(0xf0) => account
            .get(1..29)
            .and_then(|h| h.try_into().ok())
            .map(Credential::Script),
        _ => None,
    };
    cred.is_some_and(|c| state.accounts.contains_key(&c))
}

/// The proposal's policy must be the constitution's guardrails script.
fn policy_mismatch(state: &LedgerState, policy: Option<[u8; 28]>) -> Option<GovFailure> {
    (policy != state.governance.guardrail).then_some(GovFailure::InvalidGuardrailsScriptHash {
        supplied: policy,
        expected: state.governance.guardrail,
    })
}

/// `ppuWellFormed`: not empty, and none of the parameters that may not be zero set to zero.
fn well_formed(u: &pallas_primitives::conway::ProtocolParamUpdate) -> bool {
    let nonzero = |v: Option<u64>| v != Some(0);
    let any_set = {
        let mut buf = Vec::new();
        let _ = pallas_codec::minicbor::encode(u, &mut buf);
        buf.first() != Some(&0xa0)
    };
    any_set
        && nonzero(u.max_block_body_size)
        && nonzero(u.max_transaction_size)
        && nonzero(u.max_block_header_size)
        && nonzero(u.max_value_size)
        && nonzero(u.collateral_percentage)
        && nonzero(u.committee_term_limit)
        && nonzero(u.governance_action_validity_period)
        && nonzero(u.pool_deposit)
        && nonzero(u.governance_action_deposit)
        && nonzero(u.drep_deposit)
        && nonzero(u.ada_per_utxo_byte)
}

/// `proposalsAddAction`'s ancestry: the previous action is the purpose's last enacted action,
/// or a proposal of the same purpose in flight.
fn prev_valid(state: &LedgerState, a: &GovAction) -> bool {
    let Some(purpose) = GovActionKind::of(a).purpose() else {
        return true;
    };
    let prev = GovActionId::previous(a);
    prev == state.governance.roots.get(&purpose).copied()
        || prev.is_some_and(|id| {
            state
                .governance
                .proposals
                .get(&id)
                .is_some_and(|pr| pr.kind.purpose() == Some(purpose))
        })
}

/// `ProposalCantFollow`: a hard fork proposes the next major version with minor 0, or the next
/// minor, of the version it builds on: the current one when it builds on the last enacted hard
/// fork or proposes a major version beyond the next (cardano-ledger-conway 1.21's
/// `preceedingHardFork`), else its parent proposal's; nothing to compare with when the parent
/// is not a hard fork in flight, which `InvalidPrevGovActionId` reports.
fn hard_fork_cannot_follow(state: &LedgerState, p: &LedgerParams, a: &GovAction) -> Option<GovFailure> {
    let GovAction::HardForkInitiation(_, (major, minor)) = a else {
        return None;
    };
    let prev = GovActionId::previous(a);
    let from =
        if prev == state.governance.roots.get(&GovPurpose::HardFork).copied() || *major > p.protocol_version.0 + 1 {
            p.protocol_version
        } else {
            match &state.governance.proposals.get(&prev?)?.kind {
                GovActionKind::HardFork { major, minor } => (*major, *minor),
                _ => return None,
            }
        };
    let follows = (*major == from.0 + 1 && *minor == 0) || (*major == from.0 && *minor == from.1 + 1);
    (!follows).then_some(GovFailure::ProposalCantFollow {
        prev,
        supplied: (*major, *minor),
        expected: from,
    })
}

/// Whether a voter exists: a committee hot credential some cold credential authorised, a
/// registered DRep, a registered pool.
fn voter_exists(state: &LedgerState, v: &Voter) -> bool {
    match v {
        Voter::Committee(h) => authorised(state, h, false),
        Voter::DRep(c) => state.governance.dreps.contains_key(c),
        Voter::Pool(p) => state.pools.contains_key(p),
    }
}

/// Whether `hot` is authorised by a cold credential (of a member of the current committee
/// when `elected_only`).
fn authorised(state: &LedgerState, hot: &Credential, elected_only: bool) -> bool {
    let members = state.governance.committee.as_ref();
    state.governance.committee_keys.iter().any(|(cold, a)| {
        matches!(a, CommitteeAuthorization::Hot(x) if x == hot)
            && (!elected_only || members.is_some_and(|m| m.contains_key(cold)))
    })
}

/// Whether a voter of this kind may vote on an action of this kind (the voting thresholds'
/// `NoVotingAllowed`).
fn may_vote(v: &Voter, k: &GovActionKind) -> bool {
    match v {
        Voter::Committee(_) => !matches!(k, GovActionKind::NoConfidence | GovActionKind::UpdateCommittee { .. }),
        Voter::DRep(_) => true,
        Voter::Pool(_) => match k {
            GovActionKind::ParameterChange { security_group } => *security_group,
            GovActionKind::NewConstitution | GovActionKind::TreasuryWithdrawals => false,
            _ => true,
        },
    }
}

/// The transaction's votes by voter, voters and actions in the reference's order (pallas' maps
/// of them iterate in it: script credentials first, then by hash; actions by id).
fn votes_in_order(tx: &TxView<'_>) -> Vec<(Voter, Vec<(GovActionId, Vote)>)> {
    tx.body
        .voting_procedures
        .iter()
        .flat_map(|p| p.iter())
        .map(|(voter, votes)| {
            let votes = votes
                .iter()
                .map(|(id, procedure)| {
                    let vote = match procedure.vote {
                        PallasVote::No => Vote::No,
                        PallasVote::Yes => Vote::Yes,
                        PallasVote::Abstain => Vote::Abstain,
                    };
                    (GovActionId::from(id), vote)
                })
                .collect();
            (Voter::of(voter), votes)
        })
        .collect()
}

/// Runs the voting half of GOV in the reference's order (from protocol version 11 votes by
/// unelected committee members, then voters that do not exist, actions that do not exist,
/// expired actions, voters not allowed) and records the known voters' votes on known actions.
fn check_and_record_votes(state: &mut LedgerState, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let by_voter = votes_in_order(tx);
    if by_voter.is_empty() {
        return;
    }
    let epoch = state.epoch;
    let (known, missing): (Vec<_>, Vec<_>) = by_voter.into_iter().partition(|(v, _)| voter_exists(state, v));
    if !missing.is_empty() {
        failures.push(GovFailure::VotersDoNotExist(missing.iter().map(|(v, _)| *v).collect()).into());
    }
    let mut unknown = Vec::new();
    let mut expired = Vec::new();
    let mut disallowed = Vec::new();
    for (voter, votes) in &known {
        for (id, _) in votes {
            match state.governance.proposals.get(id) {
                None => unknown.push(*id),
                Some(pr) => {
                    if pr.expires_after < epoch {
                        expired.push((*voter, *id));
                    }
                    if !may_vote(voter, &pr.kind) {
                        disallowed.push((*voter, *id));
                    }
                }
            }
        }
    }
    if !unknown.is_empty() {
        failures.push(GovFailure::GovActionsDoNotExist(unknown).into());
    }
    if !expired.is_empty() {
        failures.push(GovFailure::VotingOnExpiredGovAction(expired).into());
    }
    if !disallowed.is_empty() {
        failures.push(GovFailure::DisallowedVoters(disallowed).into());
    }
    for (voter, votes) in known {
        for (id, vote) in votes {
            if let Some(pr) = state.governance.proposals.get_mut(&id) {
                match voter {
                    Voter::Committee(h) => {
                        pr.committee_votes.insert(h, vote);
                    }
                    Voter::DRep(c) => {
                        pr.drep_votes.insert(c, vote);
                    }
                    Voter::Pool(pool) => {
                        pr.pool_votes.insert(pool, vote);
                    }
                }
            }
        }
    }
}

/// `UnelectedCommitteeVoters` (from protocol version 11): committee voters whose hot
/// credential no member of the current committee authorised.
fn unelected_committee_voters(state: &LedgerState, p: &LedgerParams, tx: &TxView<'_>) -> Option<GovFailure> {
    if p.protocol_version.0 <= 10 {
        return None;
    }
    let mut unelected: Vec<Credential> = votes_in_order(tx)
        .into_iter()
        .filter_map(|(v, _)| match v {
            Voter::Committee(h) if !authorised(state, &h, true) => Some(h),
            _ => None,
        })
        .collect();
    unelected.dedup();
    (!unelected.is_empty()).then_some(GovFailure::UnelectedCommitteeVoters(unelected))
}
