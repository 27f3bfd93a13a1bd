//! The header body a leader slot's block carries, built from public material only (the
//! schedule entry's VRF result, the leader's identity, the parent and the selected body): the
//! bytes the enclave signs.

use slotforge_enclave_api::types::Identity;
use slotforge_praos::bft::BftHeaderBody;
use slotforge_praos::forge::{praos_header_body, BlockContent};

use crate::seams::{BlockRef, SelectedBody};
use crate::slot_log::SlotEntry;

/// The encoded header body for entry `e` on `parent`; an error (a Praos entry without its VRF
/// output or proof) is the reason the slot is missed.
pub(super) fn header_body(
    e: &SlotEntry,
    identity: &Identity,
    parent: Option<BlockRef>,
    selected: &SelectedBody,
    protocol_version: (u64, u64),
) -> Result<Vec<u8>, String> {
    let content = BlockContent {
        block_number: parent.map_or(0, |p| p.block_number + 1),
        slot: e.slot,
        prev_hash: parent.map(|p| p.hash),
        block_body_size: selected.size,
        block_body_hash: selected.hash,
        protocol_version,
    };
    match identity {
        Identity::Praos(p) => {
            let output = e
                .vrf_output
                .as_deref()
                .and_then(|b| <[u8; 64]>::try_from(b).ok())
                .ok_or("the schedule entry has no VRF output")?;
            let proof = e
                .vrf_proof
                .as_deref()
                .and_then(|b| <[u8; 80]>::try_from(b).ok())
                .ok_or("the schedule entry has no VRF proof")?;
            Ok(praos_header_body(
                &content,
                p.vrf_vkey,
                &slotforge_crypto::vrf::VrfOutput(output),
                &slotforge_crypto::vrf::VrfProof(proof),
                &p.opcert,
            )
            .to_cbor())
        }
        Identity::Bft { vkey } => Ok(BftHeaderBody {
            block_number: content.block_number,
            slot: content.slot,
            prev_hash: content.prev_hash,
            issuer_vkey: *vkey,
            block_body_size: content.block_body_size,
            block_body_hash: content.block_body_hash,
            protocol_version: content.protocol_version,
        }
        .to_cbor()),
    }
}
