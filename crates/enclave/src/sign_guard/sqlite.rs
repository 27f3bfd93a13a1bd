//! The sign guard in one SQLite file, for one enclave (processes sharing the file are
//! serialised by SQLite's write lock too).
//!
//! The check, the signing and the record happen under one lock and one `IMMEDIATE`
//! transaction, committed — with `synchronous=FULL`, fsynced — before the signed header is
//! returned.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{
    conflict, judge, slot_sql, GuardError, GuardOutcome, GuardRequest, ImportSummary, KesRow, ParsedHistory, Recorded,
    Signed, SignedRow,
};

/// Schema migrations, in order: migration `i` takes version `i` to `i + 1`. Version 1 is the
/// first schema (`meta`, `signed`); a database is always migrated to the newest.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE signed (
         leader TEXT NOT NULL,
         slot INTEGER NOT NULL CHECK (slot >= 0),
         body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),
         signed BLOB NOT NULL,
         PRIMARY KEY (leader, slot)
     ) WITHOUT ROWID;
     INSERT INTO meta (key, value) VALUES ('schema_version', '1');",
    "CREATE TABLE kes_periods (
         leader TEXT NOT NULL,
         kes_vkey BLOB NOT NULL CHECK (length(kes_vkey) = 32),
         period INTEGER NOT NULL CHECK (period >= 0),
         PRIMARY KEY (leader, kes_vkey)
     ) WITHOUT ROWID;
     UPDATE meta SET value = '2' WHERE key = 'schema_version';",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A guard database file.
pub struct SqliteGuard {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteGuard {
    /// Opens an existing guard file, migrating its schema to the newest; a missing file is an
    /// error, not a new history.
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

    /// Creates a new, empty guard file (mode 0600); refuses if the file exists.
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
        conn.execute_batch(MIGRATIONS[0])?;
        Self::configure(path, conn)
    }

