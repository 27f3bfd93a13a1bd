//! Conway's governance state: DReps, the constitutional committee and its hot keys, the
//! proposals in flight with their votes, the last enacted action of each purpose and the
//! constitution's guardrails script (cardano-ledger's `VState` and `ConwayGovState`).

use imbl::OrdMap;
use pallas_primitives::conway::{GovAction, ProposalProcedure};
use serde::{Deserialize, Serialize};

use super::json::{hex_vec, pairs};
use super::{Credential, PoolId};
use crate::params::{LedgerParams, Rational};
use crate::tx::TxId;

/// Whom a stake credential delegates its vote to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DRep {
    /// A registered DRep with a key credential.
    Key([u8; 28]),
    /// A registered DRep with a script credential.
    Script([u8; 28]),
    /// The predefined DRep that abstains on every action.
    AlwaysAbstain,
    /// The predefined DRep that votes No Confidence on every action.
    AlwaysNoConfidence,
}

impl DRep {
    /// The credential of a registered DRep; `None` for the two predefined ones.
    pub fn credential(&self) -> Option<Credential> {
        match self {
            DRep::Key(h) => Some(Credential::Key(*h)),
            DRep::Script(h) => Some(Credential::Script(*h)),
            DRep::AlwaysAbstain | DRep::AlwaysNoConfidence => None,
        }
    }
}

/// A registered DRep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DRepState {
    /// The deposit paid at registration, refunded at retirement, in lovelace.
    pub deposit: u64,
    /// The last epoch the DRep counts as active (`drepExpiry`).
    pub expiry: u64,
    /// The anchor's exact CBOR, if the DRep gave one.
    #[serde(with = "hex_vec", default)]
    pub anchor: Vec<u8>,
}

impl DRepState {
    /// The expiry once `dormant` epochs without proposals are added back, in `epoch`
    /// (`updateDormantDRepExpiry`): a DRep already expired by then keeps its expiry.
    pub fn expiry_after_dormancy(&self, epoch: u64, dormant: u64) -> u64 {
        let bumped = self.expiry.saturating_add(dormant);
        if bumped >= epoch {
            bumped
        } else {
            self.expiry
        }
    }
}

/// What a committee cold credential has done with its hot key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitteeAuthorization {
    /// It authorised this hot credential to vote for it.
    Hot(Credential),
    /// It resigned.
    Resigned,
}

/// A governance action id: the proposing transaction and the proposal's position in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GovActionId {
    /// The id of the transaction that proposed the action.
    #[serde(with = "super::json::hex32")]
    pub tx: TxId,
    /// The action's position among that transaction's proposals, from 0.
    pub index: u16,
}

impl std::fmt::Display for GovActionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", hex::encode(self.tx), self.index)
    }
}

/// Who votes: a committee member by hot credential, a DRep, a stake pool (`Voter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Voter {
    /// A constitutional committee member, by hot credential.
    Committee(Credential),
    /// A DRep.
    DRep(Credential),
    /// A stake pool.
    Pool(PoolId),
}

impl Voter {
    /// The voter of a pallas voter.
    pub fn of(v: &pallas_primitives::conway::Voter) -> Voter {
        use pallas_primitives::conway::Voter as V;
        match v {
            V::ConstitutionalCommitteeKey(h) => Voter::Committee(Credential::Key(**h)),
            V::ConstitutionalCommitteeScript(h) => Voter::Committee(Credential::Script(**h)),
            V::DRepKey(h) => Voter::DRep(Credential::Key(**h)),
            V::DRepScript(h) => Voter::DRep(Credential::Script(**h)),
            V::StakePoolKey(h) => Voter::Pool(**h),
        }
    }
}

impl std::fmt::Display for Voter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Voter::Committee(c) => write!(f, "committee {c}"),
            Voter::DRep(c) => write!(f, "DRep {c}"),
            Voter::Pool(p) => write!(f, "pool {}", hex::encode(p)),
        }
    }
}

