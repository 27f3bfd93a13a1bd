//! The Conway transaction scenarios of `shared/vectors/ledger/transaction/` (or the folder
//! named by `SLOTFORGE_LEDGER_SCENARIOS`, same layout): each states a ledger state, protocol
//! parameters and a transaction, and what cardano-ledger concludes — it passes, it fails with a
//! named predicate, or it does not decode. Prints `ledger scenarios: P/N passed`, then one line
//! per failure.
//!
//! Scenarios this ledger is known not to judge yet are listed, each with its reason, in
//! `tests/transaction_scenarios_known.txt`; the test fails when any other scenario fails, or
//! when a listed one starts passing (so the list only shrinks).

mod known_failures;
mod scenario;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The scenarios this ledger is known not to judge yet.
const KNOWN: &str = "transaction_scenarios_known.txt";

fn main() {
    let root = scenario::root();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap_or_else(|e| panic!("reading {}: {e}", root.join("scenarios").display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut known = known_failures::KnownFailures::read(KNOWN);
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap_or_default().to_string_lossy().to_string();
        let id = name.split('-').next().unwrap_or_default().to_string();
        let verdict = std::panic::catch_unwind(|| run(&root, f))
            .unwrap_or_else(|p| Err(format!("panicked: {}", known_failures::panic_message(&*p))));
        known.record(&id, &name, verdict.is_ok());
        if let Err(why) = verdict {
            failures.push(format!("{name}: {why}"));
        }
    }
    println!("ledger scenarios: {}/{} passed", known.passed(), files.len());
    for f in &failures {
        println!("{f}");
    }
    if std::env::var_os("SLOTFORGE_LEDGER_SCENARIOS").is_none() {
        known.hold();
    }
}

/// Runs one scenario: Ok when the ledger concludes what the scenario expects.
fn run(root: &Path, file: &Path) -> Result<(), String> {
    let scenario::Scenario {
        fixture,
        tx,
        params,
        slot,
        mut state,
    } = scenario::load(root, file)?;
    let expected = &fixture["expected"];
    if expected.get("decodingFailure").is_some() {
        return match tx {
            Err(_) => Ok(()),
            Ok(_) => Err("expected a decoding failure, the transaction decodes".into()),
        };
    }
    let tx = tx.map_err(|e| format!("does not decode: {e}"))?;
    let outcome = state.apply_tx(&params, slot, &tx);
    match (expected.as_str(), outcome) {
        (Some("Pass"), Ok(())) => Ok(()),
        (Some("Pass"), Err(e)) => Err(format!("expected Pass, refused: {e}")),
        (_, Ok(())) => Err(format!("expected {}, accepted", expected["predicate"])),
        (_, Err(e)) => {
            let want = expected["predicate"].as_str().ok_or("expected names no predicate")?;
            let want = reference_name(want);
            let hit = e.failures().iter().any(|f| {
                f.name() == want
                    && match (&expected["description"], f) {
                        (Value::String(d), slotforge_ledger::LedgerError::ValidationTagMismatch { failures, .. }) => {
                            (d == "PassedUnexpectedly") == failures.is_empty()
                        }
                        _ => true,
                    }
            });
            if hit {
                Ok(())
            } else {
                Err(format!("expected {want}, refused with: {e}"))
            }
        }
    }
}

/// The reference's constructor name for a scenario's predicate name (the scenarios drop the
/// rule suffix or the `Conway` prefix of some).
fn reference_name(p: &str) -> &str {
    match p {
        "MissingVerificationKeyWitnessesUTXOW" => "MissingVKeyWitnessesUTXOW",
        "StakeCredentialInvalidPoolDelegation" | "StakeCredentialInvalidVoteDelegation" => "StakeKeyNotRegisteredDELEG",
        "DelegateeStakePoolNotRegistered" => "DelegateeStakePoolNotRegisteredDELEG",
        "DelegateeDRepNotRegistered" => "DelegateeDRepNotRegisteredDELEG",
        "StakeKeyRegistered" => "StakeKeyRegisteredDELEG",
        "StakeKeyHasNonZeroAccountBalance" => "StakeKeyHasNonZeroRewardAccountBalanceDELEG",
        "DRepAlreadyRegistered" => "ConwayDRepAlreadyRegistered",
        "CommitteeIsUnknown" => "ConwayCommitteeIsUnknown",
        "CommitteeHasPreviouslyResigned" => "ConwayCommitteeHasPreviouslyResigned",
        // Named `InvalidPolicyHash` before cardano-ledger-conway 1.19.
        "InvalidPolicyHash" => "InvalidGuardrailsScriptHash",
        "TreasuryWithdrawalsAllZeros" => "ZeroTreasuryWithdrawals",
        "WrongNetworkInTxOutput" => "WrongNetwork",
        other => other,
    }
}
