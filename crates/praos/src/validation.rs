//! Header validation: every rule of the reference implementation, each failure its own kind,
//! in the reference's order (the first failure is the one reported):
//!
//! - Praos (Babbage, Conway; ouroboros-consensus `updateChainDepState`): the operational
//!   certificate and KES first — KES period window, cold-key signature, KES signature, counter
//!   (a pool in the stake distribution without one starts at 0; at most one above the last) —
//!   then the VRF: pool known, VRF key registered, proof, leader value.
//! - TPraos (Shelley to Alonzo; cardano-ledger `OVERLAY` then `OCERT`): the VRF first — in an
//!   overlay slot the genesis delegate the schedule names (cold key, VRF key, both proofs; a
//!   non-active overlay slot admits no block), otherwise the pool as in Praos with both proofs —
//!   then the certificate as above, whose counter starts at 0 for a pool or a genesis delegate
//!   and has no upper bound.
//!
//! The envelope (block number, slot and previous hash against the parent, sizes, protocol
//! version) is the chain's: `slotforge_chain::chain_state::ChainState::check_envelope`.

use std::collections::BTreeMap;

use slotforge_crypto::kes::{KesPublicKey, MAX_PERIODS};
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof, VrfPublicKey};

use crate::header::{Header, HeaderVrf, VrfCert};
use crate::leader::{overlay_slot, ActiveSlotCoeff, LeaderThreshold, OverlaySlot, VrfVariant};
use crate::nonce::{blake2b224, blake2b256, Nonce};
use crate::time::{ConsensusGenesis, TimeError};

/// The epoch's consensus parameters a header is validated against.
#[derive(Debug, Clone)]
pub struct ValidationParams {
    /// The VRF construction, which also selects the rule order (TPraos: OVERLAY then OCERT).
    pub variant: VrfVariant,
    /// The epoch nonce the VRF inputs are made from.
    pub epoch_nonce: Nonce,
    /// The active slot coefficient f of the stake test.
    pub active_slot_coeff: ActiveSlotCoeff,
    /// Slots per KES period (`slotsPerKESPeriod`), which turns a slot into a KES period.
    pub slots_per_kes_period: u64,
    /// KES evolutions an opcert is valid for (`maxKESEvolutions`), from its start period.
    pub max_kes_evolutions: u64,
    /// TPraos only: the decentralisation parameter d as (numerator, denominator).
    pub decentralisation: (u64, u64),
    /// The absolute first slot of the header's epoch; TPraos overlay slots are counted from it.
    pub epoch_first_slot: u64,
    /// TPraos only: the genesis delegations (Shelley genesis `genDelegs`), by genesis key
    /// hash; overlay slots go round-robin over the keys in this (byte) order.
    pub gen_delegs: BTreeMap<[u8; 28], GenesisDelegate>,
}

/// A genesis key's delegate: the cold key hash that issues its overlay slots and its VRF key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisDelegate {
    /// The delegate's cold key hash (blake2b-224), which must issue the overlay slot.
    pub delegate: [u8; 28],
    /// The delegate's VRF key hash (blake2b-256), which the header's VRF key must hash to.
    pub vrf_key_hash: [u8; 32],
}

impl ConsensusGenesis {
    /// The genesis delegations (`genDelegs`) by genesis key hash, decoded.
    pub fn genesis_delegates(&self) -> Result<BTreeMap<[u8; 28], GenesisDelegate>, TimeError> {
        fn hash<const N: usize>(text: &str, what: &str) -> Result<[u8; N], TimeError> {
            hex::decode(text)
                .ok()
                .and_then(|b| <[u8; N]>::try_from(b).ok())
                .ok_or_else(|| TimeError::Genesis(format!("genDelegs {what} {text:?} is not {} hex digits", 2 * N)))
        }
        self.gen_delegs
            .iter()
            .map(|(key, d)| {
                let delegate = GenesisDelegate {
                    delegate: hash(&d.delegate, "delegate")?,
                    vrf_key_hash: hash(&d.vrf, "vrf")?,
                };
                Ok((hash(key, "key")?, delegate))
            })
            .collect()
    }
}

