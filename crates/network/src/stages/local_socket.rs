//! The node's local socket: a Unix socket local clients (cardano-cli, oura, Ogmios, wallets'
//! backends) connect to, readable and writable by the node's user only unless a group is named,
//! serving up to a limit of clients at once, each in a [`local_session`](super::local_session).
//! A stale socket file left by a node that stopped is replaced; anything else at the path is
//! refused.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::local_session::{self, LocalContext};

/// How the local socket is served.
#[derive(Debug, Clone)]
pub struct LocalSocketConfig {
    /// The socket's path.
    pub path: PathBuf,
    /// The group whose members may connect too (the socket is then mode 0660), by numeric id.
    pub group: Option<u32>,
    /// Clients served at once; more are closed at once.
    pub max_clients: usize,
}

/// Why the local socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LocalSocketError {
    /// Something other than a socket is at the path.
    #[error("{0}: exists and is not a socket; remove it or choose another [local] socket path")]
    NotASocket(PathBuf),
    /// Another process answers on the socket.
    #[error("{0}: another process is listening on it (is another node running with this data?)")]
    InUse(PathBuf),
    /// Binding, or setting the socket's owner or mode, failed.
    #[error("{path}: {error}")]
    Io {
        /// The socket's path.
        path: PathBuf,
        /// The failure.
        error: std::io::Error,
    },
}

/// The running local socket: stopped, and its file removed, when dropped.
pub struct LocalSocket {
    path: PathBuf,
    tasks: JoinSet<()>,
}

impl Drop for LocalSocket {
    fn drop(&mut self) {
        self.tasks.abort_all();
        let _ = std::fs::remove_file(&self.path);
    }
}

impl LocalSocket {
    /// Binds the socket (mode 0600, or 0660 for a group, from the start) and starts serving.
    pub async fn start(cfg: LocalSocketConfig, ctx: LocalContext) -> Result<LocalSocket, LocalSocketError> {
        let io = |error| LocalSocketError::Io {
            path: cfg.path.clone(),
            error,
        };
        clear_stale(&cfg.path).await?;
        let listener = bind_private(&cfg.path, cfg.group).map_err(io)?;
        let mut tasks = JoinSet::new();
        tasks.spawn(accept(listener, cfg.max_clients, ctx));
        tracing::info!(path = %cfg.path.display(), "node-to-client listening");
        Ok(LocalSocket { path: cfg.path, tasks })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Binds a socket at `path` that nobody else can reach before its mode is set: it is bound in
/// a fresh folder only this user can enter, given mode 0600 (0660 and the group with `group`),
/// then moved into place.
fn bind_private(path: &Path, group: Option<u32>) -> std::io::Result<UnixListener> {
    use std::os::unix::fs::DirBuilderExt;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = parent.join(format!(".{name}.{}.binding", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::DirBuilder::new().mode(0o700).create(&staging)?;
    let bound = (|| {
        let inner = staging.join("socket");
        let listener = UnixListener::bind(&inner)?;
        if let Some(gid) = group {
            std::os::unix::fs::chown(&inner, None, Some(gid))?;
        }
        let mode = if group.is_some() { 0o660 } else { 0o600 };
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(mode))?;
        std::fs::rename(&inner, path)?;
        Ok(listener)
    })();
    let _ = std::fs::remove_dir_all(&staging);
    bound
}

/// Removes a socket file no process answers on; refuses anything else.
async fn clear_stale(path: &Path) -> Result<(), LocalSocketError> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err(LocalSocketError::NotASocket(path.to_path_buf()));
    }
    if tokio::net::UnixStream::connect(path).await.is_ok() {
        return Err(LocalSocketError::InUse(path.to_path_buf()));
    }
    std::fs::remove_file(path).map_err(|error| LocalSocketError::Io {
        path: path.to_path_buf(),
        error,
    })
}

async fn accept(listener: UnixListener, max_clients: usize, ctx: LocalContext) {
    let slots = Arc::new(Semaphore::new(max_clients));
    let mut sessions = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a local client failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(max_clients, "local client refused: the limit is reached");
            continue;
        };
        next_id += 1;
        let client = next_id;
        let ctx = ctx.clone();
        sessions.spawn(async move {
            let reason = local_session::serve(stream, ctx).await;
            tracing::info!(client, %reason, "local client disconnected");
            drop(permit);
        });
        while sessions.try_join_next().is_some() {}
    }
}
