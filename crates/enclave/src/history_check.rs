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
/// `current_slot` is the enclave clock's: a KES-period record must be supported by a signed
/// header of the file (same leader and KES key, in that period or a later one) and may not
/// lie beyond the clock's current KES period, so an import can never stop a pool from
/// signing. Returns how many records were checked.
pub fn verify_records(
    history: &Interchange,
    slots_per_kes_period: u64,
    current_slot: u64,
) -> Result<usize, GuardError> {
    let parsed = history.parse()?;
    let spkp = slots_per_kes_period.max(1);
    // The KES key and period of each verified Praos header, by leader.
    let mut kes_used: Vec<(&str, [u8; 32], u64)> = Vec::new();
    for row in &parsed.signed {
        let kes = verify_record(&row.leader, row.slot, &row.body_hash, &row.signed, slots_per_kes_period).map_err(
            |problem| {
                GuardError::Interchange(format!(
                    "leader {} slot {}: {problem}; nothing imported",
                    row.leader, row.slot
                ))
            },
        )?;
        if let Some(vkey) = kes {
            kes_used.push((&row.leader, vkey, row.slot / spkp));
        }
    }
    let current_period = current_slot / spkp;
    for k in &parsed.kes {
        let bad = |problem: String| {
            GuardError::Interchange(format!(
                "leader {} KES key {}: KES period {} {problem}; nothing imported",
                k.leader,
                hex::encode(k.kes_vkey),
                k.period
            ))
        };
        if u64::from(k.period) > current_period {
            return Err(bad(format!(
                "is beyond the current KES period {current_period} on this enclave's clock"
            )));
        }
        let supported = kes_used
            .iter()
            .any(|(leader, vkey, period)| *leader == k.leader && *vkey == k.kes_vkey && *period >= u64::from(k.period));
        if !supported {
            return Err(bad(
                "is supported by no header of the file signed with that key in it or later".into(),
            ));
        }
    }
    Ok(parsed.signed.len() + parsed.kes.len())
}

/// One record: `leader` is a pool id (hex) or `bft:` and an Ed25519 key (hex), as the guard
/// names leaders. Returns the KES verification key a Praos header was signed with.
fn verify_record(
    leader: &str,
    slot: u64,
    body_hash: &[u8],
    signed: &[u8],
    slots_per_kes_period: u64,
) -> Result<Option<[u8; 32]>, String> {
    let (header_slot, header_body_hash, kes) = if let Some(vkey) = leader.strip_prefix("bft:") {
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
        (slot, blake2b256(&[&header.body().to_cbor()]), None)
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
        (body.slot, blake2b256(&[&body.to_cbor()]), Some(body.opcert.hot_vkey))
    };
    if header_slot != slot {
        return Err(format!("the signed header is for slot {header_slot}"));
    }
    if header_body_hash[..] != *body_hash {
        return Err("the signed header's body does not hash to body_hash".into());
    }
    Ok(kes)
}
