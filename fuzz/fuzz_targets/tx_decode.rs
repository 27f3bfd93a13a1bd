//! Transaction bytes from a client or a peer: decode, re-encode byte for byte, apply to a
//! devnet's genesis ledger and admit to a mempool. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_chain::mempool::Mempool;
use slotforge_ledger::tx::Transaction;

#[path = "world.rs"]
mod world;

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = Transaction::decode(data) else { return };
    assert_eq!(tx.to_cbor(), data, "a decoded transaction re-encodes to its bytes");
    let (cfg, g) = world::world();
    let mut ledger = g.ledger.clone();
    let _ = ledger.apply_tx(&cfg.ledger, 10, &tx);
    let _ = ledger.reapply_tx(&cfg.ledger, 10, &tx);
    let mut m = Mempool::new(cfg, g, 10, 1 << 20);
    let _ = m.add(tx);
});
