//! Conway's decoding rules, as cardano-ledger decodes transactions from protocol version 9 on,
//! where pallas-primitives' decoders are more lenient: a field key given twice, a field Conway
//! dropped (6, 10, 12) or never had, a repeated element of a set or key of a map, an empty
//! collection where the reference requires a non-empty one, a reward account that is not one,
//! a unit interval outside [0, 1] and an over-long pool metadata URL or relay name are all
//! decoding failures, and so are an output value with a zero quantity or an empty policy and a
//! witness of the wrong size (a metadata string over 64 bytes is not: the reference's decoder
//! reads it and UTXOW refuses it as `InvalidMetadata`). Where the reference is
//! lenient, so is this: repeated vkey and bootstrap witnesses, native scripts and datums are
//! merged, a repeated redeemer keeps the last, and maps nested inside metadata values may
//! repeat keys.
//!
//! Elements are compared as values (decoded and encoded again), not as bytes, so two encodings
//! of one input are one input twice.

use std::collections::{BTreeSet, HashSet};

use pallas_codec::minicbor::data::{Tag, Type};
use pallas_codec::minicbor::{self, Decode, Decoder, Encode};
use pallas_codec::utils::Bytes;
use pallas_primitives::conway::{BootstrapWitness, NativeScript, VKeyWitness};
use pallas_primitives::conway::{Certificate, GovActionId, ProposalProcedure, Voter, VotingProcedure};
use pallas_primitives::{Hash, NonZeroInt, PlutusData, PlutusScript, RationalNumber, Relay, TransactionInput};

type Rule<T = ()> = Result<T, String>;

/// The CBOR tag of a set (optional in Conway).
const SET_TAG: u64 = 258;
/// The longest pool metadata URL and relay DNS name (cardano-ledger `Url`, `DnsName`, from
/// protocol version 9).
const MAX_POOL_TEXT: usize = 128;
/// The deepest nesting of arrays, maps and tags accepted in a transaction or a block. The
/// decoders (pallas' and these) recurse once per level: bytes nested deeper would exhaust the
/// decoding thread's stack. Real transactions stay far below (Plutus data included).
pub const MAX_NESTING: usize = 128;

fn cbor(d: &Decoder<'_>, e: impl std::fmt::Display) -> String {
    format!("at byte {}: {e}", d.position())
}

/// Calls `item` for each element of an array or map whose head gave `n` (None: indefinite);
/// returns how many there were.
fn each<'b>(d: &mut Decoder<'b>, n: Option<u64>, mut item: impl FnMut(&mut Decoder<'b>) -> Rule) -> Rule<u64> {
    let mut count = 0;
    loop {
        match n {
            Some(n) if count == n => return Ok(count),
            None if d.datatype().map_err(|e| cbor(d, e))? == Type::Break => {
                d.set_position(d.position() + 1);
                return Ok(count);
            }
            _ => {}
        }
        item(d)?;
        count += 1;
    }
}

/// Decodes one `T` and returns its canonical encoding, the value's identity.
fn value<'b, T: Decode<'b, ()> + Encode<()>>(d: &mut Decoder<'b>) -> Rule<(T, Vec<u8>)> {
    let v: T = d.decode().map_err(|e| cbor(d, e))?;
    let key = minicbor::to_vec(&v).map_err(|e| e.to_string())?;
    Ok((v, key))
}

/// Whether a repeated element is refused or merged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeats {
    Refused,
    Merged,
}

/// Whether an empty collection is refused.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Empty {
    Refused,
    Allowed,
}

/// A set (tag 258 optional): each element decoded as `T` and passed to `check`.
fn set<'b, T: Decode<'b, ()> + Encode<()>>(
    d: &mut Decoder<'b>,
    what: &str,
    empty: Empty,
    repeats: Repeats,
    mut check: impl FnMut(&T) -> Rule,
) -> Rule {
    if d.datatype().map_err(|e| cbor(d, e))? == Type::Tag {
        let tag = d.tag().map_err(|e| cbor(d, e))?;
        if tag != Tag::new(SET_TAG) {
            return Err(format!("{what}: tag {tag:?} where a set (tag {SET_TAG}) was expected"));
        }
    }
    let n = d.array().map_err(|e| cbor(d, e))?;
    let mut seen = HashSet::new();
    let count = each(d, n, |d| {
        let (v, key) = value::<T>(d)?;
        if !seen.insert(key) && repeats == Repeats::Refused {
            return Err(format!("{what}: an element appears twice"));
        }
        check(&v)
    })?;
    if count == 0 && empty == Empty::Refused {
        return Err(format!(
            "{what}: an empty set, where the reference requires at least one element"
        ));
    }
    Ok(())
}

