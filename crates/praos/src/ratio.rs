//! Exact rationals from the command line: "1/20", "0.05", "1".

/// Parses a non-negative rational as (numerator, denominator), exactly.
pub fn parse_ratio(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("{s:?} is not a ratio: write it as N/D (like 1/20) or a decimal (like 0.05)");
    let s = s.trim();
    if let Some((n, d)) = s.split_once('/') {
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let d: u64 = d.trim().parse().map_err(|_| bad())?;
        if d == 0 {
            return Err(format!("{s:?} has a zero denominator"));
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

#[cfg(test)]
mod tests {
    use super::parse_ratio;

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
}

#[cfg(test)]
mod properties {
    use super::parse_ratio;
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
    }
}
