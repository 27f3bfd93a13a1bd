//! Phase two (`evalPlutusScripts`): a transaction's Plutus scripts run with aiken's `uplc`
//! machine, each under the units its redeemer declares, at the ledger's protocol version, with
//! the cost models of the current parameters.
//!
//! The ledger has judged first what the reference's `collectPlutusScriptsWithContext` refuses
//! (`rules::tx_info`: `CollectErrors`, whatever the transaction's flag); then every script runs
//! (`evalPlutusScripts` runs them all and reports every failure): a program whose Plutus Core
//! version its language lacks at this protocol version fails (`mkTermToEvaluate`), and a V3
//! script must return unit. The contexts are uplc's translation mended where it departs from
//! Conway's ([`context`]); as uplc panics on some inputs, the whole runs under `catch_unwind`, a
//! panic, like a context uplc cannot build, being this node's own `EvaluatorFailure`.

mod context;
mod deserialise;

use std::panic::AssertUnwindSafe;

use pallas_codec::minicbor;
use pallas_primitives_uplc::conway::{MintedTx, Redeemer};
use uplc::ast::{Constant, FakeNamedDeBruijn, NamedDeBruijn, Program, Term};
use uplc::machine::cost_model::ExBudget;
use uplc::tx::script_context::{find_script, DataLookupTable, PlutusScript, ResolvedInput, SlotConfig};
use uplc::{Fragment, PlutusData, TransactionInput, TransactionOutput};

pub use deserialise::{plc_version_available, program_decodes};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use crate::error::{LedgerError, ScriptFailure};
use crate::params::{Language, LedgerParams};
use crate::script::Script;
use crate::state::{LedgerState, TxIn};
use crate::tx::Transaction;
use context::ScriptContexts;

/// How a transaction's scripts fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptsOutcome {
    /// Every script succeeded.
    Passed,
    /// Scripts failed: each with its purpose (`(tag, index)`, the tag numbered as redeemers
    /// are) and what the reference reports of it.
    Failed(Vec<((u8, u32), ScriptFailure)>),
}

/// Runs every Plutus script of `tx`, one per redeemer, against the outputs its inputs,
/// collateral and reference inputs resolve to in `state`.
pub fn run_scripts(
    state: &LedgerState,
    p: &LedgerParams,
    tx: &Transaction,
    inputs: impl IntoIterator<Item = TxIn>,
) -> Result<ScriptsOutcome, LedgerError> {
    let tx_bytes = tx.to_cbor();
    let mut utxos = Vec::new();
    for i in inputs {
        if let Some(o) = state.utxo.get(&i) {
            utxos.push(ResolvedInput {
                input: TransactionInput::decode_fragment(&encode_txin(&i)).map_err(unreadable)?,
                output: TransactionOutput::decode_fragment(&o.cbor).map_err(unreadable)?,
            });
        }
    }
    let slot_config = SlotConfig {
        zero_time: u64::try_from(p.system_start_ms).unwrap_or(0),
        zero_slot: 0,
        slot_length: u32::try_from(p.slot_length_ms).unwrap_or(u32::MAX),
    };
    let major = p.protocol_version.0;
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let tx = MintedTx::decode_fragment(&tx_bytes).map_err(unreadable)?;
        let scripts = collect(&tx, &utxos, &slot_config, p)?;
        let failures: Vec<_> = scripts
            .iter()
            .filter_map(|s| s.run(major).map(|why| (s.purpose, s.failure(major, &why))))
            .collect();
        Ok(if failures.is_empty() {
            ScriptsOutcome::Passed
        } else {
            ScriptsOutcome::Failed(failures)
        })
    }));
    outcome.unwrap_or_else(|_| {
        Err(LedgerError::EvaluatorFailure(
            "the evaluator cannot build this transaction's script context".into(),
        ))
    })
}

fn unreadable(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::EvaluatorFailure(format!("the evaluator cannot read the transaction: {e}"))
}

/// A script ready to run: its program, its arguments, and what it runs under.
struct ScriptToRun<'p> {
    /// The redeemer's purpose: `(tag, index)`.
    purpose: (u8, u32),
    language: Language,
    /// The script's serialised bytes, as the transaction or the reference output holds them.
    bytes: Vec<u8>,
    program: Program<NamedDeBruijn>,
    /// The datum (V1, V2 spending), the redeemer and the context; the context alone for V3.
    arguments: Vec<PlutusData>,
    cost_model: &'p [i64],
    /// The redeemer's units: `(mem, steps)`.
    ex_units: (u64, u64),
}