    /// Creates a database at an older schema version (for migration tests).
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: usize) -> Result<(), GuardError> {
        let conn = Connection::open(path)?;
        for m in &MIGRATIONS[..version] {
            conn.execute_batch(m)?;
        }
        Ok(())
    }

    /// The guard file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sets durability, checks it is a guard database, and migrates it to [`SCHEMA_VERSION`]
    /// (refusing one newer than this build).
    fn configure(path: &Path, mut conn: Connection) -> Result<Self, GuardError> {
        let corrupt = |e: rusqlite::Error| GuardError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        conn.pragma_update(None, "journal_mode", "WAL").map_err(corrupt)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(corrupt)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(corrupt)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(corrupt)?;
        let has_meta: bool = tx
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
        let version: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .map_err(corrupt)?;
        let version: i64 = version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| GuardError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("schema version {version:?} is not a version this build wrote"),
            })?;
        if version > SCHEMA_VERSION {
            return Err(GuardError::NewerSchema {
                place: path.display().to_string(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(m).map_err(corrupt)?;
            tracing::info!(path = %path.display(), from = i, to = i + 1, "sign-guard schema migrated");
        }
        tx.commit().map_err(corrupt)?;
        Ok(SqliteGuard {
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

    /// [`SignGuard::sign_request`](super::SignGuard::sign_request) on this file: the check,
    /// `sign` and the record under one `IMMEDIATE` transaction, committed before returning.
    pub fn sign<E>(
        &self,
        req: &GuardRequest<'_>,
        sign: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<GuardOutcome<E>, GuardError> {
        let slot_i = slot_sql(req.slot)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let recorded = Recorded {
            slot: tx
                .query_row(
                    "SELECT body_hash, signed FROM signed WHERE leader = ?1 AND slot = ?2",
                    params![req.leader, slot_i],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            highest: tx
                .query_row("SELECT MAX(slot) FROM signed WHERE leader = ?1", [req.leader], |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .map(|s| s as u64),
            kes_period: match req.kes {
                Some(k) => kes_period(&tx, req.leader, &k.kes_vkey)?,
                None => None,
            },
        };
        let signed = match judge(req, recorded, sign) {
            Ok(signed) => signed,
            Err(outcome) => return Ok(outcome),
        };
        tx.execute(
            "INSERT INTO signed (leader, slot, body_hash, signed) VALUES (?1, ?2, ?3, ?4)",
            params![req.leader, slot_i, &req.body_hash[..], &signed],
        )?;
        if let Some(k) = req.kes {
            record_kes_period(&tx, req.leader, &k.kes_vkey, k.period)?;
        }
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

    /// The highest period `kes_vkey` signed in for `leader`.
    pub fn kes_period(&self, leader: &str, kes_vkey: &[u8; 32]) -> Result<Option<u32>, GuardError> {
        kes_period(&self.lock(), leader, kes_vkey)
    }

    pub(crate) fn export(&self) -> Result<(Vec<SignedRow>, Vec<KesRow>), GuardError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT leader, slot, body_hash, signed FROM signed ORDER BY leader, slot")?;
        let signed = stmt
            .query_map([], |r| {
                Ok(SignedRow {
                    leader: r.get(0)?,
                    slot: r.get::<_, i64>(1)? as u64,
                    body_hash: r.get(2)?,
                    signed: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = conn.prepare("SELECT leader, kes_vkey, period FROM kes_periods ORDER BY leader, kes_vkey")?;
        let kes = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, i64>(2)?))
            })?
            .map(|row| {
                let (leader, vkey, period) = row?;
                Ok(KesRow {
                    leader,
                    kes_vkey: vkey.try_into().map_err(|_| GuardError::Corrupt {
                        path: self.path.clone(),
                        reason: "a KES key of the wrong length".into(),
                    })?,
                    period: period as u32,
                })
            })
            .collect::<Result<Vec<_>, GuardError>>()?;
        Ok((signed, kes))
    }

    pub(crate) fn import(&self, history: &ParsedHistory) -> Result<ImportSummary, GuardError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut summary = ImportSummary::default();
        for row in &history.signed {
            let slot_i = slot_sql(row.slot)?;
            let existing: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT body_hash FROM signed WHERE leader = ?1 AND slot = ?2",
                    params![row.leader, slot_i],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(h) if h == row.body_hash => summary.already_known += 1,
                Some(_) => return Err(conflict(&row.leader, row.slot)),
                None => {
                    tx.execute(
                        "INSERT INTO signed (leader, slot, body_hash, signed) VALUES (?1, ?2, ?3, ?4)",
                        params![row.leader, slot_i, row.body_hash, row.signed],
                    )?;
                    summary.added += 1;
                }
            }
        }
        for k in &history.kes {
            record_kes_period(&tx, &k.leader, &k.kes_vkey, k.period)?;
        }
        tx.commit()?;
        Ok(summary)
    }
}

fn kes_period(conn: &Connection, leader: &str, kes_vkey: &[u8; 32]) -> Result<Option<u32>, GuardError> {
    Ok(conn
        .query_row(
            "SELECT period FROM kes_periods WHERE leader = ?1 AND kes_vkey = ?2",
            params![leader, &kes_vkey[..]],
            |r| r.get::<_, i64>(0),
        )
        .optional()?
        .map(|p| p as u32))
}

/// Raises the recorded period of `kes_vkey` to `period` (never lowers it).
fn record_kes_period(conn: &Connection, leader: &str, kes_vkey: &[u8; 32], period: u32) -> Result<(), GuardError> {
    conn.execute(
        "INSERT INTO kes_periods (leader, kes_vkey, period) VALUES (?1, ?2, ?3)
         ON CONFLICT (leader, kes_vkey) DO UPDATE SET period = MAX(period, excluded.period)",
        params![leader, &kes_vkey[..], i64::from(period)],
    )?;
    Ok(())
}