/// A map whose keys decode as `K`, none repeated; `entry` reads each value.
fn map<'b, K: Decode<'b, ()> + Encode<()>>(
    d: &mut Decoder<'b>,
    what: &str,
    empty: Empty,
    mut entry: impl FnMut(&K, &mut Decoder<'b>) -> Rule,
) -> Rule {
    let n = d.map().map_err(|e| cbor(d, e))?;
    let mut seen = HashSet::new();
    let count = each(d, n, |d| {
        let (k, key) = value::<K>(d)?;
        if !seen.insert(key) {
            return Err(format!("{what}: a key appears twice"));
        }
        entry(&k, d)
    })?;
    if count == 0 && empty == Empty::Refused {
        return Err(format!(
            "{what}: an empty map, where the reference requires at least one entry"
        ));
    }
    Ok(())
}

/// A record (cardano-ledger's `SparseKeyed`): a map of unsigned keys, none given twice;
/// `field` reads each value. `what` prefixes the messages.
fn record<'b>(d: &mut Decoder<'b>, what: &str, mut field: impl FnMut(u64, &mut Decoder<'b>) -> Rule) -> Rule {
    let n = d.map().map_err(|e| cbor(d, e))?;
    let mut keys = BTreeSet::new();
    each(d, n, |d| {
        let key = d.u64().map_err(|e| cbor(d, e))?;
        if !keys.insert(key) {
            return Err(format!("{what}field {key} appears twice"));
        }
        field(key, d)
    })
    .map(drop)
}

/// No check beyond the element's shape.
fn none<T>(_: &T) -> Rule {
    Ok(())
}

fn skip(d: &mut Decoder<'_>) -> Rule {
    d.skip().map_err(|e| cbor(d, e))
}

/// A reward account: 29 bytes, a header of type 14 (key) or 15 (script).
fn reward_account(what: &str, a: &[u8]) -> Rule {
    match a.first() {
        Some(h) if a.len() == 29 && (h >> 4 == 0b1110 || h >> 4 == 0b1111) => Ok(()),
        _ => Err(format!("{what}: {} is not a reward account", hex::encode(a))),
    }
}

/// A unit interval: a denominator above zero and a value in [0, 1].
fn unit_interval(what: &str, r: &RationalNumber) -> Rule {
    if r.denominator == 0 || r.numerator > r.denominator {
        return Err(format!(
            "{what}: {}/{} is not in the unit interval [0, 1]",
            r.numerator, r.denominator
        ));
    }
    Ok(())
}

fn pool_text(what: &str, s: &str) -> Rule {
    if s.len() > MAX_POOL_TEXT {
        return Err(format!(
            "{what}: {} bytes, at most {MAX_POOL_TEXT} are allowed",
            s.len()
        ));
    }
    Ok(())
}

/// What the reference's certificate decoders check beyond the shape.
fn certificate(c: &Certificate) -> Rule {
    if let Certificate::PoolRegistration {
        margin,
        reward_account: account,
        pool_owners,
        relays,
        pool_metadata,
        ..
    } = c
    {
        unit_interval("pool registration: margin", margin)?;
        reward_account("pool registration: reward account", account)?;
        let owners: BTreeSet<_> = pool_owners.iter().collect();
        if owners.len() != pool_owners.len() {
            return Err("pool registration: an owner appears twice".into());
        }
        for r in relays {
            match r {
                Relay::SingleHostName(_, name) | Relay::MultiHostName(name) => pool_text("pool relay: DNS name", name)?,
                Relay::SingleHostAddr(..) => {}
            }
        }
        if let Some(m) = pool_metadata {
            pool_text("pool metadata: URL", &m.url)?;
        }
    }
    Ok(())
}

/// A multi-asset map of non-zero quantities: no policy or name twice, no policy without
/// assets; `empty` says whether the outer map may be empty.
fn multi_asset(d: &mut Decoder<'_>, what: &str, empty: Empty) -> Rule {
    map::<Hash<28>>(d, what, empty, |_, d| {
        map::<Bytes>(d, &format!("{what}: a policy's assets"), Empty::Refused, |_, d| {
            d.decode::<NonZeroInt>().map(drop).map_err(|e| cbor(d, e))
        })
    })
}

/// An output value: a coin, or `[coin, multi-asset]` with positive quantities (an empty
/// multi-asset map is an ada-only value at protocol versions 9 and 10).
fn output_value(d: &mut Decoder<'_>, what: &str) -> Rule {
    match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Array | Type::ArrayIndef => {
            d.array().map_err(|e| cbor(d, e))?;
            skip(d)?;
            multi_asset(d, what, Empty::Allowed)
        }
        _ => skip(d),
    }
}

