//! `deserialiseScript`: whether a script's bytes are a program its language can run at the
//! current protocol version — its builtins, its Plutus Core version and, for V3, nothing after it.

use pallas_codec::minicbor;
use uplc::ast::Term;

use crate::params::Language;

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
    }
}
