//! The ledger's `FixedPoint` (Haskell `Fixed E34`) and the `NonIntegral` functions the leader
//! check uses, reproduced operation for operation so that every rounding step matches
//! cardano-ledger: multiplication and division floor to 10^-34, `fromRational` floors.

use std::cmp::Ordering;
use std::sync::OnceLock;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};

/// 10^34, the resolution of `Fixed E34`.
fn resolution() -> &'static BigInt {
    static RES: OnceLock<BigInt> = OnceLock::new();
    RES.get_or_init(|| BigInt::from(10u8).pow(34))
}

/// A `Fixed E34` value, stored as its raw integer (value × 10^34).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FixedPoint(pub BigInt);

impl FixedPoint {
    /// `fromInteger n`: the integer `n` as a fixed-point value (n × 10^34 raw).
    pub fn from_integer(n: impl Into<BigInt>) -> Self {
        FixedPoint(n.into() * resolution())
    }

    /// `fromRational (num % den)`: floor(num / den × 10^34). `den` must not be zero.
    pub fn from_ratio(num: &BigInt, den: &BigInt) -> Self {
        FixedPoint((num * resolution()).div_floor(den))
    }

    /// The value 1 (raw 10^34).
    pub fn one() -> Self {
        Self::from_integer(1)
    }

    /// Multiplication as Haskell's `Fixed` does it: floor(a × b / 10^34).
    pub fn mul(&self, o: &Self) -> Self {
        FixedPoint((&self.0 * &o.0).div_floor(resolution()))
    }

    /// Division as Haskell's `Fixed` does it: floor(a × 10^34 / b). `b` must not be zero.
    pub fn div(&self, o: &Self) -> Self {
        FixedPoint((&self.0 * resolution()).div_floor(&o.0))
    }

    /// Exact addition.
    pub fn add(&self, o: &Self) -> Self {
        FixedPoint(&self.0 + &o.0)
    }

    /// Exact subtraction.
    pub fn sub(&self, o: &Self) -> Self {
        FixedPoint(&self.0 - &o.0)
    }

    /// Exact negation.
    pub fn neg(&self) -> Self {
        FixedPoint(-&self.0)
    }

    /// Absolute value.
    pub fn abs(&self) -> Self {
        FixedPoint(self.0.abs())
    }

    /// Whether the value is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// `ceiling`.
    fn ceiling(&self) -> BigInt {
        let (q, r) = self.0.div_mod_floor(resolution());
        if r.is_zero() {
            q
        } else {
            q + 1
        }
    }
}

/// `eps = 1 / 10^24`.
fn eps() -> FixedPoint {
    FixedPoint(BigInt::from(10u8).pow(10))
}

fn ipow_nonneg(x: &FixedPoint, n: u64) -> FixedPoint {
    if n == 0 {
        return FixedPoint::one();
    }
    if n.is_multiple_of(2) {
        let y = ipow_nonneg(x, n / 2);
        y.mul(&y)
    } else {
        x.mul(&ipow_nonneg(x, n - 1))
    }
}

/// `ipow`: integer power, 1 / x^-n for negative n.
fn ipow(x: &FixedPoint, n: i64) -> FixedPoint {
    if n < 0 {
        FixedPoint::one().div(&ipow_nonneg(x, n.unsigned_abs()))
    } else {
        ipow_nonneg(x, n as u64)
    }
}

/// `taylorExp`: the Taylor series of e^x for x in [0, 1].
fn taylor_exp(x: &FixedPoint) -> FixedPoint {
    let (mut last, mut acc, mut divisor) = (FixedPoint::one(), FixedPoint::one(), FixedPoint::one());
    let eps = eps();
    for _n in 1..1000 {
        let next = last.mul(x).div(&divisor);
        if next.abs() < eps {
            break;
        }
        acc = acc.add(&next);
        divisor = divisor.add(&FixedPoint::one());
        last = next;
    }
    acc
}

/// `exp'`.
pub fn exp(x: &FixedPoint) -> FixedPoint {
    if x.0.is_negative() {
        return FixedPoint::one().div(&exp(&x.neg()));
    }
    let n = x.ceiling();
    if n.is_zero() {
        return FixedPoint::one(); // ipow _ 0 = 1; Haskell never evaluates the 0/0 here
    }
    let scaled = x.div(&FixedPoint::from_integer(n.clone()));
    let n: u64 = n.try_into().unwrap_or(u64::MAX);
    ipow_nonneg(&taylor_exp(&scaled), n)
}

fn exp1() -> &'static FixedPoint {
    static E: OnceLock<FixedPoint> = OnceLock::new();
    E.get_or_init(|| exp(&FixedPoint::one()))
}

