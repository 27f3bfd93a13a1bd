//! Header construction: from a block's content and the pool's keys, a signed header that
//! validates (this is what the enclave calls).

use slotforge_crypto::kes::{KesError, KesSecretKey};
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::{VrfOutput, VrfProof, VrfSecretKey};

use crate::header::{Header, HeaderBody, HeaderOpCert, HeaderVrf, VrfCert};
use crate::leader::VrfVariant;
use crate::nonce::Nonce;

/// What a block producer decides, before the keys are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockContent {
    /// The new block's height: the parent's block number plus one (0 after genesis).
    pub block_number: u64,
    /// The absolute slot the block is forged for.
    pub slot: u64,
    /// The parent block's hash, `None` for the first block after genesis.
    pub prev_hash: Option<[u8; 32]>,
    /// The size of the block body in bytes.
    pub block_body_size: u64,
    /// The block body hash the header commits to (blake2b-256 over the body parts' hashes).
    pub block_body_hash: [u8; 32],
    /// The protocol version (major, minor) the header announces.
    pub protocol_version: (u64, u64),
}

/// Why a header could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForgeError {
    /// The slot's KES period (slot / slots per KES period) is before the opcert's start period.
    #[error("slot {slot} is in KES period {slot_period}, before the opcert's start period {opcert_period}")]
    BeforeOpCert {
        /// The slot being forged.
        slot: u64,
        /// The slot's absolute KES period.
        slot_period: u64,
        /// The KES period the opcert starts at.
        opcert_period: u64,
    },
    /// The KES key could not be evolved to the period the slot needs.
    #[error("the KES key cannot sign for slot {slot}: {error}")]
    Kes {
        /// The slot being forged.
        slot: u64,
        /// Why the key could not evolve (past its 64 periods, or already beyond the slot's).
        error: KesError,
    },
    /// The KES key's public key is not the hot key the operational certificate names.
    #[error("the operational certificate does not certify this KES key")]
    WrongKesKey,
    /// `slots_per_kes_period` was 0, so no KES period can be computed.
    #[error("slots per KES period must be positive")]
    ZeroKesPeriodLength,
}

/// The header body for `content`, with fresh VRF proofs for the slot.
pub fn header_body(
    content: &BlockContent,
    variant: VrfVariant,
    epoch_nonce: &Nonce,
    vrf: &VrfSecretKey,
    opcert: &OperationalCertificate,
) -> HeaderBody {
    let cert = |input: [u8; 32]| {
        let proof = vrf.prove(&input);
        let output = proof.to_output().map(|o| o.0.to_vec()).unwrap_or_default();
        VrfCert {
            output,
            proof: proof.0.to_vec(),
        }
    };
    let vrf_fields = match variant {
        VrfVariant::Praos | VrfVariant::CPraos => {
            HeaderVrf::Praos(cert(variant.leader_input(content.slot, epoch_nonce)))
        }
        VrfVariant::TPraos => HeaderVrf::TPraos {
            nonce: cert(VrfVariant::tpraos_nonce_input(content.slot, epoch_nonce)),
            leader: cert(variant.leader_input(content.slot, epoch_nonce)),
        },
    };
    assemble(content, vrf.public_key().0, vrf_fields, opcert)
}

/// The Babbage/Conway header body a node builds for a scheduled slot from public material
/// only: the VRF output and proof the enclave streamed for the slot, and the pool's keys and
/// opcert from its identity. The enclave checks and signs it.
pub fn praos_header_body(
    content: &BlockContent,
    vrf_vkey: [u8; 32],
    vrf_output: &VrfOutput,
    vrf_proof: &VrfProof,
    opcert: &OperationalCertificate,
) -> HeaderBody {
    let cert = VrfCert {
        output: vrf_output.0.to_vec(),
        proof: vrf_proof.0.to_vec(),
    };
    assemble(content, vrf_vkey, HeaderVrf::Praos(cert), opcert)
}

fn assemble(content: &BlockContent, vrf_vkey: [u8; 32], vrf: HeaderVrf, opcert: &OperationalCertificate) -> HeaderBody {
    HeaderBody {
        block_number: content.block_number,
        slot: content.slot,
        prev_hash: content.prev_hash,
        issuer_vkey: opcert.cold_vkey,
        vrf_vkey,
        vrf,
        block_body_size: content.block_body_size,
        block_body_hash: content.block_body_hash,
        opcert: HeaderOpCert {
            hot_vkey: opcert.hot_vkey.0,
            sequence_number: opcert.sequence_number,
            kes_period: opcert.kes_period,
            sigma: opcert.sigma,
        },
        protocol_version: content.protocol_version,
    }
}

/// Signs `body` with the KES key, first evolving it to the slot's period relative to the
/// opcert (never backwards). The caller persists the evolved key.
pub fn sign_body(body: HeaderBody, kes: &mut KesSecretKey, slots_per_kes_period: u64) -> Result<Header, ForgeError> {
    if slots_per_kes_period == 0 {
        return Err(ForgeError::ZeroKesPeriodLength);
    }
    if kes.public_key().0 != body.opcert.hot_vkey {
        return Err(ForgeError::WrongKesKey);
    }
    let slot = body.slot;
    let slot_period = slot / slots_per_kes_period;
    let opcert_period = body.opcert.kes_period;
    let relative = slot_period.checked_sub(opcert_period).ok_or(ForgeError::BeforeOpCert {
        slot,
        slot_period,
        opcert_period,
    })?;
    let relative = u32::try_from(relative).map_err(|_| ForgeError::Kes {
        slot,
        error: KesError::PeriodOutOfRange(u32::MAX),
    })?;
    kes.evolve_to(relative)
        .map_err(|error| ForgeError::Kes { slot, error })?;
    Ok(Header::sign(body, kes))
}

/// [`header_body`] then [`sign_body`].
pub fn forge_header(
    content: &BlockContent,
    variant: VrfVariant,
    epoch_nonce: &Nonce,
    vrf: &VrfSecretKey,
    kes: &mut KesSecretKey,
    opcert: &OperationalCertificate,
    slots_per_kes_period: u64,
) -> Result<Header, ForgeError> {
    sign_body(
        header_body(content, variant, epoch_nonce, vrf, opcert),
        kes,
        slots_per_kes_period,
    )
}
