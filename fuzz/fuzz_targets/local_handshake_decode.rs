//! Node-to-client handshake bytes from a local client: decode, re-encode to an equal message,
//! and answer as the node does. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::handshake::messages::{version_table, ClientVersionData, Message};
use slotforge_network::protocols::handshake::server::respond;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::<ClientVersionData>::decode(data) else { return };
    assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m), "a decoded message re-encodes to an equal one");
    if let Message::Propose(t) = &m {
        let ours = version_table(ClientVersionData {
            network_magic: 42,
            query: false,
        });
        let _ = respond(&ours, t);
    }
});
