//! cardano-ledger's own generated conformance vectors (`shared/vectors/ledger/rules-conformance/`,
//! or the folder named by `SLOTFORGE_LEDGER_VECTORS`, same layout): each starts from a
//! `NewEpochState` and applies transactions, ticks and epoch boundaries; every transaction's
//! acceptance must agree with the reference's. Prints
//! `ledger vectors: P/N vectors passed, T/U transactions agree`, then one line per failing
//! vector with its title and the start of how it differs.
//!
//! Vectors this ledger is known not to pass yet are listed, each with its reason, in
//! `tests/rules_conformance_known.txt`; the test fails when any other vector fails, or when a
//! listed one starts passing (so the list only shrinks). `VECTOR_DEBUG=1` shows each difference
//! and refusal whole, and the evaluator's caught panics.

mod known_failures;
mod rules_vectors;

use std::path::Path;

use rules_vectors::{Event, Vector};
use slotforge_ledger::LedgerState;

/// How one vector went.
struct Outcome {
    /// The vector's title (the Haskell test's name).
    title: String,
    /// Transactions whose verdict agrees with the reference's, and all of them.
    agree: usize,
    total: usize,
    /// Why the vector fails, if it does.
    failure: Option<String>,
}

/// The vectors (`eras/<era>/<name>/<n>`) this ledger is known not to pass yet.
const KNOWN: &str = "rules_conformance_known.txt";

fn main() {
    // The evaluator panics on some contexts the ledger catches (`CollectErrors`); keep the
    // report readable (a panic of the harness itself is still reported, by its message).
    if std::env::var_os("VECTOR_DEBUG").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let root = rules_vectors::root();
    let files = rules_vectors::files(&root).unwrap_or_else(|e| panic!("reading the vectors: {e}"));
    let mut known = known_failures::KnownFailures::read(KNOWN);
    let (mut agree, mut total) = (0, 0);
    let mut lines = Vec::new();
    for f in &files {
        let id = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        let outcome = std::panic::catch_unwind(|| run(&root, f)).unwrap_or_else(|p| Outcome {
            title: id.clone(),
            agree: 0,
            total: 0,
            failure: Some(format!("panicked: {}", known_failures::panic_message(&*p))),
        });
        agree += outcome.agree;
        total += outcome.total;
        known.record(&id, &id, outcome.failure.is_none());
        if let Some(why) = outcome.failure {
            lines.push(format!("{} ({id}): {}", outcome.title, shortened(why)));
        }
    }
    println!(
        "ledger vectors: {}/{} vectors passed, {agree}/{total} transactions agree",
        known.passed(),
        files.len()
    );
    for l in &lines {
        println!("{l}");
    }
    // The harness's own verdict is reported by the default hook.
    drop(std::panic::take_hook());
    if std::env::var_os("SLOTFORGE_LEDGER_VECTORS").is_none() {
        known.hold();
    }
}

/// The first 300 characters of a failure's description, unless `VECTOR_DEBUG` is set.
fn shortened(why: String) -> String {
    const SHOWN: usize = 300;
    match why.char_indices().nth(SHOWN) {
        Some((at, _)) if std::env::var_os("VECTOR_DEBUG").is_none() => format!("{} …", &why[..at]),
        _ => why,
    }
}

/// Replays one vector: the state before its first transaction, then its events.
fn run(root: &Path, path: &Path) -> Outcome {
    let mut outcome = Outcome {
        title: path.display().to_string(),
        agree: 0,
        total: 0,
        failure: None,
    };
    let v = match Vector::read(root, path) {
        Ok(v) => v,
        Err(e) => {
            outcome.failure = Some(format!("unreadable: {e}"));
            return outcome;
        }
    };
    outcome.title = v.title.clone();
    outcome.total = v.events.iter().filter(|e| matches!(e, Event::Tx { .. })).count();
    let (mut state, _) = match v.initial_state() {
        Ok(s) => s,
        Err(e) => {
            outcome.failure = Some(format!("initial state: {e}"));
            return outcome;
        }
    };
    let epoch_length = v.config.epoch_length.max(1);
    // The initial state already holds the events before the first transaction.
    let mut slot = v.config.first_slot;
    let mut started = false;
    let mut disagreements = Vec::new();
    let mut after_last_tx = None;
    for (index, e) in v.events.iter().enumerate() {
        match e {
            Event::Ticks(n) => {
                if started && *n > 0 {
                    // The ticks run at slot, …, slot + n − 1; the epoch is that of the last.
                    let epoch = (slot + n - 1) / epoch_length;
                    while state.epoch < epoch {
                        state.new_epoch();
                    }
                }
                slot += n;
            }
            Event::Epochs(_) => {}
            Event::Tx { tx, success, slot: at } => {
                started = true;
                if *at != slot {
                    disagreements.push(format!(
                        "event {index}: a transaction at slot {at}, the ticks say {slot}"
                    ));
                }
                let verdict = Vector::transaction(tx).and_then(|t| {
                    let mut next = state.clone();
                    let params = state.params.clone();
                    next.apply_tx(&params, *at, &t).map(|()| next).map_err(|e| {
                        if std::env::var_os("VECTOR_DEBUG").is_some() {
                            e.to_string()
                        } else {
                            e.failures().iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
                        }
                    })
                });
                match (verdict, success) {
                    (Ok(next), true) => {
                        state = next;
                        outcome.agree += 1;
                        after_last_tx = Some(state.clone());
                    }
                    (Err(_), false) => {
                        outcome.agree += 1;
                        after_last_tx = Some(state.clone());
                    }
                    // The reference's verdict decides what the next transactions see.
                    (Ok(_), false) => disagreements.push(format!("event {index}: accepted, the reference refuses")),
                    (Err(why), true) => {
                        disagreements.push(format!("event {index}: refused ({why}), the reference accepts"));
                        break;
                    }
                }
            }
        }
    }
    if disagreements.is_empty() {
        // Where every verdict agrees, the state after the last transaction is compared.
        match (after_last_tx, v.final_state()) {
            (Some(ours), Ok((theirs, _))) => disagreements.extend(compare(&ours, &theirs)),
            (_, Err(e)) => disagreements.push(format!("final state: {e}")),
            (None, _) => {}
        }
    }
    if !disagreements.is_empty() {
        outcome.failure = Some(disagreements.join("; "));
    }
    outcome
}

