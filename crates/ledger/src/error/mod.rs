//! Why the ledger refuses a transaction: one kind per predicate failure of the reference.

mod gov;
mod utxos;

pub use gov::{GovFailure, RewardAccount};
pub use utxos::{CollectError, ContextError, ScriptFailure, TxOutSource};

use crate::state::{Credential, PoolId, TxIn};
use crate::tx::TxDecodeError;
use crate::value::MultiValue;

/// A transaction the ledger refuses, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The transaction's bytes do not decode under Conway's rules; the reference's decoder
    /// rejects them before any rule runs.
    #[error("undecodable transaction: {0}")]
    Decode(#[from] TxDecodeError),
    /// `InputSetEmptyUTxO`: the body's input set is empty.
    #[error("InputSetEmptyUTxO: the transaction spends no input")]
    InputSetEmpty,
    /// `BadInputsUTxO`: the listed inputs are not in the UTxO (unknown, or already spent).
    #[error("BadInputsUTxO: inputs not in the UTxO (unknown or already spent): {}", list(.0))]
    BadInputs(Vec<TxIn>),
    /// `OutsideValidityIntervalUTxO`: the block's slot is not in `[validity_interval_start, ttl)`.
    #[error("OutsideValidityIntervalUTxO: slot {slot} is outside [{start:?}, {end:?})")]
    OutsideValidityInterval {
        /// The slot of the block the transaction is applied in.
        slot: u64,
        /// The body's `validity_interval_start`, the first valid slot, if any.
        start: Option<u64>,
        /// The body's `ttl`, the first slot no longer valid, if any.
        end: Option<u64>,
    },
    /// `MaxTxSizeUTxO`: the transaction is larger than the `maxTxSize` parameter.
    #[error("MaxTxSizeUTxO: {size} bytes, the maximum is {max}")]
    MaxTxSize {
        /// The transaction's size, in bytes.
        size: u64,
        /// The `maxTxSize` parameter, in bytes.
        max: u64,
    },
    /// `FeeTooSmallUTxO`: the fee is below `minFeeA × size + minFeeB`.
    #[error("FeeTooSmallUTxO: the fee is {paid}, the minimum is {min}")]
    FeeTooSmall {
        /// The minimum fee for the transaction's size, in lovelace.
        min: u64,
        /// The body's fee, in lovelace.
        paid: u64,
    },
    /// `ValueNotConservedUTxO`: inputs + withdrawals + refunds ≠ outputs + fee + deposits.
    #[error("ValueNotConservedUTxO: consumed {} lovelace{}, produced {} lovelace{}", .consumed.coin, .consumed.describe_assets(), .produced.coin, .produced.describe_assets())]
    ValueNotConserved {
        /// The value consumed: inputs, withdrawals, deposit refunds and the assets minted.
        consumed: Box<MultiValue>,
        /// The value produced: outputs, fee, new deposits, donation and the assets burnt.
        produced: Box<MultiValue>,
    },
    /// `BabbageOutputTooSmallUTxO`: an output holds less lovelace than `coinsPerUTxOByte` × (160 +
    /// its size).
    #[error("BabbageOutputTooSmallUTxO: {}", .0.iter().map(|o| format!("output {} holds {} lovelace, the minimum is {}", o.index, o.actual, o.bound)).collect::<Vec<_>>().join("; "))]
    OutputTooSmall(Vec<OutputBound>),
    /// `OutputTooBigUTxO`: an output's serialised value is larger than the `maxValueSize`
    /// parameter.
    #[error("OutputTooBigUTxO: {}", .0.iter().map(|o| format!("output {}'s value is {} bytes, the maximum is {}", o.index, o.actual, o.bound)).collect::<Vec<_>>().join("; "))]
    OutputTooBig(Vec<OutputBound>),
    /// `WrongNetwork`: outputs' addresses for another network.
    #[error("WrongNetwork: addresses {} are not for network {expected}", .addresses.iter().map(hex::encode).collect::<Vec<_>>().join(", "))]
    WrongNetwork {
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
        /// The addresses, raw, each once, in the reference's address order.
        addresses: Vec<Vec<u8>>,
    },
    /// `WrongNetworkInTxBody`: the body's `network_id` field is not the chain's network.
    #[error("WrongNetworkInTxBody: the body names network {found}, the chain is {expected}")]
    WrongNetworkInTxBody {
        /// The body's network id.
        found: u8,
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
    },
    /// `WrongNetworkWithdrawal`: withdrawals from reward accounts of another network (or that
    /// are not reward accounts).
    #[error("WrongNetworkWithdrawal: reward accounts {} are not for network {expected}", .accounts.iter().map(hex::encode).collect::<Vec<_>>().join(", "))]
    WrongNetworkWithdrawal {
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
        /// The accounts, raw, in the reference's account order.
        accounts: Vec<RewardAccount>,
    },
    /// An output the ledger cannot read: not a Shelley payment address, or a native asset of
    /// quantity 0.
    #[error("MalformedAddress: output {index}: {message}")]
    MalformedAddress {
        /// The output's position in the body, from 0.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// `InvalidWitnessesUTXOW`: witnesses whose signature does not verify over the transaction
    /// id; holds their keys, the verification-key witnesses' then the bootstrap witnesses', each
    /// by key hash.
    #[error("InvalidWitnessesUTXOW: the signatures of keys {} do not verify over the transaction id", .0.iter().map(hex::encode).collect::<Vec<_>>().join(", "))]
    InvalidWitness(Vec<Vec<u8>>),
    /// `MissingVKeyWitnessesUTXOW`: required key hashes (inputs, certificates, withdrawals,
    /// required signers) with no witness; hex.
    #[error("MissingVKeyWitnessesUTXOW: no signature from key hashes {}", .0.join(", "))]
    MissingVKeyWitnesses(Vec<String>),
    /// `MissingTxBodyMetadataHash`: auxiliary data without its hash in the body; holds the
    /// auxiliary data's hash.
    #[error("MissingTxBodyMetadataHash: the transaction has auxiliary data (hash {}) but its body has no hash of it", hex::encode(.0))]
    MissingAuxiliaryDataHash([u8; 32]),
    /// `MissingTxMetadata`: a hash of auxiliary data in the body, but no auxiliary data; holds
    /// the body's hash.
    #[error("MissingTxMetadata: the body names auxiliary data hash {} but the transaction has none", hex::encode(.0))]
    MissingAuxiliaryData([u8; 32]),
    /// `ConflictingMetadataHash`: the body's hash is not blake2b-256 of the auxiliary data's bytes.
    #[error("ConflictingMetadataHash: the body's auxiliary data hash is {}, the auxiliary data's is {}", hex::encode(.supplied), hex::encode(.expected))]
    AuxiliaryDataHashMismatch {
        /// The body's hash.
        supplied: [u8; 32],
        /// The auxiliary data's hash.
        expected: [u8; 32],
    },
    /// `InvalidMetadata`: a metadata text or byte string longer than 64 bytes, or a Plutus script
    /// in the auxiliary data that does not deserialise.
    #[error("InvalidMetadata: a metadata string is longer than 64 bytes or an auxiliary script is not well formed")]
    InvalidMetadata,
    /// `StakeKeyRegisteredDELEG`: registering a stake credential that is already registered.
    #[error("StakeKeyRegisteredDELEG: {0} is already registered")]
    StakeAlreadyRegistered(Credential),
    /// `StakeKeyNotRegisteredDELEG`: deregistering or delegating an unregistered stake credential.
    #[error("StakeKeyNotRegisteredDELEG: {0} is not registered")]
    StakeNotRegistered(Credential),
    /// `IncorrectDepositDELEG`: a Conway registration declaring a deposit other than `keyDeposit`.
    #[error("IncorrectDepositDELEG: the certificate declares {declared}, the deposit is {expected}")]
    IncorrectDeposit {
        /// The `keyDeposit` parameter, in lovelace.
        expected: u64,
        /// The deposit the certificate declares, in lovelace.
        declared: u64,
    },
    /// `RefundIncorrectDELEG`: a Conway deregistration declaring a refund other than the deposit
    /// paid.
    #[error("RefundIncorrectDELEG: the certificate declares {declared}, the deposit paid was {expected}")]
    IncorrectRefund {
        /// The deposit the credential paid when it registered, in lovelace.
        expected: u64,
        /// The refund the certificate declares, in lovelace.
        declared: u64,
    },
    /// `StakeKeyHasNonZeroRewardAccountBalanceDELEG`: deregistering a credential whose rewards are not 0.
    #[error("StakeKeyHasNonZeroRewardAccountBalanceDELEG: {credential} still holds {balance} lovelace of rewards")]
    NonZeroRewardBalance {
        /// The stake credential being deregistered.
        credential: Credential,
        /// Its reward balance, in lovelace.
        balance: u64,
    },
    /// `DelegateeStakePoolNotRegisteredDELEG`: delegating to a pool id that is not registered; holds the
    /// pool id.
    #[error("DelegateeStakePoolNotRegisteredDELEG: pool {} is not registered", hex::encode(.0))]
    PoolNotRegistered(PoolId),
    /// `WrongNetworkPOOL`: a pool registration whose reward account is for another network.
    #[error("WrongNetworkPOOL: pool {}'s reward account is for network {found}, the chain is {expected}", hex::encode(.pool))]
    WrongNetworkPool {
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
        /// The reward account's network id.
        found: u8,
        /// The registering pool's id.
        pool: PoolId,
    },
    /// `PoolMedataHashTooBig` (sic, the reference's spelling): pool metadata with a hash over 32
    /// bytes.
    #[error("PoolMedataHashTooBig: pool {}'s metadata hash is {size} bytes, at most 32 are allowed", hex::encode(.pool))]
    PoolMetadataHashTooBig {
        /// The registering pool's id.
        pool: PoolId,
        /// The metadata hash's size, in bytes.
        size: usize,
    },
    /// `StakePoolCostTooLowPOOL`: a pool cost below the `minPoolCost` parameter.
    #[error("StakePoolCostTooLowPOOL: cost {cost}, the minimum is {min}")]
    PoolCostTooLow {
        /// The pool's declared cost, in lovelace.
        cost: u64,
        /// The `minPoolCost` parameter, in lovelace.
        min: u64,
    },
    /// `StakePoolRetirementWrongEpochPOOL`: a retirement epoch not in (current, current + `eMax`].
    #[error("StakePoolRetirementWrongEpochPOOL: retirement at epoch {epoch}, allowed ({current}, {max}]")]
    RetirementEpoch {
        /// The epoch the certificate retires the pool at.
        epoch: u64,
        /// The current epoch.
        current: u64,
        /// The latest allowed epoch: current + `eMax`.
        max: u64,
    },
    /// `WithdrawalsNotInRewardsCERTS`: a withdrawal from an unregistered account, or not of the
    /// account's whole reward balance.
    #[error("WithdrawalsNotInRewardsCERTS: withdrawing {requested} from {account}, whose balance is {balance:?}")]
    IncorrectWithdrawal {
        /// The reward account, hex.
        account: String,
        /// The amount withdrawn, in lovelace.
        requested: u64,
        /// The account's reward balance in lovelace; `None` when the account is not registered.
        balance: Option<u64>,
    },
    /// `ValidationTagMismatch`: the transaction's `is_valid` flag disagrees with what running its
    /// scripts gives.
    #[error("ValidationTagMismatch: {}", if .failures.is_empty() { "the transaction is marked invalid but its scripts pass".to_string() } else { format!("the transaction is marked valid but scripts fail:{}", .failures.iter().map(|f| f.message.as_str()).collect::<String>()) })]
    ValidationTagMismatch {
        /// The transaction's flag.
        is_valid: bool,
        /// The scripts that failed (`FailedUnexpectedly`), in the order the reference lists
        /// them; empty when they all passed (`PassedUnexpectedly`).
        failures: Vec<ScriptFailure>,
    },
    /// `CollectErrors`: a script's arguments cannot be assembled (no cost model, a context the
    /// script's language cannot hold).
    #[error("CollectErrors: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    CollectErrors(Vec<CollectError>),
    /// The evaluator cannot build a script's arguments where the reference can (this node's
    /// own limitation, not a rule of the reference).
    #[error("the Plutus evaluator cannot run this transaction's scripts: {0}")]
    EvaluatorFailure(String),
    /// `NoCollateralInputs`: the transaction runs Plutus scripts but no collateral input of it is
    /// in the UTxO.
    #[error("NoCollateralInputs: the transaction runs Plutus scripts but has no collateral input in the UTxO")]
    NoCollateralInputs,
    /// `TooManyCollateralInputs`: more collateral inputs than `maxCollateralInputs`.
    #[error("TooManyCollateralInputs: {count} collateral inputs, the maximum is {max}")]
    TooManyCollateralInputs {
        /// The `maxCollateralInputs` parameter.
        max: u64,
        /// The number of collateral inputs.
        count: u64,
    },
    /// `ScriptsNotPaidUTxO`: collateral inputs locked by scripts, with their outputs as the reference writes them.
    #[error("ScriptsNotPaidUTxO: collateral inputs at script addresses: {}", .0.iter().map(|(i, _)| i.to_string()).collect::<Vec<_>>().join(", "))]
    ScriptsNotPaid(Vec<(TxIn, Vec<u8>)>),
    /// `InsufficientCollateral`: the collateral balance is below `collateralPercentage` of the
    /// fee.
    #[error("InsufficientCollateral: the collateral balance is {balance}, at least {required} is required")]
    InsufficientCollateral {
        /// The collateral inputs' lovelace minus the collateral return's (may be negative).
        balance: i128,
        /// fee × collateralPercentage / 100, rounded up.
        required: u64,
    },
    /// `CollateralContainsNonADA`: the collateral, net of its return, holds native assets; holds
    /// what the reference reports: the collateral inputs' value, or the return's when the
    /// inputs hold ADA only.
    #[error("CollateralContainsNonADA: the collateral, net of its return, holds native assets (reported value: {} lovelace{})", .0.coin, .0.describe_assets())]
    CollateralContainsNonAda(MultiValue),
    /// `IncorrectTotalCollateralField`: `total_collateral` differs from the collateral balance.
    #[error("IncorrectTotalCollateralField: the collateral balance is {balance}, the body declares {declared}")]
    IncorrectTotalCollateral {
        /// The collateral balance, in lovelace.
        balance: i128,
        /// The body's `total_collateral`.
        declared: u64,
    },
    /// `ExUnitsTooBigUTxO`: the redeemers' execution units exceed `maxTxExUnits`.
    #[error("ExUnitsTooBigUTxO: the redeemers ask for {used:?}, the maximum is {max:?}")]
    ExUnitsTooBig {
        /// The `maxTxExUnits` parameter.
        max: crate::params::ExUnits,
        /// The sum of the redeemers' units.
        used: crate::params::ExUnits,
    },
    /// `BabbageNonDisjointRefInputs`: inputs that are also reference inputs.
    #[error("BabbageNonDisjointRefInputs: inputs also used as reference inputs: {}", list(.0))]
    NonDisjointRefInputs(Vec<TxIn>),
    /// `OutputBootAddrAttrsTooBig`: a Byron output whose address attributes exceed 64 bytes.
    #[error("OutputBootAddrAttrsTooBig: outputs {}' Byron address attributes exceed 64 bytes", .0.iter().map(|(i, _)| i.to_string()).collect::<Vec<_>>().join(", "))]
    OutputBootAddrAttrsTooBig(Vec<(usize, Vec<u8>)>),
    /// `ConwayTxRefScriptsSizeTooBig`: the reference scripts the transaction uses exceed the
    /// per-transaction limit.
    #[error("ConwayTxRefScriptsSizeTooBig: {size} bytes of reference scripts, the maximum is {max}")]
    TxRefScriptsSizeTooBig {
        /// The total size of the scripts referenced by its inputs and reference inputs.
        size: u64,
        /// The limit, in bytes.
        max: u64,
    },
    /// `BodyRefScriptsSizeTooBig`: a block's transactions use more reference-script bytes than a
    /// block may.
    #[error("BodyRefScriptsSizeTooBig: {size} bytes of reference scripts in the block, the maximum is {max}")]
    BodyRefScriptsSizeTooBig {
        /// The block's total.
        size: u64,
        /// The limit, in bytes.
        max: u64,
    },
    /// `TooManyExUnits`: a block's transactions ask for more execution units than `maxBlockExUnits`.
    #[error("TooManyExUnits: the block's transactions ask for {used:?}, the maximum is {max:?}")]
    TooManyBlockExUnits {
        /// The `maxBlockExUnits` parameter.
        max: crate::params::ExUnits,
        /// The block's total.
        used: crate::params::ExUnits,
    },
    /// `ConwayWdrlNotDelegatedToDRep`: withdrawals from key-hash accounts not delegated to a DRep.
    #[error("ConwayWdrlNotDelegatedToDRep: withdrawing from accounts not delegated to a DRep: {}", .0.join(", "))]
    WdrlNotDelegatedToDRep(Vec<String>),
    /// `ConwayTreasuryValueMismatch`: the body's treasury value is not the treasury's.
    #[error("ConwayTreasuryValueMismatch: the body says the treasury holds {declared}, it holds {actual}")]
    TreasuryValueMismatch {
        /// The treasury, in lovelace.
        actual: u64,
        /// The body's `treasury_value`.
        declared: u64,
    },
    /// `MissingScriptWitnessesUTXOW`: scripts needed but neither witnessed nor referenced; hex.
    #[error("MissingScriptWitnessesUTXOW: no script for hashes {}", .0.join(", "))]
    MissingScriptWitnesses(Vec<String>),
    /// `ExtraneousScriptWitnessesUTXOW`: witnessed scripts nothing needs; hex.
    #[error("ExtraneousScriptWitnessesUTXOW: scripts nothing needs: {}", .0.join(", "))]
    ExtraneousScriptWitnesses(Vec<String>),
    /// `ScriptWitnessNotValidatingUTXOW`: native scripts that evaluate to false; hex.
    #[error("ScriptWitnessNotValidatingUTXOW: native scripts that do not validate: {}", .0.join(", "))]
    ScriptWitnessNotValidating(Vec<String>),
    /// `MissingRedeemers`: Plutus scripts to run with no redeemer for their purpose, in the
    /// reference's order of the scripts needed.
    #[error("MissingRedeemers: no redeemer for {}", .0.iter().map(|m| format!("purpose {} #{} (script {})", m.tag, m.index, hex::encode(m.script))).collect::<Vec<_>>().join(", "))]
    MissingRedeemers(Vec<MissingRedeemer>),
    /// `ExtraRedeemers`: redeemers pointing at nothing that runs a Plutus script, by purpose
    /// (0 spend, 1 mint, 2 cert, 3 reward, 4 vote, 5 propose) and index.
    #[error("ExtraRedeemers: redeemers for nothing that runs a Plutus script: {}", .0.iter().map(|(t, i)| format!("purpose {t} #{i}")).collect::<Vec<_>>().join(", "))]
    ExtraRedeemers(Vec<(u8, u32)>),
    /// `MissingRequiredDatums`: datum hashes of spent script outputs with no datum in the witnesses.
    #[error("MissingRequiredDatums: no datum for hashes {}", .missing.iter().map(hex::encode).collect::<Vec<_>>().join(", "))]
    MissingRequiredDatums {
        /// The hashes with no datum, ascending.
        missing: Vec<[u8; 32]>,
        /// The hashes of the datums the witnesses hold, ascending.
        received: Vec<[u8; 32]>,
    },
    /// `NotAllowedSupplementalDatums`: datums in the witnesses that nothing allows.
    #[error("NotAllowedSupplementalDatums: datums nothing needs or allows: {}", .unallowed.iter().map(hex::encode).collect::<Vec<_>>().join(", "))]
    NotAllowedSupplementalDatums {
        /// The hashes of the datums nothing allows, ascending.
        unallowed: Vec<[u8; 32]>,
        /// The hashes of the supplemental datums that are allowed, ascending.
        acceptable: Vec<[u8; 32]>,
    },
    /// `UnspendableUTxONoDatumHash`: spent outputs locked by a Plutus script without a datum.
    #[error("UnspendableUTxONoDatumHash: spending script outputs without a datum: {}", list(.0))]
    UnspendableUTxONoDatumHash(Vec<TxIn>),
    /// `PPViewHashesDontMatch`: the body's script integrity hash is not the hash of the
    /// redeemers, datums and cost models.
    #[error(
        "PPViewHashesDontMatch: the body's script integrity hash is {declared:?}, the transaction's is {computed:?}"
    )]
    PPViewHashesDontMatch {
        /// The body's `script_data_hash`, hex.
        declared: Option<String>,
        /// The hash computed from the transaction, hex.
        computed: Option<String>,
    },
    /// `MalformedScriptWitnesses`: witnessed Plutus scripts that do not deserialise; hex hashes.
    #[error("MalformedScriptWitnesses: witnessed scripts that are not well formed: {}", .0.join(", "))]
    MalformedScriptWitnesses(Vec<String>),
    /// `MalformedReferenceScripts`: reference scripts in outputs that do not deserialise.
    #[error("MalformedReferenceScripts: reference scripts that are not well formed: {}", .0.join(", "))]
    MalformedReferenceScripts(Vec<String>),
    /// `StakeKeyNotRegisteredDELEG` for a vote delegation.
    #[error("DelegateeDRepNotRegisteredDELEG: DRep {0} is not registered")]
    DRepNotRegisteredDeleg(Credential),
    /// `ConwayDRepAlreadyRegistered`.
    #[error("ConwayDRepAlreadyRegistered: DRep {0} is already registered")]
    DRepAlreadyRegistered(Credential),
    /// `ConwayDRepNotRegistered`.
    #[error("ConwayDRepNotRegistered: DRep {0} is not registered")]
    DRepNotRegistered(Credential),
    /// `ConwayDRepIncorrectDeposit`.
    #[error("ConwayDRepIncorrectDeposit: the certificate declares {declared}, the deposit is {expected}")]
    DRepIncorrectDeposit {
        /// The `dRepDeposit` parameter.
        expected: u64,
        /// The deposit declared.
        declared: u64,
    },
    /// `ConwayDRepIncorrectRefund`.
    #[error("ConwayDRepIncorrectRefund: the certificate declares {declared}, the deposit paid was {expected}")]
    DRepIncorrectRefund {
        /// The deposit paid.
        expected: u64,
        /// The refund declared.
        declared: u64,
    },
    /// `ConwayCommitteeHasPreviouslyResigned`.
    #[error("ConwayCommitteeHasPreviouslyResigned: committee member {0} has resigned")]
    CommitteeHasPreviouslyResigned(Credential),
    /// `ConwayCommitteeIsUnknown`.
    #[error("ConwayCommitteeIsUnknown: {0} is neither a committee member nor proposed as one")]
    CommitteeIsUnknown(Credential),
    /// `StakePoolNotRegisteredOnKeyPOOL`: retiring a pool that is not registered.
    #[error("StakePoolNotRegisteredOnKeyPOOL: pool {} is not registered", hex::encode(.0))]
    PoolNotRegisteredOnKey(PoolId),
    /// A GOV predicate failure.
    #[error(transparent)]
    Gov(#[from] GovFailure),
    /// Several rules failed at once (the reference reports them all); never nested, never empty.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Failures(Vec<LedgerError>),
}

