//! GOV's predicate failures (`ConwayGovPredFailure`), each with the data the reference reports,
//! lists and sets already in the reference's order so they can be written as it writes them.

use crate::state::{Credential, GovActionId, Voter};

/// A reward account, its raw bytes (header and credential).
pub type RewardAccount = Vec<u8>;

/// A GOV failure, named and ordered as cardano-ledger-conway's `ConwayGovPredFailure`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovFailure {
    /// Votes on actions that are not proposals in flight, in the order of the votes.
    #[error("GovActionsDoNotExist: no proposal {}", join(.0))]
    GovActionsDoNotExist(Vec<GovActionId>),
    /// A parameter change that sets nothing, or sets to zero a parameter that may not be zero;
    /// holds the action as the reference writes it.
    #[error("MalformedProposal: the parameter update is empty or sets to zero a parameter that may not be zero")]
    MalformedProposal(Vec<u8>),
    /// A proposal whose return account is for another network.
    #[error("ProposalProcedureNetworkIdMismatch: return account {} is not for network {expected}", hex::encode(.account))]
    ProposalProcedureNetworkIdMismatch {
        /// The proposal's return account.
        account: RewardAccount,
        /// The chain's network id.
        expected: u8,
    },
    /// Treasury withdrawals to accounts of another network, in the reference's account order.
    #[error("TreasuryWithdrawalsNetworkIdMismatch: accounts {} are not for network {expected}", join_hex(.accounts))]
    TreasuryWithdrawalsNetworkIdMismatch {
        /// The accounts of another network.
        accounts: Vec<RewardAccount>,
        /// The chain's network id.
        expected: u8,
    },
    /// A proposal deposit other than `govActionDeposit`.
    #[error("ProposalDepositIncorrect: deposit {supplied}, the parameter is {expected}")]
    ProposalDepositIncorrect {
        /// The proposal's deposit.
        supplied: u64,
        /// The `govActionDeposit` parameter.
        expected: u64,
    },
    /// Votes by voters who may not vote on that kind of action.
    #[error("DisallowedVoters: {}", join_votes(.0))]
    DisallowedVoters(Vec<(Voter, GovActionId)>),
    /// Committee members both removed and added by one update, in credential order.
    #[error("ConflictingCommitteeUpdate: {} both removed and added", join(.0))]
    ConflictingCommitteeUpdate(Vec<Credential>),
    /// Committee members added with a term that ends in the current epoch or before.
    #[error("ExpirationEpochTooSmall: {}", .0.iter().map(|(c, e)| format!("{c} until {e}")).collect::<Vec<_>>().join(", "))]
    ExpirationEpochTooSmall(Vec<(Credential, u64)>),
    /// A proposal whose previous action is neither the last enacted one of its purpose nor a
    /// proposal of it in flight; holds the proposal procedure as the reference writes it.
    #[error("InvalidPrevGovActionId: the previous action {} is neither the last enacted one of its purpose nor a proposal of it in flight", .prev.map_or("(none)".to_string(), |p| p.to_string()))]
    InvalidPrevGovActionId {
        /// The previous action the proposal names.
        prev: Option<GovActionId>,
        /// The proposal procedure's CBOR.
        proposal: Vec<u8>,
    },
    /// Votes on actions past their last epoch of voting.
    #[error("VotingOnExpiredGovAction: {}", join_votes(.0))]
    VotingOnExpiredGovAction(Vec<(Voter, GovActionId)>),
    /// A hard fork to a version that cannot follow the one it builds on.
    #[error("ProposalCantFollow: version {}.{} cannot follow {}.{}", .supplied.0, .supplied.1, .expected.0, .expected.1)]
    ProposalCantFollow {
        /// The hard fork it builds on, if any.
        prev: Option<GovActionId>,
        /// The version proposed.
        supplied: (u64, u64),
        /// The version it builds on.
        expected: (u64, u64),
    },
    /// A proposal's policy other than the constitution's guardrails script (`InvalidPolicyHash`
    /// before cardano-ledger-conway 1.21, same tag).
    #[error("InvalidGuardrailsScriptHash: the proposal names policy {}, the constitution's is {}", hash(.supplied), hash(.expected))]
    InvalidGuardrailsScriptHash {
        /// The proposal's policy.
        supplied: Option<[u8; 28]>,
        /// The constitution's guardrails script.
        expected: Option<[u8; 28]>,
    },
    /// Votes by voters the ledger does not know, in the reference's voter order.
    #[error("VotersDoNotExist: {}", join(.0))]
    VotersDoNotExist(Vec<Voter>),
    /// Treasury withdrawals that total zero; holds the action as the reference writes it.
    #[error("ZeroTreasuryWithdrawals: the withdrawals total zero")]
    ZeroTreasuryWithdrawals(Vec<u8>),
    /// A proposal whose return account is not registered.
    #[error("ProposalReturnAccountDoesNotExist: return account {} is not registered", hex::encode(.0))]
    ProposalReturnAccountDoesNotExist(RewardAccount),
    /// Treasury withdrawals to unregistered accounts, in the reference's account order.
    #[error("TreasuryWithdrawalReturnAccountsDoNotExist: accounts {} are not registered", join_hex(.0))]
    TreasuryWithdrawalReturnAccountsDoNotExist(Vec<RewardAccount>),
    /// From protocol version 11, votes by hot credentials of no current committee member, in
    /// credential order.
    #[error("UnelectedCommitteeVoters: hot credentials of no elected member: {}", join(.0))]
    UnelectedCommitteeVoters(Vec<Credential>),
}

