//! Local tx-submission bytes from a local client: decode, and what decodes re-encodes to an
//! equal message. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::local_tx_submission::messages::Message;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data) else { return };
    assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m));
});
