//! The sign guard: never two different header bodies for one slot, never a slot below the
//! highest one signed, never a KES key older than a period already signed in — whatever
//! crashes, and however many enclaves share the history.
//!
//! - [`rules`]: the decision, one function for every backend: may this body be signed at this
//!   slot, given what was signed?
//! - [`interchange`]: the history's JSON export and import format.
//! - this module: the [`SignGuard`] every signature goes through, and its backends.
//!
//! Two backends keep the history:
//! - [`sqlite`]: one file beside one enclave. The check, the signing and the record happen
//!   under one SQLite `IMMEDIATE` transaction, committed (fsynced, `synchronous=FULL`) before
//!   the signed header is returned.
//! - [`postgres`]: one database that several enclaves share, for highly available signing.
//!   The same step is one PostgreSQL transaction under a per-leader advisory lock, committed
//!   (`synchronous_commit=on`) before the signed header is returned.

pub mod interchange;
pub mod postgres;
pub mod rules;
pub mod sqlite;

use std::path::{Path, PathBuf};

pub use self::interchange::{
    ImportSummary, Interchange, InterchangeMetadata, KesPeriodRecord, LeaderHistory, SignedSlot, INTERCHANGE_VERSION,
};
pub use self::postgres::PostgresGuardConfig;
pub use self::rules::{GuardRequest, KesUse, Refusal};

pub(crate) use self::interchange::{conflict, KesRow, ParsedHistory, SignedRow};
pub(crate) use self::rules::{judge, Recorded};

/// A failure of the guard itself (not a refusal).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// No SQLite guard file where one was expected (a new history is started only on request).
    #[error("the sign-guard database {} does not exist; pass the flag that starts a new signing history only if this enclave has never signed for these leaders", .0.display())]
    Missing(PathBuf),
    /// A new history was asked for over an existing file.
    #[error("the sign-guard database {} already exists; refusing to start a new history over it", .0.display())]
    AlreadyExists(PathBuf),
    /// The database fails its integrity or schema checks.
    #[error("the sign-guard database {} is corrupt ({reason}); the enclave stops rather than sign without its history", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The database was written by a newer build, whose schema this one does not know.
    #[error("the sign-guard database {place} has schema version {found}, newer than this build knows ({known}); run a slotforge-enclave at least as new as the one that wrote it")]
    NewerSchema {
        /// The database (a file, or a server and database name).
        place: String,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A PostgreSQL database without the guard's schema (created only on request).
    #[error("{0} holds no slotforge sign-guard schema; pass the flag that starts a new signing history only if these leaders have never signed (or `history import` their history)")]
    NoSchema(String),
    /// The database cannot be reached now; the next call tries again.
    #[error("the sign guard cannot reach its database ({0}); nothing is signed until it can")]
    Unavailable(String),
    /// The database answered with an error.
    #[error("sign-guard database: {0}")]
    Database(String),
    /// A file operation of the guard failed.
    #[error("sign-guard file: {0}")]
    Io(#[from] std::io::Error),
    /// SQLite failed.
    #[error("sign-guard storage failed: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A slot that does not fit the database's signed 64-bit integers.
    #[error("slot {0} is beyond the range the guard records (at most 2^63 - 1)")]
    SlotOutOfRange(u64),
    /// An interchange file that is malformed or conflicts with the stored history.
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
    /// The signed header's bytes, fresh or replayed.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Signed::Fresh(b) | Signed::Replayed(b) => b,
        }
    }
}

/// The outcome of a guarded signing request.
#[derive(Debug)]
pub enum GuardOutcome<E> {
    /// Signed now, or replayed from the history.
    Signed(Signed),
    /// Refused by the [`rules`]; nothing was signed.
    Refused(Refusal),
    /// The signer itself failed; nothing was recorded.
    SignerFailed(E),
}

/// A slot as the databases store it (a signed 64-bit integer).
pub(crate) fn slot_sql(slot: u64) -> Result<i64, GuardError> {
    i64::try_from(slot).map_err(|_| GuardError::SlotOutOfRange(slot))
}

/// Where the history is kept.
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
    /// Whether the history can be read and written now.
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
