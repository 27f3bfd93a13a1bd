//! Leader election: who may produce a block in a slot.
//!
//! The stake test is cardano-ledger's `checkLeaderNatValue`: a slot is won when
//! `certNatMax / (certNatMax − certNat) < exp(−σ · ln(1 − f))`, evaluated with the ledger's
//! 34-digit fixed-point Taylor comparison ([`crate::fixed`]). Because that is slow, a
//! floating-point comparison decides every value far from the threshold; only values within
//! a relative 10^-9 of it (about one slot in 10^9) take the exact path. Far outside that band
//! both computations give the real-number answer, so the results are identical; see
//! docs/ARCHITECTURE.md for the error analysis.

use num_bigint::{BigInt, Sign};
use num_traits::{One, Zero};
use slotforge_crypto::vrf::VrfOutput;

use crate::fixed::{self, ExpCmp, FixedPoint};
use crate::nonce::{blake2b256, Nonce};

/// The VRF construction of an era.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VrfVariant {
    /// Shelley to Alonzo: two VRF evaluations (leader and nonce), seeds XORed into the input.
    TPraos,
    /// Babbage: one VRF evaluation, leader value = blake2b-256("L" ‖ output).
    Praos,
    /// Conway: as Praos; the nonce stabilisation window grows to 4k/f.
    CPraos,
}

impl VrfVariant {
    /// The variant's lowercase name, as in configuration files and its serde form ("tpraos",
    /// "praos", "cpraos").
    pub fn name(self) -> &'static str {
        match self {
            VrfVariant::TPraos => "tpraos",
            VrfVariant::Praos => "praos",
            VrfVariant::CPraos => "cpraos",
        }
    }

    /// The VRF input for the leader check in `slot` under the epoch nonce.
    pub fn leader_input(self, slot: u64, epoch_nonce: &Nonce) -> [u8; 32] {
        let base = blake2b256(&[&slot.to_be_bytes(), epoch_nonce.as_bytes()]);
        match self {
            VrfVariant::Praos | VrfVariant::CPraos => base,
            VrfVariant::TPraos => xor(base, seed_bytes(TPRAOS_SEED_LEADER)),
        }
    }

    /// TPraos only: the VRF input of the block's nonce proof.
    pub fn tpraos_nonce_input(slot: u64, epoch_nonce: &Nonce) -> [u8; 32] {
        xor(
            blake2b256(&[&slot.to_be_bytes(), epoch_nonce.as_bytes()]),
            seed_bytes(TPRAOS_SEED_NONCE),
        )
    }

    /// The leader value compared against the stake threshold, as a big-endian natural.
    pub fn leader_value(self, output: &VrfOutput) -> LeaderValue {
        match self {
            VrfVariant::Praos | VrfVariant::CPraos => LeaderValue::Praos(blake2b256(&[b"L", output.as_bytes()])),
            VrfVariant::TPraos => LeaderValue::TPraos(*output.as_bytes()),
        }
    }

    /// The value a block's VRF contributes to the evolving nonce.
    pub fn nonce_value(self, output: &VrfOutput) -> [u8; 32] {
        match self {
            VrfVariant::Praos | VrfVariant::CPraos => blake2b256(&[&blake2b256(&[b"N", output.as_bytes()])]),
            VrfVariant::TPraos => blake2b256(&[output.as_bytes()]),
        }
    }
}

const TPRAOS_SEED_NONCE: u64 = 0;
const TPRAOS_SEED_LEADER: u64 = 1;

fn seed_bytes(n: u64) -> [u8; 32] {
    blake2b256(&[&n.to_be_bytes()])
}

fn xor(a: [u8; 32], b: [u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for i in 0..32 {
        out[i] = a[i] ^ b[i];
    }
    out
}

/// A leader value: 256 bits (Praos) or the raw 512-bit VRF output (TPraos).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderValue {
    /// Praos/CPraos: blake2b-256("L" ‖ VRF output), read as a 256-bit big-endian natural.
    Praos([u8; 32]),
    /// TPraos: the 64-byte VRF output itself, read as a 512-bit big-endian natural.
    TPraos([u8; 64]),
}

