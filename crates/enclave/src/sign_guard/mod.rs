//! The sign guard: never two different header bodies for one slot, never a slot below the
//! highest one signed, never a KES key older than a period already signed in — whatever
//! crashes, and however many enclaves share the history.
//!
//! Rules, per leader (one function, [`decide`], for every backend):
//! - a slot already signed with the **same** body: return the stored signed header (a safe
//!   retry);
//! - a slot already signed with a **different** body: refuse (double sign);
//! - a slot below the highest slot signed: refuse (regression);
//! - a KES period below the highest period the same KES key has signed in: refuse.
//!
//! Two backends keep the history:
//! - [`sqlite`]: one file beside one enclave. The check, the signing and the record happen
//!   under one SQLite `IMMEDIATE` transaction, committed (fsynced, `synchronous=FULL`) before
//!   the signed header is returned.
//! - [`postgres`]: one database that several enclaves share, for highly available signing.
//!   The same step is one PostgreSQL transaction under a per-leader advisory lock, committed
//!   (`synchronous_commit=on`) before the signed header is returned.

pub mod postgres;
pub mod sqlite;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use self::postgres::PostgresGuardConfig;

/// Why the guard refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("slot {slot} was already signed with another body ({})", hex::encode(.signed_body_hash))]
    DoubleSign { slot: u64, signed_body_hash: [u8; 32] },
    #[error("slot {slot} is below slot {highest}, already signed")]
    Regression { slot: u64, highest: u64 },
    #[error("slot {slot} needs KES period {period}, but this KES key already signed in period {recorded} (the shared history says so); an older period's key must not sign again")]
    KesPeriodPassed { slot: u64, period: u32, recorded: u32 },
}

impl Refusal {
    /// The slot the refusal concerns.
    pub fn slot(&self) -> u64 {
        match self {
            Refusal::DoubleSign { slot, .. }
            | Refusal::Regression { slot, .. }
            | Refusal::KesPeriodPassed { slot, .. } => *slot,
        }
    }
}

/// A failure of the guard itself (not a refusal).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("the sign-guard database {} does not exist; pass the flag that starts a new signing history only if this enclave has never signed for these leaders", .0.display())]
    Missing(PathBuf),
    #[error("the sign-guard database {} already exists; refusing to start a new history over it", .0.display())]
    AlreadyExists(PathBuf),
    #[error("the sign-guard database {} is corrupt ({reason}); the enclave stops rather than sign without its history", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("the sign-guard database {place} has schema version {found}, newer than this build knows ({known}); run a slotforge-enclave at least as new as the one that wrote it")]
    NewerSchema { place: String, found: i64, known: i64 },
    #[error("{0} holds no slotforge sign-guard schema; pass the flag that starts a new signing history only if these leaders have never signed (or `history import` their history)")]
    NoSchema(String),
    #[error("the sign guard cannot reach its database ({0}); nothing is signed until it can")]
    Unavailable(String),
    #[error("sign-guard database: {0}")]
    Database(String),
    #[error("sign-guard file: {0}")]
    Io(#[from] std::io::Error),
    #[error("sign-guard storage failed: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("slot {0} is beyond the range the guard records (at most 2^63 - 1)")]
    SlotOutOfRange(u64),
    #[error("history interchange: {0}")]
    Interchange(String),
}

/// What `sign` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    /// Newly signed and recorded.
    Fresh(Vec<u8>),
    /// The slot was signed before with the same body: the stored signed header.
    Replayed(Vec<u8>),
}

impl Signed {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Signed::Fresh(b) | Signed::Replayed(b) => b,
        }
    }
}

/// The outcome of a guarded signing request.
#[derive(Debug)]
pub enum GuardOutcome<E> {
    Signed(Signed),
    Refused(Refusal),
    /// The signer itself failed; nothing was recorded.
    SignerFailed(E),
}

/// The KES key a signature will use: its verification key (which names the key across
/// enclaves) and the period, relative to the opcert's start, it signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KesUse {
    pub kes_vkey: [u8; 32],
    pub period: u32,
}

/// A request as the guard judges it.
#[derive(Debug, Clone, Copy)]
pub struct GuardRequest<'a> {
    pub leader: &'a str,
    pub slot: u64,
    pub body_hash: [u8; 32],
    pub kes: Option<KesUse>,
}

/// What the guard found recorded for a request's leader, read under its lock.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    /// The body hash and signed header already stored for the slot.
    pub slot: Option<(Vec<u8>, Vec<u8>)>,
    /// The leader's highest signed slot.
    pub highest: Option<u64>,
    /// The highest period the request's KES key signed in.
    pub kes_period: Option<u32>,
}

