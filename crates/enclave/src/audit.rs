//! The append-only audit log: one JSON line per request, written and fsynced before the
//! response leaves the enclave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// One audited request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AuditEntry<'a> {
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The client: its certificate subject, or "unix" for the local socket.
    pub client: &'a str,
    /// The request kind (Schedule, SignBlock, …).
    pub request: &'a str,
    /// The leader named in the request.
    pub leader: &'a str,
    /// The slot concerned, when the request names or implies one.
    pub slot: Option<u64>,
    /// blake2b-256 of the header body, hex.
    pub body_hash: Option<String>,
    /// "signed", "replayed", or the refusal or error kind.
    pub outcome: &'a str,
}

/// An open audit log file.
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl AuditLog {
    /// Opens the log for appending, creating it with mode 0600 if needed.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut opts = OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(opts.open(path)?),
        })
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current time in the log's unit.
    pub fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// Appends one entry and syncs it to disk.
    pub fn record(&self, entry: &AuditEntry<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(&line)?;
        f.sync_data()
    }
}
