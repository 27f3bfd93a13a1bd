//! Leader-check and header-validation costs. Run: `cargo bench -p slotforge-praos`.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use slotforge_crypto::vrf::VrfOutput;
use slotforge_praos::header::Header;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::{blake2b256, Nonce};
use slotforge_praos::validation::{validate, IssuerState, PoolLookup, ValidationParams};
use std::hint::black_box;

fn leader(c: &mut Criterion) {
    let t = LeaderThreshold::new(
        75_284_250_207_839,
        10_177_811_974_823_000,
        ActiveSlotCoeff::new(1, 20).unwrap(),
    )
    .unwrap();
    let value = VrfVariant::Praos.leader_value(&VrfOutput([0x5a; 64]));
    let mut g = c.benchmark_group("leader");
    g.bench_function("threshold_setup", |b| {
        b.iter(|| {
            LeaderThreshold::new(
                black_box(75_284_250_207_839),
                10_177_811_974_823_000,
                ActiveSlotCoeff::new(1, 20).unwrap(),
            )
        })
    });
    g.bench_function("leader_value+check", |b| {
        b.iter(|| t.is_leader(&VrfVariant::Praos.leader_value(black_box(&VrfOutput([0x5a; 64])))))
    });
    g.bench_function("check_exact", |b| b.iter(|| t.is_leader_exact(black_box(&value))));
    g.finish();
}

/// Decoding plus every validation rule of one real mainnet header (TPraos: two VRF proofs).
fn header(c: &mut Criterion) {
    let dir = std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"));
    let text = std::fs::read_to_string(dir.join("mainnet/header-4556956.cbor.hex")).expect("mainnet header vector");
    let bytes = hex::decode(text.trim()).unwrap();
    let h = Header::decode(&bytes).unwrap();
    let params = ValidationParams {
        variant: VrfVariant::TPraos,
        epoch_nonce: Nonce::from_hex("3fac34ac3d7d1ac6c976ba68b1509b1ee3aafdbf6de96e10789e488e13e16bd7").unwrap(),
        active_slot_coeff: ActiveSlotCoeff::new(1, 20).unwrap(),
        slots_per_kes_period: 129_600,
        max_kes_evolutions: 62,
        decentralisation: (9, 10),
        epoch_first_slot: 5_788_800,
        gen_delegs: Default::default(),
    };
    let issuer = IssuerState {
        last_sequence_number: Some(h.body().opcert.sequence_number),
        pool: PoolLookup::Registered {
            vrf_key_hash: blake2b256(&[&h.body().vrf_vkey]),
            stake: 75_284_250_207_839,
            total_stake: 10_177_811_974_823_000,
        },
    };
    validate(&h, &params, &issuer).expect("the vector validates");
    let mut g = c.benchmark_group("header");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decode", |b| b.iter(|| Header::decode(black_box(&bytes))));
    g.bench_function("decode+validate_tpraos", |b| {
        b.iter(|| validate(&Header::decode(black_box(&bytes)).unwrap(), &params, &issuer))
    });
    g.finish();
}

criterion_group!(benches, leader, header);
criterion_main!(benches);
