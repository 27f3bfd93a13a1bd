//! Why the ledger refuses a transaction: one kind per predicate failure of the reference.

use crate::state::{Credential, PoolId, TxIn};
use crate::tx::TxDecodeError;

/// A transaction the ledger refuses, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The transaction's bytes do not decode under Conway's rules; the reference's decoder
    /// rejects them before any rule runs.
    #[error("undecodable transaction: {0}")]
    Decode(#[from] TxDecodeError),
    /// A feature this ledger does not judge yet (scripts, governance, Byron addresses); holds its
    /// name.
    #[error("not supported by this ledger: {0} (out of scope: see docs/ARCHITECTURE.md)")]
    Unsupported(&'static str),
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
    #[error("ValueNotConservedUTxO: consumed {consumed} lovelace{consumed_assets}, produced {produced} lovelace{produced_assets}")]
    ValueNotConserved {
        /// Lovelace consumed: inputs, withdrawals and deposit refunds (saturated at `u64::MAX`).
        consumed: u64,
        /// Lovelace produced: outputs, fee and new deposits (saturated at `u64::MAX`).
        produced: u64,
        /// Empty when no native asset is consumed, else " and N asset classes", for the message.
        consumed_assets: String,
        /// Empty when no native asset is produced, else " and N asset classes", for the message.
        produced_assets: String,
    },
    /// `BabbageOutputTooSmallUTxO`: an output holds less lovelace than `coinsPerUTxOByte` × (160 +
    /// its size).
    #[error("BabbageOutputTooSmallUTxO: output {index} holds {coin} lovelace, the minimum is {min}")]
    OutputTooSmall {
        /// The output's position in the body, from 0.
        index: usize,
        /// The lovelace the output holds.
        coin: u64,
        /// The minimum for that output, in lovelace.
        min: u64,
    },
    /// `OutputTooBigUTxO`: an output's serialised value is larger than the `maxValueSize`
    /// parameter.
    #[error("OutputTooBigUTxO: output {index}'s value is {size} bytes, the maximum is {max}")]
    OutputTooBig {
        /// The output's position in the body, from 0.
        index: usize,
        /// The size of the output's encoded value, in bytes.
        size: u64,
        /// The `maxValueSize` parameter, in bytes.
        max: u64,
    },
    /// `WrongNetwork`: an output's address is for another network.
    #[error("WrongNetwork: output {index}'s address is not for network {expected}")]
    WrongNetwork {
        /// The output's position in the body, from 0.
        index: usize,
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
    },
    /// `WrongNetworkInTxBody`: the body's `network_id` field is not the chain's network.
    #[error("WrongNetworkInTxBody: the body names network {found}, the chain is {expected}")]
    WrongNetworkInTxBody {
        /// The body's network id.
        found: u8,
        /// The chain's network id (0 testnet, 1 mainnet).
        expected: u8,
    },
    /// `WrongNetworkWithdrawal`: a withdrawal's reward account is for another network, or is not a
    /// reward account; holds it, hex.
    #[error("WrongNetworkWithdrawal: reward account {0} is not for this network")]
    WrongNetworkWithdrawal(String),
    /// An output the ledger cannot read: not a Shelley payment address, or a native asset of
    /// quantity 0.
    #[error("MalformedAddress: output {index}: {message}")]
    MalformedAddress {
        /// The output's position in the body, from 0.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// `InvalidWitnessesUTXOW`: a vkey witness' signature does not verify over the transaction id;
    /// holds the key, hex.
    #[error("InvalidWitnessesUTXOW: the signature of key {0} does not verify over the transaction id")]
    InvalidWitness(String),
    /// `MissingVKeyWitnessesUTXOW`: required key hashes (inputs, certificates, withdrawals,
    /// required signers) with no witness; hex.
    #[error("MissingVKeyWitnessesUTXOW: no signature from key hashes {}", .0.join(", "))]
    MissingVKeyWitnesses(Vec<String>),
    /// `MissingTxBodyMetadataHash`: auxiliary data without its hash in the body.
    #[error("MissingTxBodyMetadataHash: the transaction has auxiliary data but its body has no hash of it")]
    MissingAuxiliaryDataHash,
    /// `MissingTxMetadata`: a hash of auxiliary data in the body, but no auxiliary data.
    #[error("MissingTxMetadata: the body names an auxiliary data hash but the transaction has none")]
    MissingAuxiliaryData,
    /// `ConflictingMetadataHash`: the body's hash is not blake2b-256 of the auxiliary data's bytes.
    #[error("ConflictingMetadataHash: the body's auxiliary data hash is not the hash of the auxiliary data")]
    AuxiliaryDataHashMismatch,
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
    /// `StakeKeyNonZeroAccountBalanceDELEG`: deregistering a credential whose rewards are not 0.
    #[error("StakeKeyNonZeroAccountBalanceDELEG: {credential} still holds {balance} lovelace of rewards")]
    NonZeroRewardBalance {
        /// The stake credential being deregistered.
        credential: Credential,
        /// Its reward balance, in lovelace.
        balance: u64,
    },
    /// `DelegateeNotRegisteredDELEG`: delegating to a pool id that is not registered; holds the
    /// pool id.
    #[error("DelegateeNotRegisteredDELEG: pool {} is not registered", hex::encode(.0))]
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
    /// `ValidationTagMismatch`: a transaction flagged `is_valid = false` although it has no Plutus
    /// script.
    #[error("ValidationTagMismatch: a transaction marked invalid without Plutus scripts")]
    ValidationTagMismatch,
}

fn list(ins: &[TxIn]) -> String {
    ins.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
