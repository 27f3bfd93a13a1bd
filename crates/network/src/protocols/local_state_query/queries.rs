//! The queries a local client sends, decoded as ouroboros-consensus decodes them
//! (`Ledger/Query.hs`, `HardFork/Combinator/Serialisation/SerialiseNodeToClient.hs`,
//! `Shelley/Ledger/Query.hs` `decodeShelleyQuery`): the top-level queries, the hard-fork
//! combinator's (the era history, the current era, an era's start) and the Shelley-based
//! ledger queries of one era. A query this node does not know is a decoding error, which
//! ends the connection, as the reference's codec failure does.
//!
//! ```text
//! query      = [0, blockQuery] / [1] (system start) / [2] (chain block no) / [3] (chain point)
//! blockQuery = [0, [eraIndex, eraQuery]] / [1, [0], eraIndex] (era start)
//!            / [2, [0]] (era history) / [2, [1]] (current era)
//! ```

use minicbor::data::{Tag, Type};
use minicbor::Decoder;

use slotforge_ledger::state::{DRep, TxIn};
use slotforge_ledger::Credential;

use crate::protocols::codec::{cbor, get_list, DecodeError};

pub use crate::protocols::chainsync::messages::ERA_CONWAY;
/// The eras of Cardano's hard-fork combinator, by index.
pub const ERA_NAMES: [&str; 7] = ["Byron", "Shelley", "Allegra", "Mary", "Alonzo", "Babbage", "Conway"];

/// A query of one era's ledger (the Shelley-based eras' `BlockQuery`), by its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraQuery {
    /// 0: the ledger's tip.
    LedgerTip,
    /// 1: the ledger's epoch.
    EpochNo,
    /// 3: the protocol parameters in force.
    CurrentPParams,
    /// 5: the stake distribution (the old shape, before node-to-client 21).
    StakeDistribution,
    /// 6: the unspent outputs at these addresses.
    UtxoByAddress(Vec<Vec<u8>>),
    /// 7: the whole UTxO.
    UtxoWhole,
    /// 9: another query's result wrapped as CBOR in CBOR.
    Cbor(Box<EraQuery>),
    /// 10: these credentials' delegations and reward balances.
    FilteredDelegationsAndRewardAccounts(Vec<Credential>),
    /// 11: the Shelley genesis, less its initial funds and staking.
    GenesisConfig,
    /// 13: the consensus protocol's state (Praos).
    DebugChainDepState,
    /// 15: the unspent outputs of these inputs.
    UtxoByTxIn(Vec<TxIn>),
    /// 16: the registered pools.
    StakePools,
    /// 17: these pools' parameters.
    StakePoolParams(Vec<[u8; 28]>),
    /// 19: the pool state (all pools when `None`).
    PoolState(Option<Vec<[u8; 28]>>),
    /// 20: the stake snapshots (all pools when `None`).
    StakeSnapshots(Option<Vec<[u8; 28]>>),
    /// 21: the pool distribution (the old shape).
    PoolDistr(Option<Vec<[u8; 28]>>),
    /// 22: these credentials' deposits.
    StakeDelegDeposits(Vec<Credential>),
    /// 23: the constitution.
    Constitution,
    /// 24: the governance state.
    GovState,
    /// 25: these DReps' state (all when empty).
    DRepState(Vec<Credential>),
    /// 26: the stake delegated to these DReps (all when empty).
    DRepStakeDistr(Vec<DRep>),
    /// 27: the committee members' state, filtered by cold and hot credentials and statuses.
    CommitteeMembersState(Vec<Credential>, Vec<Credential>, Vec<u8>),
    /// 28: these credentials' vote delegations.
    FilteredVoteDelegatees(Vec<Credential>),
    /// 29: the treasury and the reserves.
    AccountState,
    /// 36: the pool distribution of the current epoch's leader election (all pools when `None`).
    PoolDistr2(Option<Vec<[u8; 28]>>),
    /// 37: each pool's share of the total stake, now.
    StakeDistribution2,
    /// 38: the highest major protocol version the node supports.
    MaxMajorProtocolVersion,
}

/// A local state query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The chain's start.
    SystemStart,
    /// The acquired state's block number.
    ChainBlockNo,
    /// The acquired state's point.
    ChainPoint,
    /// The era of the acquired state.
    CurrentEra,
    /// The era history (`GetInterpreter`).
    Interpreter,
    /// Where an era starts (`GetEraStart`).
    EraStart(u8),
    /// A query of an era's ledger, answered when that era is the ledger's (`QueryIfCurrent`).
    IfCurrent(u8, EraQuery),
}

fn len(d: &mut Decoder<'_>) -> Result<u64, DecodeError> {
    d.array()
        .map_err(|e| cbor(d, e))?
        .ok_or_else(|| DecodeError::Invalid("indefinite-length query".into()))
}