/// An output: legacy `[address, value, datum hash?]` or the map `{0: address, 1: value,
/// 2: datum, 3: script}` with no key twice and no other key.
fn output(d: &mut Decoder<'_>, what: &str) -> Rule {
    match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Map | Type::MapIndef => record(d, &format!("{what}: "), |key, d| match key {
            1 => output_value(d, what),
            0 | 2 | 3 => skip(d),
            other => Err(format!("{what}: unknown field {other}")),
        }),
        _ => {
            let n = d.array().map_err(|e| cbor(d, e))?;
            if !matches!(n, Some(2) | Some(3)) {
                return Err(format!(
                    "{what}: an output of {n:?} elements, where 2 or 3 are expected"
                ));
            }
            skip(d)?;
            output_value(d, what)?;
            if n == Some(3) {
                skip(d)?;
            }
            Ok(())
        }
    }
}

fn outputs(d: &mut Decoder<'_>) -> Rule {
    let n = d.array().map_err(|e| cbor(d, e))?;
    let mut index = 0;
    each(d, n, |d| {
        index += 1;
        output(d, &format!("outputs (key 1): output {}", index - 1))
    })
    .map(drop)
}

fn voting_procedures(d: &mut Decoder<'_>) -> Rule {
    map::<Voter>(d, "voting procedures (key 19)", Empty::Refused, |_, d| {
        map::<GovActionId>(
            d,
            "voting procedures (key 19): a voter's votes",
            Empty::Refused,
            |id, d| {
                action_index("voting procedures (key 19)", id)?;
                let _: VotingProcedure = d.decode().map_err(|e| cbor(d, e))?;
                Ok(())
            },
        )
    })
}

/// A governance action's index is a `Word16` in the reference (`GovActionIx`).
fn action_index(what: &str, id: &GovActionId) -> Rule {
    if id.action_index > u32::from(u16::MAX) {
        return Err(format!(
            "{what}: governance action index {} is above 65535",
            id.action_index
        ));
    }
    Ok(())
}

/// Refuses CBOR nested deeper than `max` levels, without recursing: a stack of how many items
/// each open array or map still holds (None: indefinite).
pub fn nesting_within(bytes: &[u8], max: usize) -> Rule {
    let mut d = Decoder::new(bytes);
    let mut open: Vec<Option<u64>> = Vec::new();
    loop {
        // Close what is complete.
        while let Some(Some(0)) = open.last() {
            open.pop();
        }
        if d.position() >= bytes.len() {
            return Ok(());
        }
        let ty = d.datatype().map_err(|e| cbor(&d, e))?;
        if ty == Type::Break {
            match open.pop() {
                Some(None) => {
                    d.set_position(d.position() + 1);
                    continue;
                }
                _ => return Err(cbor(&d, "a break outside an indefinite array or map")),
            }
        }
        if ty == Type::Tag {
            // A tag wraps the next item: a level of its own for the decoders.
            d.tag().map_err(|e| cbor(&d, e))?;
            if open.len() + 1 > max {
                return Err(format!("nested deeper than {max} levels"));
            }
            continue;
        }
        // This item fills a place of the innermost open array or map.
        if let Some(Some(n)) = open.last_mut() {
            *n -= 1;
        }
        let inner = match ty {
            Type::Array | Type::ArrayIndef => Some(d.array().map_err(|e| cbor(&d, e))?),
            Type::Map | Type::MapIndef => Some(d.map().map_err(|e| cbor(&d, e))?.map(|n| n.saturating_mul(2))),
            _ => {
                d.skip().map_err(|e| cbor(&d, e))?;
                None
            }
        };
        if let Some(n) = inner {
            if n != Some(0) {
                open.push(n);
                if open.len() > max {
                    return Err(format!("nested deeper than {max} levels"));
                }
            }
        }
        if open.is_empty() {
            return Ok(());
        }
    }
}

/// A transaction body's Conway decoding rules.
pub(super) fn body(bytes: &[u8]) -> Rule {
    record(&mut Decoder::new(bytes), "", |key, d| match key {
        0 => set::<TransactionInput>(d, "inputs (key 0)", Empty::Allowed, Repeats::Refused, none),
        4 => set::<Certificate>(d, "certificates (key 4)", Empty::Refused, Repeats::Refused, certificate),
        5 => map::<Bytes>(d, "withdrawals (key 5)", Empty::Refused, |account, d| {
            reward_account("withdrawals (key 5)", account)?;
            d.u64().map(drop).map_err(|e| cbor(d, e))
        }),
        9 => multi_asset(d, "mint (key 9)", Empty::Refused),
        1 => outputs(d),
        16 => output(d, "collateral return (key 16)"),
        13 => set::<TransactionInput>(d, "collateral (key 13)", Empty::Refused, Repeats::Refused, none),
        14 => set::<Hash<28>>(d, "required signers (key 14)", Empty::Refused, Repeats::Refused, none),
        18 => set::<TransactionInput>(d, "reference inputs (key 18)", Empty::Refused, Repeats::Refused, none),
        19 => voting_procedures(d),
        20 => set::<ProposalProcedure>(d, "proposals (key 20)", Empty::Refused, Repeats::Refused, |p| {
            reward_account("proposals (key 20): return account", &p.reward_account)?;
            use pallas_primitives::conway::GovAction as A;
            match &p.gov_action {
                A::ParameterChange(Some(id), ..)
                | A::HardForkInitiation(Some(id), _)
                | A::NoConfidence(Some(id))
                | A::UpdateCommittee(Some(id), ..)
                | A::NewConstitution(Some(id), _) => action_index("proposals (key 20): previous action", id),
                _ => Ok(()),
            }
        }),
        2 | 3 | 7 | 8 | 11 | 15 | 17 | 21 | 22 => skip(d),
        6 => Err("field 6 (protocol parameter updates) is not part of a Conway transaction".into()),
        10 | 12 => Err(format!("field {key} is not part of a Conway transaction")),
        other => Err(format!("unknown field {other}")),
    })
}

