//! Phase two: a transaction's Plutus scripts run with aiken's `uplc` evaluator (its
//! transaction-level API builds each language's script context), at the ledger's protocol
//! version, with the cost models of the current parameters.
//!
//! Around the evaluator, what cardano-ledger does and `uplc` leaves to its caller: each script
//! must stay within the units its redeemer declares, a V3 script must return unit, and a
//! context the evaluator cannot build is the reference's `CollectErrors`, not a crash (the
//! evaluator panics on some Conway contexts, so it runs under `catch_unwind`).

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use pallas_codec::minicbor;
use pallas_primitives::conway::Redeemer;
use uplc::ast::{Constant, Term};

use crate::error::LedgerError;
use crate::params::{ExUnits, Language, LedgerParams};
use crate::state::{LedgerState, TxIn};
use crate::tx::Transaction;

/// How a transaction's scripts fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptsOutcome {
    /// Every script succeeded; the units each used, by redeemer (tag, index).
    Passed(BTreeMap<(u8, u32), ExUnits>),
    /// A script failed; the evaluator's message (the error and the script's traces).
    Failed(String),
}

/// The redeemers to run with their script's language, by (tag number, index).
pub type ScriptLanguages = BTreeMap<(u8, u32), Language>;

/// Runs the Plutus scripts of `tx` against the outputs its inputs, collateral and reference
/// inputs resolve to in `state`. `languages` names the language of each redeemer's script;
/// `declared` the units each redeemer declares.
pub fn run_scripts(
    state: &LedgerState,
    p: &LedgerParams,
    tx: &Transaction,
    inputs: impl IntoIterator<Item = TxIn>,
    languages: &ScriptLanguages,
    declared: &BTreeMap<(u8, u32), ExUnits>,
) -> Result<ScriptsOutcome, LedgerError> {
    let mut utxos = Vec::new();
    for i in inputs {
        if let Some(o) = state.utxo.get(&i) {
            utxos.push((encode_txin(&i), o.cbor.clone()));
        }
    }
    let cost_models = encode_cost_models(p);
    let budget = (p.max_tx_ex_units.steps, p.max_tx_ex_units.mem);
    let slot_config = (
        u64::try_from(p.system_start_ms).unwrap_or(0),
        0,
        u32::try_from(p.slot_length_ms).unwrap_or(u32::MAX),
    );
    let major = u16::try_from(p.protocol_version.0).unwrap_or(u16::MAX);
    let tx_bytes = tx.to_cbor();
    let evaluated = std::panic::catch_unwind(AssertUnwindSafe(|| {
        uplc::tx::eval_phase_two_raw_with_protocol(
            &tx_bytes,
            &utxos,
            Some(&cost_models),
            budget,
            slot_config,
            major,
            false,
            |_| (),
        )
    }));
    let results = match evaluated {
        Err(_) => {
            return Err(LedgerError::CollectErrors(
                "the evaluator cannot build this transaction's script context".into(),
            ))
        }
        Ok(Err(e)) => {
            // Only the machine's failure is a script failing; the evaluator wraps its other
            // errors (no cost model, a context it cannot translate, a script it cannot find or
            // decode) the same way, and those are the reference's `CollectErrors`.
            use uplc::tx::error::Error as E;
            let script_failed = match &e {
                E::Machine(..) => true,
                E::RedeemerError { err, .. } => matches!(**err, E::Machine(..)),
                _ => false,
            };
            return if script_failed {
                Ok(ScriptsOutcome::Failed(e.to_string()))
            } else {
                Err(LedgerError::CollectErrors(e.to_string()))
            };
        }
        Ok(Ok(r)) => r,
    };
    let mut used = BTreeMap::new();
    for (redeemer_cbor, result) in results {
        let r: Redeemer = minicbor::decode(&redeemer_cbor)
            .map_err(|e| LedgerError::CollectErrors(format!("the evaluator's redeemer: {e}")))?;
        let key = (crate::rules::tag_number(r.tag), r.index);
        let cost = result.cost();
        let units = ExUnits {
            mem: u64::try_from(cost.mem).unwrap_or(0),
            steps: u64::try_from(cost.cpu).unwrap_or(0),
        };
        let logs = result.logs();
        let returned_unit = matches!(result.result(), Ok(Term::Constant(c)) if matches!(c.as_ref(), Constant::Unit));
        let failed = match result.result() {
            Err(e) => Some(e.to_string()),
            Ok(Term::Error) => Some("the script called error".into()),
            Ok(_) if languages.get(&key) == Some(&Language::V3) && !returned_unit => {
                Some("a Plutus V3 script must return unit".into())
            }
            Ok(_) => None,
        };
        let allowed = declared.get(&key).copied().unwrap_or_default();
        let failed = failed.or_else(|| {
            (!units.within(allowed)).then(|| {
                format!(
                    "the script used {} memory and {} steps, its redeemer allows {} and {}",
                    units.mem, units.steps, allowed.mem, allowed.steps
                )
            })
        });
        if let Some(why) = failed {
            let traces = if logs.is_empty() {
                String::new()
            } else {
                format!(" (traces: {})", logs.join("; "))
            };
            return Ok(ScriptsOutcome::Failed(format!("redeemer {key:?}: {why}{traces}")));
        }
        used.insert(key, units);
    }
    Ok(ScriptsOutcome::Passed(used))
}

