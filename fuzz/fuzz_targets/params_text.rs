//! Text the operator supplies: epoch nonces and Shelley genesis files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_praos::nonce::Nonce;
use slotforge_praos::time::ConsensusGenesis;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Nonce::from_hex(text);
    if let Ok(g) = ConsensusGenesis::from_json(text) {
        if let Ok(h) = g.era_history() {
            let slot = h.slot_at(h.slot_start(12345)).unwrap_or(0);
            let _ = h.slot_to_epoch(slot);
            let _ = h.epoch_bounds(slot);
        }
    }
});