/// The four purposes whose actions form chains, each naming the last enacted one of its
/// purpose (`GovPurposeId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GovPurpose {
    /// Protocol parameter changes.
    ParameterChange,
    /// Hard-fork initiations.
    HardFork,
    /// Committee updates and no-confidence motions.
    Committee,
    /// New constitutions.
    Constitution,
}

/// What a governance action does, as far as the transaction rules need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GovActionKind {
    /// A protocol parameter change; `security_group` when it touches a parameter of the security
    /// group (stake pools vote on those).
    ParameterChange {
        /// Whether the update changes a security-group parameter.
        security_group: bool,
    },
    /// A hard-fork initiation to this protocol version.
    HardFork {
        /// The proposed major version.
        major: u64,
        /// The proposed minor version.
        minor: u64,
    },
    /// A motion of no confidence in the committee.
    NoConfidence,
    /// A change of the committee's members or threshold; the cold credentials it adds.
    UpdateCommittee {
        /// The cold credentials the update adds.
        added: Vec<Credential>,
    },
    /// A new constitution.
    NewConstitution,
    /// Withdrawals from the treasury.
    TreasuryWithdrawals,
    /// An information action (never enacted).
    Info,
}

impl GovActionKind {
    /// The purpose whose chain the action extends, if any.
    pub fn purpose(&self) -> Option<GovPurpose> {
        match self {
            GovActionKind::ParameterChange { .. } => Some(GovPurpose::ParameterChange),
            GovActionKind::HardFork { .. } => Some(GovPurpose::HardFork),
            GovActionKind::NoConfidence | GovActionKind::UpdateCommittee { .. } => Some(GovPurpose::Committee),
            GovActionKind::NewConstitution => Some(GovPurpose::Constitution),
            GovActionKind::TreasuryWithdrawals | GovActionKind::Info => None,
        }
    }

    /// The action's name as the node's API writes it (`parameter_change`, `hard_fork_initiation`…).
    pub fn name(&self) -> &'static str {
        match self {
            GovActionKind::ParameterChange { .. } => "parameter_change",
            GovActionKind::HardFork { .. } => "hard_fork_initiation",
            GovActionKind::NoConfidence => "no_confidence",
            GovActionKind::UpdateCommittee { .. } => "update_committee",
            GovActionKind::NewConstitution => "new_constitution",
            GovActionKind::TreasuryWithdrawals => "treasury_withdrawals",
            GovActionKind::Info => "info",
        }
    }
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vote {
    /// No.
    No,
    /// Yes.
    Yes,
    /// Abstain.
    Abstain,
}

/// A proposal in flight, with the votes cast on it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// What the action does.
    pub kind: GovActionKind,
    /// The action of the same purpose it builds on (`None`: the first of its chain, or a
    /// purpose without chain).
    pub prev: Option<GovActionId>,
    /// The deposit paid, refunded to `return_account` when the proposal leaves.
    pub deposit: u64,
    /// The reward account the deposit returns to, raw bytes.
    #[serde(with = "hex_vec")]
    pub return_account: Vec<u8>,
    /// The epoch the action was proposed in.
    pub proposed_in: u64,
    /// The last epoch in which votes on it count (`gasExpiresAfter`).
    pub expires_after: u64,
    /// The action's CBOR as the reference's ledger writes it (empty when the proposal was
    /// seeded without it).
    #[serde(with = "hex_vec", default)]
    pub action: Vec<u8>,
    /// The proposal's anchor, its exact CBOR `[url, hash]`.
    #[serde(with = "hex_vec", default)]
    pub anchor: Vec<u8>,
    /// Votes by committee hot credential.
    #[serde(with = "pairs", default)]
    pub committee_votes: OrdMap<Credential, Vote>,
    /// Votes by DRep credential.
    #[serde(with = "pairs", default)]
    pub drep_votes: OrdMap<Credential, Vote>,
    /// Votes by stake pool.
    #[serde(with = "pairs", default)]
    pub pool_votes: OrdMap<PoolId, Vote>,
}

impl From<&pallas_primitives::conway::GovActionId> for GovActionId {
    /// The ledger's id of a pallas action id (decoding refuses an index above 65535).
    fn from(id: &pallas_primitives::conway::GovActionId) -> Self {
        GovActionId {
            tx: *id.transaction_id,
            index: u16::try_from(id.action_index).unwrap_or(u16::MAX),
        }
    }
}

