//! UTXOW (Conway `UTXOW`, with the Babbage, Alonzo and Shelley witness checks it reuses), in
//! the reference's order: needed native scripts validate; exactly the needed scripts are
//! witnessed (those not available by reference); the datums spending needs are present and no
//! other datum is supplied; exactly the needed redeemers; signatures verify; every needed key
//! signed; the auxiliary data hash; scripts are well formed; the script integrity hash.

use std::collections::BTreeSet;

use pallas_codec::minicbor;
use pallas_primitives::alonzo::NativeScript;
use pallas_primitives::conway::{Certificate, RedeemerTag, Voter};
use slotforge_praos::nonce::{blake2b224, blake2b256};

use super::tx_view::{bootstrap_key_hash, cert_witness, Purpose, TxView};
use crate::address::payment_key;
use crate::error::LedgerError;
use crate::error::MissingRedeemer;
use crate::params::{Language, LedgerParams};
use crate::script::{eval_native, Script, ScriptHash, TimelockContext};
use crate::state::{gov_action_cbor, Credential, Datum, LedgerState};

fn hexes<T: AsRef<[u8]>>(v: impl IntoIterator<Item = T>) -> Vec<String> {
    v.into_iter().map(hex::encode).collect()
}

/// The redeemers' purposes, as the witness set gives them.
pub(super) fn redeemer_purposes(tx: &TxView<'_>) -> BTreeSet<(u8, u32)> {
    declared_units(tx).into_keys().collect()
}

/// The units each redeemer declares, by (tag number, index); a repeated purpose keeps the last.
pub(super) fn declared_units(tx: &TxView<'_>) -> std::collections::BTreeMap<(u8, u32), crate::params::ExUnits> {
    crate::tx::redeemer_units(&tx.wits)
}

/// The Plutus scripts to run: each needed script that is provided and is Plutus, with its
/// purpose.
pub(super) fn plutus_needed<'v>(tx: &'v TxView<'_>) -> Vec<(Purpose, &'v Script)> {
    tx.scripts_needed
        .iter()
        .filter_map(|(purpose, h)| tx.provided(h).filter(|s| s.language().is_some()).map(|s| (*purpose, s)))
        .collect()
}

