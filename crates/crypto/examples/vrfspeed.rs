use slotforge_crypto::vrf::VrfSecretKey;
use std::time::Instant;
fn main() {
    let sk = VrfSecretKey::from_seed(&[3; 32]);
    let alphas: Vec<[u8; 32]> = (0..20000u32).map(|i| { let mut a = [0u8; 32]; a[..4].copy_from_slice(&i.to_le_bytes()); a }).collect();
    let t = Instant::now();
    let mut n = 0u8;
    for c in alphas.chunks(256) { for o in sk.output_batch(c) { n ^= o.0[0]; } }
    println!("batch output: {:.2} us/slot ({n})", t.elapsed().as_secs_f64() * 1e6 / alphas.len() as f64);
    let t = Instant::now();
    for a in &alphas[..5000] { n ^= sk.output(a).0[0]; }
    println!("single output: {:.2} us/slot", t.elapsed().as_secs_f64() * 1e6 / 5000.0);
    let t = Instant::now();
    for a in &alphas[..5000] { n ^= sk.prove(a).to_output().unwrap().0[0]; }
    println!("prove+hash: {:.2} us/slot {n}", t.elapsed().as_secs_f64() * 1e6 / 5000.0);
}