/// What differs between this ledger's state and the reference's: the UTxO (address, value,
/// datum, script), the pots, accounts, pools, DReps, the committee and proposals with votes.
fn compare(ours: &LedgerState, theirs: &LedgerState) -> Vec<String> {
    let mut out = Vec::new();
    let utxo = |s: &LedgerState| -> Vec<String> {
        s.utxo
            .iter()
            .map(|(i, o)| {
                let script = o.script_ref.as_ref().map(|s| s.hash());
                let (address, input) = (hex::encode(&o.address), hex::encode(i.tx));
                format!(
                    "{input}#{} {address} {} {:?} {:?} {script:?}",
                    i.index, o.coin, o.assets, o.datum
                )
            })
            .collect()
    };
    let (a, b) = (utxo(ours), utxo(theirs));
    if a != b {
        let only = |x: &[String], y: &[String]| x.iter().filter(|e| !y.contains(e)).cloned().collect::<Vec<_>>();
        let (ours_only, theirs_only) = (only(&a, &b), only(&b, &a));
        out.push(format!(
            "UTxO: only ours {ours_only:?}, only the reference's {theirs_only:?}"
        ));
    }
    let mut differs = |what: &str, view: &dyn Fn(&LedgerState) -> String| {
        let (a, b) = (view(ours), view(theirs));
        if a != b {
            out.push(format!("{what}: ours {a}, the reference's {b}"));
        }
    };
    differs("treasury, reserves, deposits, fees, donations", &|s| {
        format!("{:?}", (s.treasury, s.reserves, s.deposits, s.fees, s.donations))
    });
    differs("accounts", &|s| format!("{:?}", s.accounts));
    differs("pools", &|s| format!("{:?}", s.pools));
    differs("DReps", &|s| {
        let dreps = s.governance.dreps.iter();
        format!("{:?}", dreps.map(|(c, d)| (c, d.deposit, d.expiry)).collect::<Vec<_>>())
    });
    differs("committee", &|s| {
        let g = &s.governance;
        format!(
            "{:?} {:?} {:?} dormant {}",
            g.committee, g.committee_keys, g.resignation_anchors, g.dormant_epochs
        )
    });
    differs("proposals", &|s| {
        let g = &s.governance;
        let listed = g
            .proposal_order
            .iter()
            .filter_map(|id| g.proposals.get(id).map(|p| (id, p)));
        let shown: Vec<String> = listed
            .map(|(id, p)| {
                let votes = (&p.committee_votes, &p.drep_votes, &p.pool_votes);
                format!(
                    "{id} {:?} deposit {} until {} votes {votes:?}",
                    p.kind, p.deposit, p.expires_after
                )
            })
            .collect();
        format!("{shown:?}")
    });
    differs("roots", &|s| format!("{:?}", s.governance.roots));
    differs("committee threshold, guardrail", &|s| {
        format!("{:?} {:?}", s.governance.committee_threshold, s.governance.guardrail)
    });
    // The parameters, field by field.
    let fields = |s: &LedgerState| match serde_json::to_value(&*s.params) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => Default::default(),
    };
    let (a, b) = (fields(ours), fields(theirs));
    let changed: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| {
            format!(
                "{k}: ours {v}, the reference's {}",
                b.get(k).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect();
    if !changed.is_empty() {
        out.push(format!("parameters: {}", changed.join("; ")));
    }
    out
}
