//! The headline measurement: one full mainnet epoch (432,000 slots, one key) scanned two
//! ways in the same run, on all cores:
//!   1. as today's tools do it: a full VRF proof for every slot, then its hash;
//!   2. as slotforge does it: batched output-only evaluation, proofs for nothing.
//!
//! Both must find the same slots.
//!
//! Run: `cargo run --release -p slotforge-praos --example full_epoch [SLOTS]`

use std::time::Instant;

use rayon::prelude::*;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::schedule::PraosEpoch;

fn main() {
    let slots: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(432_000);
    let key = VrfSecretKey::from_seed(&[0x42; 32]);
    let epoch = PraosEpoch {
        epoch: 400,
        first_slot: 87_436_800,
        epoch_length: slots,
        nonce: Nonce::Hash([0x3f; 32]),
        variant: VrfVariant::Praos,
        threshold: LeaderThreshold::new(
            75_284_250_207_839,
            10_177_811_974_823_000,
            ActiveSlotCoeff::new(1, 20).unwrap(),
        )
        .unwrap(),
        decentralisation: (0, 1),
    };
    let threads = rayon::current_num_threads();
    let range: Vec<u64> = epoch.slots().collect();

    let t = Instant::now();
    let fast: Vec<u64> = range
        .par_chunks(4096)
        .flat_map_iter(|c| epoch.scan(&key, c[0]..c[c.len() - 1] + 1).into_iter().map(|w| w.slot))
        .collect();
    let fast_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let full: Vec<u64> = range
        .par_iter()
        .copied()
        .filter(|s| epoch.is_won_with_proof(&key, *s))
        .collect();
    let full_s = t.elapsed().as_secs_f64();

    assert_eq!(fast, full, "both ways find the same slots");
    println!("slots: {slots}, threads: {threads}, won: {}", fast.len());
    println!(
        "full proof per slot:  {full_s:7.2} s  ({:.1} µs/slot/thread)",
        full_s * 1e6 * threads as f64 / slots as f64
    );
    println!(
        "output-only, batched: {fast_s:7.2} s  ({:.1} µs/slot/thread)",
        fast_s * 1e6 * threads as f64 / slots as f64
    );
    println!("speed-up: {:.2}x", full_s / fast_s);
}