fn expect_len(d: &mut Decoder<'_>, n: u64, what: &str) -> Result<(), DecodeError> {
    match len(d)? {
        m if m == n => Ok(()),
        m => Err(DecodeError::Invalid(format!("{what} has {m} elements, expected {n}"))),
    }
}

fn hash<const N: usize>(d: &mut Decoder<'_>) -> Result<[u8; N], DecodeError> {
    let b = d.bytes().map_err(|e| cbor(d, e))?;
    b.try_into()
        .map_err(|_| DecodeError::Invalid(format!("a hash of {N} bytes, found {}", b.len())))
}

/// A set: a list, tagged 258 or not.
fn set<'b, T>(
    d: &mut Decoder<'b>,
    get: impl FnMut(&mut Decoder<'b>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    if d.datatype().map_err(|e| cbor(d, e))? == Type::Tag {
        let t = d.tag().map_err(|e| cbor(d, e))?;
        if t != Tag::new(258) {
            return Err(DecodeError::Invalid(format!("a set is tagged 258, found {t:?}")));
        }
    }
    get_list(d, get)
}

/// `Maybe a` as cardano-binary writes it: `[]` or `[a]`.
fn maybe<'b, T>(
    d: &mut Decoder<'b>,
    get: impl FnOnce(&mut Decoder<'b>) -> Result<T, DecodeError>,
) -> Result<Option<T>, DecodeError> {
    match len(d)? {
        0 => Ok(None),
        1 => Ok(Some(get(d)?)),
        n => Err(DecodeError::Invalid(format!("a Maybe has 0 or 1 elements, found {n}"))),
    }
}

fn credential(d: &mut Decoder<'_>) -> Result<Credential, DecodeError> {
    expect_len(d, 2, "a credential")?;
    match d.u8().map_err(|e| cbor(d, e))? {
        0 => Ok(Credential::Key(hash(d)?)),
        1 => Ok(Credential::Script(hash(d)?)),
        t => Err(DecodeError::Invalid(format!("unknown credential tag {t}"))),
    }
}

fn drep(d: &mut Decoder<'_>) -> Result<DRep, DecodeError> {
    let n = len(d)?;
    match (d.u8().map_err(|e| cbor(d, e))?, n) {
        (0, 2) => Ok(DRep::Key(hash(d)?)),
        (1, 2) => Ok(DRep::Script(hash(d)?)),
        (2, 1) => Ok(DRep::AlwaysAbstain),
        (3, 1) => Ok(DRep::AlwaysNoConfidence),
        (t, n) => Err(DecodeError::Invalid(format!("unknown DRep tag {t} of {n} elements"))),
    }
}

fn tx_in(d: &mut Decoder<'_>) -> Result<TxIn, DecodeError> {
    expect_len(d, 2, "a transaction input")?;
    let tx = hash(d)?;
    Ok(TxIn {
        tx,
        index: d.u64().map_err(|e| cbor(d, e))?,
    })
}

fn pools(d: &mut Decoder<'_>) -> Result<Vec<[u8; 28]>, DecodeError> {
    set(d, hash::<28>)
}

fn era_query(d: &mut Decoder<'_>) -> Result<EraQuery, DecodeError> {
    era_query_within(d, false)
}

