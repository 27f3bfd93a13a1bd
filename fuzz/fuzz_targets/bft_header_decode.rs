//! BFT header bytes from the network: decode, re-encode byte for byte, validate against a
//! fixed leader list. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_praos::bft::{BftHeader, BftHeaderBody};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = BftHeader::decode(data) {
        assert_eq!(h.to_cbor(), data, "a decoded header re-encodes to its bytes");
        let _ = h.validate(0..1000, &[[1; 32], [2; 32]]);
        let _ = h.hash();
    }
    if let Ok(body) = BftHeaderBody::decode(data) {
        assert_eq!(BftHeaderBody::decode(&body.to_cbor()).as_ref(), Ok(&body));
    }
});
