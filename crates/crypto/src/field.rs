//! Arithmetic in GF(2^255 - 19), only as much as the Elligator2 map needs.
//!
//! curve25519-dalek keeps its field type private, so the map to the curve is computed on
//! fiat-crypto's formally verified field code and handed to dalek as an encoded point.

use fiat::{fiat_25519_loose_field_element as Loose, fiat_25519_tight_field_element as Tight};
use fiat_crypto::curve25519_64 as fiat;

/// An element of GF(2^255 - 19) in fiat-crypto's tight (carried) representation.
#[derive(Clone, Copy)]
pub(crate) struct Fe(Tight);

impl Fe {
    pub(crate) const ONE: Fe = Fe(Tight([1, 0, 0, 0, 0]));

    /// Interprets 32 little-endian bytes as a field element; bit 255 is ignored and values
    /// at or above p are accepted (they reduce), as libsodium's `fe25519_frombytes` does.
    pub(crate) fn from_bytes(bytes: &[u8; 32]) -> Fe {
        let mut b = *bytes;
        b[31] &= 0x7f;
        let mut out = Tight([0; 5]);
        fiat::fiat_25519_from_bytes(&mut out, &b);
        Fe(out)
    }

    pub(crate) fn from_u64(v: u64) -> Fe {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&v.to_le_bytes());
        Fe::from_bytes(&b)
    }

    /// The canonical (fully reduced) little-endian encoding.
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        fiat::fiat_25519_to_bytes(&mut out, &self.0);
        out
    }

    pub(crate) fn is_zero(self) -> bool {
        self.to_bytes() == [0u8; 32]
    }

    fn relax(self) -> Loose {
        let mut out = Loose([0; 5]);
        fiat::fiat_25519_relax(&mut out, &self.0);
        out
    }

    fn carry(l: Loose) -> Fe {
        let mut out = Tight([0; 5]);
        fiat::fiat_25519_carry(&mut out, &l);
        Fe(out)
    }

    pub(crate) fn mul(self, other: Fe) -> Fe {
        let mut out = Tight([0; 5]);
        fiat::fiat_25519_carry_mul(&mut out, &self.relax(), &other.relax());
        Fe(out)
    }

    pub(crate) fn square(self) -> Fe {
        let mut out = Tight([0; 5]);
        fiat::fiat_25519_carry_square(&mut out, &self.relax());
        Fe(out)
    }

    pub(crate) fn add(self, other: Fe) -> Fe {
        let mut out = Loose([0; 5]);
        fiat::fiat_25519_add(&mut out, &self.0, &other.0);
        Fe::carry(out)
    }

    pub(crate) fn sub(self, other: Fe) -> Fe {
        let mut out = Loose([0; 5]);
        fiat::fiat_25519_sub(&mut out, &self.0, &other.0);
        Fe::carry(out)
    }

    fn pow2k(self, k: u32) -> Fe {
        let mut x = self;
        for _ in 0..k {
            x = x.square();
        }
        x
    }

    /// self^(p-2): the inverse of a non-zero element, and zero for zero (as in libsodium).
    pub(crate) fn invert(self) -> Fe {
        let z2 = self.square();
        let z9 = z2.pow2k(2).mul(self);
        let z11 = z9.mul(z2);
        let z_5_0 = z11.square().mul(z9); // 2^5 - 1
        let z_10_0 = z_5_0.pow2k(5).mul(z_5_0);
        let z_20_0 = z_10_0.pow2k(10).mul(z_10_0);
        let z_40_0 = z_20_0.pow2k(20).mul(z_20_0);
        let z_50_0 = z_40_0.pow2k(10).mul(z_10_0);
        let z_100_0 = z_50_0.pow2k(50).mul(z_50_0);
        let z_200_0 = z_100_0.pow2k(100).mul(z_100_0);
        let z_250_0 = z_200_0.pow2k(50).mul(z_50_0);
        z_250_0.pow2k(5).mul(z11) // 2^255 - 21 = p - 2
    }

    /// Inverts every element with one field inversion (Montgomery's trick). Zeros stay zero.
    pub(crate) fn batch_invert(elems: &mut [Fe]) {
        let mut prefix = Vec::with_capacity(elems.len());
        let mut acc = Fe::ONE;
        for e in elems.iter() {
            prefix.push(acc);
            if !e.is_zero() {
                acc = acc.mul(*e);
            }
        }
        let mut inv = acc.invert();
        for (e, before) in elems.iter_mut().zip(prefix).rev() {
            if e.is_zero() {
                continue;
            }
            let next = inv.mul(*e);
            *e = inv.mul(before);
            inv = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fe(bytes: [u8; 32]) -> Fe {
        Fe::from_bytes(&bytes)
    }

    proptest! {
        #[test]
        fn inverse_times_self_is_one(bytes in any::<[u8; 32]>()) {
            let x = fe(bytes);
            prop_assume!(!x.is_zero());
            prop_assert_eq!(x.mul(x.invert()).to_bytes(), Fe::ONE.to_bytes());
        }

        #[test]
        fn batch_matches_single(v in proptest::collection::vec(any::<[u8; 32]>(), 0..20)) {
            let mut elems: Vec<Fe> = v.iter().map(|b| fe(*b)).collect();
            if elems.len() > 2 { elems[1] = Fe::from_u64(0); }
            let singles: Vec<[u8; 32]> = elems.iter().map(|e| e.invert().to_bytes()).collect();
            Fe::batch_invert(&mut elems);
            let batched: Vec<[u8; 32]> = elems.iter().map(|e| e.to_bytes()).collect();
            prop_assert_eq!(batched, singles);
        }

        #[test]
        fn add_sub_roundtrip(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            let (a, b) = (fe(a), fe(b));
            prop_assert_eq!(a.add(b).sub(b).to_bytes(), a.to_bytes());
        }
    }

    #[test]
    fn zero_inverts_to_zero() {
        assert!(Fe::from_u64(0).invert().is_zero());
        // p itself is zero.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(fe(p).is_zero());
    }
}
