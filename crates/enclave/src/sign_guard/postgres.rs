//! The sign guard on PostgreSQL, shared by several enclaves so that any of them can sign for
//! the same leaders and none can sign a slot another already signed differently.
//!
//! Each request is one transaction: `pg_advisory_xact_lock` on the leader, read what is
//! recorded, decide (`super::rules::decide`), sign, insert, commit. The lock is a transaction-scoped
//! advisory lock rather than a row lock because a request that is refused or replayed then
//! writes nothing (no row lock, no transaction id, no WAL flush at commit), and because the
//! lock goes away with the transaction even when the enclave holding it dies mid-request (its
//! session ends). The signed header leaves only after `COMMIT` returned with
//! `synchronous_commit = on`: the record is in the server's durable WAL (and on synchronous
//! standbys, when the server has them). The primary key (leader, slot) would refuse a second
//! body even if the lock were bypassed.
//!
//! When the server cannot be reached, every call fails with [`GuardError::Unavailable`]
//! (`guard_unavailable` on the wire) and the next call connects again: the enclave recovers
//! without a restart.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};
use slotforge_praos::nonce::blake2b256;

use super::{
    conflict, judge, slot_sql, GuardError, GuardOutcome, GuardRequest, ImportSummary, KesRow, ParsedHistory, Recorded,
    Signed, SignedRow,
};

/// Schema migrations, in order: migration `i` takes the schema from version `i` to `i + 1`.
/// Each is applied in its own transaction together with its row in
/// `slotforge_schema_migrations`.
const MIGRATIONS: &[&str] = &["CREATE TABLE slotforge_signed (
         leader text NOT NULL,
         slot bigint NOT NULL CHECK (slot >= 0),
         body_hash bytea NOT NULL CHECK (length(body_hash) = 32),
         signed bytea NOT NULL,
         signed_by text NOT NULL DEFAULT current_setting('application_name'),
         signed_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (leader, slot)
     );
     CREATE TABLE slotforge_kes_periods (
         leader text NOT NULL,
         kes_vkey bytea NOT NULL CHECK (length(kes_vkey) = 32),
         period integer NOT NULL CHECK (period >= 0),
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (leader, kes_vkey)
     );"];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The first key of every advisory lock the guard takes (its namespace in the database).
const LOCK_CLASS: i32 = 0x5F5F_6701;
/// The second key of the lock that serialises schema migrations.
const MIGRATION_LOCK: i32 = -1;

/// How to reach the shared guard database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresGuardConfig {
    /// A libpq-style URL or key=value string (`postgresql://user:pass@host:5432/db`).
    pub url: String,
    /// Verify the server's TLS certificate against this CA and require TLS; None connects
    /// without TLS (a Unix socket or loopback).
    pub ca_cert: Option<PathBuf>,
    /// Connections kept open (requests for different leaders proceed in parallel).
    pub pool_size: usize,
    /// How long to wait for the server to accept a connection.
    pub connect_timeout: Duration,
    /// The longest a request waits for another enclave's lock on the same leader, and the
    /// longest any statement runs.
    pub statement_timeout: Duration,
}