impl GovFailure {
    /// The reference's constructor name.
    pub fn name(&self) -> &'static str {
        use GovFailure as G;
        match self {
            G::GovActionsDoNotExist(_) => "GovActionsDoNotExist",
            G::MalformedProposal(_) => "MalformedProposal",
            G::ProposalProcedureNetworkIdMismatch { .. } => "ProposalProcedureNetworkIdMismatch",
            G::TreasuryWithdrawalsNetworkIdMismatch { .. } => "TreasuryWithdrawalsNetworkIdMismatch",
            G::ProposalDepositIncorrect { .. } => "ProposalDepositIncorrect",
            G::DisallowedVoters(_) => "DisallowedVoters",
            G::ConflictingCommitteeUpdate(_) => "ConflictingCommitteeUpdate",
            G::ExpirationEpochTooSmall(_) => "ExpirationEpochTooSmall",
            G::InvalidPrevGovActionId { .. } => "InvalidPrevGovActionId",
            G::VotingOnExpiredGovAction(_) => "VotingOnExpiredGovAction",
            G::ProposalCantFollow { .. } => "ProposalCantFollow",
            G::InvalidGuardrailsScriptHash { .. } => "InvalidGuardrailsScriptHash",
            G::VotersDoNotExist(_) => "VotersDoNotExist",
            G::ZeroTreasuryWithdrawals(_) => "ZeroTreasuryWithdrawals",
            G::ProposalReturnAccountDoesNotExist(_) => "ProposalReturnAccountDoesNotExist",
            G::TreasuryWithdrawalReturnAccountsDoNotExist(_) => "TreasuryWithdrawalReturnAccountsDoNotExist",
            G::UnelectedCommitteeVoters(_) => "UnelectedCommitteeVoters",
        }
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn join_hex(accounts: &[RewardAccount]) -> String {
    accounts.iter().map(hex::encode).collect::<Vec<_>>().join(", ")
}

fn join_votes(votes: &[(Voter, GovActionId)]) -> String {
    votes
        .iter()
        .map(|(v, id)| format!("{v} on {id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn hash(h: &Option<[u8; 28]>) -> String {
    h.map_or("none".to_string(), hex::encode)
}