/// The guard's verdict on a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    Replay(Vec<u8>),
    Refuse(Refusal),
    Sign,
}

/// The guard's rules, the same for every backend.
pub(crate) fn decide(req: &GuardRequest<'_>, recorded: Recorded) -> Decision {
    if let Some((hash, signed)) = recorded.slot {
        if hash == req.body_hash {
            return Decision::Replay(signed);
        }
        let mut signed_body_hash = [0u8; 32];
        if hash.len() == 32 {
            signed_body_hash.copy_from_slice(&hash);
        }
        return Decision::Refuse(Refusal::DoubleSign {
            slot: req.slot,
            signed_body_hash,
        });
    }
    if let Some(highest) = recorded.highest.filter(|h| req.slot < *h) {
        return Decision::Refuse(Refusal::Regression {
            slot: req.slot,
            highest,
        });
    }
    if let (Some(kes), Some(recorded)) = (req.kes, recorded.kes_period) {
        if kes.period < recorded {
            return Decision::Refuse(Refusal::KesPeriodPassed {
                slot: req.slot,
                period: kes.period,
                recorded,
            });
        }
    }
    Decision::Sign
}

/// Applies the rules and, when they allow signing, runs the signer: the signed bytes to
/// record, or the outcome to return as it is (a replay, a refusal, a signer failure).
pub(crate) fn judge<E>(
    req: &GuardRequest<'_>,
    recorded: Recorded,
    sign: impl FnOnce() -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, GuardOutcome<E>> {
    match decide(req, recorded) {
        Decision::Replay(signed) => Err(GuardOutcome::Signed(Signed::Replayed(signed))),
        Decision::Refuse(r) => Err(GuardOutcome::Refused(r)),
        Decision::Sign => sign().map_err(GuardOutcome::SignerFailed),
    }
}

pub(crate) fn slot_sql(slot: u64) -> Result<i64, GuardError> {
    i64::try_from(slot).map_err(|_| GuardError::SlotOutOfRange(slot))
}

enum Backend {
    Sqlite(sqlite::SqliteGuard),
    Postgres(Box<postgres::PostgresGuard>),
}

/// The durable double-sign protection of an enclave (or of several sharing PostgreSQL).
pub struct SignGuard {
    backend: Backend,
}

/// Whether the guard can sign now, for health checks and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardHealth {
    /// "sqlite" or "postgres".
    pub backend: &'static str,
    /// Where the history lives (a file, or a server and database without credentials).
    pub location: String,
    pub available: bool,
    /// Why it is not available.
    pub error: Option<String>,
}

impl SignGuard {
    /// Opens an existing SQLite guard database. A missing file is an error, not a new history.
    pub fn open(path: &Path) -> Result<Self, GuardError> {
        Ok(SignGuard {
            backend: Backend::Sqlite(sqlite::SqliteGuard::open(path)?),
        })
    }

    /// Creates a new, empty SQLite guard database; refuses if the file exists.
    pub fn create(path: &Path) -> Result<Self, GuardError> {
        Ok(SignGuard {
            backend: Backend::Sqlite(sqlite::SqliteGuard::create(path)?),
        })
    }

    /// Connects to a PostgreSQL guard and applies pending schema migrations. Without a schema
    /// in the database, one is created only when `new_history` says these leaders never signed.
    pub fn open_postgres(config: &PostgresGuardConfig, new_history: bool) -> Result<Self, GuardError> {
        Ok(SignGuard {
            backend: Backend::Postgres(Box::new(postgres::PostgresGuard::open(config, new_history)?)),
        })
    }

