use curve25519_dalek::{edwards::EdwardsPoint, scalar::Scalar, constants::ED25519_BASEPOINT_POINT};
use std::time::Instant;
fn main() { fiat();
    let s = Scalar::from_bytes_mod_order([9; 32]);
    let mut p = ED25519_BASEPOINT_POINT * Scalar::from(12345u64);
    let n = 20000;
    let t = Instant::now();
    for _ in 0..n { p = s * p; }
    println!("varbase mul: {:.2} us", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    let c = p.compress();
    let t = Instant::now();
    let mut acc = 0u8;
    for _ in 0..n { acc ^= std::hint::black_box(c).decompress().unwrap().compress().0[0]; }
    println!("decompress+compress: {:.2} us {acc}", t.elapsed().as_secs_f64() * 1e6 / n as f64);
}
#[allow(dead_code)]
fn _unused() {}
pub fn fiat() {
    let t = Instant::now();
    let r = slotforge_crypto::__bench_fiat_invert(20000);
    println!("fiat invert: {:.2} us {r}", t.elapsed().as_secs_f64() * 1e6 / 20000.0);
}
