//! Block bytes from the network: decode, re-encode byte for byte, check the body against its
//! header, validate on a devnet's genesis state. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::check_body;
use slotforge_chain::selection::ChainSelection;

#[path = "world.rs"]
mod world;

fuzz_target!(|data: &[u8]| {
    let Ok(b) = Block::decode(data) else { return };
    assert_eq!(b.to_cbor(), data, "a decoded block re-encodes to its bytes");
    let (cfg, g) = world::world();
    let _ = check_body(&b);
    let _ = g.apply_block(cfg, &b);
    let mut sel = ChainSelection::new(cfg.clone(), g.clone());
    let _ = sel.add_block(b);
});