/// An era query; `in_cbor` when it is already inside a GetCBOR, which does not nest (its
/// clients never nest it, and nesting without bound would recurse without bound).
fn era_query_within(d: &mut Decoder<'_>, in_cbor: bool) -> Result<EraQuery, DecodeError> {
    let n = len(d)?;
    let tag = d.u8().map_err(|e| cbor(d, e))?;
    let q = match (tag, n) {
        (0, 1) => EraQuery::LedgerTip,
        (1, 1) => EraQuery::EpochNo,
        (3, 1) => EraQuery::CurrentPParams,
        (5, 1) => EraQuery::StakeDistribution,
        (6, 2) => EraQuery::UtxoByAddress(set(d, |d| Ok(d.bytes().map_err(|e| cbor(d, e))?.to_vec()))?),
        (7, 1) => EraQuery::UtxoWhole,
        (9, 2) if in_cbor => return Err(DecodeError::Invalid("a GetCBOR inside a GetCBOR".into())),
        (9, 2) => EraQuery::Cbor(Box::new(era_query_within(d, true)?)),
        (10, 2) => EraQuery::FilteredDelegationsAndRewardAccounts(set(d, credential)?),
        (11, 1) => EraQuery::GenesisConfig,
        (13, 1) => EraQuery::DebugChainDepState,
        (15, 2) => EraQuery::UtxoByTxIn(set(d, tx_in)?),
        (16, 1) => EraQuery::StakePools,
        (17, 2) => EraQuery::StakePoolParams(pools(d)?),
        (19, 2) => EraQuery::PoolState(maybe(d, pools)?),
        (20, 2) => EraQuery::StakeSnapshots(maybe(d, pools)?),
        (21, 2) => EraQuery::PoolDistr(maybe(d, pools)?),
        (22, 2) => EraQuery::StakeDelegDeposits(set(d, credential)?),
        (23, 1) => EraQuery::Constitution,
        (24, 1) => EraQuery::GovState,
        (25, 2) => EraQuery::DRepState(set(d, credential)?),
        (26, 2) => EraQuery::DRepStakeDistr(set(d, drep)?),
        (27, 4) => EraQuery::CommitteeMembersState(
            set(d, credential)?,
            set(d, credential)?,
            set(d, |d| d.u8().map_err(|e| cbor(d, e)))?,
        ),
        (28, 2) => EraQuery::FilteredVoteDelegatees(set(d, credential)?),
        (29, 1) => EraQuery::AccountState,
        (36, 2) => EraQuery::PoolDistr2(maybe(d, pools)?),
        (37, 1) => EraQuery::StakeDistribution2,
        (38, 1) => EraQuery::MaxMajorProtocolVersion,
        (t, n) => {
            return Err(DecodeError::Invalid(format!(
                "ledger query tag {t} of {n} elements is not one this node answers"
            )))
        }
    };
    Ok(q)
}

fn era_index(d: &mut Decoder<'_>) -> Result<u8, DecodeError> {
    let i = d.u8().map_err(|e| cbor(d, e))?;
    if usize::from(i) >= ERA_NAMES.len() {
        return Err(DecodeError::Invalid(format!("decodeNS: invalid era index {i}")));
    }
    Ok(i)
}

impl Query {
    /// Decodes a query (the whole of `bytes`).
    pub fn decode(bytes: &[u8]) -> Result<Query, DecodeError> {
        let mut d = Decoder::new(bytes);
        let d = &mut d;
        let n = len(d)?;
        let q = match (d.u8().map_err(|e| cbor(d, e))?, n) {
            (1, 1) => Query::SystemStart,
            (2, 1) => Query::ChainBlockNo,
            (3, 1) => Query::ChainPoint,
            (0, 2) => {
                let m = len(d)?;
                match (d.u8().map_err(|e| cbor(d, e))?, m) {
                    (0, 2) => {
                        expect_len(d, 2, "an era's query")?;
                        let era = era_index(d)?;
                        Query::IfCurrent(era, era_query(d)?)
                    }
                    (1, 3) => {
                        expect_len(d, 1, "an anytime query")?;
                        match d.u8().map_err(|e| cbor(d, e))? {
                            0 => Query::EraStart(era_index(d)?),
                            t => return Err(DecodeError::Invalid(format!("unknown anytime query {t}"))),
                        }
                    }
                    (2, 2) => {
                        expect_len(d, 1, "a hard-fork query")?;
                        match d.u8().map_err(|e| cbor(d, e))? {
                            0 => Query::Interpreter,
                            1 => Query::CurrentEra,
                            t => return Err(DecodeError::Invalid(format!("unknown hard-fork query {t}"))),
                        }
                    }
                    (t, m) => {
                        return Err(DecodeError::Invalid(format!(
                            "unknown block query tag {t} of {m} elements"
                        )))
                    }
                }
            }
            (t, n) => {
                return Err(DecodeError::Invalid(format!(
                    "query tag {t} of {n} elements is not one this node answers"
                )))
            }
        };
        if d.position() != bytes.len() {
            return Err(DecodeError::TrailingBytes(bytes.len() - d.position()));
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_cbor_does_not_nest() {
        // [0, [0, [6, [9, [1]]]]]: GetCBOR GetEpochNo.
        let once = [0x82, 0x00, 0x82, 0x00, 0x82, 0x06, 0x82, 0x09, 0x81, 0x01];
        assert_eq!(
            Query::decode(&once).unwrap(),
            Query::IfCurrent(6, EraQuery::Cbor(Box::new(EraQuery::EpochNo)))
        );
        let twice = [0x82, 0x00, 0x82, 0x00, 0x82, 0x06, 0x82, 0x09, 0x82, 0x09, 0x81, 0x01];
        assert!(Query::decode(&twice).is_err());
        // A hundred thousand levels are refused at the second, not recursed into.
        let mut deep = vec![0x82, 0x00, 0x82, 0x00, 0x82, 0x06];
        for _ in 0..100_000 {
            deep.extend_from_slice(&[0x82, 0x09]);
        }
        deep.extend_from_slice(&[0x81, 0x01]);
        assert!(Query::decode(&deep).is_err());
    }
}