/// A witness set's Conway decoding rules.
pub(super) fn witnesses(bytes: &[u8]) -> Rule {
    record(&mut Decoder::new(bytes), "", |key, d| {
        // Every field is non-empty; repeated witnesses, native scripts and datums merge,
        // repeated Plutus scripts do not.
        match key {
            0 => set::<VKeyWitness>(d, "vkey witnesses (key 0)", Empty::Refused, Repeats::Merged, |w| {
                sized(
                    "vkey witnesses (key 0)",
                    &[("key", &w.vkey, 32), ("signature", &w.signature, 64)],
                )
            }),
            1 => set::<NativeScript>(d, "native scripts (key 1)", Empty::Refused, Repeats::Merged, none),
            2 => set::<BootstrapWitness>(d, "bootstrap witnesses (key 2)", Empty::Refused, Repeats::Merged, |w| {
                sized(
                    "bootstrap witnesses (key 2)",
                    &[
                        ("key", &w.public_key, 32),
                        ("signature", &w.signature, 64),
                        ("chain code", &w.chain_code, 32),
                    ],
                )
            }),
            3 => set::<PlutusScript<1>>(d, "Plutus V1 scripts (key 3)", Empty::Refused, Repeats::Refused, none),
            4 => set::<PlutusData>(d, "datums (key 4)", Empty::Refused, Repeats::Merged, none),
            // A repeated (tag, index) keeps the last, in either form.
            5 => redeemers(d),
            6 => set::<PlutusScript<2>>(d, "Plutus V2 scripts (key 6)", Empty::Refused, Repeats::Refused, none),
            7 => set::<PlutusScript<3>>(d, "Plutus V3 scripts (key 7)", Empty::Refused, Repeats::Refused, none),
            other => Err(format!("unknown field {other}")),
        }
    })
}

/// Checks the byte lengths of a witness's fields: (name, bytes, length).
fn sized(what: &str, fields: &[(&str, &[u8], usize)]) -> Rule {
    for (name, b, n) in fields {
        if b.len() != *n {
            return Err(format!("{what}: a {name} of {} bytes, where {n} are expected", b.len()));
        }
    }
    Ok(())
}

/// Redeemers, as a list or a map: at least one.
fn redeemers(d: &mut Decoder<'_>) -> Rule {
    let n = match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Map | Type::MapIndef => {
            let n = d.map().map_err(|e| cbor(d, e))?;
            each(d, n, |d| {
                skip(d)?;
                skip(d)
            })?
        }
        _ => {
            let n = d.array().map_err(|e| cbor(d, e))?;
            each(d, n, skip)?
        }
    };
    if n == 0 {
        return Err("redeemers (key 5): none, where the reference requires at least one".into());
    }
    Ok(())
}

/// Auxiliary data's Conway decoding rules: no metadata label twice, in any of the three forms
/// (a metadata map; `[metadata, scripts]`; tag 259 with the metadata under key 0).
pub(super) fn auxiliary_data(bytes: &[u8]) -> Rule {
    let mut d = Decoder::new(bytes);
    let labels = |d: &mut Decoder<'_>| map::<u64>(d, "metadata", Empty::Allowed, |_, d| skip(d));
    match d.datatype().map_err(|e| cbor(&d, e))? {
        Type::Map | Type::MapIndef => labels(&mut d),
        Type::Array | Type::ArrayIndef => {
            d.array().map_err(|e| cbor(&d, e))?;
            labels(&mut d)
        }
        Type::Tag => {
            d.tag().map_err(|e| cbor(&d, e))?;
            record(&mut d, "auxiliary data: ", |key, d| match key {
                0 => labels(d),
                _ => skip(d),
            })
        }
        _ => Ok(()),
    }
}