impl LeaderValue {
    fn bytes(&self) -> &[u8] {
        match self {
            LeaderValue::Praos(b) => b,
            LeaderValue::TPraos(b) => b,
        }
    }

    /// certNat / certNatMax as a float, from the top 128 bits.
    fn as_fraction(&self) -> f64 {
        let mut top = [0u8; 16];
        top.copy_from_slice(&self.bytes()[..16]);
        u128::from_be_bytes(top) as f64 / 2f64.powi(128)
    }
}

/// Why leadership parameters were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaderParamsError {
    /// f = numerator / denominator is not in (0, 1]; holds (numerator, denominator).
    #[error("the active slot coefficient must be in (0, 1], got {0}/{1}")]
    ActiveSlotCoeff(u64, u64),
    /// The total active stake is 0, so no relative stake σ can be formed.
    #[error("the total active stake must be positive")]
    ZeroTotalStake,
    /// The pool's stake is larger than the total, so σ would exceed 1.
    #[error("the pool's stake ({pool}) exceeds the total active stake ({total})")]
    StakeAboveTotal {
        /// The pool's active stake, in lovelace.
        pool: u64,
        /// The total active stake, in lovelace.
        total: u64,
    },
    /// The decentralisation parameter d is not in [0, 1]; holds (numerator, denominator).
    #[error("the decentralisation parameter must be in [0, 1], got {0}/{1}")]
    Decentralisation(u64, u64),
}

/// The active slot coefficient f, an exact rational in (0, 1], with ln(1 − f) as the ledger
/// stores it (`unActiveSlotLog`).
#[derive(Debug, Clone)]
pub struct ActiveSlotCoeff {
    /// f's numerator.
    pub num: u64,
    /// f's denominator.
    pub den: u64,
    ln_one_minus_f: FixedPoint,
}

impl ActiveSlotCoeff {
    /// f = `num / den` with ln(1 − f) computed once, as the ledger does; refuses f outside (0, 1].
    pub fn new(num: u64, den: u64) -> Result<Self, LeaderParamsError> {
        if num == 0 || den == 0 || num > den {
            return Err(LeaderParamsError::ActiveSlotCoeff(num, den));
        }
        let ln_one_minus_f = if num == den {
            FixedPoint(BigInt::zero())
        } else {
            let one_minus_f = FixedPoint::one().sub(&FixedPoint::from_ratio(&num.into(), &den.into()));
            fixed::ln(&one_minus_f)
        };
        Ok(ActiveSlotCoeff {
            num,
            den,
            ln_one_minus_f,
        })
    }

    /// f as a float, for the fast path and for display.
    pub fn value(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    fn is_one(&self) -> bool {
        self.num == self.den
    }
}

/// The stake test of one pool for one epoch: σ and f fixed, values tested per slot.
#[derive(Debug, Clone)]
pub struct LeaderThreshold {
    f: ActiveSlotCoeff,
    /// x = −σ · ln(1 − f) in the ledger's fixed point.
    x: FixedPoint,
    /// 1 − (1 − f)^σ: the probability of winning a slot, for the fast path.
    phi: f64,
    sigma: f64,
}

impl LeaderThreshold {
    /// σ = `pool_stake / total_stake`.
    pub fn new(pool_stake: u64, total_stake: u64, f: ActiveSlotCoeff) -> Result<Self, LeaderParamsError> {
        if total_stake == 0 {
            return Err(LeaderParamsError::ZeroTotalStake);
        }
        if pool_stake > total_stake {
            return Err(LeaderParamsError::StakeAboveTotal {
                pool: pool_stake,
                total: total_stake,
            });
        }
        let sigma_fp = FixedPoint::from_ratio(&pool_stake.into(), &total_stake.into());
        let x = sigma_fp.neg().mul(&f.ln_one_minus_f);
        let sigma = pool_stake as f64 / total_stake as f64;
        let phi = if f.is_one() {
            1.0
        } else {
            -(sigma * (-f.value()).ln_1p()).exp_m1()
        };
        Ok(LeaderThreshold { f, x, phi, sigma })
    }