/// Runs UTXOW's own checks; `full` is false when re-applying a transaction already checked
/// (signatures and the auxiliary data hash depend only on its bytes).
pub(super) fn check(
    state: &LedgerState,
    p: &LedgerParams,
    tx: &TxView<'_>,
    full: bool,
    failures: &mut Vec<LedgerError>,
) {
    let needed = tx.script_hashes_needed();
    let signers = tx.signers();

    // Needed native scripts must validate (they see verification-key witnesses only).
    let vkey_signers = tx.vkey_signers();
    let cx = TimelockContext {
        start: tx.body.validity_interval_start,
        end: tx.body.ttl,
        signers: &vkey_signers,
    };
    let failed: Vec<[u8; 28]> = needed
        .iter()
        .filter(|h| match tx.provided(h) {
            Some(Script::Native(b)) => !minicbor::decode::<NativeScript>(b).is_ok_and(|s| eval_native(&s, &cx)),
            _ => false,
        })
        .copied()
        .collect();
    if !failed.is_empty() {
        failures.push(LedgerError::ScriptWitnessNotValidating(hexes(failed)));
    }

    // Exactly the needed scripts that are not available by reference are witnessed.
    let refs: BTreeSet<[u8; 28]> = tx.reference_scripts.keys().copied().collect();
    let received: BTreeSet<[u8; 28]> = tx.witness_scripts.keys().copied().collect();
    let needed_non_refs: BTreeSet<[u8; 28]> = needed.difference(&refs).copied().collect();
    let extra: Vec<_> = received.difference(&needed_non_refs).copied().collect();
    if !extra.is_empty() {
        failures.push(LedgerError::ExtraneousScriptWitnesses(hexes(extra)));
    }
    let missing: Vec<_> = needed_non_refs.difference(&received).copied().collect();
    if !missing.is_empty() {
        failures.push(LedgerError::MissingScriptWitnesses(hexes(missing)));
    }

    check_datums(state, tx, failures);

    // Exactly the redeemers of the Plutus scripts to run.
    let wanted: BTreeSet<(u8, u32)> = plutus_needed(tx)
        .iter()
        .map(|((t, i), _)| (super::tag_number(*t), *i))
        .collect();
    let have = redeemer_purposes(tx);
    let extra: Vec<(u8, u32)> = have.difference(&wanted).copied().collect();
    if !extra.is_empty() {
        failures.push(LedgerError::ExtraRedeemers(extra));
    }
    // In the reference's order of the scripts needed: spending, rewarding, certifying, minting,
    // voting, proposing.
    let mut missing: Vec<(Purpose, ScriptHash)> = plutus_needed(tx)
        .into_iter()
        .filter(|((t, i), _)| !have.contains(&(super::tag_number(*t), *i)))
        .map(|(purpose, s)| (purpose, s.hash()))
        .collect();
    missing.sort_by_key(|((t, i), _)| {
        let rank = match t {
            RedeemerTag::Spend => 0,
            RedeemerTag::Reward => 1,
            RedeemerTag::Cert => 2,
            RedeemerTag::Mint => 3,
            RedeemerTag::Vote => 4,
            RedeemerTag::Propose => 5,
        };
        (rank, *i)
    });
    if !missing.is_empty() {
        let missing = missing
            .into_iter()
            .map(|((t, index), script)| MissingRedeemer {
                tag: super::tag_number(t),
                index,
                item: purpose_item(tx, (t, index)),
                script,
            })
            .collect();
        failures.push(LedgerError::MissingRedeemers(missing));
    }

    if full {
        check_signatures(tx, failures);
    }
    let missing: Vec<String> = vkeys_needed(state, tx).difference(&signers).map(hex::encode).collect();
    if !missing.is_empty() {
        failures.push(LedgerError::MissingVKeyWitnesses(missing));
    }
    if full {
        check_auxiliary_data(p, tx, failures);
    }

    // Scripts must be well formed: witnessed ones, and those outputs carry.
    let malformed: Vec<String> = tx
        .witness_scripts
        .iter()
        .filter(|(_, s)| !s.is_well_formed(p.protocol_version.0))
        .map(|(h, _)| hex::encode(h))
        .collect();
    if !malformed.is_empty() {
        failures.push(LedgerError::MalformedScriptWitnesses(malformed));
    }
    let malformed: Vec<String> = tx
        .outputs
        .iter()
        .chain(tx.collateral_return.as_ref())
        .filter_map(|o| o.script_ref.as_ref())
        .filter(|s| !s.is_well_formed(p.protocol_version.0))
        .map(|s| hex::encode(s.hash()))
        .collect();
    if !malformed.is_empty() {
        failures.push(LedgerError::MalformedReferenceScripts(malformed));
    }

    check_integrity_hash(p, tx, failures);
}

/// What a purpose points at, as the reference writes a `PlutusPurpose AsItem`: `[tag, item]`,
/// the item an input, a policy id, a certificate, a reward account, a voter or a proposal.
pub(super) fn purpose_item(tx: &TxView<'_>, (tag, index): Purpose) -> Vec<u8> {
    let mut out = Vec::new();
    let e = &mut minicbor::Encoder::new(&mut out);
    let _ = e.array(2).and_then(|e| e.u8(super::tag_number(tag)));
    let ix = index as usize;
    let _ = match tag {
        RedeemerTag::Spend => match tx.inputs.iter().nth(ix) {
            Some(i) => e.array(2).and_then(|e| e.bytes(&i.tx)).and_then(|e| e.u64(i.index)),
            None => e.null(),
        },
        RedeemerTag::Mint => match tx.body.mint.iter().flat_map(|m| m.keys()).nth(ix) {
            Some(p) => e.bytes(p.as_ref()),
            None => e.null(),
        },
        RedeemerTag::Cert => match tx.body.certificates.iter().flat_map(|s| s.iter()).nth(ix) {
            Some(c) => e.encode(c),
            None => e.null(),
        },
        RedeemerTag::Reward => match tx.withdrawals.get(ix) {
            Some((account, ..)) => e.bytes(account),
            None => e.null(),
        },
        RedeemerTag::Vote => match tx.voters().get(ix) {
            Some(v) => e.encode(*v),
            None => e.null(),
        },
        RedeemerTag::Propose => match tx.body.proposal_procedures.iter().flat_map(|s| s.iter()).nth(ix) {
            Some(p) => {
                e.writer_mut()
                    .extend_from_slice(&gov_action_cbor::proposal_procedure(p));
                Ok(&mut *e)
            }
            None => e.null(),
        },
    };
    out
}

