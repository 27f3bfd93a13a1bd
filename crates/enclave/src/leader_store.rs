//! The leaders an enclave holds, on disk: one directory per leader under `leaders/`, made by
//! `keys import` and read at start and at every reload.
//!
//! A pool's directory holds `vrf.skey` and `node.cert` (cardano-cli envelopes), `cold.vkey`
//! when given, and `kes.key` (the evolving KES key, see [`crate::kes_store`]); a BFT leader's
//! holds `bft.skey`. `leader.json` names the kind and the import; an import is written to a
//! temporary directory and renamed into place, so a leader is either wholly there or absent. A
//! replacement swaps the two directories in one atomic step and only then erases the old keys,
//! so no crash leaves a leader without keys.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use slotforge_crypto::key_file::{self, KeyKind};

use crate::kes_store::{KesKeyStore, KesStoreError};
use crate::signer::{BftLeader, LeaderKeys, LeaderKeysError, PraosLeader};

/// Why a leader cannot be imported, loaded or removed.
#[derive(Debug, thiserror::Error)]
pub enum LeaderStoreError {
    /// A leader name that is not safe as a directory name.
    #[error("leader name {0:?} is not allowed: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'")]
    BadName(String),
    /// An import over an existing leader without `--replace`.
    #[error("a leader named {0:?} already exists; pass --replace to replace its keys")]
    Exists(String),
    /// No leader of that name.
    #[error("no leader named {0:?}")]
    Missing(String),
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// A pool's key files do not belong together.
    #[error(transparent)]
    Keys(#[from] LeaderKeysError),
    /// A key file does not read or parse.
    #[error(transparent)]
    KeyFile(#[from] key_file::KeyFileError),
    /// The KES key file cannot be used.
    #[error(transparent)]
    KesStore(#[from] KesStoreError),
    /// `leader.json` does not read as a manifest.
    #[error("{}: {reason}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// Why it does not parse.
        reason: String,
    },
    /// A secret key file readable by group or others.
    #[error("{} holds a secret key but is accessible by group or others; run `chmod 600 {}`", .0.display(), .0.display())]
    Permissions(PathBuf),
}

/// Which consensus a leader takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaderKind {
    /// A Praos stake pool.
    Praos,
    /// A BFT (round-robin) leader.
    Bft,
}

/// `leader.json`: what was imported and when; a new import gives a new `import_id`, which
/// is how a reload tells changed keys from unchanged ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Which consensus the leader takes part in.
    pub kind: LeaderKind,
    /// A fresh id for every import.
    pub import_id: String,
}

/// The files of a pool to import.
pub struct PraosImport<'a> {
    /// The VRF signing key (`vrf.skey`).
    pub vrf_skey: &'a Path,
    /// The KES signing key (`kes.skey`), at period 0.
    pub kes_skey: &'a Path,
    /// The operational certificate (`node.cert`).
    pub opcert: &'a Path,
    /// The cold verification key (`cold.vkey`), checked against the opcert when given.
    pub cold_vkey: Option<&'a Path>,
}

/// The `leaders/` directory.
#[derive(Debug, Clone)]
pub struct LeaderStore {
    dir: PathBuf,
    slots_per_kes_period: u64,
    max_kes_evolutions: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LeaderStoreError + '_ {
    move |source| LeaderStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// 1 to 64 letters, digits, '-', '_' or '.', not starting with '.': safe as a file name.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_name(name: &str) -> Result<(), LeaderStoreError> {
    if is_plain_name(name) {
        Ok(())
    } else {
        Err(LeaderStoreError::BadName(name.to_string()))
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), LeaderStoreError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<(), LeaderStoreError> {
    Ok(())
}

fn check_secret_mode(path: &Path) -> Result<(), LeaderStoreError> {
    if key_file::secret_permissions_warning(path).is_some() {
        return Err(LeaderStoreError::Permissions(path.to_path_buf()));
    }
    Ok(())
}

/// Copies a key file, checking its envelope kind first; secret copies get mode 0600.
fn copy_key(from: &Path, to: &Path, kind: KeyKind) -> Result<(), LeaderStoreError> {
    let text = zeroize::Zeroizing::new(fs::read_to_string(from).map_err(io(from))?);
    key_file::parse_envelope(&text, kind).map_err(|problem| key_file::KeyFileError {
        path: from.to_path_buf(),
        problem,
    })?;
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if kind.is_secret() { 0o600 } else { 0o644 });
    }
    use std::io::Write;
    let mut f = opts.open(to).map_err(io(to))?;
    f.write_all(text.as_bytes()).map_err(io(to))?;
    f.sync_all().map_err(io(to))
}

