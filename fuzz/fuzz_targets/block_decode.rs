//! Block bytes from the network: decode, re-encode byte for byte, check the body against its
//! header, validate on a devnet's genesis state. Never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::{check_body, ChainState};
use slotforge_chain::config::ChainConfig;
use slotforge_chain::selection::ChainSelection;

#[path = "../../crates/chain/tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

fn world() -> &'static (std::sync::Arc<ChainConfig>, ChainState) {
    static W: OnceLock<(std::sync::Arc<ChainConfig>, ChainState)> = OnceLock::new();
    W.get_or_init(|| {
        let net = common::Devnet::new(2, 5, (1, 2), 100);
        let g = net.genesis_state();
        (net.cfg, g)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(b) = Block::decode(data) else { return };
    assert_eq!(b.to_cbor(), data, "a decoded block re-encodes to its bytes");
    let (cfg, g) = world();
    let _ = check_body(&b);
    let _ = g.apply_block(cfg, &b);
    let mut sel = ChainSelection::new(cfg.clone(), g.clone());
    let _ = sel.add_block(b);
});