/// Every verification-key and bootstrap signature verifies over the transaction id; the keys
/// that do not are reported as the reference lists them: verification-key witnesses, then
/// bootstrap ones, each set by key hash.
fn check_signatures(tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let id = tx.tx.id();
    let verifies = |key: &[u8], sig: &[u8]| {
        let pair = <[u8; 32]>::try_from(key).ok().zip(<[u8; 64]>::try_from(sig).ok());
        pair.is_some_and(|(k, s)| slotforge_crypto::ed25519::verify(&k, &id, &s).is_ok())
    };
    let mut vkeys: Vec<([u8; 28], Vec<u8>)> = tx
        .wits
        .vkeywitness
        .iter()
        .flat_map(|s| s.iter())
        .filter(|w| !verifies(&w.vkey, &w.signature))
        .map(|w| (blake2b224(&w.vkey), w.vkey.to_vec()))
        .collect();
    let mut bootstraps: Vec<([u8; 28], Vec<u8>)> = tx
        .wits
        .bootstrap_witness
        .iter()
        .flat_map(|s| s.iter())
        .filter(|w| !verifies(&w.public_key, &w.signature))
        .map(|w| {
            let h = bootstrap_key_hash(&w.public_key, &w.chain_code, &w.attributes);
            (h, w.public_key.to_vec())
        })
        .collect();
    vkeys.sort();
    bootstraps.sort();
    let bad: Vec<Vec<u8>> = vkeys.into_iter().chain(bootstraps).map(|(_, k)| k).collect();
    if !bad.is_empty() {
        failures.push(LedgerError::InvalidWitness(bad));
    }
}

/// The auxiliary data and the body's hash of it agree, and its metadata and scripts are valid
/// (`validateMetadata`).
fn check_auxiliary_data(p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    match (tx.body.auxiliary_data_hash, tx.tx.auxiliary_data()) {
        (None, None) => {}
        (None, Some(a)) => failures.push(LedgerError::MissingAuxiliaryDataHash(blake2b256(&[a]))),
        (Some(h), None) => failures.push(LedgerError::MissingAuxiliaryData(*h)),
        (Some(h), Some(a)) => {
            let expected = blake2b256(&[a]);
            if *h != expected {
                failures.push(LedgerError::AuxiliaryDataHashMismatch { supplied: *h, expected });
            }
            if !auxiliary_data_valid(p, a) {
                failures.push(LedgerError::InvalidMetadata);
            }
        }
    }
}

/// `validateTxAuxData`: every metadata text and byte string at most 64 bytes (`validMetadatum`),
/// every Plutus script the auxiliary data carries well formed. Auxiliary data that does not
/// decode here is left to the transaction's decoder.
fn auxiliary_data_valid(p: &LedgerParams, bytes: &[u8]) -> bool {
    use minicbor::data::Type;
    let mut d = minicbor::Decoder::new(bytes);
    let valid = match d.datatype() {
        // Shelley's metadata map, or Allegra's `[metadata, native scripts]`.
        Ok(Type::Map | Type::MapIndef) => metadata_valid(&mut d),
        Ok(Type::Array | Type::ArrayIndef) => d.array().ok().and_then(|_| metadata_valid(&mut d)),
        // Alonzo's and later: `#6.259({0: metadata, 1: native, 2: V1, 3: V2, 4: V3})`.
        Ok(Type::Tag) => post_alonzo_valid(p, &mut d),
        _ => None,
    };
    valid.unwrap_or(true)
}