/// Overwrites a file's bytes with zeros and syncs, before it is deleted.
fn scrub(path: &Path) {
    if let Ok(len) = fs::metadata(path).map(|m| m.len()) {
        if let Ok(f) = fs::OpenOptions::new().write(true).open(path) {
            use std::io::Write;
            let mut f = f;
            let _ = f.write_all(&vec![0u8; len as usize]);
            let _ = f.sync_all();
        }
    }
}

/// Swaps two directories atomically (`renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "a NUL in a path"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are NUL-terminated; the call touches no memory of ours.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn sync_dir(dir: &Path) -> Result<(), LeaderStoreError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

impl LeaderStore {
    /// The store in `dir`, loading pools with the chain's KES parameters.
    pub fn new(dir: impl Into<PathBuf>, slots_per_kes_period: u64, max_kes_evolutions: u64) -> Self {
        LeaderStore {
            dir: dir.into(),
            slots_per_kes_period,
            max_kes_evolutions,
        }
    }

    /// The `leaders/` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ensure_dir(&self) -> Result<(), LeaderStoreError> {
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        set_mode(&self.dir, 0o700)
    }

    /// Checks a pool's files and copies them in as leader `name`.
    pub fn import_praos(&self, name: &str, files: &PraosImport<'_>, replace: bool) -> Result<(), LeaderStoreError> {
        check_name(name)?;
        let leader = PraosLeader::from_key_files(
            files.vrf_skey,
            files.kes_skey,
            files.opcert,
            self.slots_per_kes_period,
            self.max_kes_evolutions,
        )?;
        if let Some(cold) = files.cold_vkey {
            let vkey = key_file::read_key_file(
                cold,
                KeyKind::ColdVerification,
                key_file::parse_ed25519_verification_key,
            )?;
            if vkey.to_bytes() != leader.opcert.cold_vkey {
                return Err(LeaderKeysError::ColdKeyMismatch {
                    opcert: files.opcert.to_path_buf(),
                    cold: cold.to_path_buf(),
                }
                .into());
            }
        }
        self.install(name, LeaderKind::Praos, replace, |tmp| {
            copy_key(files.vrf_skey, &tmp.join("vrf.skey"), KeyKind::VrfSigning)?;
            copy_key(files.opcert, &tmp.join("node.cert"), KeyKind::OperationalCertificate)?;
            if let Some(cold) = files.cold_vkey {
                copy_key(cold, &tmp.join("cold.vkey"), KeyKind::ColdVerification)?;
            }
            KesKeyStore::open(tmp.join("kes.key"))?.save(&leader.kes)?;
            Ok(())
        })
    }

    /// Checks a BFT leader's Ed25519 signing key (a genesis-delegate key envelope) and copies
    /// it in as leader `name`.
    pub fn import_bft(&self, name: &str, skey: &Path, replace: bool) -> Result<(), LeaderStoreError> {
        check_name(name)?;
        key_file::read_key_file(
            skey,
            KeyKind::GenesisDelegateSigning,
            key_file::parse_ed25519_signing_key,
        )?;
        self.install(name, LeaderKind::Bft, replace, |tmp| {
            copy_key(skey, &tmp.join("bft.skey"), KeyKind::GenesisDelegateSigning)
        })
    }

    fn install(
        &self,
        name: &str,
        kind: LeaderKind,
        replace: bool,
        fill: impl FnOnce(&Path) -> Result<(), LeaderStoreError>,
    ) -> Result<(), LeaderStoreError> {
        self.ensure_dir()?;
        let target = self.dir.join(name);
        if target.exists() && !replace {
            return Err(LeaderStoreError::Exists(name.to_string()));
        }
        let tmp = self.dir.join(format!(".{name}.importing"));
        if tmp.exists() {
            self.scrub_dir(&tmp)?;
        }
        fs::create_dir(&tmp).map_err(io(&tmp))?;
        set_mode(&tmp, 0o700)?;
        let result = fill(&tmp).and_then(|()| {
            let manifest = Manifest {
                kind,
                import_id: format!(
                    "{}-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_nanos())
                        .unwrap_or(0),
                    std::process::id()
                ),
            };
            let path = tmp.join("leader.json");
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| LeaderStoreError::Manifest {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            fs::write(&path, text).map_err(io(&path))?;
            sync_dir(&tmp)
        });
        if let Err(e) = result {
            let _ = self.scrub_dir(&tmp);
            return Err(e);
        }
        if target.exists() {
            // One atomic step puts the new keys in place; the old ones (with the evolved KES
            // key) are overwritten only after that is durable. A failure leaves them in place.
            if let Err(e) = exchange(&tmp, &target) {
                let _ = self.scrub_dir(&tmp);
                return Err(io(&target)(e));
            }
            sync_dir(&self.dir)?;
            self.scrub_dir(&tmp)?;
        } else {
            fs::rename(&tmp, &target).map_err(io(&target))?;
        }
        sync_dir(&self.dir)
    }

    fn scrub_dir(&self, dir: &Path) -> Result<(), LeaderStoreError> {
        for f in ["vrf.skey", "kes.key", "kes.key.tmp", "bft.skey"] {
            scrub(&dir.join(f));
        }
        fs::remove_dir_all(dir).map_err(io(dir))
    }

    /// Removes leader `name`: its secret files are overwritten before deletion. Its signing
    /// history stays in the guard.
    pub fn remove(&self, name: &str) -> Result<(), LeaderStoreError> {
        check_name(name)?;
        let dir = self.dir.join(name);
        if !dir.is_dir() {
            return Err(LeaderStoreError::Missing(name.to_string()));
        }
        self.scrub_dir(&dir)?;
        sync_dir(&self.dir)
    }

    /// The leaders' names and manifests, sorted by name.
    pub fn list(&self) -> Result<Vec<(String, Manifest)>, LeaderStoreError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io(&self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            out.push((name.clone(), self.manifest(&name)?));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    fn manifest(&self, name: &str) -> Result<Manifest, LeaderStoreError> {
        let path = self.dir.join(name).join("leader.json");
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        serde_json::from_str(&text).map_err(|e| LeaderStoreError::Manifest {
            path,
            reason: e.to_string(),
        })
    }

    /// Loads leader `name`'s keys; secret files readable by others are refused.
    pub fn load(&self, name: &str) -> Result<LeaderKeys, LeaderStoreError> {
        check_name(name)?;
        let dir = self.dir.join(name);
        Ok(match self.manifest(name)?.kind {
            LeaderKind::Praos => {
                let vrf_path = dir.join("vrf.skey");
                check_secret_mode(&vrf_path)?;
                let vrf = key_file::read_key_file(&vrf_path, KeyKind::VrfSigning, key_file::parse_vrf_signing_key)?;
                let opcert = key_file::read_key_file(
                    &dir.join("node.cert"),
                    KeyKind::OperationalCertificate,
                    key_file::parse_opcert,
                )?;
                let store = KesKeyStore::open(dir.join("kes.key"))?;
                let kes = store.load()?;
                if kes.public_key() != opcert.hot_vkey {
                    return Err(LeaderKeysError::KesKeyNotCertified {
                        opcert: dir.join("node.cert"),
                        kes: store.path().to_path_buf(),
                    }
                    .into());
                }
                LeaderKeys::Praos(PraosLeader {
                    vrf,
                    kes,
                    kes_store: Some(store),
                    opcert,
                    slots_per_kes_period: self.slots_per_kes_period,
                    max_kes_evolutions: self.max_kes_evolutions,
                })
            }
            LeaderKind::Bft => {
                let path = dir.join("bft.skey");
                check_secret_mode(&path)?;
                let key = key_file::read_key_file(
                    &path,
                    KeyKind::GenesisDelegateSigning,
                    key_file::parse_ed25519_signing_key,
                )?;
                LeaderKeys::Bft(BftLeader { key })
            }
        })
    }
}
