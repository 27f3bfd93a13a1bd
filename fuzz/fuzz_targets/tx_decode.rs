//! Transaction bytes from a client or a peer: decode, re-encode byte for byte, apply to a
//! devnet's genesis ledger and admit to a mempool. Never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_chain::mempool::Mempool;
use slotforge_chain::tx::Transaction;

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
    let Ok(tx) = Transaction::decode(data) else { return };
    assert_eq!(tx.to_cbor(), data, "a decoded transaction re-encodes to its bytes");
    let (cfg, g) = world();
    let mut ledger = g.ledger.clone();
    let _ = ledger.apply_tx(&cfg.ledger, 10, &tx);
    let _ = ledger.reapply_tx(&cfg.ledger, 10, &tx);
    let mut m = Mempool::new(cfg, g, 10, 1 << 20);
    let _ = m.add(cfg, tx);
});
