//! `slotforge-enclave serve`: open the guard, load the leaders, listen, reload on SIGHUP,
//! stop on SIGTERM or SIGINT.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use slotforge_enclave::audit::AuditLog;
use slotforge_enclave::clock::SlotClock;
use slotforge_enclave::config::Config;
use slotforge_enclave::leader_store::LeaderStore;
use slotforge_enclave::metrics::Metrics;
use slotforge_enclave::service::EnclaveService;
use slotforge_enclave::signer::Signer;
use slotforge_enclave::tls;
use tokio::net::{TcpListener, UnixListener};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::server::TcpIncoming;
use tonic::transport::Server;

use crate::data_dir::{ensure_data_dir, lock_instance};
use crate::guard_open::open_guard;

/// Loads every leader in the store into the signer, replacing those whose import changed and
/// removing those no longer there. `known` maps names to import ids. At start (`strict`) a
/// leader that does not load stops the enclave; at a reload it is reported and skipped.
fn sync_leaders(store: &LeaderStore, signer: &Signer, known: &mut HashMap<String, String>, strict: bool) -> Result<()> {
    let listed = store.list().context("listing leaders")?;
    for name in known.keys().cloned().collect::<Vec<_>>() {
        if !listed.iter().any(|(n, _)| *n == name) {
            signer.remove_leader(&name);
            known.remove(&name);
            tracing::info!(leader = %name, "leader removed");
        }
    }
    for (name, manifest) in listed {
        if known.get(&name) == Some(&manifest.import_id) {
            continue;
        }
        match store.load(&name) {
            Ok(keys) => {
                signer.add_leader(&name, keys);
                known.insert(name.clone(), manifest.import_id);
                tracing::info!(leader = %name, kind = ?manifest.kind, "leader loaded");
                match signer.catch_up_kes(&name) {
                    Ok(Some((from, to))) => tracing::info!(
                        leader = %name, from, to,
                        "KES key evolved to the period another enclave already signed in"
                    ),
                    Ok(None) => {}
                    // It evolves when it next signs; the guard refuses older periods meanwhile.
                    Err(e) => {
                        tracing::warn!(leader = %name, error = %e, "KES key not compared with the shared history")
                    }
                }
            }
            Err(e) if strict => return Err(e).with_context(|| format!("loading leader {name:?}")),
            Err(e) => tracing::error!(leader = %name, error = %e, "leader not loaded; the previous keys (if any) stay"),
        }
    }
    Ok(())
}

/// Binds the Unix socket with mode 0600 before anyone can reach it, replacing a stale socket:
/// it is bound inside a new private (0700) directory, restricted, then renamed into place.
/// (A umask would change the mode of files every thread creates meanwhile.)
fn bind_unix(path: &Path) -> Result<UnixListener> {
    use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
    if let Ok(meta) = fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            bail!("{} exists and is not a socket; refusing to replace it", path.display());
        }
        fs::remove_file(path).with_context(|| format!("removing the stale socket {}", path.display()))?;
    }
    let staging = path.with_file_name(format!(".{}.bind", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).with_context(|| format!("removing {}", staging.display()))?;
    }
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&staging)
        .with_context(|| format!("creating {}", staging.display()))?;
    let bound = staging.join("s");
    let result = (|| -> Result<UnixListener> {
        let listener = UnixListener::bind(&bound).with_context(|| format!("binding {}", path.display()))?;
        fs::set_permissions(&bound, fs::Permissions::from_mode(0o600))?;
        fs::rename(&bound, path).with_context(|| format!("moving the socket to {}", path.display()))?;
        Ok(listener)
    })();
    let _ = fs::remove_dir_all(&staging);
    result
}

/// The enclave's own clock, from the configured network timing.
pub fn slot_clock(config: &Config) -> Result<SlotClock> {
    let history = config
        .time
        .era_history()
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("reading the network's slot timing named in {}", config.path.display()))?;
    Ok(SlotClock::system(history, config.future_slot_tolerance_ms))
}

/// A leader's operational certificate expiring within this is warned about in the log.
const KES_WARNING: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
/// How often the leaders' operational certificates are looked at.
const KES_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Logs, at start and every hour, each leader whose operational certificate expires within
/// [`KES_WARNING`] (a warning) or has expired (an error): the key must be rotated before.
async fn watch_kes_expiry(signer: Arc<Signer>, mut stop: watch::Receiver<bool>) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        for k in signer.kes_expiries() {
            let (Some(at), Some(slots_left)) = (k.expires_unix_ms, k.slots_left) else {
                continue;
            };
            let when = chrono::DateTime::from_timestamp_millis(at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            if slots_left == 0 {
                tracing::error!(leader = %k.leader, expired_at = %when, end_kes_period = k.end_period,
                    "the operational certificate has expired: the leader can sign no block until it gets a new KES key and certificate");
            } else if at.saturating_sub(now) < KES_WARNING.as_millis() as i64 {
                let hours = at.saturating_sub(now) / 3_600_000;
                tracing::warn!(leader = %k.leader, expires_at = %when, hours_left = hours, slots_left, end_kes_period = k.end_period,
                    "the operational certificate expires soon: issue a new KES key and certificate before then");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(KES_CHECK_INTERVAL) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn serve_metrics(
    listener: TcpListener,
    signer: Arc<Signer>,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let (signer, metrics) = (signer.clone(), metrics.clone());
            async move {
                let probed = signer.clone();
                if let Ok(health) = tokio::task::spawn_blocking(move || probed.guard().health()).await {
                    metrics.set_guard_available(health.available);
                }
                (
                    [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
                    metrics.render(&signer),
                )
            }
        }),
    );
    let shutdown = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "metrics server stopped");
    }
}

