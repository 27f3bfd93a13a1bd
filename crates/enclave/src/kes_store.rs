//! Durable storage of the evolving KES key: every evolution is persisted atomically before
//! the key is used, and the previous key's bytes are overwritten.
//!
//! Saving writes a temporary file (mode 0600) beside the key, fsyncs it, renames it over the
//! key and fsyncs the directory; only then is the old file's content overwritten with zeros
//! (through a handle opened before the rename). A crash at any point leaves either the old or
//! the new key, never neither, never a torn file.
//!
//! The store holds its directory open and works relative to that handle, so when `keys import
//! --replace` swaps a leader's directory for a new one, a running enclave that still signs with
//! the old key keeps writing into the old directory and can never overwrite the new key.
//!
//! File format: `SFKES001` ‖ period (u32 big-endian) ‖ 608 key bytes ‖ blake2b-256 of the
//! preceding bytes.

use std::ffi::OsStr;
use std::ffi::{CStr, CString};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use slotforge_crypto::kes::{KesSecretKey, SIGNING_KEY_LEN};
use slotforge_praos::nonce::blake2b256;
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"SFKES001";
const FILE_LEN: usize = 8 + 4 + SIGNING_KEY_LEN + 32;

/// Why the KES key could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum KesStoreError {
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not a KES key file this build wrote (or it is damaged).
    #[error("{} is not a slotforge KES key file ({reason})", path.display())]
    Format {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The secret key file is readable or writable by group or others.
    #[error("{} holds a secret key but is accessible by group or others (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display())]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

/// The KES key file of one leader.
#[derive(Debug, Clone)]
pub struct KesKeyStore {
    path: PathBuf,
    /// The directory the key lives in, held open.
    dir: Arc<File>,
    name: CString,
    temp_name: CString,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KesStoreError + '_ {
    move |source| KesStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Opens `name` in the directory `dir` (an `openat`), with close-on-exec.
fn open_at(dir: &File, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> std::io::Result<File> {
    // SAFETY: `dir` is an open directory and `name` is NUL-terminated; on success the returned
    // descriptor is new and owned by nothing else, so the File may own it.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { File::from_raw_fd(fd) })
}

impl KesKeyStore {
    /// The store of the key file `path`; its directory must exist and stays open.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, KesStoreError> {
        let path = path.into();
        let dir_path = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let format = |reason: &str| KesStoreError::Format {
            path: path.clone(),
            reason: reason.into(),
        };
        let file_name = path.file_name().ok_or_else(|| format("no file name"))?;
        let name = CString::new(file_name.as_bytes()).map_err(|_| format("a NUL in the name"))?;
        let mut temp = file_name.as_bytes().to_vec();
        temp.extend_from_slice(b".tmp");
        let temp_name = CString::new(temp).map_err(|_| format("a NUL in the name"))?;
        let dir = File::open(dir_path).map_err(io(dir_path))?;
        Ok(KesKeyStore {
            path,
            dir: Arc::new(dir),
            name,
            temp_name,
        })
    }

    /// The key file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn temp_path(&self) -> PathBuf {
        self.path.with_file_name(OsStr::from_bytes(self.temp_name.as_bytes()))
    }

    /// Loads the key, refusing files that others can read and files that fail their checksum.
    pub fn load(&self) -> Result<KesSecretKey, KesStoreError> {
        let path = &self.path;
        let mut file = open_at(&self.dir, &self.name, libc::O_RDONLY, 0).map_err(io(path))?;
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
        let mut f = open_at(
            &self.dir,
            &self.temp_name,
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
            0o600,
        )
        .map_err(io(&tmp))?;
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600)).map_err(io(&tmp))?;
        }
        f.write_all(&content).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
        drop(f);

        // Keep a handle on the old key so its bytes can be overwritten once the new one is safe.
        let old = open_at(&self.dir, &self.name, libc::O_WRONLY, 0).ok();
        let dir = self.dir.as_raw_fd();
        // SAFETY: both names are NUL-terminated and relative to the directory held open.
        if unsafe { libc::renameat(dir, self.temp_name.as_ptr(), dir, self.name.as_ptr()) } != 0 {
            return Err(io(&self.path)(std::io::Error::last_os_error()));
        }
        self.dir.sync_all().map_err(io(&self.path))?;
        if let Some(mut old) = old {
            let len = old.metadata().map(|m| m.len() as usize).unwrap_or(FILE_LEN);
            // Best effort: the new key is already durable; a failure here leaves old bytes on
            // disk but loses nothing.
            let _ = old.write_all(&vec![0u8; len]).and_then(|_| old.sync_all());
        }
        Ok(())
    }
}