/// What the ledger says about the issuing pool in the header's epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolLookup {
    /// The pool is in the epoch's stake distribution (`pdPoolStakeDistr`).
    Registered {
        /// The blake2b-256 hash of the VRF key the pool registered.
        vrf_key_hash: [u8; 32],
        /// The pool's active stake in the epoch's snapshot, in lovelace.
        stake: u64,
        /// The total active stake of the snapshot, in lovelace.
        total_stake: u64,
    },
    /// The stake distribution is known, and the pool is not in it.
    NotInDistribution,
    /// The stake distribution of the epoch cannot be obtained.
    Unavailable,
}

/// The issuer's chain state: its last operational certificate sequence number and its pool.
#[derive(Debug, Clone)]
pub struct IssuerState {
    /// The last opcert sequence number seen from the issuer (`csCounters`); `None` when it has
    /// none.
    pub last_sequence_number: Option<u64>,
    /// The issuer's standing in the epoch's stake distribution.
    pub pool: PoolLookup,
}

/// Why a VRF proof in a header fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VrfProofError {
    /// The header's VRF output is not 64 bytes; holds its length.
    #[error("VRF output is {0} bytes, expected 64")]
    OutputLength(usize),
    /// The header's VRF proof is not 80 bytes; holds its length.
    #[error("VRF proof is {0} bytes, expected 80")]
    ProofLength(usize),
    /// The proof does not verify under the header's VRF key; holds the VRF error.
    #[error("VRF proof does not verify: {0}")]
    Invalid(String),
    /// The proof verifies but its output is not the output the header declares.
    #[error("the declared VRF output is not the proof's output")]
    OutputMismatch,
}

/// A header validation failure; each rule has its own kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The epoch's stake distribution is not known, so the issuer cannot be judged.
    #[error("the stake distribution of the header's epoch is not available")]
    StakeDistributionUnavailable,
    /// `VRFKeyUnknown`: the issuer's pool (blake2b-224 of its cold key) is not in the stake
    /// distribution.
    #[error("pool {} is not in the stake distribution", hex::encode(.0))]
    UnknownPool([u8; 28]),
    /// `VRFKeyWrongVRFKey`: the header's VRF key is not the one the pool registered.
    #[error("the header's VRF key hashes to {}, the pool registered {}", hex::encode(.declared), hex::encode(.registered))]
    VrfKeyMismatch {
        /// The VRF key hash the pool registered.
        registered: [u8; 32],
        /// blake2b-256 of the header's VRF key.
        declared: [u8; 32],
    },
    /// `VRFKeyBadProof` (TPraos: `VRFKeyBadNonce` / `VRFKeyBadLeaderValue`): a VRF certificate is
    /// invalid.
    #[error("{which} {error}")]
    VrfProof {
        /// Which certificate: "VRF" (Praos), "nonce VRF" or "leader VRF" (TPraos).
        which: &'static str,
        /// Why it failed.
        error: VrfProofError,
    },
    /// `VRFLeaderValueTooBig`: the leader value does not win the slot for the pool's stake.
    #[error("the leader VRF value is not below the threshold for the pool's stake")]
    InsufficientStake,
    /// `NotActiveSlotOVERLAY`: the slot is a non-active overlay slot, which admits no block; holds
    /// the slot.
    #[error("slot {0} is an overlay slot in which no block may be issued")]
    NotActiveSlot(u64),
    /// `WrongGenesisColdKeyOVERLAY`: an overlay slot issued by another key than its genesis
    /// delegate.
    #[error("overlay slot's issuer {} is not the genesis delegate {} the schedule names", hex::encode(.issuer), hex::encode(.delegate))]
    WrongGenesisColdKey {
        /// The header's issuer key hash.
        issuer: [u8; 28],
        /// The cold key hash of the genesis delegate the schedule names.
        delegate: [u8; 28],
    },
    /// `WrongGenesisVRFKeyOVERLAY`: the header's VRF key is not the genesis delegate's.
    #[error("the header's VRF key hashes to {}, the genesis delegate's is {}", hex::encode(.declared), hex::encode(.registered))]
    WrongGenesisVrfKey {
        /// The delegate's VRF key hash from `genDelegs`.
        registered: [u8; 32],
        /// blake2b-256 of the header's VRF key.
        declared: [u8; 32],
    },
    /// `KESBeforeStartOCERT`: the slot's KES period is before the opcert's start period.
    #[error("the slot's KES period {slot_period} is before the opcert's start period {opcert_period}")]
    KesPeriodBeforeOpCert {
        /// The slot's KES period (slot / slots per KES period).
        slot_period: u64,
        /// The opcert's start KES period.
        opcert_period: u64,
    },
    /// `KESAfterEndOCERT`: the slot's KES period is past the opcert's validity window.
    #[error("the slot's KES period {slot_period} is at or past the opcert's start {opcert_period} + {max_evolutions} evolutions")]
    KesPeriodAfterOpCert {
        /// The slot's KES period (slot / slots per KES period).
        slot_period: u64,
        /// The opcert's start KES period.
        opcert_period: u64,
        /// The evolutions the opcert is valid for (`maxKESEvolutions`).
        max_evolutions: u64,
    },
    /// `InvalidSignatureOCERT`: the cold key's signature over the opcert does not verify.
    #[error("the operational certificate's cold-key signature does not verify")]
    OpCertSignature,
    /// `InvalidKesSignatureOCERT`: the KES signature over the body does not verify; holds the
    /// relative period.
    #[error("the KES signature over the header body does not verify at relative period {0}")]
    KesSignature(u64),
    /// `NoCounterForKeyHashOCERT`: the issuer has no counter and is neither a pool nor a genesis
    /// delegate.
    #[error("no operational certificate counter for pool {}", hex::encode(.0))]
    NoOpCertCounter([u8; 28]),
    /// `CounterTooSmallOCERT`: the opcert's sequence number is below the last one seen.
    #[error("opcert sequence number {found} is below the last seen {last}")]
    SequenceNumberTooSmall {
        /// The last sequence number seen from the issuer.
        last: u64,
        /// The header's opcert sequence number.
        found: u64,
    },
    /// `CounterOverIncrementedOCERT` (Praos only): the sequence number jumps by more than one.
    #[error("opcert sequence number {found} is more than one above the last seen {last}")]
    SequenceNumberTooFarAhead {
        /// The last sequence number seen from the issuer.
        last: u64,
        /// The header's opcert sequence number.
        found: u64,
    },
    /// The parameters cannot judge the header (zero KES period length, header format against
    /// variant, …).
    #[error("invalid parameters: {0}")]
    Params(&'static str),
}

