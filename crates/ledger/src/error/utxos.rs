//! UTXOS's predicate failures' contents: why a Plutus script's arguments cannot be assembled
//! (`CollectError`, with Conway's `ContextError`) and how a script failed (`ScriptFailure`),
//! each with what cardano-ledger reports.

use crate::params::Language;
use crate::state::TxIn;

/// `CollectError`: why `collectPlutusScriptsWithContext` cannot assemble a script's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectError {
    /// `NoCostModel`: the parameters have no cost model for the script's language.
    NoCostModel(Language),
    /// `BadTranslation`: the transaction cannot be presented to the script's language.
    BadTranslation(ContextError),
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CollectError::NoCostModel(l) => write!(f, "NoCostModel {l:?}"),
            CollectError::BadTranslation(c) => write!(f, "BadTranslation ({c})"),
        }
    }
}

/// Conway's `ContextError`: what the script context of a language cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextError {
    /// `ByronTxOutInContext`: an input's or output's address is a Byron one.
    ByronTxOutInContext(TxOutSource),
    /// `InlineDatumsNotSupported`: an inline datum in a Plutus V1 context.
    InlineDatumsNotSupported(TxOutSource),
    /// `CertificateNotSupported`: a Conway certificate in a V1 or V2 context; its CBOR.
    CertificateNotSupported(Vec<u8>),
    /// `PlutusPurposeNotSupported`: a vote or a proposal in a V1 or V2 context; the purpose
    /// with its item, as the reference writes it (`[tag, item]`).
    PlutusPurposeNotSupported(Vec<u8>),
    /// `CurrentTreasuryFieldNotSupported`: the treasury field, in a V1 or V2 context.
    CurrentTreasuryFieldNotSupported(u64),
    /// `VotingProceduresFieldNotSupported`: votes in a V1 or V2 context; their CBOR.
    VotingProceduresFieldNotSupported(Vec<u8>),
    /// `ProposalProceduresFieldNotSupported`: proposals in a V1 or V2 context; their CBOR.
    ProposalProceduresFieldNotSupported(Vec<u8>),
    /// `TreasuryDonationFieldNotSupported`: a donation in a V1 or V2 context.
    TreasuryDonationFieldNotSupported(u64),
}

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use ContextError as C;
        match self {
            C::ByronTxOutInContext(s) => write!(f, "ByronTxOutInContext ({s})"),
            C::InlineDatumsNotSupported(s) => write!(f, "InlineDatumsNotSupported ({s})"),
            C::CertificateNotSupported(c) => write!(f, "CertificateNotSupported {}", hex::encode(c)),
            C::PlutusPurposeNotSupported(p) => write!(f, "PlutusPurposeNotSupported {}", hex::encode(p)),
            C::CurrentTreasuryFieldNotSupported(c) => write!(f, "CurrentTreasuryFieldNotSupported {c}"),
            C::VotingProceduresFieldNotSupported(_) => write!(f, "VotingProceduresFieldNotSupported"),
            C::ProposalProceduresFieldNotSupported(_) => write!(f, "ProposalProceduresFieldNotSupported"),
            C::TreasuryDonationFieldNotSupported(c) => write!(f, "TreasuryDonationFieldNotSupported {c}"),
        }
    }
}

/// `TxOutSource`: where an output the context cannot hold comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxOutSource {
    /// `TxOutFromInput`: the output an input spends or references.
    Input(TxIn),
    /// `TxOutFromOutput`: the body's output at this index.
    Output(u64),
}

impl std::fmt::Display for TxOutSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TxOutSource::Input(i) => write!(f, "TxOutFromInput {i}"),
            TxOutSource::Output(ix) => write!(f, "TxOutFromOutput {ix}"),
        }
    }
}

/// `ScriptFailure`: a Plutus script that failed, with everything needed to run it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptFailure {
    /// The failure's explanation: the language, the script, its hash, the machine's error,
    /// the protocol version and the arguments.
    pub message: String,
    /// The script with its context, as the reference serialises a `PlutusWithContext`:
    /// `[major, [language, script], hash, arguments, exUnits, costModel]`.
    pub context: Vec<u8>,
}