/// `lncf 1000`: ln(1 + x) for x ≥ 0 by its continued fraction.
fn lncf(x: &FixedPoint) -> FixedPoint {
    // a_1 = x, then x·1, x·1, x·4, x·4, x·9, x·9, …; b_n = n.
    let a_n = |n: u64| -> FixedPoint {
        if n == 0 {
            x.clone()
        } else {
            let k = n.div_ceil(2);
            x.mul(&FixedPoint::from_integer(k * k))
        }
    };
    let (mut a_nm2, mut b_nm2) = (FixedPoint::one(), FixedPoint::from_integer(0u8));
    let (mut a_nm1, mut b_nm1) = (FixedPoint::from_integer(0u8), FixedPoint::one());
    let mut last: Option<FixedPoint> = None;
    let eps = eps();
    let mut n = 0u64;
    loop {
        let an = a_n(n);
        let bn = FixedPoint::from_integer(n + 1);
        let a_new = bn.mul(&a_nm1).add(&an.mul(&a_nm2));
        let b_new = bn.mul(&b_nm1).add(&an.mul(&b_nm2));
        let xn = a_new.div(&b_new);
        if n == 1000 {
            return xn;
        }
        if let Some(l) = &last {
            if l.sub(&xn).abs() < eps {
                return xn;
            }
        }
        last = Some(xn);
        (a_nm2, b_nm2, a_nm1, b_nm1) = (a_nm1, b_nm1, a_new, b_new);
        n += 1;
    }
}

/// `findE`: n with e^n ≤ x < e^(n+1).
fn find_e(e: &FixedPoint, x: &FixedPoint) -> i64 {
    let (mut lo_v, mut hi_v) = (FixedPoint::one().div(e), e.clone());
    let (mut l, mut u) = (-1i64, 1i64);
    while !(lo_v <= *x && *x <= hi_v) {
        lo_v = lo_v.mul(&lo_v);
        hi_v = hi_v.mul(&hi_v);
        l *= 2;
        u *= 2;
        if u > 1 << 20 {
            break; // unreachable for the x this module is given (0 < x < 2^64)
        }
    }
    while l + 1 != u {
        let mid = l + (u - l).div_euclid(2);
        if *x < ipow(e, mid) {
            u = mid;
        } else {
            l = mid;
        }
    }
    l
}

/// `ln'` for x > 0.
pub fn ln(x: &FixedPoint) -> FixedPoint {
    let e = exp1();
    let n = find_e(e, x);
    let rest = x.div(&ipow(e, n)).sub(&FixedPoint::one());
    FixedPoint::from_integer(n).add(&lncf(&rest))
}

/// The outcome of `taylorExpCmp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpCmp {
    /// `ABOVE`: `cmp` is at or above the partial sum plus the error bound, so `cmp` ≥ e^x.
    Above,
    /// `BELOW`: `cmp` is below the partial sum minus the error bound, so `cmp` < e^x (a slot is
    /// won).
    Below,
    /// `MaxReached`: 1000 terms did not decide; the leader check counts it as not elected.
    MaxReached,
}

/// `taylorExpCmp bound cmp x`: whether `cmp` is above or below e^x, stopping as soon as the
/// error bound decides it.
pub fn taylor_exp_cmp(bound: u32, cmp: &FixedPoint, x: &FixedPoint) -> ExpCmp {
    let bound = FixedPoint::from_integer(bound);
    let (mut err, mut acc, mut divisor) = (x.clone(), FixedPoint::one(), FixedPoint::one());
    for _n in 0..1000 {
        let divisor_next = divisor.add(&FixedPoint::one());
        let err_next = err.mul(x).div(&divisor_next);
        let acc_next = acc.add(&err);
        let error_term = err_next.mul(&bound).abs();
        if cmp.cmp(&acc_next.add(&error_term)) != Ordering::Less {
            return ExpCmp::Above;
        }
        if *cmp < acc_next.sub(&error_term) {
            return ExpCmp::Below;
        }
        (err, acc, divisor) = (err_next, acc_next, divisor_next);
    }
    ExpCmp::MaxReached
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(s: &str) -> FixedPoint {
        // "[-]i.dddd" with up to 34 decimals
        let neg = s.starts_with('-');
        let s = s.trim_start_matches('-');
        let (i, d) = s.split_once('.').unwrap_or((s, ""));
        let digits = format!("{i}{d:0<34}");
        let v: BigInt = digits.parse().unwrap();
        FixedPoint(if neg { -v } else { v })
    }

    fn show(x: &FixedPoint) -> String {
        let (q, r) = x.0.abs().div_mod_floor(resolution());
        format!("{}{}.{:0>34}", if x.0.is_negative() { "-" } else { "" }, q, r)
    }

    /// Known answers of the ledger's series functions at 34 digits, as published with
    /// cncli's port of the same code.
    #[test]
    fn ledger_known_answers() {
        assert_eq!(show(&exp(&FixedPoint::one())), "2.7182818284590452353602874043083282");
        assert_eq!(show(&exp(&fp("0"))), "1.0000000000000000000000000000000000");
        assert_eq!(show(&exp(&fp("-54.268914"))), "0.0000000000000000000000026996664594");
        assert_eq!(show(&ln(&fp("0.95"))), "-0.0512932943875505334261962382072846");
        assert_eq!(show(&ln(&FixedPoint::one())), "0.0000000000000000000000000000000000");
        assert_eq!(find_e(exp1(), &fp("8.5")), 2);
    }

    #[test]
    fn floor_semantics() {
        // −1/3 floors towards −∞, as Haskell's `div`.
        let third = FixedPoint::one().neg().div(&FixedPoint::from_integer(3));
        assert_eq!(show(&third), "-0.3333333333333333333333333333333334");
    }
}
