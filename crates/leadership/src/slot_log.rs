//! The slot log: every scheduled slot of every leader, with its times and status, in SQLite.
//! It survives restarts (a restarted node resumes its schedules from it), keeps a transition
//! history, and answers the REST queries.
//!
//! The log is bookkeeping, not safety (the enclave's guard is what prevents double signing),
//! so it runs in WAL mode with `synchronous=NORMAL`: a power cut may lose the last
//! transitions, never corrupt the file.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::params::DigestedParams;
use crate::status::SlotStatus;
use slotforge_praos::epoch_leadership::EpochLeadership;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS leaders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS schedules (
    leader TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    digest TEXT NOT NULL,
    params TEXT NOT NULL,
    ideal REAL NOT NULL,
    next_slot INTEGER NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0,
    superseded INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (leader, epoch, digest)
);
CREATE TABLE IF NOT EXISTS slots (
    id INTEGER PRIMARY KEY,
    leader TEXT NOT NULL,
    slot INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    slot_in_epoch INTEGER NOT NULL,
    digest TEXT NOT NULL,
    vrf_output BLOB,
    vrf_proof BLOB,
    status TEXT NOT NULL,
    reason TEXT,
    created_at_ms INTEGER NOT NULL,
    scheduled_at_ms INTEGER NOT NULL,
    woke_at_ms INTEGER,
    forged_at_ms INTEGER,
    finished_at_ms INTEGER,
    block_hash TEXT,
    parent_hash TEXT,
    chain_length INTEGER,
    UNIQUE (leader, slot, digest)
);
CREATE INDEX IF NOT EXISTS slots_by_epoch ON slots (epoch, slot);
CREATE INDEX IF NOT EXISTS slots_by_status ON slots (status);
CREATE INDEX IF NOT EXISTS slots_by_block ON slots (block_hash);
CREATE TABLE IF NOT EXISTS transitions (
    slot_id INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    reason TEXT
);
";

/// Why the log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// SQLite failed.
    #[error("slot log: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The status machine refuses the move (usually: a concurrent change won).
    #[error("slot log: slot entry {id} cannot go from {from} to {to}")]
    Transition {
        /// The entry.
        id: i64,
        /// Its status.
        from: SlotStatus,
        /// The refused status.
        to: SlotStatus,
    },
    /// No entry has that id.
    #[error("slot log: no slot entry {0}")]
    Missing(i64),
    /// Stored epoch parameters no longer parse (a damaged or foreign file).
    #[error("slot log: stored parameters do not parse: {0}")]
    Params(String),
}

/// One scheduled slot of one leader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlotEntry {
    /// The entry's id in this log.
    pub id: i64,
    /// The leader, as the enclave names it.
    pub leader: String,
    /// The leader's numeric id in this log (jormungandr's `enclave_leader_id`).
    pub leader_id: i64,
    /// The slot (absolute).
    pub slot: u64,
    /// Its epoch.
    pub epoch: u64,
    /// Its position in the epoch.
    pub slot_in_epoch: u64,
    /// The digest of the parameters it was scheduled under.
    #[serde(skip)]
    pub digest: String,
    /// The VRF output that won the slot (Praos; None for BFT).
    #[serde(skip)]
    pub vrf_output: Option<Vec<u8>>,
    /// The VRF proof that goes in the header (Praos; None for BFT).
    #[serde(skip)]
    pub vrf_proof: Option<Vec<u8>>,
    /// Where the slot stands.
    pub status: SlotStatus,
    /// Why it was missed, superseded or rejected.
    pub reason: Option<String>,
    /// When the entry was scheduled (Unix ms).
    pub created_at_ms: i64,
    /// When the slot starts (Unix ms).
    pub scheduled_at_ms: i64,
    /// When leadership woke for it.
    pub woke_at_ms: Option<i64>,
    /// When its block was forged.
    pub forged_at_ms: Option<i64>,
    /// When it last settled (adopted, orphaned, or a final status).
    pub finished_at_ms: Option<i64>,
    /// The forged block's hash (hex).
    pub block_hash: Option<String>,
    /// The hash of the block it was built on (hex).
    pub parent_hash: Option<String>,
    /// The chain's length with the block on it.
    pub chain_length: Option<u64>,
}

/// What a transition may set besides the status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransitionInfo {
    /// Why (a miss, a supersession, a rejection).
    pub reason: Option<String>,
    /// The forged block's hash.
    pub block_hash: Option<[u8; 32]>,
    /// The hash of the block it was built on.
    pub parent_hash: Option<[u8; 32]>,
    /// The chain's length with the block on it.
    pub chain_length: Option<u64>,
}

