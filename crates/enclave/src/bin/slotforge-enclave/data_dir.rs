//! The data directory: created private (0700), and held by one serving enclave at a time
//! through an exclusive lock on its pid file, which other commands read to find that enclave.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use slotforge_enclave::config::Config;

/// Holds the data directory's lock file for the life of the process.
pub struct InstanceLock {
    _file: fs::File,
}

/// Takes the data directory's exclusive lock (released by the kernel when the process dies,
/// however it dies) and writes the pid into it.
pub fn lock_instance(config: &Config) -> Result<InstanceLock> {
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    let path = config.pid_path();
    let mut file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let pid = fs::read_to_string(&path).unwrap_or_default();
        bail!(
            "another slotforge-enclave (pid {}) is serving {}; stop it first",
            pid.trim(),
            config.data_dir.display()
        );
    }
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()?;
    Ok(InstanceLock { _file: file })
}

/// The pid of the enclave serving `config`'s data directory, if one is running.
pub fn running_pid(config: &Config) -> Option<i32> {
    pid_holding(&config.pid_path())
}

/// The pid of the enclave holding the lock of the pid file `path`, if one is running.
pub fn pid_holding(path: &Path) -> Option<i32> {
    use std::os::unix::io::AsRawFd;
    let file = fs::File::open(path).ok()?;
    // SAFETY: as above. Taking the lock succeeds only when no enclave holds it.
    let free = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
    if free {
        // SAFETY: releasing the lock just taken.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
        return None;
    }
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Creates the data directory if needed, and makes it private to this user (0700).
pub fn ensure_data_dir(config: &Config) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = &config.data_dir;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| format!("chmod 700 {}", dir.display()))
}
