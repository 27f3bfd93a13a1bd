//! A peer's raw byte stream as the multiplexer reads it: segment headers, payloads gathered per
//! mini-protocol, whole messages cut out under a size limit; each whole message segments
//! again into headers that decode to the same protocol. Never a panic.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use slotforge_network::mux::framing::{segment, MessageBuffer, SduHeader, HEADER_BYTES};

const LIMIT: usize = 5_760;

fuzz_target!(|data: &[u8]| {
    let mut buffers: HashMap<u16, MessageBuffer> = HashMap::new();
    let mut rest = data;
    while rest.len() >= HEADER_BYTES {
        let header: [u8; HEADER_BYTES] = rest[..HEADER_BYTES].try_into().unwrap();
        let Ok(h) = SduHeader::decode(&header) else { return };
        rest = &rest[HEADER_BYTES..];
        let n = (h.length as usize).min(rest.len());
        let buffer = buffers.entry(h.protocol).or_default();
        buffer.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match buffer.next_message(LIMIT) {
                Ok(Some(m)) => {
                    assert!(m.len() <= LIMIT);
                    for s in segment(h.protocol, h.direction, 0, &m).unwrap() {
                        let again = SduHeader::decode(&s[..HEADER_BYTES].try_into().unwrap()).unwrap();
                        assert_eq!((again.protocol, again.direction), (h.protocol, h.direction));
                        assert_eq!(again.length as usize, s.len() - HEADER_BYTES);
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