impl LedgerError {
    /// The reference's predicate-failure name (`BadInputsUTxO`, `VotersDoNotExist`, ...);
    /// for [`Failures`](Self::Failures), the first one's.
    pub fn name(&self) -> &'static str {
        use LedgerError as E;
        match self {
            E::Decode(_) => "DecoderFailure",
            E::InputSetEmpty => "InputSetEmptyUTxO",
            E::BadInputs(_) => "BadInputsUTxO",
            E::OutsideValidityInterval { .. } => "OutsideValidityIntervalUTxO",
            E::MaxTxSize { .. } => "MaxTxSizeUTxO",
            E::FeeTooSmall { .. } => "FeeTooSmallUTxO",
            E::ValueNotConserved { .. } => "ValueNotConservedUTxO",
            E::OutputTooSmall(_) => "BabbageOutputTooSmallUTxO",
            E::OutputTooBig(_) => "OutputTooBigUTxO",
            E::WrongNetwork { .. } => "WrongNetwork",
            E::WrongNetworkInTxBody { .. } => "WrongNetworkInTxBody",
            E::WrongNetworkWithdrawal { .. } => "WrongNetworkWithdrawal",
            E::MalformedAddress { .. } => "MalformedAddress",
            E::InvalidWitness(_) => "InvalidWitnessesUTXOW",
            E::MissingVKeyWitnesses(_) => "MissingVKeyWitnessesUTXOW",
            E::MissingAuxiliaryDataHash(_) => "MissingTxBodyMetadataHash",
            E::MissingAuxiliaryData(_) => "MissingTxMetadata",
            E::AuxiliaryDataHashMismatch { .. } => "ConflictingMetadataHash",
            E::InvalidMetadata => "InvalidMetadata",
            E::StakeAlreadyRegistered(_) => "StakeKeyRegisteredDELEG",
            E::StakeNotRegistered(_) => "StakeKeyNotRegisteredDELEG",
            E::IncorrectDeposit { .. } => "IncorrectDepositDELEG",
            // At protocol version 10 a refund mismatch is reported as an incorrect deposit
            // (`RefundIncorrectDELEG` comes with version 11).
            E::IncorrectRefund { .. } => "IncorrectDepositDELEG",
            E::NonZeroRewardBalance { .. } => "StakeKeyHasNonZeroRewardAccountBalanceDELEG",
            E::PoolNotRegistered(_) => "DelegateeStakePoolNotRegisteredDELEG",
            E::WrongNetworkPool { .. } => "WrongNetworkPOOL",
            E::PoolMetadataHashTooBig { .. } => "PoolMedataHashTooBig",
            E::PoolCostTooLow { .. } => "StakePoolCostTooLowPOOL",
            E::RetirementEpoch { .. } => "StakePoolRetirementWrongEpochPOOL",
            E::IncorrectWithdrawal { .. } => "WithdrawalsNotInRewardsCERTS",
            E::ValidationTagMismatch { .. } => "ValidationTagMismatch",
            E::CollectErrors(_) => "CollectErrors",
            E::EvaluatorFailure(_) => "EvaluatorFailure",
            E::NoCollateralInputs => "NoCollateralInputs",
            E::TooManyCollateralInputs { .. } => "TooManyCollateralInputs",
            E::ScriptsNotPaid(_) => "ScriptsNotPaidUTxO",
            E::InsufficientCollateral { .. } => "InsufficientCollateral",
            E::CollateralContainsNonAda(_) => "CollateralContainsNonADA",
            E::IncorrectTotalCollateral { .. } => "IncorrectTotalCollateralField",
            E::ExUnitsTooBig { .. } => "ExUnitsTooBigUTxO",
            E::NonDisjointRefInputs(_) => "BabbageNonDisjointRefInputs",
            E::OutputBootAddrAttrsTooBig(_) => "OutputBootAddrAttrsTooBig",
            E::TxRefScriptsSizeTooBig { .. } => "ConwayTxRefScriptsSizeTooBig",
            E::BodyRefScriptsSizeTooBig { .. } => "BodyRefScriptsSizeTooBig",
            E::TooManyBlockExUnits { .. } => "TooManyExUnits",
            E::WdrlNotDelegatedToDRep(_) => "ConwayWdrlNotDelegatedToDRep",
            E::TreasuryValueMismatch { .. } => "ConwayTreasuryValueMismatch",
            E::MissingScriptWitnesses(_) => "MissingScriptWitnessesUTXOW",
            E::ExtraneousScriptWitnesses(_) => "ExtraneousScriptWitnessesUTXOW",
            E::ScriptWitnessNotValidating(_) => "ScriptWitnessNotValidatingUTXOW",
            E::MissingRedeemers(_) => "MissingRedeemers",
            E::ExtraRedeemers(_) => "ExtraRedeemers",
            E::MissingRequiredDatums { .. } => "MissingRequiredDatums",
            E::NotAllowedSupplementalDatums { .. } => "NotAllowedSupplementalDatums",
            E::UnspendableUTxONoDatumHash(_) => "UnspendableUTxONoDatumHash",
            E::PPViewHashesDontMatch { .. } => "PPViewHashesDontMatch",
            E::MalformedScriptWitnesses(_) => "MalformedScriptWitnesses",
            E::MalformedReferenceScripts(_) => "MalformedReferenceScripts",
            E::DRepNotRegisteredDeleg(_) => "DelegateeDRepNotRegisteredDELEG",
            E::DRepAlreadyRegistered(_) => "ConwayDRepAlreadyRegistered",
            E::DRepNotRegistered(_) => "ConwayDRepNotRegistered",
            E::DRepIncorrectDeposit { .. } => "ConwayDRepIncorrectDeposit",
            E::DRepIncorrectRefund { .. } => "ConwayDRepIncorrectRefund",
            E::CommitteeHasPreviouslyResigned(_) => "ConwayCommitteeHasPreviouslyResigned",
            E::CommitteeIsUnknown(_) => "ConwayCommitteeIsUnknown",
            E::PoolNotRegisteredOnKey(_) => "StakePoolNotRegisteredOnKeyPOOL",
            E::Gov(g) => g.name(),
            E::Failures(v) => v.first().map_or("Failures", LedgerError::name),
        }
    }

    /// Every failure this error carries: itself, or each of [`Failures`](Self::Failures).
    pub fn failures(&self) -> &[LedgerError] {
        match self {
            LedgerError::Failures(v) => v,
            one => std::slice::from_ref(one),
        }
    }

    /// One error from the failures collected: `None` when there are none.
    pub fn from_failures(mut v: Vec<LedgerError>) -> Option<LedgerError> {
        match v.len() {
            0 => None,
            1 => v.pop(),
            _ => Some(LedgerError::Failures(v)),
        }
    }
}

/// A Plutus script to run that no redeemer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRedeemer {
    /// The purpose's tag: 0 spend, 1 mint, 2 cert, 3 reward, 4 vote, 5 propose.
    pub tag: u8,
    /// The purpose's index among the items of its kind.
    pub index: u32,
    /// The purpose as the reference writes it with its item: `[tag, item]`.
    pub item: Vec<u8>,
    /// The script's hash.
    pub script: [u8; 28],
}

/// An output a bound of UTXO refuses: where it is, its CBOR, and what the bound measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputBound {
    /// The output's position among the body's outputs (the collateral return after them), from 0.
    pub index: usize,
    /// The output as the reference writes it ([`TxOut::reference_cbor`](crate::TxOut::reference_cbor)).
    pub output: Vec<u8>,
    /// What the rule measured: the lovelace it holds, or its value's size in bytes.
    pub actual: u64,
    /// The bound: its minimum lovelace, or the `maxValueSize` parameter.
    pub bound: u64,
}

fn list(ins: &[TxIn]) -> String {
    ins.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
