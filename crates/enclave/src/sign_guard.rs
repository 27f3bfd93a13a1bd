//! The sign guard: never two different header bodies for one slot, never a slot below the
//! highest one signed, whatever crashes.
//!
//! Rules, per leader:
//! - a slot already signed with the **same** body: return the stored signed header (a safe
//!   retry);
//! - a slot already signed with a **different** body: refuse (double sign);
//! - a slot below the highest slot signed: refuse (regression).
//!
//! The check, the signing and the record happen under one lock and one SQLite `IMMEDIATE`
//! transaction (so two processes sharing the file are serialised too), and the transaction is
//! committed — with `synchronous=FULL`, fsynced — before the signed header is returned.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

/// The schema version written into new guard databases.
const SCHEMA_VERSION: &str = "1";

/// Why the guard refused to sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("slot {slot} was already signed with another body ({})", hex::encode(.signed_body_hash))]
    DoubleSign { slot: u64, signed_body_hash: [u8; 32] },
    #[error("slot {slot} is below slot {highest}, already signed")]
    Regression { slot: u64, highest: u64 },
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

/// The durable double-sign protection of one enclave.
pub struct SignGuard {
    path: PathBuf,
    conn: Mutex<Connection>,
}

fn slot_sql(slot: u64) -> Result<i64, GuardError> {
    i64::try_from(slot).map_err(|_| GuardError::SlotOutOfRange(slot))
}