impl PostgresGuardConfig {
    /// The database at `url`, without TLS, with 4 connections and 5 s / 10 s timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        PostgresGuardConfig {
            url: url.into(),
            ca_cert: None,
            pool_size: 4,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// A small pool of connections to the guard database.
pub struct PostgresGuard {
    config: postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    location: String,
    session_setup: String,
    connections: Vec<Mutex<Option<Pooled>>>,
    next: AtomicUsize,
}

/// A pooled connection, its prepared statements, and when it was last used.
struct Pooled {
    client: Client,
    statements: Statements,
    last_used: Instant,
}

/// The statements of a signature, prepared once per connection (each would otherwise cost a
/// round trip to prepare).
struct Statements {
    lock: postgres::Statement,
    read: postgres::Statement,
    insert: postgres::Statement,
    record_kes: postgres::Statement,
}

/// Waits for the leader's lock; released when the transaction ends.
const LOCK_LEADER: &str = "SELECT pg_advisory_xact_lock($1, $2)";
/// What a request is judged on, in one round trip: the slot's record, the leader's highest
/// slot, and the KES key's highest period ($3 NULL when the request uses no KES key).
const READ_RECORDED: &str = "SELECT s.body_hash, s.signed,
        (SELECT MAX(slot) FROM slotforge_signed WHERE leader = $1),
        (SELECT period FROM slotforge_kes_periods WHERE leader = $1 AND kes_vkey = $3)
     FROM (SELECT 1) AS one
     LEFT JOIN slotforge_signed s ON s.leader = $1 AND s.slot = $2";
const INSERT_SIGNED: &str = "INSERT INTO slotforge_signed (leader, slot, body_hash, signed) VALUES ($1, $2, $3, $4)";
/// Raises the recorded period of a KES key (never lowers it).
const RECORD_KES: &str = "INSERT INTO slotforge_kes_periods (leader, kes_vkey, period) VALUES ($1, $2, $3)
     ON CONFLICT (leader, kes_vkey) DO UPDATE
     SET period = GREATEST(slotforge_kes_periods.period, EXCLUDED.period), updated_at = now()";
const SCHEMA_VERSION_SQL: &str = "SELECT COALESCE(MAX(version), 0)::bigint FROM slotforge_schema_migrations";

/// A connection idle longer than this is checked with an empty query before use: the server
/// may have restarted meanwhile, which a connection only notices when it is next used.
const IDLE_CHECK: Duration = Duration::from_secs(1);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A PostgreSQL failure in words: the server's message and SQLSTATE, or every cause.
fn describe_error(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {} (SQLSTATE {})", db.severity(), db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// Sorts a PostgreSQL failure into "cannot reach the database" (retrying later, or on another
/// enclave, may help) and everything else.
fn classify(e: postgres::Error) -> GuardError {
    let text = describe_error(&e);
    match e.code().map(|c| c.code()) {
        // Connection exceptions, operator intervention (shutdown, cancel, timeouts),
        // insufficient resources, lock not available.
        Some(code) if code.starts_with("08") || code.starts_with("57") || code.starts_with("53") || code == "55P03" => {
            GuardError::Unavailable(text)
        }
        Some(_) => GuardError::Database(text),
        None => GuardError::Unavailable(text),
    }
}

/// The advisory-lock key of a leader.
fn leader_lock(leader: &str) -> i32 {
    let h = blake2b256(&[leader.as_bytes()]);
    i32::from_be_bytes([h[0], h[1], h[2], h[3]])
}

fn tls_connector(ca: &std::path::Path) -> Result<tokio_postgres_rustls::MakeRustlsConnect, GuardError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let bad = |m: String| GuardError::Database(format!("the guard database's CA {}: {m}", ca.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| bad(e.to_string()))? {
        roots
            .add(cert.map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("holds no certificate".into()));
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
}

impl PostgresGuard {
    /// Connects and applies pending schema migrations; without a schema, one is created only
    /// when `new_history` says these leaders never signed.
    pub fn open(cfg: &PostgresGuardConfig, new_history: bool) -> Result<Self, GuardError> {
        let mut config: postgres::Config = cfg
            .url
            .parse()
            .map_err(|e| GuardError::Database(format!("the guard database URL does not parse: {e}")))?;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        config
            .application_name(&format!("slotforge-enclave {} pid {}", host.trim(), std::process::id()))
            .connect_timeout(cfg.connect_timeout)
            .tcp_user_timeout(cfg.statement_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10));
        let tls = match &cfg.ca_cert {
            Some(ca) => {
                config.ssl_mode(postgres::config::SslMode::Require);
                Some(tls_connector(ca)?)
            }
            None => None,
        };
        let location = describe(&config);
        let timeout_ms = cfg.statement_timeout.as_millis();
        let guard = PostgresGuard {
            config,
            tls,
            location,
            session_setup: format!(
                "SET synchronous_commit = on; SET lock_timeout = {timeout_ms}; \
                 SET statement_timeout = {timeout_ms}; SET idle_in_transaction_session_timeout = {}",
                timeout_ms * 3
            ),
            connections: (0..cfg.pool_size.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        };
        let mut client = guard.connect_raw()?;
        guard.migrate(&mut client, new_history)?;
        *lock(&guard.connections[0]) = Some(guard.pooled(client)?);
        Ok(guard)
    }

    /// The server and database, without credentials.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn connect_raw(&self) -> Result<Client, GuardError> {
        let mut client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
        .map_err(|e| GuardError::Unavailable(format!("{}: {}", self.location, describe_error(&e))))?;
        client.batch_execute(&self.session_setup).map_err(classify)?;
        Ok(client)
    }

    /// Checks the schema version a new connection finds and prepares its statements.
    fn pooled(&self, mut client: Client) -> Result<Pooled, GuardError> {
        let version = schema_version(&mut client)?;
        if version > SCHEMA_VERSION {
            return Err(GuardError::NewerSchema {
                place: self.location.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if version < SCHEMA_VERSION {
            return Err(GuardError::Database(format!(
                "{} has schema version {version}, older than this enclave's {SCHEMA_VERSION}: restart the enclave to migrate it",
                self.location
            )));
        }
        let mut prepare = |sql| client.prepare(sql).map_err(classify);
        let statements = Statements {
            lock: prepare(LOCK_LEADER)?,
            read: prepare(READ_RECORDED)?,
            insert: prepare(INSERT_SIGNED)?,
            record_kes: prepare(RECORD_KES)?,
        };
        Ok(Pooled {
            client,
            statements,
            last_used: Instant::now(),
        })
    }

    /// Brings the schema to [`SCHEMA_VERSION`] under a lock, so enclaves starting together
    /// migrate once; refuses a newer schema and, without `new_history`, a database with none.
    fn migrate(&self, client: &mut Client, new_history: bool) -> Result<(), GuardError> {
        client
            .execute("SELECT pg_advisory_lock($1, $2)", &[&LOCK_CLASS, &MIGRATION_LOCK])
            .map_err(classify)?;
        let result = self.migrate_locked(client, new_history);
        let unlocked = client.execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_CLASS, &MIGRATION_LOCK]);
        result?;
        unlocked.map_err(classify)?;
        Ok(())
    }

    fn migrate_locked(&self, client: &mut Client, new_history: bool) -> Result<(), GuardError> {
        let exists: bool = client
            .query_one("SELECT to_regclass('slotforge_schema_migrations') IS NOT NULL", &[])
            .map_err(classify)?
            .get(0);
        if !exists {
            if !new_history {
                return Err(GuardError::NoSchema(self.location.clone()));
            }
            client
                .batch_execute(
                    "CREATE TABLE slotforge_schema_migrations (
                         version integer PRIMARY KEY,
                         applied_at timestamptz NOT NULL DEFAULT now(),
                         applied_by text NOT NULL DEFAULT current_setting('application_name')
                     )",
                )
                .map_err(classify)?;
        }
        let version = schema_version(client)?;
        if version > SCHEMA_VERSION {
            return Err(GuardError::NewerSchema {
                place: self.location.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let mut tx = client.transaction().map_err(classify)?;
            tx.batch_execute(m).map_err(classify)?;
            let to = i as i32 + 1;
            tx.execute("INSERT INTO slotforge_schema_migrations (version) VALUES ($1)", &[&to])
                .map_err(classify)?;
            tx.commit().map_err(classify)?;
            tracing::info!(database = %self.location, from = i, to, "sign-guard schema migrated");
        }
        Ok(())
    }

    /// Runs `f` on a pooled connection, connecting first when it is closed; a failed
    /// connection is dropped so the next call starts afresh.
    fn with_client<T>(
        &self,
        f: impl FnOnce(&mut Client, &Statements) -> Result<T, GuardError>,
    ) -> Result<T, GuardError> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut slot = (0..n)
            .find_map(|i| self.connections[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| lock(&self.connections[start]));
        let stale = slot.as_mut().is_none_or(|p| {
            p.client.is_closed() || (p.last_used.elapsed() > IDLE_CHECK && p.client.simple_query("").is_err())
        });
        if stale {
            *slot = None;
            let client = self.connect_raw().inspect_err(|_| self.drop_idle())?;
            *slot = Some(self.pooled(client)?);
        }
        let Some(pooled) = slot.as_mut() else {
            return Err(GuardError::Unavailable("no connection".into()));
        };
        let result = f(&mut pooled.client, &pooled.statements);
        pooled.last_used = Instant::now();
        if let Err(e) = &result {
            *slot = None;
            if matches!(e, GuardError::Unavailable(_)) {
                drop(slot);
                self.drop_idle();
            }
        }
        result
    }

    /// Closes the idle connections: when the server went away, they went with it.
    fn drop_idle(&self) {
        for other in &self.connections {
            if let Ok(mut idle) = other.try_lock() {
                *idle = None;
            }
        }
    }

    /// Asks the server whether it answers.
    pub fn probe(&self) -> Result<(), GuardError> {
        self.with_client(|c, _| c.simple_query("SELECT 1").map(drop).map_err(classify))
    }

    /// [`SignGuard::sign_request`](super::SignGuard::sign_request) on the shared database: the
    /// check, `sign` and the record in one transaction under the leader's advisory lock,
    /// committed before returning.
    pub fn sign<E>(
        &self,
        req: &GuardRequest<'_>,
        sign: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<GuardOutcome<E>, GuardError> {
        let slot = slot_sql(req.slot)?;
        self.with_client(|client, st| {
            let mut tx = client.transaction().map_err(classify)?;
            tx.execute(&st.lock, &[&LOCK_CLASS, &leader_lock(req.leader)])
                .map_err(classify)?;
            let kes_vkey = req.kes.map(|k| k.kes_vkey.to_vec());
            let row = tx
                .query_one(&st.read, &[&req.leader, &slot, &kes_vkey])
                .map_err(classify)?;
            let stored: Option<Vec<u8>> = row.get(0);
            let recorded = Recorded {
                slot: stored.zip(row.get::<_, Option<Vec<u8>>>(1)),
                highest: row.get::<_, Option<i64>>(2).map(|h| h as u64),
                kes_period: row.get::<_, Option<i32>>(3).map(|p| p as u32),
            };
            let signed = match judge(req, recorded, sign) {
                Ok(signed) => signed,
                Err(outcome) => return Ok(outcome),
            };
            tx.execute(&st.insert, &[&req.leader, &slot, &&req.body_hash[..], &signed])
                .map_err(classify)?;
            if let Some(k) = req.kes {
                tx.execute(
                    &st.record_kes,
                    &[&req.leader, &&k.kes_vkey[..], &kes_period_sql(k.period)?],
                )
                .map_err(classify)?;
            }
            tx.commit().map_err(classify)?;
            Ok(GuardOutcome::Signed(Signed::Fresh(signed)))
        })
    }

    /// The highest slot signed for `leader`, by any enclave.
    pub fn highest_slot(&self, leader: &str) -> Result<Option<u64>, GuardError> {
        self.with_client(|c, _| {
            let v: Option<i64> = c
                .query_one("SELECT MAX(slot) FROM slotforge_signed WHERE leader = $1", &[&leader])
                .map_err(classify)?
                .get(0);
            Ok(v.map(|s| s as u64))
        })
    }

    /// The highest period `kes_vkey` signed in for `leader`, by any enclave.
    pub fn kes_period(&self, leader: &str, kes_vkey: &[u8; 32]) -> Result<Option<u32>, GuardError> {
        self.with_client(|c, _| {
            let mut tx = c.transaction().map_err(classify)?;
            kes_period(&mut tx, leader, kes_vkey)
        })
    }

    pub(crate) fn export(&self) -> Result<(Vec<SignedRow>, Vec<KesRow>), GuardError> {
        self.with_client(|c, _| {
            // One snapshot for both tables.
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(classify)?;
            let signed = tx
                .query(
                    "SELECT leader, slot, body_hash, signed FROM slotforge_signed ORDER BY leader, slot",
                    &[],
                )
                .map_err(classify)?
                .iter()
                .map(|r| SignedRow {
                    leader: r.get(0),
                    slot: r.get::<_, i64>(1) as u64,
                    body_hash: r.get(2),
                    signed: r.get(3),
                })
                .collect();
            let kes = tx
                .query(
                    "SELECT leader, kes_vkey, period FROM slotforge_kes_periods ORDER BY leader, kes_vkey",
                    &[],
                )
                .map_err(classify)?
                .iter()
                .map(|r| {
                    Ok(KesRow {
                        leader: r.get(0),
                        kes_vkey: r
                            .get::<_, Vec<u8>>(1)
                            .try_into()
                            .map_err(|_| GuardError::Database("a KES key of the wrong length".into()))?,
                        period: r.get::<_, i32>(2) as u32,
                    })
                })
                .collect::<Result<Vec<_>, GuardError>>()?;
            tx.commit().map_err(classify)?;
            Ok((signed, kes))
        })
    }

    pub(crate) fn import(&self, history: &ParsedHistory) -> Result<ImportSummary, GuardError> {
        self.with_client(|c, _| {
            let mut tx = c.transaction().map_err(classify)?;
            let mut leaders: Vec<&str> = history.signed.iter().map(|r| r.leader.as_str()).collect();
            leaders.extend(history.kes.iter().map(|k| k.leader.as_str()));
            leaders.sort_unstable();
            leaders.dedup();
            // The same locks a signature takes, in one order: an import and enclaves signing
            // meanwhile never interleave for one leader.
            let mut keys: Vec<i32> = leaders.iter().map(|l| leader_lock(l)).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                tx.execute("SELECT pg_advisory_xact_lock($1, $2)", &[&LOCK_CLASS, &key])
                    .map_err(classify)?;
            }
            let mut summary = ImportSummary::default();
            for row in &history.signed {
                let slot = slot_sql(row.slot)?;
                let existing: Option<Vec<u8>> = tx
                    .query_opt(
                        "SELECT body_hash FROM slotforge_signed WHERE leader = $1 AND slot = $2",
                        &[&row.leader, &slot],
                    )
                    .map_err(classify)?
                    .map(|r| r.get(0));
                match existing {
                    Some(h) if h == row.body_hash => summary.already_known += 1,
                    Some(_) => return Err(conflict(&row.leader, row.slot)),
                    None => {
                        tx.execute(
                            "INSERT INTO slotforge_signed (leader, slot, body_hash, signed) VALUES ($1, $2, $3, $4)",
                            &[&row.leader, &slot, &row.body_hash, &row.signed],
                        )
                        .map_err(classify)?;
                        summary.added += 1;
                    }
                }
            }
            for k in &history.kes {
                record_kes_period(&mut tx, &k.leader, &k.kes_vkey, k.period)?;
            }
            tx.commit().map_err(classify)?;
            Ok(summary)
        })
    }
}

fn kes_period(
    tx: &mut postgres::Transaction<'_>,
    leader: &str,
    kes_vkey: &[u8; 32],
) -> Result<Option<u32>, GuardError> {
    Ok(tx
        .query_opt(
            "SELECT period FROM slotforge_kes_periods WHERE leader = $1 AND kes_vkey = $2",
            &[&leader, &&kes_vkey[..]],
        )
        .map_err(classify)?
        .map(|r| r.get::<_, i32>(0) as u32))
}

/// Raises the recorded period of `kes_vkey` to `period` (never lowers it).
fn record_kes_period(
    tx: &mut postgres::Transaction<'_>,
    leader: &str,
    kes_vkey: &[u8; 32],
    period: u32,
) -> Result<(), GuardError> {
    tx.execute(RECORD_KES, &[&leader, &&kes_vkey[..], &kes_period_sql(period)?])
        .map_err(classify)?;
    Ok(())
}

fn kes_period_sql(period: u32) -> Result<i32, GuardError> {
    i32::try_from(period).map_err(|_| GuardError::Database(format!("KES period {period} is too large")))
}

fn schema_version(client: &mut Client) -> Result<i64, GuardError> {
    Ok(client.query_one(SCHEMA_VERSION_SQL, &[]).map_err(classify)?.get(0))
}

/// `host:port/dbname` (or the socket directory), never the password.
fn describe(config: &postgres::Config) -> String {
    use postgres::config::Host;
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            Host::Tcp(h) => format!("{h}:{p}"),
            Host::Unix(path) => format!("{}:{p}", path.display()),
        })
        .collect();
    format!(
        "postgresql://{}/{}",
        hosts.join(","),
        config.get_dbname().or(config.get_user()).unwrap_or("")
    )
}
