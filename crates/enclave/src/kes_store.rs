//! Durable storage of the evolving KES key: every evolution is persisted atomically before
//! the key is used, and the previous key's bytes are overwritten.
//!
//! Saving writes a temporary file (mode 0600) beside the key, fsyncs it, renames it over the
//! key and fsyncs the directory; only then is the old file's content overwritten with zeros
//! (through a handle opened before the rename). A crash at any point leaves either the old or
//! the new key, never neither, never a torn file.
//!
//! File format: `SFKES001` ‖ period (u32 big-endian) ‖ 608 key bytes ‖ blake2b-256 of the
//! preceding bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use slotforge_crypto::kes::{KesSecretKey, SIGNING_KEY_LEN};
use slotforge_praos::nonce::blake2b256;
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"SFKES001";
const FILE_LEN: usize = 8 + 4 + SIGNING_KEY_LEN + 32;

/// Why the KES key could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum KesStoreError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{} is not a slotforge KES key file ({reason})", path.display())]
    Format { path: PathBuf, reason: String },
    #[error("{} holds a secret key but is accessible by group or others (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display())]
    Permissions { path: PathBuf, mode: u32 },
}

/// The KES key file of one leader.
#[derive(Debug, Clone)]
pub struct KesKeyStore {
    path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KesStoreError + '_ {
    move |source| KesStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl KesKeyStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        KesKeyStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn temp_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".tmp");
        self.path.with_file_name(name)
    }

    /// Loads the key, refusing files that others can read and files that fail their checksum.
    pub fn load(&self) -> Result<KesSecretKey, KesStoreError> {
        let path = &self.path;
        let mut file = File::open(path).map_err(io(path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().map_err(io(path))?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KesStoreError::Permissions {
                    path: path.clone(),
                    mode,
                });
            }
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        Read::by_ref(&mut file)
            .take(FILE_LEN as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(io(path))?;
        let format = |reason: String| KesStoreError::Format {
            path: path.clone(),
            reason,
        };
        if bytes.len() != FILE_LEN {
            return Err(format(format!("{} bytes, expected {FILE_LEN}", bytes.len())));
        }
        if &bytes[..8] != MAGIC {
            return Err(format("wrong magic".into()));
        }
        let (content, checksum) = bytes.split_at(FILE_LEN - 32);
        if blake2b256(&[content]) != checksum {
            return Err(format("checksum mismatch: the file is damaged".into()));
        }
        let period = u32::from_be_bytes([content[8], content[9], content[10], content[11]]);
        KesSecretKey::from_bytes(&content[12..], period).map_err(|e| format(e.to_string()))
    }

    /// Persists `key` atomically and then overwrites the previous key's bytes.
    pub fn save(&self, key: &KesSecretKey) -> Result<(), KesStoreError> {
        let mut content = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        content.extend_from_slice(MAGIC);
        content.extend_from_slice(&key.period().to_be_bytes());
        content.extend_from_slice(&key.to_bytes());
        let checksum = blake2b256(&[&content]);
        content.extend_from_slice(&checksum);

        let tmp = self.temp_path();
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io(&tmp))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600)).map_err(io(&tmp))?;
        }
        f.write_all(&content).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);

        // Keep a handle on the old key so its bytes can be overwritten once the new one is safe.
        let old = OpenOptions::new().write(true).open(&self.path).ok();
        fs::rename(&tmp, &self.path).map_err(io(&self.path))?;
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
        if let Some(mut old) = old {
            let len = old.metadata().map(|m| m.len() as usize).unwrap_or(FILE_LEN);
            // Best effort: the new key is already durable; a failure here leaves old bytes on
            // disk but loses nothing.
            let _ = old.write_all(&vec![0u8; len]).and_then(|_| old.sync_all());
        }
        Ok(())
    }
}