/// Serves until SIGTERM or SIGINT, reloading the leaders on SIGHUP.
pub async fn run(config: Config, new_history: bool) -> Result<()> {
    ensure_data_dir(&config)?;
    let _lock = lock_instance(&config)?;
    let store = LeaderStore::new(
        config.leaders_dir(),
        config.slots_per_kes_period,
        config.max_kes_evolutions,
    );
    let clock = slot_clock(&config)?;
    // Opening the guard and loading the leaders block (files, the database): off the runtime.
    let (signer, mut known) = {
        let (config, store, clock) = (config.clone(), store.clone(), clock.clone());
        tokio::task::spawn_blocking(move || -> Result<_> {
            let signer = Arc::new(Signer::new(open_guard(&config, new_history)?).with_clock(clock));
            let mut known = HashMap::new();
            sync_leaders(&store, &signer, &mut known, true)?;
            Ok((signer, known))
        })
        .await??
    };
    let audit = Arc::new(
        AuditLog::open(&config.audit_path()).with_context(|| format!("opening {}", config.audit_path().display()))?,
    );
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();

    let service = || {
        EnclaveService::new(signer.clone(), Some(audit.clone()), metrics.clone())
            .with_authorization(config.authorization.clone())
            .into_server()
    };
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut endpoints: Vec<String> = Vec::new();
    if let Some(path) = &config.unix_socket {
        let listener = bind_unix(path)?;
        endpoints.push(format!("unix:{}", path.display()));
        let server = Server::builder().add_service(service());
        let stop = stopped(stop_rx.clone());
        tasks.spawn(async move {
            server
                .serve_with_incoming_shutdown(UnixListenerStream::new(listener), stop)
                .await
                .context("the Unix socket server failed")
        });
    }
    if let Some(tcp) = &config.tcp {
        let tls =
            tls::server_config(&tcp.ca_cert, &tcp.server_cert, &tcp.server_key).context("loading the TLS files")?;
        let listener = TcpListener::bind(tcp.listen)
            .await
            .with_context(|| format!("binding {}", tcp.listen))?;
        endpoints.push(format!("https://{} (mutual TLS)", listener.local_addr()?));
        let server = Server::builder()
            .tls_config(tls)
            .context("configuring TLS")?
            .add_service(service());
        let stop = stopped(stop_rx.clone());
        tasks.spawn(async move {
            server
                .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), stop)
                .await
                .context("the TLS server failed")
        });
    }
    if let Some(addr) = config.metrics {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the metrics address {addr}"))?;
        endpoints.push(format!("http://{}/metrics", listener.local_addr()?));
        let metrics_server = serve_metrics(listener, signer.clone(), metrics.clone(), stop_rx.clone());
        tasks.spawn(async move {
            metrics_server.await;
            Ok(())
        });
    }
    {
        let (signer, stop) = (signer.clone(), stop_rx.clone());
        tasks.spawn(async move {
            watch_kes_expiry(signer, stop).await;
            Ok(())
        });
    }
    tracing::info!(leaders = ?signer.leader_ids(), "serving on {}", endpoints.join(", "));
    eprintln!(
        "slotforge-enclave: ready ({} leaders) on {}",
        signer.leader_ids().len(),
        endpoints.join(", ")
    );

    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading leaders");
                let (store, reloaded) = (store.clone(), signer.clone());
                let mut k = std::mem::take(&mut known);
                known = tokio::task::spawn_blocking(move || {
                    if let Err(e) = sync_leaders(&store, &reloaded, &mut k, false) {
                        tracing::error!(error = %format!("{e:#}"), "reload failed");
                    }
                    k
                }).await?;
                eprintln!("slotforge-enclave: reloaded ({} leaders)", signer.leader_ids().len());
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
            Some(done) = tasks.join_next() => {
                done??;
                bail!("a server stopped unexpectedly");
            }
        }
    }
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    if let Some(path) = &config.unix_socket {
        let _ = fs::remove_file(path);
    }
    Ok(())
}
