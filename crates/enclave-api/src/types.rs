//! The public data the enclave and its clients exchange: epoch parameters, identities, won
//! slots and signed headers. Public material only.

use std::ops::Range;

use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof};
use slotforge_praos::schedule::PraosEpoch;

/// One BFT epoch: round-robin over `leaders` from `first_slot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftEpoch {
    /// The epoch these parameters are for, counted from 0 at the chain's start.
    pub epoch: u64,
    /// The absolute slot the epoch starts at; slot `first_slot + i` belongs to `leaders[i % n]`.
    pub first_slot: u64,
    /// The number of slots in the epoch.
    pub epoch_length: u64,
    /// The leaders' Ed25519 verification keys in round-robin order.
    pub leaders: Vec<[u8; 32]>,
}

impl BftEpoch {
    /// The epoch's absolute slots, `first_slot..first_slot + epoch_length`.
    pub fn slots(&self) -> Range<u64> {
        self.first_slot..self.first_slot.saturating_add(self.epoch_length)
    }
}

/// An epoch's leadership parameters, as the blockchain announces them.
#[derive(Debug, Clone)]
pub enum EpochParams {
    /// A Praos, CPraos or TPraos epoch: the pool's stake test and nonce.
    Praos(PraosEpoch),
    /// A BFT epoch: a round-robin leader list.
    Bft(BftEpoch),
}

impl EpochParams {
    /// The epoch these parameters are for, counted from 0 at the chain's start.
    pub fn epoch(&self) -> u64 {
        match self {
            EpochParams::Praos(p) => p.epoch,
            EpochParams::Bft(b) => b.epoch,
        }
    }

    /// The epoch's absolute slots.
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
    /// A stake pool, with its keys' public halves and operational certificate.
    Praos(Box<PraosIdentity>),
    /// A BFT leader, known by its Ed25519 key alone.
    Bft {
        /// The leader's Ed25519 verification key, as listed in the epoch's leaders.
        vkey: [u8; 32],
    },
}

/// A Praos pool's public identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PraosIdentity {
    /// The pool id: blake2b-224 of the cold verification key.
    pub pool_id: [u8; 28],
    /// The pool's VRF verification key.
    pub vrf_vkey: [u8; 32],
    /// The pool's cold Ed25519 verification key (the header's issuer key).
    pub cold_vkey: [u8; 32],
    /// The operational certificate the enclave's KES key signs under.
    pub opcert: OperationalCertificate,
    /// The period the KES key is at, relative to the opcert's start.
    pub kes_period: u32,
    /// Periods the key can still sign for: min(64, max evolutions) − period.
    pub periods_left: u32,
    /// Slots per KES period, to turn a slot into a KES period.
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
    /// The absolute slot won.
    pub slot: u64,
    /// The 64-byte VRF output that won the slot; `None` for BFT.
    pub output: Option<VrfOutput>,
    /// The 80-byte VRF proof the header carries; `None` for BFT.
    pub proof: Option<VrfProof>,
}

/// A signed header as it leaves the enclave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    /// The header's CBOR (Praos or BFT shape, after the leader's kind).
    pub header: Vec<u8>,
    /// False when this is the stored header of an earlier identical request (a retry).
    pub fresh: bool,
    /// The slot of the signed header.
    pub slot: u64,
    /// blake2b-256 of the canonical body encoding: what the guard recorded.
    pub body_hash: [u8; 32],
}