/// A schedule whose stream had not ended when the node stopped.
#[derive(Debug, Clone)]
pub struct OpenSchedule {
    /// The leader it is for.
    pub leader: String,
    /// The parameters it was asked under.
    pub params: EpochLeadership,
    /// Their digest.
    pub digest: String,
    /// The first slot not yet delivered: where the stream resumes.
    pub next_slot: u64,
}

/// Per leader and epoch: what was assigned and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochSummary {
    /// The epoch.
    pub epoch: u64,
    /// The leader.
    pub leader: String,
    /// Slots won.
    pub assigned: u64,
    /// The expected number of slots won (stake share · f · slots, or the BFT share).
    pub ideal: f64,
    /// Blocks forged (whatever became of them since).
    pub forged: u64,
    /// Blocks adopted (immutable ones included).
    pub adopted: u64,
    /// Blocks orphaned.
    pub orphaned: u64,
    /// Blocks rejected.
    pub rejected: u64,
    /// Slots missed.
    pub missed: u64,
    /// adopted (including immutable) / assigned, in percent; null before anything is assigned.
    pub performance: Option<f64>,
}

/// Filters for [`SlotLog::query`].
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only this epoch.
    pub epoch: Option<u64>,
    /// Only this leader.
    pub leader: Option<String>,
    /// Only this status.
    pub status: Option<SlotStatus>,
    /// Entries after this (slot, id) position, in (slot, id) order.
    pub after: Option<(u64, i64)>,
    /// At most this many entries.
    pub limit: usize,
}

