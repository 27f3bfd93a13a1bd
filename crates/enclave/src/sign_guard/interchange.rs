//! The history interchange format: a signing history in JSON, to move leaders between
//! enclaves (or from SQLite into PostgreSQL) without losing their protection, after the style
//! of Ethereum's EIP-3076 slashing-protection interchange. Built from the rows a backend
//! exports, and checked record by record before a backend imports it.

use serde::{Deserialize, Serialize};

use super::{slot_sql, GuardError};

/// One stored signature, as the backends read and write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedRow {
    pub leader: String,
    pub slot: u64,
    pub body_hash: Vec<u8>,
    pub signed: Vec<u8>,
}

/// One KES key's highest signed period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KesRow {
    pub leader: String,
    pub kes_vkey: [u8; 32],
    pub period: u32,
}

/// A checked interchange file, ready for a backend to write.
pub(crate) struct ParsedHistory {
    pub signed: Vec<SignedRow>,
    pub kes: Vec<KesRow>,
}

/// The interchange format version this build reads and writes.
pub const INTERCHANGE_VERSION: &str = "1";

/// A signing history in JSON, to move a leader between enclaves without losing protection
/// (after the style of Ethereum's EIP-3076 slashing-protection interchange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    /// The format's version.
    pub metadata: InterchangeMetadata,
    /// Every leader's signed slots.
    pub data: Vec<LeaderHistory>,
    /// The highest KES period each KES key signed in (absent from exports of older builds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kes_periods: Vec<KesPeriodRecord>,
}

/// What an interchange file says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeMetadata {
    /// [`INTERCHANGE_VERSION`] when written by this build.
    pub interchange_format_version: String,
}

/// One leader's signed slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderHistory {
    /// The leader's guard identity (a pool id in hex, or `bft:` and a verification key).
    pub leader: String,
    /// Its signed slots, in slot order.
    pub signed_slots: Vec<SignedSlot>,
}

/// One signed slot. Numbers are strings, as in EIP-3076, so no JSON parser rounds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSlot {
    /// The slot, in decimal.
    pub slot: String,
    /// The canonical header body's hash, 64 hex digits.
    pub body_hash: String,
    /// The signed header, in hex (replayed when the same body is asked for again).
    pub signed: String,
}

/// The highest KES period a leader's KES key (named by its verification key) signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KesPeriodRecord {
    /// The leader's guard identity.
    pub leader: String,
    /// The KES verification key, 64 hex digits.
    pub kes_vkey: String,
    /// The period relative to the opcert's start, in decimal.
    pub period: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Signed slots newly recorded.
    pub added: usize,
    /// Signed slots the guard already held with the same body.
    pub already_known: usize,
}

impl Interchange {
    /// Builds an export from rows sorted by leader and slot.
    pub(crate) fn from_rows(signed: Vec<SignedRow>, kes: Vec<KesRow>) -> Self {
        let mut data: Vec<LeaderHistory> = Vec::new();
        for row in signed {
            if data.last().map(|l| &l.leader) != Some(&row.leader) {
                data.push(LeaderHistory {
                    leader: row.leader.clone(),
                    signed_slots: Vec::new(),
                });
            }
            if let Some(last) = data.last_mut() {
                last.signed_slots.push(SignedSlot {
                    slot: row.slot.to_string(),
                    body_hash: hex::encode(row.body_hash),
                    signed: hex::encode(row.signed),
                });
            }
        }
        Interchange {
            metadata: InterchangeMetadata {
                interchange_format_version: INTERCHANGE_VERSION.into(),
            },
            data,
            kes_periods: kes
                .into_iter()
                .map(|k| KesPeriodRecord {
                    leader: k.leader,
                    kes_vkey: hex::encode(k.kes_vkey),
                    period: k.period.to_string(),
                })
                .collect(),
        }
    }

    /// Checks every record; the first bad one names itself.
    pub(crate) fn parse(&self) -> Result<ParsedHistory, GuardError> {
        let bad = |m: String| GuardError::Interchange(m);
        if self.metadata.interchange_format_version != INTERCHANGE_VERSION {
            return Err(bad(format!(
                "format version {:?}, expected {INTERCHANGE_VERSION:?}",
                self.metadata.interchange_format_version
            )));
        }
        let mut signed = Vec::new();
        for leader in &self.data {
            if leader.leader.is_empty() {
                return Err(bad("a leader with an empty id".into()));
            }
            for s in &leader.signed_slots {
                let slot: u64 = s
                    .slot
                    .parse()
                    .map_err(|_| bad(format!("slot {:?} is not a number", s.slot)))?;
                slot_sql(slot)?;
                let body_hash = hex::decode(&s.body_hash)
                    .ok()
                    .filter(|h| h.len() == 32)
                    .ok_or_else(|| bad(format!("slot {slot}: body_hash must be 64 hex digits")))?;
                let bytes = hex::decode(&s.signed).map_err(|_| bad(format!("slot {slot}: signed is not hex")))?;
                signed.push(SignedRow {
                    leader: leader.leader.clone(),
                    slot,
                    body_hash,
                    signed: bytes,
                });
            }
        }
        let mut kes = Vec::new();
        for k in &self.kes_periods {
            let kes_vkey: [u8; 32] = hex::decode(&k.kes_vkey)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad(format!("leader {}: kes_vkey must be 64 hex digits", k.leader)))?;
            let period: u32 = k.period.parse().map_err(|_| {
                bad(format!(
                    "leader {}: KES period {:?} is not a number",
                    k.leader, k.period
                ))
            })?;
            kes.push(KesRow {
                leader: k.leader.clone(),
                kes_vkey,
                period,
            });
        }
        Ok(ParsedHistory { signed, kes })
    }
}

/// The message of an import that met a record conflicting with the stored history.
pub(crate) fn conflict(leader: &str, slot: u64) -> GuardError {
    GuardError::Interchange(format!(
        "leader {leader} slot {slot}: conflicts with a different body already signed; nothing imported"
    ))
}