/// `collectPlutusScriptsWithContext`: each redeemer's script with its arguments (what the
/// reference refuses here, the ledger has refused before: `rules::tx_info`).
fn collect<'p>(
    tx: &MintedTx,
    utxos: &[ResolvedInput],
    slot_config: &SlotConfig,
    p: &'p LedgerParams,
) -> Result<Vec<ScriptToRun<'p>>, LedgerError> {
    let Some(redeemers) = tx.transaction_witness_set.redeemer.as_deref() else {
        return Ok(Vec::new());
    };
    let lookup = DataLookupTable::from_transaction(tx, utxos);
    let mut contexts = ScriptContexts::new(tx, utxos, slot_config);
    let mut scripts = Vec::new();
    for (key, data, ex_units) in uplc::tx::iter_redeemers(redeemers) {
        let redeemer = Redeemer {
            tag: key.tag,
            index: key.index,
            data: data.clone(),
            ex_units,
        };
        let evaluator_failure = |e: &dyn std::fmt::Display| {
            LedgerError::EvaluatorFailure(format!(
                "the {} redeemer {}: {e}",
                uplc::tx::redeemer_tag_to_string(&key.tag),
                key.index
            ))
        };
        let (script, datum) = find_script(&redeemer, tx, utxos, &lookup).map_err(|e| evaluator_failure(&e))?;
        let (language, bytes) = match &script {
            PlutusScript::V1(s) => (Language::V1, &s.0),
            PlutusScript::V2(s) => (Language::V2, &s.0),
            PlutusScript::V3(s) => (Language::V3, &s.0),
        };
        let cost_model = p
            .cost_models
            .get(&language.key())
            .ok_or_else(|| evaluator_failure(&format_args!("no cost model for {language:?}")))?;
        let mut buffer = Vec::new();
        let program: Program<NamedDeBruijn> = Program::<FakeNamedDeBruijn>::from_cbor(bytes, &mut buffer)
            .map_err(|e| evaluator_failure(&e))?
            .into();
        let context = contexts.data(language, &redeemer, datum.as_ref())?;
        let arguments: Vec<PlutusData> = match language {
            Language::V1 | Language::V2 => datum.into_iter().chain([redeemer.data, context]).collect(),
            Language::V3 => vec![context],
        };
        scripts.push(ScriptToRun {
            purpose: (key.tag as u8, key.index),
            language,
            bytes: bytes.to_vec(),
            program,
            arguments,
            cost_model,
            ex_units: (ex_units.mem, ex_units.steps),
        });
    }
    Ok(scripts)
}

impl ScriptToRun<'_> {
    /// Runs the script; the machine's error, if it failed.
    fn run(&self, protocol_major: u64) -> Option<String> {
        let version = self.program.version;
        if !plc_version_available(self.language, protocol_major, version) {
            return Some(format!(
                "Plutus Core {}.{}.{} is not available in {:?} at protocol version {protocol_major}",
                version.0, version.1, version.2, self.language
            ));
        }
        let language = match self.language {
            Language::V1 => uplc::Language::PlutusV1,
            Language::V2 => uplc::Language::PlutusV2,
            Language::V3 => uplc::Language::PlutusV3,
        };
        let major = u16::try_from(protocol_major).unwrap_or(u16::MAX);
        let budget = ExBudget {
            mem: i64::try_from(self.ex_units.0).unwrap_or(i64::MAX),
            cpu: i64::try_from(self.ex_units.1).unwrap_or(i64::MAX),
        };
        let program = self
            .arguments
            .iter()
            .fold(self.program.clone(), |p, a| p.apply_data(a.clone()));
        let result = program.eval_as_with_protocol(&language, major, self.cost_model, Some(&budget));
        let returned_unit = matches!(result.result(), Ok(Term::Constant(c)) if matches!(c.as_ref(), Constant::Unit));
        let why = match result.result() {
            Err(e) => e.to_string(),
            Ok(Term::Error) => "the script called error".into(),
            Ok(_) if self.language == Language::V3 && !returned_unit => "a Plutus V3 script must return unit".into(),
            Ok(_) => return None,
        };
        let logs = result.logs();
        Some(if logs.is_empty() {
            why
        } else {
            format!("{why} (traces: {})", logs.join("; "))
        })
    }

    /// What the reference reports of this script failing with `why`
    /// (`explainPlutusEvaluationError`): its explanation, and the script with its context.
    fn failure(&self, protocol_major: u64, why: &str) -> ScriptFailure {
        let hash = Script::Plutus(self.language, self.bytes.clone()).hash();
        let arguments: Vec<Vec<u8>> = self
            .arguments
            .iter()
            .map(|a| a.encode_fragment().unwrap_or_default())
            .collect();
        // `PlutusWithContext`: `[major, [language, script], hash, arguments, exUnits, costModel]`;
        // V1 and V2's arguments a list of data, V3's the context alone.
        let mut context = Vec::new();
        let e = &mut minicbor::Encoder::new(&mut context);
        let _ = e
            .array(6)
            .and_then(|e| e.u64(protocol_major))
            .and_then(|e| e.array(2))
            .and_then(|e| e.u8(self.language.key()))
            .and_then(|e| e.bytes(&self.bytes))
            .and_then(|e| e.bytes(&hash));
        if self.language != Language::V3 {
            let _ = e.array(arguments.len() as u64);
        }
        for a in &arguments {
            e.writer_mut().extend_from_slice(a);
        }
        let _ = e
            .array(2)
            .and_then(|e| e.u64(self.ex_units.0))
            .and_then(|e| e.u64(self.ex_units.1));
        // `encodeCostModel`: a definite-length list, however long.
        let _ = e.array(self.cost_model.len() as u64);
        for c in self.cost_model {
            let _ = e.i64(*c);
        }
        let labels: &[&str] = match (self.language, arguments.len()) {
            (Language::V3, _) => &["ScriptContext"],
            (_, 2) => &["Redeemer", "ScriptContext"],
            _ => &["Datum", "Redeemer", "ScriptContext"],
        };
        let shown: String = labels
            .iter()
            .zip(&arguments)
            .map(|(label, a)| format!("{label} (CBOR): {}\n", hex::encode(a)))
            .collect();
        let message = format!(
            "\nThe Plutus{:?} script failed:\nBase64-encoded script bytes:\n\"{}\"\nThe script hash is:ScriptHash \"{}\"\nThe plutus evaluation error is: {why}\nThe protocol version is: Version {protocol_major}\n{shown}",
            self.language,
            BASE64.encode(&self.bytes),
            hex::encode(hash),
        );
        ScriptFailure { message, context }
    }
}