    /// σ as a float, for display.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The probability of leading a slot, 1 − (1 − f)^σ.
    pub fn probability(&self) -> f64 {
        self.phi
    }

    /// Whether the leader value wins the slot, exactly as the ledger decides.
    pub fn is_leader(&self, value: &LeaderValue) -> bool {
        if self.f.is_one() {
            return true;
        }
        let p = value.as_fraction();
        let margin = 1e-9 * self.phi + 1e-20;
        if p < self.phi - margin {
            true
        } else if p > self.phi + margin {
            false
        } else {
            self.is_leader_exact(value)
        }
    }

    /// The ledger's computation alone, without the floating-point fast path.
    pub fn is_leader_exact(&self, value: &LeaderValue) -> bool {
        if self.f.is_one() {
            return true;
        }
        let bytes = value.bytes();
        let cert_nat = BigInt::from_bytes_be(Sign::Plus, bytes);
        let cert_nat_max = BigInt::one() << (8 * bytes.len());
        let denominator = &cert_nat_max - &cert_nat;
        let recip_q = FixedPoint::from_ratio(&cert_nat_max, &denominator);
        fixed::taylor_exp_cmp(3, &recip_q, &self.x) == ExpCmp::Below
    }
}

/// TPraos: whether `slot` is reserved for the genesis delegates (an overlay slot) under the
/// decentralisation parameter d = `d_num/d_den`: ⌈s·d⌉ < ⌈(s+1)·d⌉ with s the slot in epoch.
pub fn is_overlay_slot(slot_in_epoch: u64, d_num: u64, d_den: u64) -> bool {
    if d_num == 0 || d_den == 0 {
        return false;
    }
    let step = |s: u64| -> u128 { (s as u128 * d_num as u128).div_ceil(d_den as u128) };
    step(slot_in_epoch) < step(slot_in_epoch + 1)
}

/// A TPraos overlay slot: reserved for a genesis delegate, or to stay empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlaySlot {
    /// The genesis key at this index, in byte order of the keys' hashes, issues the block.
    Active(usize),
    /// No block may be issued.
    NonActive,
}

/// TPraos: cardano-ledger's `lookupInOverlaySchedule` — None for a slot open to stake pools;
/// otherwise, with position = ⌈s·d⌉ and 1/f rounded down, the slot is active when position is
/// a multiple of 1/f, for the genesis key (position / (1/f)) mod `genesis_keys`.
pub fn overlay_slot(
    slot_in_epoch: u64,
    d: (u64, u64),
    f: &ActiveSlotCoeff,
    genesis_keys: usize,
) -> Option<OverlaySlot> {
    if !is_overlay_slot(slot_in_epoch, d.0, d.1) {
        return None;
    }
    let position = (slot_in_epoch as u128 * d.0 as u128).div_ceil(d.1 as u128);
    let asc_inv = (f.den / f.num) as u128; // f ≤ 1, so at least 1
    if !position.is_multiple_of(asc_inv) || genesis_keys == 0 {
        return Some(OverlaySlot::NonActive);
    }
    Some(OverlaySlot::Active(
        ((position / asc_inv) % genesis_keys as u128) as usize,
    ))
}

