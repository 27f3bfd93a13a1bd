//! The ledger's values as cardano-ledger writes them at protocol version 9, which node-to-client
//! answers and rejections are made of: credentials, DReps, voters, action ids, transaction inputs, rationals
//! (tagged 30, reduced), and ledger lists, sets (tagged 258) and maps, written with definite
//! length up to 23 items and indefinite beyond (`lengthThreshold`).

use minicbor::data::Tag;
use slotforge_ledger::state::{DRep, GovActionId, TxIn, Voter};
use slotforge_ledger::Credential;
use slotforge_praos::ratio::Ratio;

use crate::protocols::codec::Enc;

/// A credential: `[0, keyHash]` or `[1, scriptHash]`.
pub(crate) fn credential(e: &mut Enc<'_>, c: &Credential) {
    let (tag, h) = match c {
        Credential::Key(h) => (0, h),
        Credential::Script(h) => (1, h),
    };
    let _ = e.array(2).and_then(|e| e.u8(tag)).and_then(|e| e.bytes(h));
}

/// A DRep: `[0, keyHash]`, `[1, scriptHash]`, `[2]` (always abstain), `[3]` (no confidence).
pub(crate) fn drep(e: &mut Enc<'_>, d: &DRep) {
    let _ = match d {
        DRep::Key(h) => e.array(2).and_then(|e| e.u8(0)).and_then(|e| e.bytes(h)),
        DRep::Script(h) => e.array(2).and_then(|e| e.u8(1)).and_then(|e| e.bytes(h)),
        DRep::AlwaysAbstain => e.array(1).and_then(|e| e.u8(2)),
        DRep::AlwaysNoConfidence => e.array(1).and_then(|e| e.u8(3)),
    };
}

/// `GovActionId`: `[txId, index]`.
pub(crate) fn gov_action_id(e: &mut Enc<'_>, id: &GovActionId) {
    let _ = e.array(2).and_then(|e| e.bytes(&id.tx)).and_then(|e| e.u16(id.index));
}

/// A voter: `[0, keyHash]` / `[1, scriptHash]` a committee hot credential, `[2, …]` / `[3, …]`
/// a DRep, `[4, poolId]` a pool.
pub(crate) fn voter(e: &mut Enc<'_>, v: &Voter) {
    let (tag, h) = match v {
        Voter::Committee(Credential::Key(h)) => (0, h),
        Voter::Committee(Credential::Script(h)) => (1, h),
        Voter::DRep(Credential::Key(h)) => (2, h),
        Voter::DRep(Credential::Script(h)) => (3, h),
        Voter::Pool(p) => (4, p),
    };
    let _ = e.array(2).and_then(|e| e.u8(tag)).and_then(|e| e.bytes(h));
}

/// A transaction input: `[txId, index]`.
pub(crate) fn tx_in(e: &mut Enc<'_>, i: &TxIn) {
    let _ = e.array(2).and_then(|e| e.bytes(&i.tx)).and_then(|e| e.u64(i.index));
}

/// A rational: `#6.30([n, d])`, reduced.
pub(crate) fn rational(e: &mut Enc<'_>, (n, d): (u64, u64)) {
    let r = Ratio::new(n, d);
    let _ = e
        .tag(Tag::new(30))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u64(r.num))
        .and_then(|e| e.u64(r.den));
}

/// A list or map's head for `n` items; returns whether an end is owed.
fn head(e: &mut Enc<'_>, n: usize, map: bool) -> bool {
    let indefinite = slotforge_ledger::cbor_lengths::is_indefinite(n);
    let _ = match (indefinite, map) {
        (false, false) => e.array(n as u64),
        (false, true) => e.map(n as u64),
        (true, false) => e.begin_array(),
        (true, true) => e.begin_map(),
    };
    indefinite
}

fn end(e: &mut Enc<'_>, indefinite: bool) {
    if indefinite {
        let _ = e.end();
    }
}

/// A ledger list of `items`, each written by `put`.
pub(crate) fn list<T>(e: &mut Enc<'_>, items: &[T], mut put: impl FnMut(&mut Enc<'_>, &T)) {
    let indefinite = head(e, items.len(), false);
    for i in items {
        put(e, i);
    }
    end(e, indefinite);
}

/// A ledger set: tagged 258, then a ledger list.
pub(crate) fn set<T>(e: &mut Enc<'_>, items: &[T], put: impl FnMut(&mut Enc<'_>, &T)) {
    let _ = e.tag(Tag::new(258));
    list(e, items, put);
}

/// A ledger map of `entries`, each key and value written by `put`, in the order given.
pub(crate) fn map<T>(e: &mut Enc<'_>, entries: &[T], mut put: impl FnMut(&mut Enc<'_>, &T)) {
    let indefinite = head(e, entries.len(), true);
    for i in entries {
        put(e, i);
    }
    end(e, indefinite);
}

#[cfg(test)]
mod tests {
    use super::*;
    use minicbor::Encoder;

    #[test]
    fn ledger_collections_go_indefinite_beyond_23_items() {
        for (n, first) in [(23usize, 0x97u8), (24, 0x9f)] {
            let mut out = Vec::new();
            list(&mut Encoder::new(&mut out), &vec![0u8; n], |e, x| {
                let _ = e.u8(*x);
            });
            assert_eq!(out[0], first, "{n} items");
            assert_eq!(*out.last().unwrap() == 0xff, n > 23);
        }
    }
}