impl GovActionId {
    /// The previous action an action names, if its purpose has one.
    pub fn previous(a: &GovAction) -> Option<GovActionId> {
        let prev = match a {
            GovAction::ParameterChange(p, ..)
            | GovAction::HardForkInitiation(p, _)
            | GovAction::NoConfidence(p)
            | GovAction::UpdateCommittee(p, ..)
            | GovAction::NewConstitution(p, _) => p.as_ref(),
            GovAction::TreasuryWithdrawals(..) | GovAction::Information => None,
        };
        prev.map(GovActionId::from)
    }
}

impl GovActionKind {
    /// What the rules keep of an action.
    pub fn of(a: &GovAction) -> GovActionKind {
        match a {
            GovAction::ParameterChange(_, ppu, _) => GovActionKind::ParameterChange {
                security_group: touches_security_group(ppu),
            },
            GovAction::HardForkInitiation(_, (major, minor)) => GovActionKind::HardFork {
                major: *major,
                minor: *minor,
            },
            GovAction::TreasuryWithdrawals(..) => GovActionKind::TreasuryWithdrawals,
            GovAction::NoConfidence(_) => GovActionKind::NoConfidence,
            GovAction::UpdateCommittee(_, _, added, _) => GovActionKind::UpdateCommittee {
                added: added.keys().map(Credential::from).collect(),
            },
            GovAction::NewConstitution(..) => GovActionKind::NewConstitution,
            GovAction::Information => GovActionKind::Info,
        }
    }
}

/// The parameters of the security group (`SecurityGroup` tags in Conway's `PParams`):
/// maxBlockBodySize, maxTxSize, maxBlockHeaderSize, maxValueSize, maxBlockExUnits, minFeeA,
/// minFeeB, coinsPerUTxOByte, govActionDeposit, minFeeRefScriptCostPerByte.
fn touches_security_group(u: &pallas_primitives::conway::ProtocolParamUpdate) -> bool {
    u.max_block_body_size.is_some()
        || u.max_transaction_size.is_some()
        || u.max_block_header_size.is_some()
        || u.max_value_size.is_some()
        || u.max_block_ex_units.is_some()
        || u.minfee_a.is_some()
        || u.minfee_b.is_some()
        || u.ada_per_utxo_byte.is_some()
        || u.governance_action_deposit.is_some()
        || u.minfee_refscript_cost_per_byte.is_some()
}

impl Proposal {
    /// A proposal as submitted in `proposed_in`, without votes.
    pub fn new(procedure: &ProposalProcedure, proposed_in: u64, expires_after: u64) -> Proposal {
        let action = super::gov_action_cbor::gov_action(&procedure.gov_action);
        let anchor = pallas_codec::minicbor::to_vec(&procedure.anchor).unwrap_or_default();
        Proposal {
            kind: GovActionKind::of(&procedure.gov_action),
            prev: GovActionId::previous(&procedure.gov_action),
            deposit: procedure.deposit,
            return_account: procedure.reward_account.to_vec(),
            proposed_in,
            expires_after,
            action,
            anchor,
            committee_votes: OrdMap::new(),
            drep_votes: OrdMap::new(),
            pool_votes: OrdMap::new(),
        }
    }
}