impl HeaderError {
    /// A stable name for the failure kind (used in JSON output).
    pub fn kind(&self) -> &'static str {
        match self {
            HeaderError::StakeDistributionUnavailable => "StakeDistributionUnavailable",
            HeaderError::UnknownPool(_) => "UnknownPool",
            HeaderError::VrfKeyMismatch { .. } => "VrfKeyMismatch",
            HeaderError::VrfProof { .. } => "VrfProof",
            HeaderError::InsufficientStake => "InsufficientStake",
            HeaderError::NotActiveSlot(_) => "NotActiveSlot",
            HeaderError::WrongGenesisColdKey { .. } => "WrongGenesisColdKey",
            HeaderError::WrongGenesisVrfKey { .. } => "WrongGenesisVrfKey",
            HeaderError::KesPeriodBeforeOpCert { .. } => "KesPeriodBeforeOpCert",
            HeaderError::KesPeriodAfterOpCert { .. } => "KesPeriodAfterOpCert",
            HeaderError::OpCertSignature => "OpCertSignature",
            HeaderError::KesSignature(_) => "KesSignature",
            HeaderError::NoOpCertCounter(_) => "NoOpCertCounter",
            HeaderError::SequenceNumberTooSmall { .. } => "SequenceNumberTooSmall",
            HeaderError::SequenceNumberTooFarAhead { .. } => "SequenceNumberTooFarAhead",
            HeaderError::Params(_) => "Params",
        }
    }
}

/// What a valid header establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// The issuing pool's id: blake2b-224 of the header's cold key.
    pub pool_id: [u8; 28],
    /// The leader VRF output (Praos: the single VRF result).
    pub leader_output: VrfOutput,
    /// The block's contribution to the evolving nonce.
    pub nonce_value: [u8; 32],
    /// Whether the slot was a TPraos overlay slot (a genesis delegate's; no stake test).
    pub overlay: bool,
}

/// The pool id: blake2b-224 of the issuer's cold key.
pub fn pool_id(issuer_vkey: &[u8; 32]) -> [u8; 28] {
    blake2b224(issuer_vkey)
}