/// BFT round-robin: the index of the leader of a slot among `n` leaders.
pub fn bft_leader_index(slot_in_epoch: u64, n: usize) -> Option<usize> {
    if n == 0 {
        None
    } else {
        Some((slot_in_epoch % n as u64) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overlay_slots_go_round_robin_over_the_genesis_keys_every_one_over_f_positions() {
        let f = ActiveSlotCoeff::new(1, 20).unwrap();
        // d = 1: every slot is an overlay slot, every 20th active, the keys in turn.
        assert_eq!(overlay_slot(0, (1, 1), &f, 7), Some(OverlaySlot::Active(0)));
        assert_eq!(overlay_slot(1, (1, 1), &f, 7), Some(OverlaySlot::NonActive));
        assert_eq!(overlay_slot(20, (1, 1), &f, 7), Some(OverlaySlot::Active(1)));
        assert_eq!(overlay_slot(140, (1, 1), &f, 7), Some(OverlaySlot::Active(0)));
        // d = 1/2: slots 0, 2, 4, … are overlay slots at positions 0, 1, 2, …
        assert_eq!(overlay_slot(1, (1, 2), &f, 7), None);
        assert_eq!(overlay_slot(2, (1, 2), &f, 7), Some(OverlaySlot::NonActive));
        assert_eq!(overlay_slot(40, (1, 2), &f, 7), Some(OverlaySlot::Active(1)));
        assert_eq!(overlay_slot(5, (0, 1), &f, 7), None);
        // f = 3/10: 1/f rounds down to 3.
        let f = ActiveSlotCoeff::new(3, 10).unwrap();
        assert_eq!(overlay_slot(3, (1, 1), &f, 2), Some(OverlaySlot::Active(1)));
        assert_eq!(overlay_slot(4, (1, 1), &f, 2), Some(OverlaySlot::NonActive));
    }

    fn threshold(pool: u64, total: u64) -> LeaderThreshold {
        LeaderThreshold::new(pool, total, ActiveSlotCoeff::new(1, 20).unwrap()).unwrap()
    }

    fn value_at(p: f64) -> LeaderValue {
        let v = (p * 2f64.powi(128)) as u128;
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(&v.to_be_bytes());
        LeaderValue::Praos(b)
    }

    #[test]
    fn ln_of_095_matches_the_ledger_constant() {
        // floor(10^34 · ln'(0.95)) as cardano-ledger computes it for f = 1/20.
        let f = ActiveSlotCoeff::new(1, 20).unwrap();
        let expected = (0.95f64).ln();
        let got = f.ln_one_minus_f.0.to_string().parse::<f64>().unwrap() / 1e34;
        assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
    }

    #[test]
    fn boundary_decided_exactly() {
        let t = threshold(1, 1000);
        let phi = t.probability();
        // Values far from the threshold by 1e-6 relative: float and exact agree.
        assert!(t.is_leader_exact(&value_at(phi * (1.0 - 1e-6))));
        assert!(!t.is_leader_exact(&value_at(phi * (1.0 + 1e-6))));
        // Inside the band both paths are the exact one.
        for k in -50..50 {
            let v = value_at(phi * (1.0 + k as f64 * 1e-12));
            assert_eq!(t.is_leader(&v), t.is_leader_exact(&v));
        }
    }

    #[test]
    fn degenerate_parameters() {
        assert!(ActiveSlotCoeff::new(0, 1).is_err());
        assert!(ActiveSlotCoeff::new(2, 1).is_err());
        assert!(ActiveSlotCoeff::new(1, 0).is_err());
        let f = || ActiveSlotCoeff::new(1, 20).unwrap();
        assert!(LeaderThreshold::new(1, 0, f()).is_err());
        assert!(LeaderThreshold::new(2, 1, f()).is_err());
        let zero = LeaderThreshold::new(0, 100, f()).unwrap();
        assert!(!zero.is_leader(&LeaderValue::Praos([0; 32])));
        let all = LeaderThreshold::new(1, 1, ActiveSlotCoeff::new(1, 1).unwrap()).unwrap();
        assert!(all.is_leader(&LeaderValue::Praos([0xff; 32])));
        // σ = 1, f = 1/20: the threshold is exactly f.
        let full = LeaderThreshold::new(7, 7, f()).unwrap();
        assert!(full.is_leader(&value_at(0.0499999)));
        assert!(!full.is_leader(&value_at(0.0500001)));
    }

    /// σ = 1, f = 1/2: in real numbers the slot is won iff certNat < 2^255. The ledger's
    /// 34-digit arithmetic puts its boundary within a relative 10^-20 of that; we find it by
    /// bisection and check that the fast path defers to the exact one all around it.
    #[test]
    fn exact_boundary_is_the_ledgers() {
        use num_bigint::BigInt;
        let t = LeaderThreshold::new(5, 5, ActiveSlotCoeff::new(1, 2).unwrap()).unwrap();
        let value = |v: &BigInt| {
            let (_, bytes) = v.to_bytes_be();
            let mut out = [0u8; 32];
            out[32 - bytes.len()..].copy_from_slice(&bytes);
            LeaderValue::Praos(out)
        };
        let half = BigInt::from(1) << 255;
        let (mut lo, mut hi) = (&half - (BigInt::from(1) << 200), &half + (BigInt::from(1) << 200));
        assert!(t.is_leader_exact(&value(&lo)) && !t.is_leader_exact(&value(&hi)));
        while &hi - &lo > BigInt::from(1) {
            let mid: BigInt = (&lo + &hi) >> 1;
            if t.is_leader_exact(&value(&mid)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // `hi` is the smallest losing value.
        for d in -64i64..64 {
            let v = &hi + d;
            assert_eq!(t.is_leader_exact(&value(&v)), d < 0, "monotone at boundary{d:+}");
            assert_eq!(t.is_leader(&value(&v)), d < 0, "fast path at boundary{d:+}");
        }
        let diff: BigInt = &hi - &half;
        let offset = diff.to_string().parse::<f64>().unwrap() / 2f64.powi(255);
        assert!(offset.abs() < 1e-20, "the ledger's boundary is 2^255 · (1 {offset:+e})");
    }

    #[test]
    fn overlay_slots() {
        assert!((0..100).all(|s| is_overlay_slot(s, 1, 1)));
        assert!((0..100).all(|s| !is_overlay_slot(s, 0, 1)));
        assert_eq!((0..100).filter(|s| is_overlay_slot(*s, 1, 2)).count(), 50);
        assert_eq!((0..1000).filter(|s| is_overlay_slot(*s, 9, 10)).count(), 900);
        // Mainnet epoch 215 (d = 0.32), as published with cncli's tests.
        assert!(!is_overlay_slot(16_128_499 - 15_724_800, 32, 100));
        assert!(is_overlay_slot(15_920_150 - 15_724_800, 32, 100));
        assert_eq!(bft_leader_index(7, 3), Some(1));
        assert_eq!(bft_leader_index(7, 0), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn exact_matches_float_away_from_boundary(pool in 1u64..1_000_000, total_extra in 0u64..100_000_000, p in 0.0f64..1.0) {
            let t = threshold(pool, pool + total_extra);
            let phi = t.probability();
            prop_assume!((p - phi).abs() > 1e-6 * phi + 1e-12);
            prop_assert_eq!(t.is_leader_exact(&value_at(p)), p < phi);
            prop_assert_eq!(t.is_leader(&value_at(p)), p < phi);
        }

        #[test]
        fn fast_path_equals_exact_near_boundary(pool in 1u64..1_000_000, total_extra in 0u64..100_000_000, rel in -1e-8f64..1e-8) {
            let t = threshold(pool, pool + total_extra);
            let v = value_at(t.probability() * (1.0 + rel));
            prop_assert_eq!(t.is_leader(&v), t.is_leader_exact(&v));
        }

        #[test]
        fn monotone_in_stake(pool in 1u64..1_000_000, extra in 1u64..1_000_000, total in 2_000_000u64..10_000_000, bytes in any::<[u8; 32]>()) {
            let v = LeaderValue::Praos(bytes);
            let small = threshold(pool, total);
            let big = threshold(pool + extra, total);
            prop_assert!(!small.is_leader_exact(&v) || big.is_leader_exact(&v));
        }
    }
}