/// Moves entry `id` to `to` within `tx`, if the status machine allows it, stamping the time
/// that goes with the new status and recording the transition.
fn apply_transition(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    to: SlotStatus,
    info: &TransitionInfo,
    now_ms: i64,
) -> Result<(), LogError> {
    let from: String = tx
        .query_row("SELECT status FROM slots WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(LogError::Missing(id))?;
    let from = SlotStatus::parse(&from).unwrap_or(SlotStatus::Missed);
    if !from.can_become(to) {
        return Err(LogError::Transition { id, from, to });
    }
    let time_column = match to {
        SlotStatus::Woke => Some("woke_at_ms"),
        SlotStatus::Forged => Some("forged_at_ms"),
        s if s.is_terminal() || matches!(s, SlotStatus::Adopted | SlotStatus::Orphaned) => Some("finished_at_ms"),
        _ => None,
    };
    tx.execute(
        "UPDATE slots SET status = ?2, reason = COALESCE(?3, reason), block_hash = COALESCE(?4, block_hash),
             parent_hash = COALESCE(?5, parent_hash), chain_length = COALESCE(?6, chain_length) WHERE id = ?1",
        params![
            id,
            to.as_str(),
            info.reason,
            info.block_hash.map(hex::encode),
            info.parent_hash.map(hex::encode),
            info.chain_length.map(sql_u64)
        ],
    )?;
    if let Some(col) = time_column {
        tx.execute(
            &format!("UPDATE slots SET {col} = ?2 WHERE id = ?1"),
            params![id, now_ms],
        )?;
    }
    tx.execute(
        "INSERT INTO transitions (slot_id, from_status, to_status, at_ms, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, from.as_str(), to.as_str(), now_ms, info.reason],
    )?;
    Ok(())
}

/// The open slot log.
pub struct SlotLog {
    conn: Mutex<Connection>,
}

const COLUMNS: &str = "s.id, s.leader, l.id, s.slot, s.epoch, s.slot_in_epoch, s.digest, s.vrf_output, s.vrf_proof, \
     s.status, s.reason, s.created_at_ms, s.scheduled_at_ms, s.woke_at_ms, s.forged_at_ms, s.finished_at_ms, \
     s.block_hash, s.parent_hash, s.chain_length";

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<SlotEntry> {
    let status: String = r.get(9)?;
    Ok(SlotEntry {
        id: r.get(0)?,
        leader: r.get(1)?,
        leader_id: r.get(2)?,
        slot: r.get::<_, i64>(3)? as u64,
        epoch: r.get::<_, i64>(4)? as u64,
        slot_in_epoch: r.get::<_, i64>(5)? as u64,
        digest: r.get(6)?,
        vrf_output: r.get(7)?,
        vrf_proof: r.get(8)?,
        status: SlotStatus::parse(&status).unwrap_or(SlotStatus::Missed),
        reason: r.get(10)?,
        created_at_ms: r.get(11)?,
        scheduled_at_ms: r.get(12)?,
        woke_at_ms: r.get(13)?,
        forged_at_ms: r.get(14)?,
        finished_at_ms: r.get(15)?,
        block_hash: r.get(16)?,
        parent_hash: r.get(17)?,
        chain_length: r.get::<_, Option<i64>>(18)?.map(|c| c as u64),
    })
}

fn sql_u64(v: u64) -> i64 {
    v.min(i64::MAX as u64) as i64
}

impl SlotLog {
    /// Opens the log at `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Self, LogError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SlotLog { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn leader_id(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
        conn.execute("INSERT OR IGNORE INTO leaders (name) VALUES (?1)", [name])?;
        conn.query_row("SELECT id FROM leaders WHERE name = ?1", [name], |r| r.get(0))
    }

    /// Records that `leader`'s schedule under `params` is being computed, and returns the
    /// first slot still to scan (the epoch's first slot, `from`, or where an earlier stream
    /// stopped) and whether it is already complete.
    pub fn begin_schedule(
        &self,
        leader: &str,
        params: &DigestedParams,
        ideal: f64,
        from: u64,
        now_ms: i64,
    ) -> Result<(u64, bool), LogError> {
        let conn = self.lock();
        Self::leader_id(&conn, leader)?;
        let digest = &params.digest;
        let json = serde_json::to_string(&params.params).map_err(|e| LogError::Params(e.to_string()))?;
        conn.execute(
            "INSERT OR IGNORE INTO schedules (leader, epoch, digest, params, ideal, next_slot, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                leader,
                sql_u64(params.epoch),
                digest,
                json,
                ideal,
                sql_u64(from),
                now_ms
            ],
        )?;
        let (next, complete): (i64, bool) = conn.query_row(
            "SELECT next_slot, complete FROM schedules WHERE leader = ?1 AND epoch = ?2 AND digest = ?3",
            params![leader, sql_u64(params.epoch), digest],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((next as u64, complete))
    }

    /// The digests of `leader`'s live (not superseded) schedules for `epoch`.
    pub fn live_digests(&self, leader: &str, epoch: u64) -> Result<Vec<String>, LogError> {
        let conn = self.lock();
        let mut st =
            conn.prepare("SELECT digest FROM schedules WHERE leader = ?1 AND epoch = ?2 AND superseded = 0")?;
        let rows = st.query_map(params![leader, sql_u64(epoch)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks `leader`'s schedule `digest` of `epoch` superseded, and its entries still
    /// `scheduled` `superseded`; returns the entries changed. The superseded schedule and its
    /// entries are kept under a retired digest, so the same parameters coming back (a fork
    /// undone) are scheduled afresh.
    pub fn supersede(&self, leader: &str, epoch: u64, digest: &str, now_ms: i64) -> Result<Vec<SlotEntry>, LogError> {
        let reason = "the epoch's parameters changed (fork)";
        let retired = format!("{digest}~{now_ms}");
        // One transaction: an entry a forge task woke meanwhile is not `scheduled` and stays
        // as it is; one still `scheduled` cannot be woken halfway through.
        let ids: Vec<i64> = {
            let mut conn = self.lock();
            let tx = conn.transaction()?;
            let ids: Vec<i64> = {
                let mut st = tx.prepare(
                    "SELECT id FROM slots WHERE leader = ?1 AND epoch = ?2 AND digest = ?3 AND status = 'scheduled'",
                )?;
                let rows = st.query_map(params![leader, sql_u64(epoch), digest], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let info = TransitionInfo {
                reason: Some(reason.into()),
                ..Default::default()
            };
            for id in &ids {
                apply_transition(&tx, *id, SlotStatus::Superseded, &info, now_ms)?;
            }
            for table in ["slots", "schedules"] {
                tx.execute(
                    &format!("UPDATE {table} SET digest = ?4 WHERE leader = ?1 AND epoch = ?2 AND digest = ?3"),
                    params![leader, sql_u64(epoch), digest, retired],
                )?;
            }
            tx.execute(
                "UPDATE schedules SET superseded = 1 WHERE leader = ?1 AND epoch = ?2 AND digest = ?3",
                params![leader, sql_u64(epoch), retired],
            )?;
            tx.commit()?;
            ids
        };
        ids.into_iter().map(|id| self.get(id)).collect()
    }

    /// Adds a won slot of a schedule being streamed, and moves the schedule's resume point
    /// past it; returns the new entry (None if it was already stored).
    #[allow(clippy::too_many_arguments)]
    pub fn add_slot(
        &self,
        leader: &str,
        params: &DigestedParams,
        slot: u64,
        vrf_output: Option<&[u8]>,
        vrf_proof: Option<&[u8]>,
        now_ms: i64,
    ) -> Result<Option<SlotEntry>, LogError> {
        let digest = &params.digest;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let added = tx.execute(
            "INSERT OR IGNORE INTO slots (leader, slot, epoch, slot_in_epoch, digest, vrf_output, vrf_proof, status,
                 created_at_ms, scheduled_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'scheduled', ?8, ?9)",
            params![
                leader,
                sql_u64(slot),
                sql_u64(params.epoch),
                sql_u64(slot - params.first_slot),
                digest,
                vrf_output,
                vrf_proof,
                now_ms,
                params.slot_start_ms(slot)
            ],
        )?;
        tx.execute(
            "UPDATE schedules SET next_slot = MAX(next_slot, ?4) WHERE leader = ?1 AND epoch = ?2 AND digest = ?3",
            params![leader, sql_u64(params.epoch), digest, sql_u64(slot + 1)],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        drop(conn);
        if added == 0 {
            return Ok(None);
        }
        self.get(id).map(Some)
    }

    /// The stream of `leader`'s schedule ended: everything is stored.
    pub fn complete_schedule(&self, leader: &str, params: &DigestedParams) -> Result<(), LogError> {
        self.lock().execute(
            "UPDATE schedules SET complete = 1, next_slot = ?4 WHERE leader = ?1 AND epoch = ?2 AND digest = ?3",
            params![
                leader,
                sql_u64(params.epoch),
                params.digest(),
                sql_u64(params.slots().end)
            ],
        )?;
        Ok(())
    }

    /// Schedules whose stream had not ended (to resume after a restart).
    pub fn open_schedules(&self) -> Result<Vec<OpenSchedule>, LogError> {
        let conn = self.lock();
        let mut st = conn
            .prepare("SELECT leader, params, digest, next_slot FROM schedules WHERE complete = 0 AND superseded = 0")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (leader, json, digest, next) = row?;
            let params = serde_json::from_str(&json).map_err(|e| LogError::Params(e.to_string()))?;
            Ok(OpenSchedule {
                leader,
                params,
                digest,
                next_slot: next as u64,
            })
        })
        .collect()
    }

    /// The parameters of every live schedule, newest epoch last.
    pub fn live_params(&self) -> Result<Vec<(String, EpochLeadership)>, LogError> {
        let conn = self.lock();
        let mut st = conn.prepare("SELECT leader, params FROM schedules WHERE superseded = 0 ORDER BY epoch")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (leader, json) = row?;
            Ok((
                leader,
                serde_json::from_str(&json).map_err(|e| LogError::Params(e.to_string()))?,
            ))
        })
        .collect()
    }

    /// Entry `id`.
    pub fn get(&self, id: i64) -> Result<SlotEntry, LogError> {
        let conn = self.lock();
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM slots s JOIN leaders l ON l.name = s.leader WHERE s.id = ?1"),
            [id],
            entry,
        )
        .optional()?
        .ok_or(LogError::Missing(id))
    }

    /// Moves an entry to `to`, if the transition is allowed, stamping the time that goes with
    /// it and recording the transition.
    pub fn transition(
        &self,
        id: i64,
        to: SlotStatus,
        info: &TransitionInfo,
        now_ms: i64,
    ) -> Result<SlotEntry, LogError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        apply_transition(&tx, id, to, info, now_ms)?;
        tx.commit()?;
        drop(conn);
        self.get(id)
    }

    /// The entry of the block `hash`, if leadership forged it.
    pub fn by_block(&self, hash: &[u8; 32]) -> Result<Option<SlotEntry>, LogError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM slots s JOIN leaders l ON l.name = s.leader WHERE s.block_hash = ?1"),
                [hex::encode(hash)],
                entry,
            )
            .optional()?)
    }

    /// Entries that are waiting (scheduled or woke), in slot order.
    pub fn pending(&self) -> Result<Vec<SlotEntry>, LogError> {
        self.select("WHERE s.status IN ('scheduled', 'woke') ORDER BY s.slot, s.id", [])
    }

    /// Forged or adopted entries: their blocks' fate is still open.
    pub fn in_flight(&self) -> Result<Vec<SlotEntry>, LogError> {
        self.select("WHERE s.status IN ('forged', 'adopted') ORDER BY s.slot, s.id", [])
    }

    fn select(&self, tail: &str, p: impl rusqlite::Params) -> Result<Vec<SlotEntry>, LogError> {
        let conn = self.lock();
        let mut st = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM slots s JOIN leaders l ON l.name = s.leader {tail}"
        ))?;
        let rows = st.query_map(p, entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries matching `q`, in (slot, id) order.
    pub fn query(&self, q: &Query) -> Result<Vec<SlotEntry>, LogError> {
        let (after_slot, after_id) = q.after.map_or((-1, -1), |(s, i)| (sql_u64(s), i));
        self.select(
            "WHERE (?1 IS NULL OR s.epoch = ?1) AND (?2 IS NULL OR s.leader = ?2) AND (?3 IS NULL OR s.status = ?3)
               AND (s.slot > ?4 OR (s.slot = ?4 AND s.id > ?5))
             ORDER BY s.slot, s.id LIMIT ?6",
            params![
                q.epoch.map(sql_u64),
                q.leader,
                q.status.map(|s| s.as_str()),
                after_slot,
                after_id,
                q.limit as i64
            ],
        )
    }

    /// The newest `limit` entries (by slot), oldest first.
    pub fn newest(&self, limit: usize) -> Result<Vec<SlotEntry>, LogError> {
        let mut entries = self.select("ORDER BY s.slot DESC, s.id DESC LIMIT ?1", params![limit as i64])?;
        entries.reverse();
        Ok(entries)
    }

    /// Per epoch and leader: assigned, ideal and outcomes, newest epoch first.
    pub fn epochs(&self, leader: Option<&str>) -> Result<Vec<EpochSummary>, LogError> {
        let conn = self.lock();
        let mut st = conn.prepare(
            "SELECT c.epoch, c.leader, c.ideal,
                COUNT(s.id),
                COALESCE(SUM(s.status IN ('forged', 'adopted', 'immutable', 'orphaned', 'rejected')), 0),
                COALESCE(SUM(s.status IN ('adopted', 'immutable')), 0),
                COALESCE(SUM(s.status = 'orphaned'), 0),
                COALESCE(SUM(s.status = 'rejected'), 0),
                COALESCE(SUM(s.status = 'missed'), 0)
             FROM schedules c
             LEFT JOIN slots s ON s.leader = c.leader AND s.epoch = c.epoch AND s.digest = c.digest
             WHERE c.superseded = 0 AND (?1 IS NULL OR c.leader = ?1)
             GROUP BY c.epoch, c.leader, c.digest
             ORDER BY c.epoch DESC, c.leader",
        )?;
        let rows = st.query_map([leader], |r| {
            let assigned = r.get::<_, i64>(3)? as u64;
            let adopted = r.get::<_, i64>(5)? as u64;
            Ok(EpochSummary {
                epoch: r.get::<_, i64>(0)? as u64,
                leader: r.get(1)?,
                ideal: r.get(2)?,
                assigned,
                forged: r.get::<_, i64>(4)? as u64,
                adopted,
                orphaned: r.get::<_, i64>(6)? as u64,
                rejected: r.get::<_, i64>(7)? as u64,
                missed: r.get::<_, i64>(8)? as u64,
                performance: (assigned > 0).then(|| 100.0 * adopted as f64 / assigned as f64),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every recorded transition: (slot entry, from, to).
    pub fn transitions(&self) -> Result<Vec<(i64, SlotStatus, SlotStatus)>, LogError> {
        let conn = self.lock();
        let mut st = conn.prepare("SELECT slot_id, from_status, to_status FROM transitions ORDER BY rowid")?;
        let rows = st.query_map([], |r| {
            let parse = |s: String| SlotStatus::parse(&s).unwrap_or(SlotStatus::Missed);
            Ok((r.get(0)?, parse(r.get(1)?), parse(r.get(2)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deletes entries, transitions and schedules of epochs before `oldest_kept`.
    pub fn prune(&self, oldest_kept: u64) -> Result<usize, LogError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let e = sql_u64(oldest_kept);
        tx.execute(
            "DELETE FROM transitions WHERE slot_id IN (SELECT id FROM slots WHERE epoch < ?1)",
            [e],
        )?;
        let n = tx.execute("DELETE FROM slots WHERE epoch < ?1", [e])?;
        tx.execute("DELETE FROM schedules WHERE epoch < ?1", [e])?;
        tx.commit()?;
        Ok(n)
    }
}
