//! The Plutus reference's conformance cases (`tests/data/plutus-conformance/`, vendored from
//! IntersectMBO/plutus) run through the evaluator the ledger runs scripts with (aiken's `uplc`,
//! Plutus V3 semantics at protocol version 11, its default cost model): each program's result
//! and budget against the reference's. Prints `plutus conformance: R/N results agree, B/N
//! budgets agree`, then the disagreements grouped by folder.
//!
//! Cases this evaluator is known to disagree on are listed by folder in
//! `tests/plutus_conformance_known.txt`; the test fails when a case outside those folders
//! disagrees, or when a listed folder agrees entirely (so the list only shrinks).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use uplc::ast::{Name, NamedDeBruijn, Program};
use uplc::machine::cost_model::ExBudget;

const PARSE_ERROR: &str = "parse error";
const EVALUATION_FAILURE: &str = "evaluation failure";

/// A program's outcome: its result term, or why there is none.
#[derive(Debug, PartialEq)]
enum Outcome {
    Term(Program<NamedDeBruijn>),
    ParseError,
    EvaluationFailure,
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            cases(&p, out);
        } else if p.extension().is_some_and(|x| x == "uplc") {
            out.push(p);
        }
    }
}

fn to_debruijn(p: Program<Name>) -> Option<Program<NamedDeBruijn>> {
    p.try_into().ok()
}

/// What the reference expects: the outcome, and the budget when the program evaluates.
fn expected(case: &Path) -> (Outcome, Option<ExBudget>) {
    let text = std::fs::read_to_string(case.with_extension("uplc.expected")).unwrap_or_default();
    let outcome = if text.trim() == PARSE_ERROR {
        Outcome::ParseError
    } else if text.trim() == EVALUATION_FAILURE {
        Outcome::EvaluationFailure
    } else {
        match uplc::parser::program(&text).ok().and_then(to_debruijn) {
            Some(p) => Outcome::Term(p),
            None => Outcome::ParseError,
        }
    };
    let budget = std::fs::read_to_string(case.with_extension("uplc.budget.expected"))
        .ok()
        .and_then(|b| {
            let b = b.trim();
            let (cpu, mem) = b.strip_prefix("({cpu: ")?.strip_suffix("})")?.split_once("\n| mem: ")?;
            Some(ExBudget {
                cpu: cpu.trim().parse().ok()?,
                mem: mem.trim().parse().ok()?,
            })
        });
    (outcome, budget)
}

/// What the evaluator gives.
fn actual(case: &Path) -> (Outcome, Option<ExBudget>) {
    let text = std::fs::read_to_string(case).unwrap_or_default();
    let Ok(program) = uplc::parser::program(&text) else {
        return (Outcome::ParseError, None);
    };
    // An unbound variable is a scoping error the reference reports as a parse error.
    let Some(program) = to_debruijn(program) else {
        return (Outcome::ParseError, None);
    };
    let version = program.version;
    let result = program.eval_version_with_protocol(ExBudget::max(), &uplc::Language::PlutusV3, 11);
    let cost = result.cost();
    match result.result() {
        Ok(term) => (Outcome::Term(Program { version, term }), Some(cost)),
        Err(_) => (Outcome::EvaluationFailure, None),
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plutus-conformance/evaluation");
    let mut all = Vec::new();
    cases(&root, &mut all);
    all.sort();
    assert!(!all.is_empty(), "no conformance case under {}", root.display());
    let known: Vec<String> =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plutus_conformance_known.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
            .collect();
    // uplc's parser panics on some malformed programs; those are caught below and count as an
    // evaluation failure. Its panic messages would only clutter the output.
    std::panic::set_hook(Box::new(|_| {}));
    let mut results_agree = 0;
    let mut budgets_agree = 0;
    // Disagreements by folder (relative to evaluation/, without the case's own folder).
    let mut by_folder: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in &all {
        let rel = case.strip_prefix(&root).unwrap_or(case).to_string_lossy().to_string();
        let (want, want_budget) = expected(case);
        let (got, got_budget) = std::panic::catch_unwind(|| actual(case)).unwrap_or((Outcome::EvaluationFailure, None));
        let result_ok = got == want;
        let budget_ok = match (&want, &want_budget) {
            (Outcome::Term(_), Some(b)) => got_budget.as_ref() == Some(b),
            _ => true,
        };
        results_agree += usize::from(result_ok);
        budgets_agree += usize::from(budget_ok);
        if !(result_ok && budget_ok) {
            let folder = Path::new(&rel)
                .parent()
                .and_then(Path::parent)
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_default();
            let what = match (result_ok, budget_ok) {
                (false, _) => format!("{rel}: result {got:?} (expected {want:?})")
                    .chars()
                    .take(200)
                    .collect(),
                (true, false) => format!("{rel}: budget {got_budget:?}, expected {want_budget:?}"),
                _ => unreachable!(),
            };
            by_folder.entry(folder).or_default().push(what);
        }
    }
    // The default hook again, so that the verdict below is heard.
    drop(std::panic::take_hook());
    let n = all.len();
    println!("plutus conformance: {results_agree}/{n} results agree, {budgets_agree}/{n} budgets agree");
    for (folder, fails) in &by_folder {
        println!("{folder}: {} disagree, e.g. {}", fails.len(), fails[0]);
    }
    let unexpected: Vec<&String> = by_folder
        .keys()
        .filter(|f| !known.iter().any(|k| f == &k || f.starts_with(&format!("{k}/"))))
        .collect();
    let fixed: Vec<&String> = known
        .iter()
        .filter(|k| !by_folder.keys().any(|f| f == *k || f.starts_with(&format!("{k}/"))))
        .collect();
    assert!(
        unexpected.is_empty(),
        "folders with disagreements tests/plutus_conformance_known.txt does not list: {unexpected:?}"
    );
    assert!(
        fixed.is_empty(),
        "folders now agreeing entirely: remove them from tests/plutus_conformance_known.txt: {fixed:?}"
    );
}