fn encode_txin(i: &TxIn) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    let mut e = minicbor::Encoder::new(&mut out);
    let _ = e.array(2).and_then(|e| e.bytes(&i.tx)).and_then(|e| e.u64(i.index));
    out
}

/// The cost models as the parameters encode them: `{0: [..], 1: [..], 2: [..]}`.
fn encode_cost_models(p: &LedgerParams) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = minicbor::Encoder::new(&mut out);
    let _ = e.map(p.cost_models.len() as u64);
    for (lang, model) in &p.cost_models {
        let _ = e.u8(*lang).and_then(|e| e.array(model.len() as u64));
        for v in model {
            let _ = e.i64(*v);
        }
    }
    out
}

/// `deserialiseScript` at phase one: a CBOR byte string (nothing after it, except for V1 and V2,
/// where the reference ignores what follows) holding a flat program that uses only the builtins
/// `language` has at `protocol_major` (`builtinsAvailableIn`), and `constr`/`case` only from
/// Plutus Core 1.1.0 on. The program's version itself is judged in phase two
/// ([`plc_version_available`]), as the reference does.
pub fn program_decodes(language: Language, protocol_major: u64, script: &[u8]) -> bool {
    let mut d = minicbor::Decoder::new(script);
    let Ok(flat) = d.bytes() else { return false };
    if d.position() != script.len() && language == Language::V3 {
        return false;
    }
    let Ok(program) = uplc::ast::Program::<uplc::ast::DeBruijn>::from_flat(flat) else {
        return false;
    };
    let sums_of_products = program.version >= (1, 1, 0);
    let mut terms = vec![&program.term];
    while let Some(term) = terms.pop() {
        match term {
            Term::Builtin(f) if !builtin_available(language, protocol_major, *f) => return false,
            Term::Constr { .. } | Term::Case { .. } if !sums_of_products => return false,
            Term::Constr { fields, .. } => terms.extend(fields),
            Term::Case { constr, branches } => {
                terms.push(constr);
                terms.extend(branches);
            }
            Term::Delay(t) | Term::Force(t) => terms.push(t),
            Term::Lambda { body, .. } => terms.push(body),
            Term::Apply { function, argument } => {
                terms.push(function);
                terms.push(argument);
            }
            _ => {}
        }
    }
    true
}

/// The flat program's Plutus Core version, if the script decodes that far.
pub fn program_version(script: &[u8]) -> Option<(usize, usize, usize)> {
    let mut buffer = Vec::new();
    uplc::ast::Program::<uplc::ast::DeBruijn>::from_cbor(script, &mut buffer)
        .ok()
        .map(|p| p.version)
}

/// `plcVersionsAvailableIn`: Plutus Core 1.0.0 everywhere, 1.1.0 in V3 and, from protocol
/// version 11, in V1 and V2.
pub fn plc_version_available(language: Language, protocol_major: u64, version: (usize, usize, usize)) -> bool {
    match version {
        (1, 0, 0) => true,
        (1, 1, 0) => language == Language::V3 || protocol_major >= 11,
        _ => false,
    }
}

