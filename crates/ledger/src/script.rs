//! Scripts as the ledger holds them — native scripts (timelocks) and Plutus V1–V3 — with their
//! hashes, sizes and the evaluation of native scripts (cardano-ledger's `evalTimelock`).

use pallas_codec::minicbor;
use pallas_primitives::alonzo::NativeScript;
use serde::{Deserialize, Serialize};
use slotforge_praos::nonce::blake2b224;

use crate::params::Language;
use crate::state::json::hex_vec;

/// A script hash: blake2b-224 of the language tag and the script's bytes.
pub type ScriptHash = [u8; 28];

/// A script, with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Script {
    /// A native script: its CBOR as written.
    Native(#[serde(with = "hex_vec")] Vec<u8>),
    /// A Plutus script of a language: its serialised (flat, CBOR-wrapped) bytes.
    Plutus(Language, #[serde(with = "hex_vec")] Vec<u8>),
}

impl Script {
    /// The script's hash (`hashScript`): blake2b-224 of the language tag (0 native, 1 V1,
    /// 2 V2, 3 V3) followed by the script's bytes.
    pub fn hash(&self) -> ScriptHash {
        let (tag, bytes) = match self {
            Script::Native(b) => (0u8, b),
            Script::Plutus(l, b) => (l.key() + 1, b),
        };
        let mut pre = Vec::with_capacity(bytes.len() + 1);
        pre.push(tag);
        pre.extend_from_slice(bytes);
        blake2b224(&pre)
    }

    /// The size reference-script fees and limits count: the script's bytes.
    pub fn size(&self) -> u64 {
        match self {
            Script::Native(b) | Script::Plutus(_, b) => b.len() as u64,
        }
    }

    /// The Plutus language, `None` for a native script.
    pub fn language(&self) -> Option<Language> {
        match self {
            Script::Native(_) => None,
            Script::Plutus(l, _) => Some(*l),
        }
    }

    /// Whether the script deserialises as its language requires at `protocol_major`
    /// (`validScript`): a native script decodes; a Plutus script as
    /// [`crate::plutus::program_decodes`] says.
    pub fn is_well_formed(&self, protocol_major: u64) -> bool {
        match self {
            Script::Native(b) => minicbor::decode::<NativeScript>(b).is_ok(),
            Script::Plutus(l, b) => crate::plutus::program_decodes(*l, protocol_major, b),
        }
    }
}

/// What a native script is judged against: the validity interval and the keys that signed.
pub struct TimelockContext<'a> {
    /// `validity_interval_start`, if any.
    pub start: Option<u64>,
    /// `ttl`, if any.
    pub end: Option<u64>,
    /// The key hashes of the transaction's verification-key witnesses.
    pub signers: &'a std::collections::BTreeSet<[u8; 28]>,
}

/// `evalTimelock`: whether a native script validates.
pub fn eval_native(s: &NativeScript, cx: &TimelockContext<'_>) -> bool {
    match s {
        NativeScript::ScriptPubkey(h) => cx.signers.contains(&**h),
        NativeScript::ScriptAll(v) => v.iter().all(|s| eval_native(s, cx)),
        NativeScript::ScriptAny(v) => v.iter().any(|s| eval_native(s, cx)),
        NativeScript::ScriptNOfK(n, v) => {
            let mut left = *n;
            for s in v {
                if left <= 0 {
                    break;
                }
                if eval_native(s, cx) {
                    left -= 1;
                }
            }
            left <= 0
        }
        // The interval must start at or after the lock's slot.
        NativeScript::InvalidBefore(lock) => cx.start.is_some_and(|s| *lock <= s),
        // The interval must end at or before the lock's slot.
        NativeScript::InvalidHereafter(lock) => cx.end.is_some_and(|e| e <= *lock),
    }
}
