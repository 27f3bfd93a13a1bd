//! The public data the enclave and its clients exchange: epoch parameters, identities, won
//! slots and signed headers. Public material only.

use std::ops::Range;

use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof};
use slotforge_praos::schedule::EpochLeadership;

/// One BFT epoch: round-robin over `leaders` from `first_slot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftEpoch {
    pub epoch: u64,
    pub first_slot: u64,
    pub epoch_length: u64,
    /// The leaders' Ed25519 verification keys in round-robin order.
    pub leaders: Vec<[u8; 32]>,
}

impl BftEpoch {
    pub fn slots(&self) -> Range<u64> {
        self.first_slot..self.first_slot.saturating_add(self.epoch_length)
    }
}

/// An epoch's leadership parameters, as the blockchain announces them.
#[derive(Debug, Clone)]
pub enum EpochParams {
    Praos(EpochLeadership),
    Bft(BftEpoch),
}

impl EpochParams {
    pub fn epoch(&self) -> u64 {
        match self {
            EpochParams::Praos(p) => p.epoch,
            EpochParams::Bft(b) => b.epoch,
        }
    }

    pub fn slots(&self) -> Range<u64> {
        match self {
            EpochParams::Praos(p) => p.slots(),
            EpochParams::Bft(b) => b.slots(),
        }
    }
}

/// What the enclave tells about a leader: public material only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Praos(Box<PraosIdentity>),
    Bft { vkey: [u8; 32] },
}

/// A Praos pool's public identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PraosIdentity {
    pub pool_id: [u8; 28],
    pub vrf_vkey: [u8; 32],
    pub cold_vkey: [u8; 32],
    pub opcert: OperationalCertificate,
    /// The period the KES key is at, relative to the opcert's start.
    pub kes_period: u32,
    /// Periods the key can still sign for: min(64, max evolutions) − period.
    pub periods_left: u32,
    pub slots_per_kes_period: u64,
}

impl Identity {
    /// The Praos identity, if this is a pool.
    pub fn praos(&self) -> Option<&PraosIdentity> {
        match self {
            Identity::Praos(p) => Some(p),
            Identity::Bft { .. } => None,
        }
    }
}

/// A won slot with its VRF proof (empty output and proof for BFT slots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledSlot {
    pub slot: u64,
    pub output: Option<VrfOutput>,
    pub proof: Option<VrfProof>,
}

/// A signed header as it leaves the enclave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    /// The header's CBOR (Praos or BFT shape, after the leader's kind).
    pub header: Vec<u8>,
    /// False when this is the stored header of an earlier identical request (a retry).
    pub fresh: bool,
    pub slot: u64,
    /// blake2b-256 of the canonical body encoding: what the guard recorded.
    pub body_hash: [u8; 32],
}
