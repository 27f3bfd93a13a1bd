//! Cryptography for slotforge, compatible with Cardano byte for byte: the VRF
//! (ECVRF-ED25519-SHA512-Elligator2, draft-03), Sum6 KES, Ed25519, and cardano-cli key files.

mod field;
pub mod vrf;
#[doc(hidden)]
pub fn __bench_fiat_invert(n: usize) -> u8 {
    let mut x = field::Fe::from_u64(12345);
    for _ in 0..n { x = x.invert().add(field::Fe::ONE); }
    x.to_bytes()[0]
}