/// `builtinsAvailableIn`, by the builtins' flat tags: batch 1 (tags 0–50), 2 (51), 3 (52–53),
/// 4a (54–72), 4b (73–74) and 5 (75–86) as each language gained them, and every builtin from
/// protocol version 11 (the evaluator knows none that is not yet released).
fn builtin_available(language: Language, protocol_major: u64, f: uplc::builtins::DefaultFunction) -> bool {
    let tag = f as u8;
    if protocol_major >= 11 {
        return true;
    }
    match language {
        Language::V1 => tag <= 50,
        Language::V2 => {
            tag <= 51 || (protocol_major >= 8 && tag <= 53) || (protocol_major >= 10 && matches!(tag, 73 | 74))
        }
        Language::V3 => tag <= 74 || (protocol_major >= 10 && tag <= 86),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;
    use uplc::ast::{DeBruijn, Program};
    use uplc::builtins::DefaultFunction as F;

    /// A serialised script: `version`'s program forcing `term` (so it is a closed term).
    fn script(version: (usize, usize, usize), term: Term<DeBruijn>) -> Vec<u8> {
        Program::<DeBruijn> {
            version,
            term: Term::Delay(Rc::new(term)),
        }
        .to_cbor()
        .expect("encodes")
    }

    fn builtin(f: F) -> Vec<u8> {
        script((1, 0, 0), Term::Builtin(f))
    }

    #[test]
    fn builtins_are_available_as_each_language_gained_them() {
        use Language::{V1, V2, V3};
        let cases = [
            // (builtin, language, protocol major, decodes)
            (F::AddInteger, V1, 10, true),
            (F::MkNilPairData, V1, 10, true),
            (F::SerialiseData, V1, 10, false),
            (F::SerialiseData, V2, 10, true),
            (F::VerifyEcdsaSecp256k1Signature, V2, 7, false),
            (F::VerifyEcdsaSecp256k1Signature, V2, 8, true),
            (F::Bls12_381_G1_Add, V2, 10, false),
            (F::IntegerToByteString, V2, 9, false),
            (F::IntegerToByteString, V2, 10, true),
            (F::Bls12_381_G1_Add, V3, 9, true),
            (F::Ripemd_160, V3, 9, false),
            (F::Ripemd_160, V3, 10, true),
            (F::ExpModInteger, V3, 10, false),
            (F::ExpModInteger, V3, 11, true),
            (F::Bls12_381_G1_Add, V1, 11, true),
        ];
        for (f, language, major, decodes) in cases {
            assert_eq!(
                program_decodes(language, major, &builtin(f)),
                decodes,
                "{f:?} in {language:?} at {major}"
            );
        }
    }

    #[test]
    fn constr_and_case_need_plutus_core_1_1_0() {
        let constr = || Term::Constr { tag: 0, fields: vec![] };
        assert!(!program_decodes(Language::V3, 10, &script((1, 0, 0), constr())));
        assert!(program_decodes(Language::V3, 10, &script((1, 1, 0), constr())));
        let case = Term::Case {
            constr: Rc::new(constr()),
            branches: vec![Term::Builtin(F::AddInteger)],
        };
        assert!(!program_decodes(Language::V3, 10, &script((1, 0, 0), case)));
        // Nested under other terms too.
        let nested = Term::Apply {
            function: Rc::new(Term::Builtin(F::IData)),
            argument: Rc::new(constr()),
        };
        assert!(!program_decodes(Language::V3, 10, &script((1, 0, 0), nested)));
    }

    #[test]
    fn bytes_after_the_script_only_pass_in_v1_and_v2() {
        let mut trailing = builtin(F::AddInteger);
        trailing.push(0x00);
        assert!(program_decodes(Language::V1, 10, &trailing));
        assert!(program_decodes(Language::V2, 10, &trailing));
        assert!(!program_decodes(Language::V3, 10, &trailing));
        assert!(!program_decodes(Language::V3, 10, &[0x41, 0x01]), "not a program");
    }

    #[test]
    fn plutus_core_versions_by_language_and_protocol() {
        assert!(plc_version_available(Language::V1, 10, (1, 0, 0)));
        assert!(!plc_version_available(Language::V1, 10, (1, 1, 0)));
        assert!(!plc_version_available(Language::V2, 10, (1, 1, 0)));
        assert!(plc_version_available(Language::V3, 10, (1, 1, 0)));
        assert!(plc_version_available(Language::V2, 11, (1, 1, 0)));
        assert!(!plc_version_available(Language::V3, 10, (2, 0, 0)));
        assert_eq!(program_version(&builtin(F::AddInteger)), Some((1, 0, 0)));
    }
}
