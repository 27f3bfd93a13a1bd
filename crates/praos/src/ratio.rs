//! Exact rationals: the one parser of "1/20", "0.05" and "1" (command lines, genesis files),
//! and [`Ratio`], a non-negative rational written in JSON as a decimal number (`0.05`), as
//! Cardano's genesis files write theirs.

use serde::{Deserialize, Serialize};

/// Why a text is not a ratio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatioError {
    /// Neither N/D nor a plain decimal.
    #[error("{0:?} is not a ratio: write it as N/D (like 1/20) or a decimal (like 0.05)")]
    Malformed(String),
    /// N/0.
    #[error("{0:?} has a zero denominator")]
    ZeroDenominator(String),
}

/// Parses a non-negative rational as (numerator, denominator), exactly and unreduced.
pub fn parse_ratio(s: &str) -> Result<(u64, u64), RatioError> {
    let bad = || RatioError::Malformed(s.to_string());
    let s = s.trim();
    if let Some((n, d)) = s.split_once('/') {
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let d: u64 = d.trim().parse().map_err(|_| bad())?;
        if d == 0 {
            return Err(RatioError::ZeroDenominator(s.to_string()));
        }
        return Ok((n, d));
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        || frac.len() > 18
    {
        return Err(bad());
    }
    let den = 10u64.pow(frac.len() as u32);
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    let frac_v: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    let num = int
        .checked_mul(den)
        .and_then(|v| v.checked_add(frac_v))
        .ok_or_else(bad)?;
    Ok((num, den))
}

/// Parses the text of a JSON number exactly: a decimal, possibly with an exponent (`7.21e-5`,
/// as serde_json writes numbers below 10⁻⁵ and aeson writes its `Scientific`s).
pub fn parse_json_number(s: &str) -> Result<(u64, u64), RatioError> {
    let bad = || RatioError::Malformed(s.to_string());
    let (mantissa, exponent) = match s.trim().split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().map_err(|_| bad())?),
        None => (s, 0),
    };
    if mantissa.contains('/') {
        return Err(bad());
    }
    let (num, den) = parse_ratio(mantissa)?;
    let scale = 10u64.checked_pow(exponent.unsigned_abs()).ok_or_else(bad)?;
    if exponent >= 0 {
        Ok((num.checked_mul(scale).ok_or_else(bad)?, den))
    } else {
        Ok((num, den.checked_mul(scale).ok_or_else(bad)?))
    }
}

/// A non-negative rational in lowest terms, kept exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    /// The numerator.
    pub num: u64,
    /// The denominator (never zero once parsed).
    pub den: u64,
}

impl Ratio {
    /// `num / den` in lowest terms.
    pub fn new(num: u64, den: u64) -> Self {
        let g = gcd(num, den).max(1);
        Ratio {
            num: num / g,
            den: den / g,
        }
    }

    /// Parses `1/20`, `0.05` or `1` exactly ([`parse_ratio`]), in lowest terms.
    pub fn parse(s: &str) -> Result<Self, RatioError> {
        parse_ratio(s).map(|(n, d)| Ratio::new(n, d))
    }

    /// The nearest `f64` (for display only: every rule computes with the exact value).
    pub fn as_f64(&self) -> f64 {
        self.num as f64 / self.den.max(1) as f64
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Serialize for Ratio {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A decimal JSON number: exact whenever the denominator divides a power of ten
        // (all that genesis files use); otherwise 12 decimal places.
        let den = self.den.max(1) as u128;
        let text = match (0..=12u32).find(|p| 10u128.pow(*p) % den == 0) {
            Some(0) => self.num.to_string(),
            Some(p) => {
                let scaled = self.num as u128 * (10u128.pow(p) / den);
                let s = format!("{scaled:0>width$}", width = p as usize + 1);
                let (int, frac) = s.split_at(s.len() - p as usize);
                let frac = frac.trim_end_matches('0');
                if frac.is_empty() {
                    int.to_string()
                } else {
                    format!("{int}.{frac}")
                }
            }
            None => format!("{:.12}", self.as_f64()),
        };
        let n: serde_json::Number = text.parse().map_err(serde::ser::Error::custom)?;
        n.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        // A decimal number, an exponent allowed ("N/D" is not JSON).
        parse_json_number(&n.to_string())
            .map(|(num, den)| Ratio::new(num, den))
            .map_err(|_| serde::de::Error::custom(format!("{n} is not a non-negative decimal number")))
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_ratio, Ratio};

    #[test]
    fn ratios() {
        assert_eq!(parse_ratio("1/20"), Ok((1, 20)));
        assert_eq!(parse_ratio("0.05"), Ok((5, 100)));
        assert_eq!(parse_ratio("1"), Ok((1, 1)));
        assert_eq!(parse_ratio(".5"), Ok((5, 10)));
        for bad in [
            "",
            ".",
            "1/0",
            "a",
            "-1",
            "1e3",
            "0.1234567890123456789",
            "99999999999999999999",
        ] {
            assert!(parse_ratio(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_numbers_with_exponents_are_exact() {
        use super::parse_json_number;
        assert_eq!(parse_json_number("7.21e-5"), Ok((721, 10_000_000)));
        assert_eq!(parse_json_number("5.0e-2"), Ok((50, 1000)));
        assert_eq!(parse_json_number("1E3"), Ok((1000, 1)));
        assert_eq!(parse_json_number("0.05"), Ok((5, 100)));
        for bad in ["1/2", "1e", "e3", "-1e2", "1e-30", "1e30"] {
            assert!(parse_json_number(bad).is_err(), "{bad}");
        }
        // serde_json writes 10⁻⁶ as 1e-6: it reads back.
        let r = Ratio::new(1, 1_000_000);
        assert_eq!(serde_json::to_string(&r).unwrap(), "1e-6");
        assert_eq!(serde_json::from_str::<Ratio>("1e-6").unwrap(), r);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Ratio::parse("0.05"), Ok(Ratio { num: 1, den: 20 }));
        assert_eq!(Ratio::parse("0.2"), Ok(Ratio { num: 1, den: 5 }));
        assert_eq!(Ratio::parse("1"), Ok(Ratio { num: 1, den: 1 }));
        assert!(Ratio::parse("-1").is_err());
        assert!(Ratio::parse("1e3").is_err());
        for (n, d, text) in [(1, 20, "0.05"), (1, 5, "0.2"), (3, 1, "3"), (1, 8, "0.125")] {
            let v = serde_json::to_string(&Ratio::new(n, d)).unwrap();
            assert_eq!(v, text);
            assert_eq!(serde_json::from_str::<Ratio>(&v).unwrap(), Ratio::new(n, d));
        }
    }
}

#[cfg(test)]
mod properties {
    use super::{parse_ratio, Ratio};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse_ratio(&s);
        }

        #[test]
        fn fraction_roundtrip(n in any::<u64>(), d in 1u64..) {
            prop_assert_eq!(parse_ratio(&format!("{n}/{d}")), Ok((n, d)));
        }

        #[test]
        fn decimal_json_roundtrip(n in 0u64..1_000_000_000, p in 0u32..12) {
            let r = Ratio::new(n, 10u64.pow(p));
            let text = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(serde_json::from_str::<Ratio>(&text).unwrap(), r);
        }
    }
}