fn verify_cert(
    which: &'static str,
    vrf_vkey: &[u8; 32],
    input: &[u8; 32],
    cert: &VrfCert,
) -> Result<VrfOutput, HeaderError> {
    let fail = |error| HeaderError::VrfProof { which, error };
    let declared: [u8; 64] = cert
        .output
        .as_slice()
        .try_into()
        .map_err(|_| fail(VrfProofError::OutputLength(cert.output.len())))?;
    let proof = VrfProof::from_bytes(&cert.proof).map_err(|_| fail(VrfProofError::ProofLength(cert.proof.len())))?;
    let out = VrfPublicKey(*vrf_vkey)
        .verify(input, &proof)
        .map_err(|e| fail(VrfProofError::Invalid(e.to_string())))?;
    if out.0 != declared {
        return Err(fail(VrfProofError::OutputMismatch));
    }
    Ok(out)
}

/// Checks the issuer's right to lead the slot: who may issue it (a pool, or the genesis
/// delegate of an overlay slot), its VRF key, the VRF proofs, and a pool's stake.
pub fn check_leadership(header: &Header, p: &ValidationParams, issuer: &IssuerState) -> Result<Validated, HeaderError> {
    let b = &header.body();
    let pool_id = pool_id(&b.issuer_vkey);
    let overlay = match p.variant {
        VrfVariant::TPraos if b.slot >= p.epoch_first_slot => overlay_slot(
            b.slot - p.epoch_first_slot,
            p.decentralisation,
            &p.active_slot_coeff,
            p.gen_delegs.len(),
        ),
        _ => None,
    };
    let declared = blake2b256(&[&b.vrf_vkey]);
    let stake = match overlay {
        Some(OverlaySlot::NonActive) => return Err(HeaderError::NotActiveSlot(b.slot)),
        Some(OverlaySlot::Active(i)) => {
            // `overlay_slot` picks an index below the number of keys.
            let Some(d) = p.gen_delegs.values().nth(i) else {
                return Err(HeaderError::Params("no genesis delegate for an overlay slot"));
            };
            if d.delegate != pool_id {
                return Err(HeaderError::WrongGenesisColdKey {
                    issuer: pool_id,
                    delegate: d.delegate,
                });
            }
            if declared != d.vrf_key_hash {
                return Err(HeaderError::WrongGenesisVrfKey {
                    registered: d.vrf_key_hash,
                    declared,
                });
            }
            None // the stake distribution does not decide a genesis delegate's slot
        }
        None => match &issuer.pool {
            PoolLookup::Unavailable => return Err(HeaderError::StakeDistributionUnavailable),
            PoolLookup::NotInDistribution => return Err(HeaderError::UnknownPool(pool_id)),
            PoolLookup::Registered {
                vrf_key_hash,
                stake,
                total_stake,
            } => {
                if declared != *vrf_key_hash {
                    return Err(HeaderError::VrfKeyMismatch {
                        registered: *vrf_key_hash,
                        declared,
                    });
                }
                Some((*stake, *total_stake))
            }
        },
    };
    let (leader_output, nonce_value) = match (&b.vrf, p.variant) {
        (HeaderVrf::Praos(cert), VrfVariant::Praos | VrfVariant::CPraos) => {
            let out = verify_cert(
                "VRF",
                &b.vrf_vkey,
                &p.variant.leader_input(b.slot, &p.epoch_nonce),
                cert,
            )?;
            (out, p.variant.nonce_value(&out))
        }
        (HeaderVrf::TPraos { nonce, leader }, VrfVariant::TPraos) => {
            let n = verify_cert(
                "nonce VRF",
                &b.vrf_vkey,
                &VrfVariant::tpraos_nonce_input(b.slot, &p.epoch_nonce),
                nonce,
            )?;
            let l = verify_cert(
                "leader VRF",
                &b.vrf_vkey,
                &p.variant.leader_input(b.slot, &p.epoch_nonce),
                leader,
            )?;
            (l, p.variant.nonce_value(&n))
        }
        _ => {
            return Err(HeaderError::Params(
                "the header's format does not match the consensus variant",
            ))
        }
    };
    if let Some((stake, total)) = stake {
        let threshold = LeaderThreshold::new(stake, total, p.active_slot_coeff.clone())
            .map_err(|_| HeaderError::Params("pool stake above total or total zero"))?;
        if !threshold.is_leader(&p.variant.leader_value(&leader_output)) {
            return Err(HeaderError::InsufficientStake);
        }
    }
    Ok(Validated {
        pool_id,
        leader_output,
        nonce_value,
        overlay: overlay.is_some(),
    })
}

