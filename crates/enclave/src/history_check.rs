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
/// `current_slot` is the enclave clock's. A KES-period record (a key's evolution, counted from
/// its operational certificate's start, as the guard keeps it) must be supported by a signed
/// header of the file (same leader and KES key, signed at that evolution or a later one) and
/// may not lie beyond the evolution the clock's current KES period gives that certificate, so
/// an import can never stop a pool from signing. Returns how many records were checked.
pub fn verify_records(
    history: &Interchange,
    slots_per_kes_period: u64,
    current_slot: u64,
) -> Result<usize, GuardError> {
    let parsed = history.parse()?;
    let spkp = slots_per_kes_period.max(1);
    // How each verified Praos header used its KES key, by leader.
    let mut kes_used: Vec<(&str, KesUse)> = Vec::new();
    for row in &parsed.signed {
        let kes = verify_record(&row.leader, row.slot, &row.body_hash, &row.signed, slots_per_kes_period).map_err(
            |problem| {
                GuardError::Interchange(format!(
                    "leader {} slot {}: {problem}; nothing imported",
                    row.leader, row.slot
                ))
            },
        )?;
        if let Some(k) = kes {
            kes_used.push((&row.leader, k));
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
        let period = u64::from(k.period);
        let mut with_key = kes_used
            .iter()
            .filter(|(leader, u)| *leader == k.leader && u.vkey == k.kes_vkey)
            .map(|(_, u)| u)
            .peekable();
        if with_key.peek().is_none() {
            return Err(bad("is supported by no header of the file signed with that key".into()));
        }
        let Some(u) = with_key.find(|u| u.evolution >= period) else {
            return Err(bad(
                "is beyond every evolution the file's headers signed with that key at".into(),
            ));
        };
        if u.opcert_start + period > current_period {
            return Err(bad(format!(
                "is beyond the evolution ({}) the current KES period {current_period} on this enclave's \
                 clock gives an operational certificate starting at {}",
                current_period.saturating_sub(u.opcert_start),
                u.opcert_start
            )));
        }
    }
    Ok(parsed.signed.len() + parsed.kes.len())
}

/// How a Praos header used its KES key.
struct KesUse {
    vkey: [u8; 32],
    /// The key's evolution: the slot's KES period less the opcert's start.
    evolution: u64,
    /// The KES period the operational certificate starts at.
    opcert_start: u64,
}

/// One record: `leader` is a pool id (hex) or `bft:` and an Ed25519 key (hex), as the guard
/// names leaders. Returns how a Praos header used its KES key.
fn verify_record(
    leader: &str,
    slot: u64,
    body_hash: &[u8],
    signed: &[u8],
    slots_per_kes_period: u64,
) -> Result<Option<KesUse>, String> {
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
        let used = KesUse {
            vkey: body.opcert.hot_vkey,
            evolution: relative,
            opcert_start: body.opcert.kes_period,
        };
        (body.slot, blake2b256(&[&body.to_cbor()]), Some(used))
    };
    if header_slot != slot {
        return Err(format!("the signed header is for slot {header_slot}"));
    }
    if header_body_hash[..] != *body_hash {
        return Err("the signed header's body does not hash to body_hash".into());
    }
    Ok(kes)
}