/// Runs `item` on each of `n` items (`None`: up to the break), all of which must hold.
fn all_items(
    d: &mut minicbor::Decoder<'_>,
    n: Option<u64>,
    mut item: impl FnMut(&mut minicbor::Decoder<'_>) -> Option<bool>,
) -> Option<bool> {
    let mut ok = true;
    let mut seen = 0u64;
    loop {
        match n {
            Some(n) if seen >= n => break,
            None if d.datatype().ok()? == minicbor::data::Type::Break => {
                d.set_position(d.position() + 1);
                break;
            }
            _ => {}
        }
        ok &= item(d)?;
        seen += 1;
    }
    Some(ok)
}

/// A metadata map: each label's value valid.
fn metadata_valid(d: &mut minicbor::Decoder<'_>) -> Option<bool> {
    let n = d.map().ok()?;
    all_items(d, n, |d| {
        d.skip().ok()?;
        metadatum_valid(d)
    })
}

/// `validMetadatum`: no text or byte string over 64 bytes, at any depth.
fn metadatum_valid(d: &mut minicbor::Decoder<'_>) -> Option<bool> {
    use minicbor::data::Type;
    const MAX: usize = 64;
    Some(match d.datatype().ok()? {
        Type::Bytes => d.bytes().ok()?.len() <= MAX,
        Type::String => d.str().ok()?.len() <= MAX,
        Type::BytesIndef => {
            let chunks: Result<Vec<&[u8]>, _> = d.bytes_iter().ok()?.collect();
            chunks.ok()?.iter().map(|c| c.len()).sum::<usize>() <= MAX
        }
        Type::StringIndef => {
            let chunks: Result<Vec<&str>, _> = d.str_iter().ok()?.collect();
            chunks.ok()?.iter().map(|c| c.len()).sum::<usize>() <= MAX
        }
        Type::Array | Type::ArrayIndef => {
            let n = d.array().ok()?;
            all_items(d, n, metadatum_valid)?
        }
        Type::Map | Type::MapIndef => {
            let n = d.map().ok()?;
            all_items(d, n, |d| Some(metadatum_valid(d)? & metadatum_valid(d)?))?
        }
        _ => {
            d.skip().ok()?;
            true
        }
    })
}

/// The tagged auxiliary data's metadata and Plutus scripts; `None` when it does not decode.
fn post_alonzo_valid(p: &LedgerParams, d: &mut minicbor::Decoder<'_>) -> Option<bool> {
    d.tag().ok()?;
    let entries = d.map().ok()?;
    all_items(d, entries, |d| {
        let lang = match d.u8().ok()? {
            0 => return metadata_valid(d),
            2 => Language::V1,
            3 => Language::V2,
            4 => Language::V3,
            _ => {
                d.skip().ok()?;
                return Some(true);
            }
        };
        // A list, or a set tagged 258.
        if d.datatype().ok()? == minicbor::data::Type::Tag {
            d.tag().ok()?;
        }
        let scripts: Vec<Vec<u8>> = d
            .array_iter::<minicbor::bytes::ByteVec>()
            .ok()?
            .map(|s| s.map(|s| s.to_vec()))
            .collect::<Result<_, _>>()
            .ok()?;
        Some(
            scripts
                .into_iter()
                .all(|s| Script::Plutus(lang, s).is_well_formed(p.protocol_version.0)),
        )
    })
}

/// The key hashes that must sign (`witsVKeyNeeded`): spent and collateral inputs at key
/// addresses, withdrawals and certificates of key credentials, pool operators and owners,
/// required signers and key voters.
fn vkeys_needed(state: &LedgerState, tx: &TxView<'_>) -> BTreeSet<[u8; 28]> {
    let mut need = BTreeSet::new();
    for i in tx.inputs.iter().chain(&tx.collateral) {
        let Some(o) = state.utxo.get(i) else { continue };
        match payment_key(&o.address) {
            Some(Ok(h)) => {
                need.insert(h);
            }
            Some(Err(())) => {}
            None => need.extend(crate::address::byron_root(&o.address)),
        }
    }
    for (_, c, _) in &tx.withdrawals {
        if let Credential::Key(h) = c {
            need.insert(*h);
        }
    }
    for c in tx.body.certificates.iter().flat_map(|s| s.iter()) {
        match c {
            Certificate::PoolRegistration {
                operator, pool_owners, ..
            } => {
                need.insert(**operator);
                need.extend(pool_owners.iter().map(|o| **o));
            }
            Certificate::PoolRetirement(pool, _) => {
                need.insert(**pool);
            }
            other => {
                if let Some(Credential::Key(h)) = cert_witness(other) {
                    need.insert(h);
                }
            }
        }
    }
    need.extend(tx.body.required_signers.iter().flat_map(|s| s.iter()).map(|h| **h));
    for v in tx.voters() {
        match v {
            Voter::ConstitutionalCommitteeKey(h) | Voter::DRepKey(h) | Voter::StakePoolKey(h) => {
                need.insert(**h);
            }
            _ => {}
        }
    }
    need
}

/// Spent script outputs carry the datums their scripts need, and the witnesses supply no other
/// datum than those, the outputs' and the reference inputs' (`missingRequiredDatums`).
fn check_datums(state: &LedgerState, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let supplied: BTreeSet<[u8; 32]> = tx
        .wits
        .plutus_data
        .iter()
        .flat_map(|s| s.iter())
        .map(|d| blake2b256(&[d.raw_cbor()]))
        .collect();
    let mut input_hashes = BTreeSet::new();
    let mut no_datum = Vec::new();
    for i in &tx.inputs {
        let Some(o) = state.utxo.get(i) else { continue };
        let Some(h) = crate::address::payment_script(&o.address) else {
            continue;
        };
        let Some(lang) = tx.provided(&h).and_then(Script::language) else {
            continue;
        };
        match &o.datum {
            Some(Datum::Hash(d)) => {
                input_hashes.insert(*d);
            }
            Some(Datum::Inline(_)) => {}
            None if lang == Language::V3 => {}
            None => no_datum.push(*i),
        }
    }
    if !no_datum.is_empty() {
        failures.push(LedgerError::UnspendableUTxONoDatumHash(no_datum));
    }
    let unmatched: Vec<_> = input_hashes.difference(&supplied).copied().collect();
    if !unmatched.is_empty() {
        failures.push(LedgerError::MissingRequiredDatums {
            missing: unmatched,
            received: supplied.iter().copied().collect(),
        });
    }
    let mut allowed: BTreeSet<[u8; 32]> = BTreeSet::new();
    for o in tx.outputs.iter().chain(tx.collateral_return.as_ref()) {
        if let Some(Datum::Hash(h)) = &o.datum {
            allowed.insert(*h);
        }
    }
    for i in &tx.reference_inputs {
        if let Some(Datum::Hash(h)) = state.utxo.get(i).and_then(|o| o.datum.clone()) {
            allowed.insert(h);
        }
    }
    let (acceptable, unallowed): (Vec<[u8; 32]>, Vec<[u8; 32]>) =
        supplied.difference(&input_hashes).partition(|h| allowed.contains(*h));
    if !unallowed.is_empty() {
        failures.push(LedgerError::NotAllowedSupplementalDatums { unallowed, acceptable });
    }
}

/// The script integrity hash (`hashScriptIntegrity`): blake2b-256 of the redeemers' bytes, the
/// datums' bytes and the cost models of the languages the transaction runs, absent when it has
/// none of the three.
pub(super) fn script_integrity_hash(p: &LedgerParams, tx: &TxView<'_>) -> Option<[u8; 32]> {
    let languages: BTreeSet<Language> = plutus_needed(tx).iter().filter_map(|(_, s)| s.language()).collect();
    let redeemers = tx.wits.redeemer.as_ref().map(|r| r.raw_cbor());
    let datums = tx.wits.plutus_data.as_ref().map(|d| d.raw_cbor());
    let has_redeemers = redeemers.is_some_and(|r| r != [0xa0] && r != [0x80]);
    if !has_redeemers && datums.is_none() && languages.is_empty() {
        return None;
    }
    let mut pre = Vec::new();
    pre.extend_from_slice(redeemers.unwrap_or(&[0xa0]));
    pre.extend_from_slice(datums.unwrap_or(&[]));
    pre.extend_from_slice(&language_views(p, &languages));
    Some(blake2b256(&[&pre]))
}

/// The cost models' encoding the integrity hash covers (`encodeLangViews`): a map ordered by
/// the keys' encodings (shortest first); V1 keyed and valued by byte strings wrapping the CBOR
/// of its key and of an indefinite list, as Alonzo shipped it; V2 and V3 by integer and
/// definite list.
fn language_views(p: &LedgerParams, languages: &BTreeSet<Language>) -> Vec<u8> {
    let mut entries: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for lang in languages {
        let model = p.cost_models.get(&lang.key());
        let mut key = Vec::new();
        let mut value = Vec::new();
        {
            let mut e = minicbor::Encoder::new(&mut key);
            match lang {
                Language::V1 => {
                    let _ = e.bytes(&[0x00]);
                }
                _ => {
                    let _ = e.u8(lang.key());
                }
            }
        }
        {
            let mut e = minicbor::Encoder::new(&mut value);
            match (lang, model) {
                (_, None) => {
                    let _ = e.null();
                }
                (Language::V1, Some(m)) => {
                    let mut inner = Vec::new();
                    let mut ie = minicbor::Encoder::new(&mut inner);
                    let _ = ie.begin_array();
                    for v in m {
                        let _ = ie.i64(*v);
                    }
                    let _ = ie.end();
                    let _ = e.bytes(&inner);
                }
                (_, Some(m)) => {
                    let _ = e.array(m.len() as u64);
                    for v in m {
                        let _ = e.i64(*v);
                    }
                }
            }
        }
        entries.push((key, value));
    }
    entries.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
    let mut out = Vec::new();
    let _ = minicbor::Encoder::new(&mut out).map(entries.len() as u64);
    for (k, v) in entries {
        out.extend_from_slice(&k);
        out.extend_from_slice(&v);
    }
    out
}

/// `ppViewHashesMatch`: the body's integrity hash is the transaction's.
fn check_integrity_hash(p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let computed = script_integrity_hash(p, tx);
    let declared = tx.body.script_data_hash.map(|h| *h);
    if computed != declared {
        failures.push(LedgerError::PPViewHashesDontMatch {
            declared: declared.map(hex::encode),
            computed: computed.map(hex::encode),
        });
    }
}
