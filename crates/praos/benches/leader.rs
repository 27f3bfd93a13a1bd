//! Leader-check costs. Run: `cargo bench -p slotforge-praos`.

use criterion::{criterion_group, criterion_main, Criterion};
use slotforge_crypto::vrf::VrfOutput;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
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

criterion_group!(benches, leader);
criterion_main!(benches);
