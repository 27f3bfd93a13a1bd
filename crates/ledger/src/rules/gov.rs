//! GOV (Conway `GOV`): the transaction's proposals (deposit, accounts, policy, previous action,
//! hard-fork succession) are added, then its votes are checked (voters exist, the actions exist
//! and have not expired, the voters may vote on them) and recorded.

use std::collections::BTreeSet;

use pallas_primitives::conway::{GovAction, ProposalProcedure, Vote as PallasVote, Voter};

use super::tx_view::TxView;
use crate::address::reward_credential;
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{
    CommitteeAuthorization, Credential, GovActionId, GovActionKind, GovPurpose, LedgerState, Proposal, Vote,
};

fn gov(name: &'static str, detail: String) -> LedgerError {
    LedgerError::Gov { name, detail }
}

/// Runs GOV for `tx`; failures are collected.
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
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
    check_and_record_votes(state, p, tx, failures);
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
    check_hard_fork_follows(state, p, &pr.gov_action, failures);
    if let GovAction::ParameterChange(_, ppu, _) = &pr.gov_action {
        if !well_formed(ppu) {
            failures.push(gov(
                "MalformedProposal",
                "the parameter update is empty or sets to zero a parameter that may not be zero".into(),
            ));
        }
    }
    if !account_registered(state, &pr.reward_account) {
        failures.push(gov(
            "ProposalReturnAccountDoesNotExist",
            format!(
                "return account {} is not registered",
                hex::encode(pr.reward_account.as_slice())
            ),
        ));
    }
    if let GovAction::TreasuryWithdrawals(w, _) = &pr.gov_action {
        let unregistered: Vec<String> = w
            .keys()
            .filter(|a| !account_registered(state, a))
            .map(|a| hex::encode(a.as_slice()))
            .collect();
        if !unregistered.is_empty() {
            failures.push(gov(
                "TreasuryWithdrawalReturnAccountsDoNotExist",
                unregistered.join(", "),
            ));
        }
    }
    if pr.deposit != p.gov_action_deposit {
        failures.push(gov(
            "ProposalDepositIncorrect",
            format!("deposit {}, the parameter is {}", pr.deposit, p.gov_action_deposit),
        ));
    }
    if reward_credential(&pr.reward_account, p.network_id).is_err() {
        failures.push(gov(
            "ProposalProcedureNetworkIdMismatch",
            format!(
                "return account {} is not for this network",
                hex::encode(pr.reward_account.as_slice())
            ),
        ));
    }
    match &pr.gov_action {
        GovAction::TreasuryWithdrawals(w, policy) => {
            let wrong_network: Vec<String> = w
                .keys()
                .filter(|a| reward_credential(a, p.network_id).is_err())
                .map(|a| hex::encode(a.as_slice()))
                .collect();
            if !wrong_network.is_empty() {
                failures.push(gov("TreasuryWithdrawalsNetworkIdMismatch", wrong_network.join(", ")));
            }
            check_policy(state, policy.as_deref().copied(), failures);
            if w.values().map(|c| *c as u128).sum::<u128>() == 0 {
                failures.push(gov("ZeroTreasuryWithdrawals", "the withdrawals total zero".into()));
            }
        }
        GovAction::UpdateCommittee(_, removed, added, _) => {
            let removed: BTreeSet<Credential> = removed.iter().map(Credential::from).collect();
            let both: Vec<String> = added
                .keys()
                .map(Credential::from)
                .filter(|c| removed.contains(c))
                .map(|c| c.to_string())
                .collect();
            if !both.is_empty() {
                failures.push(gov("ConflictingCommitteeUpdate", both.join(", ")));
            }
            let too_small: Vec<String> = added
                .iter()
                .filter(|(_, e)| **e <= state.epoch)
                .map(|(c, e)| format!("{} until {e}", Credential::from(c)))
                .collect();
            if !too_small.is_empty() {
                failures.push(gov("ExpirationEpochTooSmall", too_small.join(", ")));
            }
        }
        GovAction::ParameterChange(_, _, policy) => check_policy(state, policy.as_deref().copied(), failures),
        _ => {}
    }
    if !prev_valid(state, &pr.gov_action) {
        failures.push(gov(
            "InvalidPrevGovActionId",
            format!(
                "previous action {:?} is neither the last enacted one of its purpose nor a proposal of it in flight",
                GovActionId::previous(&pr.gov_action).map(|i| i.to_string())
            ),
        ));
    }
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
fn check_policy(state: &LedgerState, policy: Option<[u8; 28]>, failures: &mut Vec<LedgerError>) {
    if policy != state.governance.guardrail {
        failures.push(gov(
            "InvalidGuardrailsScriptHash",
            format!(
                "the proposal names policy {:?}, the constitution's is {:?}",
                policy.map(hex::encode),
                state.governance.guardrail.map(hex::encode)
            ),
        ));
    }
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
/// minor, of the version it builds on (the current one when it builds on the last enacted
/// hard fork, else its parent proposal's).
fn check_hard_fork_follows(state: &LedgerState, p: &LedgerParams, a: &GovAction, failures: &mut Vec<LedgerError>) {
    let GovAction::HardForkInitiation(_, (major, minor)) = a else {
        return;
    };
    let prev = GovActionId::previous(a);
    let from =
        if prev == state.governance.roots.get(&GovPurpose::HardFork).copied() || *major > p.protocol_version.0 + 1 {
            p.protocol_version
        } else {
            match prev
                .and_then(|id| state.governance.proposals.get(&id))
                .map(|pr| &pr.kind)
            {
                Some(GovActionKind::HardFork { major, minor }) => (*major, *minor),
                // A missing or other parent is InvalidPrevGovActionId's to report.
                _ => return,
            }
        };
    let follows = (*major == from.0 + 1 && *minor == 0) || (*major == from.0 && *minor == from.1 + 1);
    if !follows {
        failures.push(gov(
            "ProposalCantFollow",
            format!("version {major}.{minor} cannot follow {}.{}", from.0, from.1),
        ));
    }
}

fn voter_name(v: &Voter) -> String {
    match v {
        Voter::ConstitutionalCommitteeKey(h) => format!("committee key {}", hex::encode(h.as_ref())),
        Voter::ConstitutionalCommitteeScript(h) => format!("committee script {}", hex::encode(h.as_ref())),
        Voter::DRepKey(h) => format!("DRep key {}", hex::encode(h.as_ref())),
        Voter::DRepScript(h) => format!("DRep script {}", hex::encode(h.as_ref())),
        Voter::StakePoolKey(h) => format!("pool {}", hex::encode(h.as_ref())),
    }
}

/// The hot credential of a committee voter.
fn hot(v: &Voter) -> Option<Credential> {
    match v {
        Voter::ConstitutionalCommitteeKey(h) => Some(Credential::Key(**h)),
        Voter::ConstitutionalCommitteeScript(h) => Some(Credential::Script(**h)),
        _ => None,
    }
}

/// Whether a voter exists: a committee hot key some cold key authorised (from protocol version
/// 11, a cold key of the current committee), a registered DRep, a registered pool.
fn voter_exists(state: &LedgerState, p: &LedgerParams, v: &Voter) -> bool {
    match v {
        Voter::ConstitutionalCommitteeKey(_) | Voter::ConstitutionalCommitteeScript(_) => {
            let h = hot(v);
            let elected_only = p.protocol_version.0 >= 11;
            let members = state.governance.committee.as_ref();
            state.governance.committee_keys.iter().any(|(cold, a)| {
                matches!(a, CommitteeAuthorization::Hot(x) if Some(*x) == h)
                    && (!elected_only || members.is_some_and(|m| m.contains_key(cold)))
            })
        }
        Voter::DRepKey(h) => state.governance.dreps.contains_key(&Credential::Key(**h)),
        Voter::DRepScript(h) => state.governance.dreps.contains_key(&Credential::Script(**h)),
        Voter::StakePoolKey(h) => state.pools.contains_key(&**h),
    }
}

/// Whether a voter of this kind may vote on an action of this kind (the voting thresholds'
/// `NoVotingAllowed`).
fn may_vote(v: &Voter, k: &GovActionKind) -> bool {
    match v {
        Voter::ConstitutionalCommitteeKey(_) | Voter::ConstitutionalCommitteeScript(_) => {
            !matches!(k, GovActionKind::NoConfidence | GovActionKind::UpdateCommittee { .. })
        }
        Voter::DRepKey(_) | Voter::DRepScript(_) => true,
        Voter::StakePoolKey(_) => match k {
            GovActionKind::ParameterChange { security_group } => *security_group,
            GovActionKind::NewConstitution | GovActionKind::TreasuryWithdrawals => false,
            _ => true,
        },
    }
}

fn check_and_record_votes(state: &mut LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let Some(procedures) = tx.body.voting_procedures.as_ref() else {
        return;
    };
    let epoch = state.epoch;
    let (known, missing): (Vec<_>, Vec<_>) = procedures.iter().partition(|(v, _)| voter_exists(state, p, v));
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|(v, _)| voter_name(v)).collect();
        failures.push(gov("VotersDoNotExist", names.join(", ")));
    }
    let mut unknown = Vec::new();
    let mut expired = Vec::new();
    let mut disallowed = Vec::new();
    for (voter, votes) in &known {
        for (id, _) in votes.iter() {
            let id = GovActionId::from(id);
            match state.governance.proposals.get(&id) {
                None => unknown.push(id.to_string()),
                Some(pr) => {
                    if pr.expires_after < epoch {
                        expired.push(format!("{} on {id}", voter_name(voter)));
                    }
                    if !may_vote(voter, &pr.kind) {
                        disallowed.push(format!("{} on {id}", voter_name(voter)));
                    }
                }
            }
        }
    }
    if !unknown.is_empty() {
        failures.push(gov("GovActionsDoNotExist", unknown.join(", ")));
    }
    if !expired.is_empty() {
        failures.push(gov("VotingOnExpiredGovAction", expired.join(", ")));
    }
    if !disallowed.is_empty() {
        failures.push(gov("DisallowedVoters", disallowed.join(", ")));
    }
    for (voter, votes) in known {
        for (id, procedure) in votes.iter() {
            let id = GovActionId::from(id);
            let vote = match procedure.vote {
                PallasVote::No => Vote::No,
                PallasVote::Yes => Vote::Yes,
                PallasVote::Abstain => Vote::Abstain,
            };
            if let Some(pr) = state.governance.proposals.get_mut(&id) {
                match voter {
                    Voter::ConstitutionalCommitteeKey(_) | Voter::ConstitutionalCommitteeScript(_) => {
                        if let Some(h) = hot(voter) {
                            pr.committee_votes.insert(h, vote);
                        }
                    }
                    Voter::DRepKey(h) => {
                        pr.drep_votes.insert(Credential::Key(**h), vote);
                    }
                    Voter::DRepScript(h) => {
                        pr.drep_votes.insert(Credential::Script(**h), vote);
                    }
                    Voter::StakePoolKey(h) => {
                        pr.pool_votes.insert(**h, vote);
                    }
                }
            }
        }
    }
}