fn encode_txin(i: &TxIn) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    let mut e = minicbor::Encoder::new(&mut out);
    let _ = e.array(2).and_then(|e| e.bytes(&i.tx)).and_then(|e| e.u64(i.index));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// `version`'s program `term`, ready to run under mainnet's cost model of `language`.
    fn script(language: Language, version: (usize, usize, usize), term: Term<NamedDeBruijn>) -> ScriptToRun<'static> {
        let models = slotforge_devnet::cost_models::mainnet();
        ScriptToRun {
            purpose: (0, 0),
            language,
            bytes: vec![0x41, 0x01],
            program: Program { version, term },
            arguments: Vec::new(),
            cost_model: match language {
                Language::V1 => &models.plutus_v1,
                Language::V2 => &models.plutus_v2,
                Language::V3 => &models.plutus_v3,
            },
            ex_units: (1_000_000, 1_000_000_000),
        }
    }

    fn unit() -> Term<NamedDeBruijn> {
        Term::Constant(Rc::new(Constant::Unit))
    }

    #[test]
    fn a_program_version_its_language_lacks_fails_before_it_runs() {
        let why = script(Language::V1, (1, 1, 0), unit()).run(10).expect("fails");
        assert!(
            why.contains("Plutus Core 1.1.0 is not available in V1 at protocol version 10"),
            "{why}"
        );
        assert_eq!(script(Language::V1, (1, 1, 0), unit()).run(11), None);
        assert_eq!(script(Language::V3, (1, 1, 0), unit()).run(10), None);
    }

    #[test]
    fn a_v3_script_must_return_unit_and_others_anything_but_error() {
        let integer = || Term::Constant(Rc::new(Constant::Integer(1.into())));
        let why = script(Language::V3, (1, 0, 0), integer()).run(10).expect("fails");
        assert!(why.contains("must return unit"), "{why}");
        assert_eq!(script(Language::V2, (1, 0, 0), integer()).run(10), None);
        let why = script(Language::V2, (1, 0, 0), Term::Error).run(10).expect("fails");
        assert!(!why.contains("must return unit"), "{why}");
    }

    #[test]
    fn a_script_runs_under_the_units_its_redeemer_declares() {
        // (\x -> x) () costs a few hundred steps more than a bare constant.
        let x = |index: usize| {
            Rc::new(NamedDeBruijn {
                text: "x".into(),
                index: index.into(),
            })
        };
        let identity = Term::Lambda {
            parameter_name: x(0),
            body: Rc::new(Term::Var(x(1))),
        };
        let applied = || Term::Apply {
            function: Rc::new(identity.clone()),
            argument: Rc::new(unit()),
        };
        assert_eq!(script(Language::V3, (1, 0, 0), applied()).run(10), None);
        let mut starved = script(Language::V3, (1, 0, 0), applied());
        starved.ex_units.1 = 100;
        let why = starved.run(10).expect("out of budget");
        assert!(why.contains("budget"), "{why}");
    }
}