/// The slot's KES period relative to the opcert's start, if it lies in the opcert's window
/// [start, start + max evolutions).
pub fn check_kes_period(
    header: &Header,
    slots_per_kes_period: u64,
    max_kes_evolutions: u64,
) -> Result<u64, HeaderError> {
    if slots_per_kes_period == 0 {
        return Err(HeaderError::Params("slots per KES period is zero"));
    }
    let b = header.body();
    let slot_period = b.slot / slots_per_kes_period;
    let opcert_period = b.opcert.kes_period;
    if slot_period < opcert_period {
        return Err(HeaderError::KesPeriodBeforeOpCert {
            slot_period,
            opcert_period,
        });
    }
    if slot_period >= opcert_period.saturating_add(max_kes_evolutions) {
        return Err(HeaderError::KesPeriodAfterOpCert {
            slot_period,
            opcert_period,
            max_evolutions: max_kes_evolutions,
        });
    }
    Ok(slot_period - opcert_period)
}

/// The issuer's cold key signed the header's operational certificate.
pub fn check_opcert_signature(header: &Header) -> Result<(), HeaderError> {
    let b = header.body();
    let cert = OperationalCertificate {
        hot_vkey: KesPublicKey(b.opcert.hot_vkey),
        sequence_number: b.opcert.sequence_number,
        kes_period: b.opcert.kes_period,
        sigma: b.opcert.sigma,
        cold_vkey: b.issuer_vkey,
    };
    cert.verify().map_err(|_| HeaderError::OpCertSignature)
}

/// The KES signature over the body's bytes verifies at `relative_period` under the opcert's
/// hot key.
pub fn check_kes_signature(header: &Header, relative_period: u64) -> Result<(), HeaderError> {
    let fail = HeaderError::KesSignature(relative_period);
    let period = u32::try_from(relative_period)
        .ok()
        .filter(|t| *t < MAX_PERIODS)
        .ok_or(fail.clone())?;
    let hot_vkey = KesPublicKey(header.body().opcert.hot_vkey);
    header
        .kes_signature()
        .verify(period, &hot_vkey, header.body_bytes())
        .map_err(|_| fail)
}

/// Checks the operational certificate and the KES signature, then the sequence number.
fn validate_opcert_and_kes(
    header: &Header,
    p: &ValidationParams,
    issuer: &IssuerState,
    pool_id: [u8; 28],
) -> Result<(), HeaderError> {
    let relative_period = check_kes_period(header, p.slots_per_kes_period, p.max_kes_evolutions)?;
    check_opcert_signature(header)?;
    check_kes_signature(header, relative_period)?;
    // Without a counter, a pool of the stake distribution (TPraos: or a genesis delegate)
    // starts at 0; anyone else has none.
    let tpraos = p.variant == VrfVariant::TPraos;
    let last = match (issuer.last_sequence_number, &issuer.pool) {
        (Some(m), _) => m,
        (None, PoolLookup::Registered { .. }) => 0,
        (None, _) if tpraos && p.gen_delegs.values().any(|d| d.delegate == pool_id) => 0,
        (None, PoolLookup::Unavailable) => return Err(HeaderError::StakeDistributionUnavailable),
        (None, PoolLookup::NotInDistribution) => return Err(HeaderError::NoOpCertCounter(pool_id)),
    };
    let n = header.body().opcert.sequence_number;
    if n < last {
        return Err(HeaderError::SequenceNumberTooSmall { last, found: n });
    }
    // Praos bounds the step; TPraos's OCERT rule does not.
    if !tpraos && n > last.saturating_add(1) {
        return Err(HeaderError::SequenceNumberTooFarAhead { last, found: n });
    }
    Ok(())
}

/// Validates a header against its epoch's parameters and its issuer's state, reporting the
/// first failing rule in the reference's order for the variant.
pub fn validate(header: &Header, params: &ValidationParams, issuer: &IssuerState) -> Result<Validated, HeaderError> {
    if params.variant == VrfVariant::TPraos {
        let v = check_leadership(header, params, issuer)?;
        validate_opcert_and_kes(header, params, issuer, v.pool_id)?;
        Ok(v)
    } else {
        validate_opcert_and_kes(header, params, issuer, pool_id(&header.body().issuer_vkey))?;
        check_leadership(header, params, issuer)
    }
}
