//! Keep-alive bytes from a peer: decode, re-encode to an equal message, answer as the
//! responder. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::keepalive::messages::Message;
use slotforge_network::protocols::keepalive::server::respond;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data) else { return };
    assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m));
    let _ = respond(m);
});
