//! Why the signer did not sign or schedule, and the stable name of each reason.

use slotforge_enclave_api::refusal::RefusalReason;
use slotforge_praos::header::HeaderDecodeError;

use crate::kes_store::KesStoreError;
use crate::sign_guard::{GuardError, Refusal};

/// Why the enclave did not sign or schedule; each is a distinct kind the node can act on.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The enclave holds no leader of that name.
    #[error("no leader {0:?} in this enclave")]
    UnknownLeader(String),
    /// The header body is not a Praos (or BFT) body.
    #[error("the header body does not decode: {0}")]
    MalformedBody(HeaderDecodeError),
    /// The body names another pool's keys (issuer, VRF key or opcert) than the leader's.
    #[error("the body for slot {slot} is for another pool or key set: {what}")]
    ForeignBody {
        /// The body's slot.
        slot: u64,
        /// Which of the body's keys is not the leader's.
        what: &'static str,
    },
    /// The slot starts too far after the enclave's clock: it is not signed yet.
    #[error(
        "slot {slot} starts {ahead_ms} ms after the enclave's clock (its current slot is {current_slot}); \
         no slot more than {tolerance_ms} ms ahead is signed: check both hosts' clocks"
    )]
    SlotInFuture {
        /// The slot asked for.
        slot: u64,
        /// The slot in progress on the enclave's clock.
        current_slot: u64,
        /// How long until the slot starts.
        ahead_ms: u64,
        /// How far ahead a slot may start and still be signed.
        tolerance_ms: u64,
    },
    /// The slot's KES period is after the period of the enclave's current slot; the key is
    /// never evolved ahead of the clock.
    #[error(
        "slot {slot} is in KES period {needed}, after the period {current} of the enclave's current slot: \
         the KES key is never evolved ahead of the clock"
    )]
    KesPeriodInFuture {
        /// The slot asked for.
        slot: u64,
        /// The slot's KES period (absolute).
        needed: u64,
        /// The KES period (absolute) of the enclave's current slot.
        current: u64,
    },
    /// Praos parameters or bodies for a BFT leader, or BFT ones for a pool.
    #[error("the parameters are for another consensus than the leader's ({0})")]
    WrongConsensus(&'static str),
    /// No schedule was computed for the slot's epoch, so its eligibility cannot be checked.
    #[error("no leadership parameters are known for the epoch of slot {0}; request its schedule first")]
    UnknownEpoch(u64),
    /// The leader does not lead the slot under the remembered parameters.
    #[error("the leader does not lead slot {0}")]
    NotLeader(u64),
    /// The body's VRF result is not the one this enclave's VRF key gives.
    #[error("the body's VRF result for slot {0} is not this enclave's")]
    VrfMismatch(u64),
    /// The slot's KES period is before the operational certificate's first period.
    #[error("slot {slot} is in KES period {slot_period}, before the opcert's start {opcert_period}")]
    KesPeriodBeforeOpCert {
        /// The slot asked for.
        slot: u64,
        /// The slot's KES period (absolute).
        slot_period: u64,
        /// The operational certificate's first KES period.
        opcert_period: u64,
    },
    /// The slot is past the operational certificate's KES window.
    #[error(
        "slot {slot} is past the opcert's KES window (start {opcert_period}, {limit} periods): a new opcert is needed"
    )]
    KesExpired {
        /// The slot asked for.
        slot: u64,
        /// The operational certificate's first KES period.
        opcert_period: u64,
        /// How many periods the certificate covers.
        limit: u64,
    },
    /// The local KES key has already evolved past the period the slot needs.
    #[error("the KES key is already at period {current}; slot {slot} needs period {needed}")]
    KesKeyPastPeriod {
        /// The slot asked for.
        slot: u64,
        /// The key's period (relative to the opcert's start).
        current: u32,
        /// The period the slot needs (relative to the opcert's start).
        needed: u32,
    },
    /// The sign guard refused: a double sign, a regression or a passed KES period.
    #[error("refused by the sign guard: {0}")]
    Refused(Refusal),
    /// The sign guard itself failed (its database, its file).
    #[error("sign guard: {0}")]
    Guard(#[from] GuardError),
    /// The evolved KES key could not be persisted, so it was not used.
    #[error("persisting the evolved KES key: {0}")]
    KesStore(#[from] KesStoreError),
    /// The cryptography failed (a key that does not evolve, a stored header that does not
    /// decode).
    #[error("signing failed: {0}")]
    Forge(String),
}

impl SignError {
    /// The refusal reason of the error: on the wire, in the audit log and in metrics (by its
    /// name).
    pub fn kind(&self) -> RefusalReason {
        match self {
            SignError::UnknownLeader(_) => RefusalReason::UnknownLeader,
            SignError::MalformedBody(_) => RefusalReason::MalformedBody,
            SignError::ForeignBody { .. } => RefusalReason::ForeignBody,
            SignError::SlotInFuture { .. } | SignError::KesPeriodInFuture { .. } => RefusalReason::SlotInFuture,
            SignError::WrongConsensus(_) => RefusalReason::WrongConsensus,
            SignError::UnknownEpoch(_) => RefusalReason::UnknownEpoch,
            SignError::NotLeader(_) => RefusalReason::NotLeader,
            SignError::VrfMismatch(_) => RefusalReason::VrfMismatch,
            SignError::KesPeriodBeforeOpCert { .. } => RefusalReason::KesPeriodBeforeOpcert,
            SignError::KesExpired { .. } => RefusalReason::KesExpired,
            SignError::KesKeyPastPeriod { .. } => RefusalReason::KesKeyPastPeriod,
            SignError::Refused(Refusal::DoubleSign { .. }) => RefusalReason::DoubleSign,
            SignError::Refused(Refusal::Regression { .. }) => RefusalReason::Regression,
            SignError::Refused(Refusal::KesPeriodPassed { .. }) => RefusalReason::KesKeyPastPeriod,
            SignError::Guard(GuardError::Unavailable(_)) => RefusalReason::GuardUnavailable,
            SignError::Guard(GuardError::SlotOutOfRange(_)) => RefusalReason::SlotOutOfRange,
            SignError::Guard(_) => RefusalReason::GuardFailure,
            SignError::KesStore(_) => RefusalReason::KesStoreFailure,
            SignError::Forge(_) => RefusalReason::ForgeFailure,
        }
    }

    /// The slot the error concerns, when there is one (the wire carries it with the reason).
    pub fn slot(&self) -> Option<u64> {
        match self {
            SignError::UnknownEpoch(s) | SignError::NotLeader(s) | SignError::VrfMismatch(s) => Some(*s),
            SignError::KesPeriodBeforeOpCert { slot, .. }
            | SignError::KesExpired { slot, .. }
            | SignError::KesKeyPastPeriod { slot, .. }
            | SignError::ForeignBody { slot, .. }
            | SignError::SlotInFuture { slot, .. }
            | SignError::KesPeriodInFuture { slot, .. } => Some(*slot),
            SignError::Refused(r) => Some(r.slot()),
            SignError::Guard(GuardError::SlotOutOfRange(s)) => Some(*s),
            _ => None,
        }
    }
}
