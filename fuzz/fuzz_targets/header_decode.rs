//! Block header bytes from the network: decode, and for what decodes, re-encode byte for
//! byte and run the context-free checks. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_praos::header::{Header, HeaderBody};
use slotforge_praos::validation::{check_kes_period, check_kes_signature, check_opcert_signature};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::decode(data) {
        assert_eq!(h.to_cbor(), data, "a decoded header re-encodes to its bytes");
        let _ = check_opcert_signature(&h);
        if let Ok(t) = check_kes_period(&h, 129_600, 62) {
            let _ = check_kes_signature(&h, t);
        }
        let _ = h.hash();
    }
    if let Ok(body) = HeaderBody::decode(data) {
        assert_eq!(HeaderBody::decode(&body.to_cbor()).as_ref(), Ok(&body));
    }
});
