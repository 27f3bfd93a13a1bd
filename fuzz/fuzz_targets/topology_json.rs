//! A topology file (cardano-node's P2P or legacy format): errors, never a panic; what is read
//! writes back and reads again to the same peers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::topology::{parse, to_json};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(peers) = parse(text, "topology.json") else { return };
    assert_eq!(parse(&to_json(&peers), "again").unwrap(), peers);
});
