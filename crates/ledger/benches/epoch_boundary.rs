//! The epoch boundary's time against the number of stake accounts and pools:
//! `cargo bench -p slotforge-ledger --bench epoch_boundary` (figures in docs/PERFORMANCE.md).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use slotforge_ledger::boundary_fixture;

fn boundary(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch boundary");
    group.sample_size(10);
    for (accounts, pools) in [(1_000, 10), (10_000, 100), (100_000, 1_000), (1_000_000, 3_000)] {
        let state = boundary_fixture::state(accounts, pools);
        group.bench_function(format!("{accounts} accounts, {pools} pools"), |b| {
            b.iter_batched(|| state.clone(), |mut s| s.new_epoch(), BatchSize::LargeInput)
        });
    }
    group.finish();
}

criterion_group!(benches, boundary);
criterion_main!(benches);