impl SignGuard {
    /// Opens an existing guard database. A missing file is an error, not a new history.
    pub fn open(path: &Path) -> Result<Self, GuardError> {
        if !path.exists() {
            return Err(GuardError::Missing(path.to_path_buf()));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| GuardError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let guard = Self::configure(path, conn)?;
        guard.check_integrity()?;
        Ok(guard)
    }

    /// Creates a new, empty guard database; refuses if the file exists.
    pub fn create(path: &Path) -> Result<Self, GuardError> {
        if path.exists() {
            return Err(GuardError::AlreadyExists(path.to_path_buf()));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE signed (
                 leader TEXT NOT NULL,
                 slot INTEGER NOT NULL CHECK (slot >= 0),
                 body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),
                 signed BLOB NOT NULL,
                 PRIMARY KEY (leader, slot)
             ) WITHOUT ROWID;",
        )?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
            [SCHEMA_VERSION],
        )?;
        Self::configure(path, conn)
    }

    fn configure(path: &Path, conn: Connection) -> Result<Self, GuardError> {
        let corrupt = |e: rusqlite::Error| GuardError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        conn.pragma_update(None, "journal_mode", "WAL").map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(corrupt)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(corrupt)?;
        let has_meta: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
                [],
                |r| r.get(0),
            )
            .map_err(corrupt)?;
        if !has_meta {
            return Err(GuardError::Corrupt {
                path: path.to_path_buf(),
                reason: "not a slotforge sign-guard database".into(),
            });
        }
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .map_err(corrupt)?;
        if version.as_deref() != Some(SCHEMA_VERSION) {
            return Err(GuardError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("schema version {version:?}, expected {SCHEMA_VERSION}"),
            });
        }
        Ok(SignGuard {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    fn check_integrity(&self) -> Result<(), GuardError> {
        let conn = self.lock();
        let result: String =
            conn.query_row("PRAGMA quick_check", [], |r| r.get(0))
                .map_err(|e| GuardError::Corrupt {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
        if result != "ok" {
            return Err(GuardError::Corrupt {
                path: self.path.clone(),
                reason: result,
            });
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-applied transaction behind
        // (SQLite rolls it back), so a poisoned lock is safe to take over.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
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
        let slot_i = slot_sql(slot)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(Vec<u8>, Vec<u8>)> = tx
            .query_row(
                "SELECT body_hash, signed FROM signed WHERE leader = ?1 AND slot = ?2",
                params![leader, slot_i],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((hash, signed)) = existing {
            return Ok(if hash == body_hash {
                GuardOutcome::Signed(Signed::Replayed(signed))
            } else {
                let mut signed_body_hash = [0u8; 32];
                signed_body_hash.copy_from_slice(&hash);
                GuardOutcome::Refused(Refusal::DoubleSign { slot, signed_body_hash })
            });
        }
        let highest: Option<i64> =
            tx.query_row("SELECT MAX(slot) FROM signed WHERE leader = ?1", [leader], |r| r.get(0))?;
        if let Some(highest) = highest {
            if slot_i < highest {
                return Ok(GuardOutcome::Refused(Refusal::Regression {
                    slot,
                    highest: highest as u64,
                }));
            }
        }
        let signed = match sign() {
            Ok(s) => s,
            Err(e) => return Ok(GuardOutcome::SignerFailed(e)),
        };
        tx.execute(
            "INSERT INTO signed (leader, slot, body_hash, signed) VALUES (?1, ?2, ?3, ?4)",
            params![leader, slot_i, &body_hash[..], &signed],
        )?;
        tx.commit()?;
        Ok(GuardOutcome::Signed(Signed::Fresh(signed)))
    }

    /// The highest slot signed for `leader`.
    pub fn highest_slot(&self, leader: &str) -> Result<Option<u64>, GuardError> {
        let conn = self.lock();
        let v: Option<i64> =
            conn.query_row("SELECT MAX(slot) FROM signed WHERE leader = ?1", [leader], |r| r.get(0))?;
        Ok(v.map(|s| s as u64))
    }

    /// Exports the whole history in the interchange format.
    pub fn export(&self) -> Result<Interchange, GuardError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT leader, slot, body_hash, signed FROM signed ORDER BY leader, slot")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut data: Vec<LeaderHistory> = Vec::new();
        for row in rows {
            let (leader, slot, hash, signed) = row?;
            if data.last().map(|l| &l.leader) != Some(&leader) {
                data.push(LeaderHistory {
                    leader: leader.clone(),
                    signed_slots: Vec::new(),
                });
            }
            if let Some(last) = data.last_mut() {
                last.signed_slots.push(SignedSlot {
                    slot: slot.to_string(),
                    body_hash: hex::encode(hash),
                    signed: hex::encode(signed),
                });
            }
        }
        Ok(Interchange {
            metadata: InterchangeMetadata {
                interchange_format_version: INTERCHANGE_VERSION.into(),
            },
            data,
        })
    }

    /// Imports a history: records are added; a record for a slot already signed with another
    /// body aborts the whole import (nothing is written), as does any malformed record.
    pub fn import(&self, interchange: &Interchange) -> Result<ImportSummary, GuardError> {
        let bad = |m: String| GuardError::Interchange(m);
        if interchange.metadata.interchange_format_version != INTERCHANGE_VERSION {
            return Err(bad(format!(
                "format version {:?}, expected {INTERCHANGE_VERSION:?}",
                interchange.metadata.interchange_format_version
            )));
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = ImportSummary::default();
        for leader in &interchange.data {
            if leader.leader.is_empty() {
                return Err(bad("a leader with an empty id".into()));
            }
            for s in &leader.signed_slots {
                let slot: u64 = s
                    .slot
                    .parse()
                    .map_err(|_| bad(format!("slot {:?} is not a number", s.slot)))?;
                let slot_i = slot_sql(slot)?;
                let hash = hex::decode(&s.body_hash)
                    .ok()
                    .filter(|h| h.len() == 32)
                    .ok_or_else(|| bad(format!("slot {slot}: body_hash must be 64 hex digits")))?;
                let signed = hex::decode(&s.signed).map_err(|_| bad(format!("slot {slot}: signed is not hex")))?;
                let existing: Option<Vec<u8>> = tx
                    .query_row(
                        "SELECT body_hash FROM signed WHERE leader = ?1 AND slot = ?2",
                        params![leader.leader, slot_i],
                        |r| r.get(0),
                    )
                    .optional()?;
                match existing {
                    Some(h) if h == hash => summary.already_known += 1,
                    Some(_) => {
                        return Err(bad(format!(
                            "leader {} slot {slot}: conflicts with a different body already signed; nothing imported",
                            leader.leader
                        )))
                    }
                    None => {
                        tx.execute(
                            "INSERT INTO signed (leader, slot, body_hash, signed) VALUES (?1, ?2, ?3, ?4)",
                            params![leader.leader, slot_i, hash, signed],
                        )?;
                        summary.added += 1;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(summary)
    }
}

/// The interchange format version this build reads and writes.
pub const INTERCHANGE_VERSION: &str = "1";

/// A signing history in JSON, to move a leader between enclaves without losing protection
/// (after the style of Ethereum's EIP-3076 slashing-protection interchange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    pub metadata: InterchangeMetadata,
    pub data: Vec<LeaderHistory>,
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

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub already_known: usize,
}
