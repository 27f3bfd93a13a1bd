//! cardano-ledger's length rule for the lists and maps it writes (`variableListLenEncoding`,
//! `encodeMap` from encoding version 2): definite length up to 23 items, indefinite beyond.

use pallas_codec::minicbor::Encoder;

/// The encoder every writer here uses.
pub(crate) type Enc<'a> = Encoder<&'a mut Vec<u8>>;

/// Whether the reference writes a list or map of `n` items with indefinite length (its
/// `lengthThreshold`: beyond 23). The one statement of the rule, for this crate's writers and the
/// node-to-client answers' alike.
pub fn is_indefinite(n: usize) -> bool {
    n > 23
}

/// A list's head for `n` items.
pub(crate) fn list_head(e: &mut Enc<'_>, n: usize) {
    let _ = if is_indefinite(n) {
        e.begin_array()
    } else {
        e.array(n as u64)
    };
}

/// A map's head for `n` entries.
pub(crate) fn map_head(e: &mut Enc<'_>, n: usize) {
    let _ = if is_indefinite(n) {
        e.begin_map()
    } else {
        e.map(n as u64)
    };
}

/// The break a list or map of `n` items ends with, if it is indefinite.
pub(crate) fn end(e: &mut Enc<'_>, n: usize) {
    if is_indefinite(n) {
        let _ = e.end();
    }
}

/// Items already encoded, as a list (a `StrictSeq`, say).
pub(crate) fn list(items: impl ExactSizeIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let e = &mut Encoder::new(&mut out);
    let n = items.len();
    list_head(e, n);
    for item in items {
        e.writer_mut().extend_from_slice(&item);
    }
    end(e, n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_past_23_items_are_indefinite() {
        let items = |n: usize| (0..n).map(|_| vec![0x01]);
        assert_eq!(list(items(0)), vec![0x80]);
        assert_eq!(list(items(23)), [vec![0x97], vec![0x01; 23]].concat());
        assert_eq!(list(items(24)), [vec![0x9f], vec![0x01; 24], vec![0xff]].concat());
    }
}
