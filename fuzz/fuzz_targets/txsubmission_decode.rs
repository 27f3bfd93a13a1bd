//! Tx-submission2 bytes from a peer: decode under the size limit, re-encode to an equal
//! message. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::limits::LARGE_BYTES;
use slotforge_network::protocols::txsubmission::messages::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data, LARGE_BYTES) else { return };
    assert_eq!(Message::decode(&m.to_cbor(), LARGE_BYTES).as_ref(), Ok(&m));
});
