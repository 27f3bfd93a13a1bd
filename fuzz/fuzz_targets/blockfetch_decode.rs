//! Block-fetch bytes from a peer: decode under the streaming state's size limit, re-encode to
//! an equal message, unwrap a streamed block's era tag. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::blockfetch::messages::{unwrap_block, Message};
use slotforge_network::protocols::limits::LARGE_BYTES;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data, LARGE_BYTES) else { return };
    assert_eq!(Message::decode(&m.to_cbor(), LARGE_BYTES).as_ref(), Ok(&m));
    if let Message::Block(b) = &m {
        let _ = unwrap_block(b);
    }
});
