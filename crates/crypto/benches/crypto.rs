//! VRF, KES and Ed25519 costs. Run: `cargo bench -p slotforge-crypto`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::vrf::VrfSecretKey;
use std::hint::black_box;

fn inputs(n: u32) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| {
            let mut a = [0u8; 32];
            a[..4].copy_from_slice(&i.to_le_bytes());
            a
        })
        .collect()
}

fn vrf(c: &mut Criterion) {
    let sk = VrfSecretKey::from_seed(&[7; 32]);
    let pk = sk.public_key();
    let alpha = [42u8; 32];
    let proof = sk.prove(&alpha);
    let mut g = c.benchmark_group("vrf");
    g.bench_function("prove", |b| b.iter(|| sk.prove(black_box(&alpha))));
    g.bench_function("prove+proof_to_hash", |b| {
        b.iter(|| sk.prove(black_box(&alpha)).to_output())
    });
    g.bench_function("verify", |b| b.iter(|| pk.verify(black_box(&alpha), black_box(&proof))));
    g.bench_function("output", |b| b.iter(|| sk.output(black_box(&alpha))));
    let batch = inputs(256);
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.bench_function("output_batch/256", |b| b.iter(|| sk.output_batch(black_box(&batch))));
    g.finish();
}

fn kes(c: &mut Criterion) {
    let mut seed = [9u8; 32];
    let sk = KesSecretKey::from_seed(&mut seed);
    let pk = sk.public_key();
    let msg = [1u8; 1024];
    let sig = sk.sign(&msg);
    let mut g = c.benchmark_group("kes");
    g.bench_function("sign", |b| b.iter(|| sk.sign(black_box(&msg))));
    g.bench_function("verify", |b| b.iter(|| sig.verify(0, &pk, black_box(&msg))));
    g.bench_function("evolve", |b| {
        b.iter_batched(
            || KesSecretKey::from_bytes(&sk.to_bytes(), 0).unwrap(),
            |mut k| {
                k.evolve().unwrap();
                k
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, vrf, kes);
criterion_main!(benches);
