//! Checks a history export before `history import` trusts it: every record must be a header
//! this leader really signed for that slot. A forged or damaged record could otherwise raise a
//! leader's highest slot (so it could never sign again) or block a slot with a body nobody
//! signed.

use slotforge_praos::bft::BftHeader;
use slotforge_praos::header::Header;
use slotforge_praos::nonce::blake2b256;
use slotforge_praos::validation;

use crate::sign_guard::{GuardError, Interchange};

/// Checks every record of `history` (see the module doc); the first bad one is named.
/// Returns how many records were checked.
pub fn verify_records(history: &Interchange, slots_per_kes_period: u64) -> Result<usize, GuardError> {
    let parsed = history.parse()?;
    for row in &parsed.signed {
        verify_record(&row.leader, row.slot, &row.body_hash, &row.signed, slots_per_kes_period).map_err(|problem| {
            GuardError::Interchange(format!(
                "leader {} slot {}: {problem}; nothing imported",
                row.leader, row.slot
            ))
        })?;
    }
    Ok(parsed.signed.len())
}

/// One record: `leader` is a pool id (hex) or `bft:` and an Ed25519 key (hex), as the guard
/// names leaders.
fn verify_record(
    leader: &str,
    slot: u64,
    body_hash: &[u8],
    signed: &[u8],
    slots_per_kes_period: u64,
) -> Result<(), String> {
    let (header_slot, header_body_hash) = if let Some(vkey) = leader.strip_prefix("bft:") {
        let vkey: [u8; 32] = hex::decode(vkey)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or("a BFT leader is named bft: and 64 hex digits")?;
        let header = BftHeader::decode(signed).map_err(|e| format!("the signed bytes are not a BFT header: {e}"))?;
        if header.body().issuer_vkey != vkey {
            return Err("the header was issued by another key".into());
        }
        let slot = header.body().slot;
        header
            .validate(slot..slot.saturating_add(1), &[vkey])
            .map_err(|e| format!("the signature does not verify: {e}"))?;
        (slot, blake2b256(&[&header.body().to_cbor()]))
    } else {
        let pool_id: [u8; 28] = hex::decode(leader)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or("a pool is named by its id, 56 hex digits")?;
        let header = Header::decode(signed).map_err(|e| format!("the signed bytes are not a Praos header: {e}"))?;
        let body = header.body();
        if validation::pool_id(&body.issuer_vkey) != pool_id {
            return Err("the header was issued by another pool".into());
        }
        validation::check_opcert_signature(&header).map_err(|e| e.to_string())?;
        let slot_period = body.slot / slots_per_kes_period.max(1);
        let relative = slot_period
            .checked_sub(body.opcert.kes_period)
            .ok_or("the slot is before its operational certificate's KES period")?;
        validation::check_kes_signature(&header, relative)
            .map_err(|e| format!("{e} (with slots_per_kes_period = {slots_per_kes_period} from the configuration)"))?;
        (body.slot, blake2b256(&[&body.to_cbor()]))
    };
    if header_slot != slot {
        return Err(format!("the signed header is for slot {header_slot}"));
    }
    if header_body_hash[..] != *body_hash {
        return Err("the signed header's body does not hash to body_hash".into());
    }
    Ok(())
}
