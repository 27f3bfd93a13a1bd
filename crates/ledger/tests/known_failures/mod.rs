//! A conformance harness's list of the cases this ledger is known to fail, each with its
//! reason (`tests/<file>`: one `id reason` per line, `#` comments), and how a run is held to it:
//! no failure outside the list, and no listed case passing (so the list only shrinks).

use std::collections::BTreeMap;
use std::path::Path;

/// The list in `tests/<file>`, by case id.
pub fn read(file: &str) -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(file);
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, why) = l.split_once(' ').unwrap_or((l, ""));
            (id.to_string(), why.trim().to_string())
        })
        .collect()
}

/// Fails the run when a case outside the list failed or a listed one passed.
pub fn hold(file: &str, unexpected: &[String], fixed: &[String]) {
    assert!(
        unexpected.is_empty(),
        "cases failing that tests/{file} does not list: {unexpected:?}"
    );
    assert!(
        fixed.is_empty(),
        "cases now passing: remove them from tests/{file}: {fixed:?}"
    );
}

/// A caught panic's message.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
