//! Handshake bytes from a peer: decode, re-encode to an equal message, answer as the
//! responder and conclude as the initiator. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::handshake::client::conclude;
use slotforge_network::protocols::handshake::messages::{version_table, Message, VersionData};
use slotforge_network::protocols::handshake::server::respond;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data) else { return };
    assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m), "a decoded message re-encodes to an equal one");
    let ours = version_table(VersionData::node(42));
    if let Message::Propose(t) = &m {
        let _ = respond(&ours, t);
    }
    let _ = conclude(&ours, m);
});
