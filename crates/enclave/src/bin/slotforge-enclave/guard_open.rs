//! Opening the configured sign guard for a command, with what an operator needs to know when
//! its history is missing: an empty history is started only when asked for.

use std::path::Path;

use anyhow::{bail, Context, Result};
use slotforge_enclave::config::{Config, GuardBackend};
use slotforge_enclave::sign_guard::{GuardError, SignGuard};

/// Opens the configured guard: a missing history is an error unless a new one is asked for.
pub fn open_guard(config: &Config, new_history: bool) -> Result<SignGuard> {
    let pg = match &config.guard {
        GuardBackend::Sqlite => return open_sqlite_guard(&config.guard_path(), new_history),
        GuardBackend::Postgres(pg) => pg,
    };
    match SignGuard::open_postgres(pg, new_history) {
        Ok(g) => Ok(g),
        Err(e @ GuardError::NoSchema(_)) => Err(e).context(
            "if these leaders have never signed, start once with --new-history; if they have, \
             `history move` or `history import` their history first: starting from an empty \
             history could sign a slot twice",
        ),
        Err(e) => Err(e).context(format!(
            "the sign guard database named in {} cannot be used; the enclave will not sign without it",
            config.path.display()
        )),
    }
}

/// Opens a SQLite guard file: a missing file is an error unless a new history is asked for.
pub fn open_sqlite_guard(path: &Path, new_history: bool) -> Result<SignGuard> {
    match SignGuard::open(path) {
        Ok(g) => Ok(g),
        Err(GuardError::Missing(_)) if new_history => {
            SignGuard::create(path).with_context(|| format!("creating the sign guard {}", path.display()))
        }
        Err(GuardError::Missing(_)) => bail!(
            "there is no sign guard database at {}.\n\
             If this enclave has never signed, start it once with --new-history.\n\
             If it has, restore the database (or `history import` an export of it) first: \
             starting from an empty history could sign a slot twice.",
            path.display()
        ),
        Err(e) => Err(e).with_context(|| {
            format!(
                "the sign guard database {} cannot be used; the enclave will not sign without it",
                path.display()
            )
        }),
    }
}