/// The governance part of the ledger state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Governance {
    /// Registered DReps by credential.
    #[serde(with = "pairs")]
    pub dreps: OrdMap<Credential, DRepState>,
    /// The committee's members (cold credentials) with the last epoch of their term; `None`
    /// after a successful no-confidence motion.
    #[serde(default, with = "super::json::optional_pairs")]
    pub committee: Option<OrdMap<Credential, u64>>,
    /// Hot-key authorisations and resignations by cold credential (members past and future
    /// included, as the reference keeps them).
    #[serde(with = "pairs")]
    pub committee_keys: OrdMap<Credential, CommitteeAuthorization>,
    /// The anchor each resigned member gave, as its resignation carried it (`[url, hash]`); a
    /// member that gave none is absent.
    #[serde(default, with = "pairs")]
    pub resignation_anchors: OrdMap<Credential, Vec<u8>>,
    /// Proposals in flight, in the order they were made.
    #[serde(with = "pairs")]
    pub proposals: OrdMap<GovActionId, Proposal>,
    /// Proposal ids in submission order (the reference's `OMap` order).
    pub proposal_order: imbl::Vector<GovActionId>,
    /// The last enacted action of each purpose.
    #[serde(with = "pairs")]
    pub roots: OrdMap<GovPurpose, GovActionId>,
    /// The committee's quorum: the share of its active members' votes an action needs.
    #[serde(default)]
    pub committee_threshold: Rational,
    /// The constitution's guardrails script hash, if it has one.
    pub guardrail: Option<[u8; 28]>,
    /// The constitution's anchor, its exact CBOR `[url, hash]`.
    #[serde(with = "hex_vec", default)]
    pub constitution_anchor: Vec<u8>,
    /// The number of consecutive epochs without an active proposal (`vsNumDormantEpochs`).
    pub dormant_epochs: u64,
    /// What ratification decided at the last epoch boundary, carried out at the next.
    #[serde(default)]
    pub ratification: Ratification,
}

/// RATIFY's result, computed at an epoch boundary from the proposals, votes and stake as they
/// were then, and carried out at the next boundary (the completed `DRepPulsingState`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratification {
    /// The actions ratified, in the order they were enacted.
    pub enacted: Vec<GovActionId>,
    /// The actions that expired.
    pub expired: Vec<GovActionId>,
    /// The state the enacted actions leave; `None` before the first ratification.
    pub enact_state: Option<EnactState>,
    /// Whether a delaying action was enacted, which stopped the rest (`rsDelayed`).
    #[serde(default)]
    pub delayed: bool,
    /// The DReps' voting stake ratification counted (`psDRepDistr`), proposal deposits included.
    #[serde(with = "pairs", default)]
    pub drep_stake: OrdMap<DRep, u64>,
    /// The pools' voting stake ratification counted (`psPoolDistr`), proposal deposits included.
    #[serde(with = "pairs", default)]
    pub pool_stake: OrdMap<PoolId, u64>,
}

/// What enactment changes (`EnactState`): the committee, the constitution, the parameters,
/// the last enacted action of each purpose, and the treasury withdrawals to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnactState {
    /// The committee's members with their term's last epoch; `None` under no confidence.
    #[serde(default, with = "super::json::optional_pairs")]
    pub committee: Option<OrdMap<Credential, u64>>,
    /// The committee's quorum.
    pub committee_threshold: Rational,
    /// The constitution's guardrails script hash.
    pub guardrail: Option<[u8; 28]>,
    /// The constitution's anchor, its exact CBOR `[url, hash]`.
    #[serde(with = "hex_vec", default)]
    pub constitution_anchor: Vec<u8>,
    /// The protocol parameters.
    pub params: std::sync::Arc<LedgerParams>,
    /// The last enacted action of each purpose.
    #[serde(with = "pairs")]
    pub roots: OrdMap<GovPurpose, GovActionId>,
    /// Treasury withdrawals to pay, by stake credential.
    #[serde(with = "pairs")]
    pub withdrawals: OrdMap<Credential, u64>,
    /// The treasury withdrawals may still take.
    pub treasury: u64,
}

impl Governance {
    /// Adds a proposal at the end of the submission order.
    pub fn add_proposal(&mut self, id: GovActionId, p: Proposal) {
        if self.proposals.insert(id, p).is_none() {
            self.proposal_order.push_back(id);
        }
    }

    /// Whether `cold` is a member of the current committee or added by a proposed update
    /// (cardano-ledger's `isCurrentMember || isPotentialFutureMember`).
    pub fn is_known_committee_member(&self, cold: &Credential) -> bool {
        self.committee.as_ref().is_some_and(|c| c.contains_key(cold))
            || self.proposals.values().any(|p| match &p.kind {
                GovActionKind::UpdateCommittee { added } => added.contains(cold),
                _ => false,
            })
    }
}
