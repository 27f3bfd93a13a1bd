//! Query parameters as the routes read them: unknown ones are refused (a typo is not silently
//! ignored), numbers are bounded, and each refusal names the parameter.

use std::collections::HashMap;

/// Rejects parameters the endpoint does not know, so a typo is not silently ignored.
pub(super) fn only(params: &HashMap<String, String>, known: &[&str]) -> Result<(), String> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown parameter {k:?}; this endpoint takes {}",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )),
        None => Ok(()),
    }
}

/// The whole number `name` (`default` when absent), at most `max`.
pub(super) fn number(params: &HashMap<String, String>, name: &str, default: u64, max: u64) -> Result<u64, String> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(format!("{name}={v:?}: expected a whole number from 0 to {max}")),
        },
    }
}