    /// Checks `slot`/`body_hash` for `leader`; if signing is allowed, runs `sign` and records
    /// its result durably before returning it. `sign` runs under the guard's lock.
    pub fn sign<E>(
        &self,
        leader: &str,
        slot: u64,
        body_hash: [u8; 32],
        sign: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<GuardOutcome<E>, GuardError> {
        self.sign_request(
            &GuardRequest {
                leader,
                slot,
                body_hash,
                kes: None,
            },
            sign,
        )
    }

    /// [`sign`](Self::sign) with every rule, the KES period's included; a fresh signature also
    /// records the KES period it used.
    pub fn sign_request<E>(
        &self,
        req: &GuardRequest<'_>,
        sign: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<GuardOutcome<E>, GuardError> {
        match &self.backend {
            Backend::Sqlite(g) => g.sign(req, sign),
            Backend::Postgres(g) => g.sign(req, sign),
        }
    }

    /// The highest slot signed for `leader`.
    pub fn highest_slot(&self, leader: &str) -> Result<Option<u64>, GuardError> {
        match &self.backend {
            Backend::Sqlite(g) => g.highest_slot(leader),
            Backend::Postgres(g) => g.highest_slot(leader),
        }
    }

    /// The highest period `kes_vkey` signed in for `leader`, across every enclave sharing the
    /// history.
    pub fn kes_period(&self, leader: &str, kes_vkey: &[u8; 32]) -> Result<Option<u32>, GuardError> {
        match &self.backend {
            Backend::Sqlite(g) => g.kes_period(leader, kes_vkey),
            Backend::Postgres(g) => g.kes_period(leader, kes_vkey),
        }
    }

    /// Exports the whole history in the interchange format.
    pub fn export(&self) -> Result<Interchange, GuardError> {
        let (signed, kes) = match &self.backend {
            Backend::Sqlite(g) => g.export()?,
            Backend::Postgres(g) => g.export()?,
        };
        Ok(Interchange::from_rows(signed, kes))
    }

    /// Imports a history: records are added; a record for a slot already signed with another
    /// body aborts the whole import (nothing is written), as does any malformed record.
    pub fn import(&self, interchange: &Interchange) -> Result<ImportSummary, GuardError> {
        let history = interchange.parse()?;
        match &self.backend {
            Backend::Sqlite(g) => g.import(&history),
            Backend::Postgres(g) => g.import(&history),
        }
    }

    /// Whether the guard can reach its history now (PostgreSQL is asked; a SQLite file is
    /// always there once open).
    pub fn health(&self) -> GuardHealth {
        match &self.backend {
            Backend::Sqlite(g) => GuardHealth {
                backend: "sqlite",
                location: g.path().display().to_string(),
                available: true,
                error: None,
            },
            Backend::Postgres(g) => {
                let error = g.probe().err().map(|e| e.to_string());
                GuardHealth {
                    backend: "postgres",
                    location: g.location().to_string(),
                    available: error.is_none(),
                    error,
                }
            }
        }
    }
}

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
    pub metadata: InterchangeMetadata,
    pub data: Vec<LeaderHistory>,
    /// The highest KES period each KES key signed in (absent from exports of older builds).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kes_periods: Vec<KesPeriodRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterchangeMetadata {
    pub interchange_format_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaderHistory {
    pub leader: String,
    pub signed_slots: Vec<SignedSlot>,
}

/// One signed slot. Numbers are strings, as in EIP-3076, so no JSON parser rounds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedSlot {
    pub slot: String,
    pub body_hash: String,
    pub signed: String,
}

/// The highest KES period a leader's KES key (named by its verification key) signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KesPeriodRecord {
    pub leader: String,
    pub kes_vkey: String,
    pub period: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn req(slot: u64, body: u8, kes_period: Option<u32>) -> GuardRequest<'static> {
        GuardRequest {
            leader: "p",
            slot,
            body_hash: [body; 32],
            kes: kes_period.map(|period| KesUse {
                kes_vkey: [7; 32],
                period,
            }),
        }
    }

    #[test]
    fn rules_in_order() {
        let stored = || Some((vec![1u8; 32], b"header".to_vec()));
        assert_eq!(
            decide(
                &req(10, 1, None),
                Recorded {
                    slot: stored(),
                    highest: Some(20),
                    kes_period: Some(9)
                }
            ),
            Decision::Replay(b"header".to_vec()),
            "a retry is replayed even below the highest slot and past the KES period"
        );
        assert!(matches!(
            decide(
                &req(10, 2, None),
                Recorded {
                    slot: stored(),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::DoubleSign { slot: 10, .. })
        ));
        assert_eq!(
            decide(
                &req(10, 2, None),
                Recorded {
                    highest: Some(11),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::Regression { slot: 10, highest: 11 })
        );
        assert_eq!(
            decide(
                &req(10, 2, Some(3)),
                Recorded {
                    highest: Some(10),
                    kes_period: Some(4),
                    ..Default::default()
                }
            ),
            Decision::Refuse(Refusal::KesPeriodPassed {
                slot: 10,
                period: 3,
                recorded: 4
            })
        );
        assert_eq!(
            decide(
                &req(10, 2, Some(4)),
                Recorded {
                    highest: Some(10),
                    kes_period: Some(4),
                    ..Default::default()
                }
            ),
            Decision::Sign
        );
        assert_eq!(decide(&req(0, 2, Some(0)), Recorded::default()), Decision::Sign);
    }
}
