//! A conformance harness's list of the cases this ledger is known to fail, each with its
//! reason (`tests/<file>`: one `id reason` per line, `#` comments), and how a run is held to it:
//! no failure outside the list, and no listed case passing (so the list only shrinks).

use std::collections::BTreeMap;
use std::path::Path;

/// A run held to the list in `tests/<file>`: each case's verdict is recorded against it.
pub struct KnownFailures {
    file: &'static str,
    known: BTreeMap<String, String>,
    passed: usize,
    unexpected: Vec<String>,
    fixed: Vec<String>,
}

impl KnownFailures {
    /// The list in `tests/<file>`.
    pub fn read(file: &'static str) -> Self {
        KnownFailures {
            file,
            known: read(file),
            passed: 0,
            unexpected: Vec::new(),
            fixed: Vec::new(),
        }
    }

    /// Records case `id` (shown as `name`): whether it passed.
    pub fn record(&mut self, id: &str, name: &str, passed: bool) {
        match (passed, self.known.contains_key(id)) {
            (true, true) => self.fixed.push(name.to_string()),
            (false, false) => self.unexpected.push(name.to_string()),
            _ => {}
        }
        self.passed += usize::from(passed);
    }

    /// How many cases passed.
    pub fn passed(&self) -> usize {
        self.passed
    }

    /// Fails the run when a case outside the list failed or a listed one passed.
    pub fn hold(&self) {
        hold(self.file, &self.unexpected, &self.fixed);
    }
}

/// The list in `tests/<file>`, by case id.
fn read(file: &str) -> BTreeMap<String, String> {
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

fn hold(file: &str, unexpected: &[String], fixed: &[String]) {
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
