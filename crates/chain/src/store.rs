//! The block store: one SQLite file (WAL) holding every block's exact bytes, which of them are
//! immutable (k deep) or on the selected chain, and a checkpoint of the chain state at an
//! immutable block, so a restart replays at most `CHECKPOINT_EVERY` immutable blocks plus the
//! volatile ones instead of the chain from genesis.
//!
//! Each block is stored with the selection's outcome in one transaction: after a crash at any
//! moment the file holds a chain selection can be rebuilt from, and it is. Synchronous mode is
//! NORMAL: a committed block survives the process being killed; after a power loss the last
//! blocks may be lost, and the chain catches up with its peers again.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, Connection, OptionalExtension};

use crate::block::Block;
use crate::chain_state::{decode_checkpoint, encode_checkpoint, ChainState, Point};
use crate::config::ChainConfig;
use crate::selection::{ChainSelection, SelectionEvent};

/// A stored block: its hash and bytes.
type StoredBlock = ([u8; 32], Vec<u8>);

/// A checkpoint is written when the immutable tip reaches a multiple of this block number.
pub const CHECKPOINT_EVERY: u64 = 100;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed on the store's file.
    #[error("block store {path}: {error}")]
    Sqlite {
        /// The store's file.
        path: String,
        /// SQLite's error.
        error: rusqlite::Error,
    },
    /// The store was made for a chain with another Shelley genesis; refused rather than mixed.
    #[error("block store {path} belongs to another chain (genesis {found}, this node's is {expected}); use another data directory")]
    OtherChain {
        /// The store's file.
        path: String,
        /// The genesis hash the store records (blake2b-256 of the Shelley genesis file), hex.
        found: String,
        /// This node's genesis hash, hex.
        expected: String,
    },
    /// The store's contents break an invariant: a block or checkpoint that does not decode or
    /// apply, a missing row.
    #[error("block store {path} is corrupt: {message}")]
    Corrupt {
        /// The store's file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// The block store.
pub struct BlockStore {
    conn: Connection,
    path: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY,
    slot INTEGER NOT NULL,
    block_no INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    immutable INTEGER NOT NULL DEFAULT 0,
    selected INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS blocks_by_number ON blocks(immutable, block_no);
CREATE INDEX IF NOT EXISTS blocks_by_slot ON blocks(slot);
CREATE TABLE IF NOT EXISTS checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    block_no INTEGER NOT NULL,
    state BLOB NOT NULL
);
";

impl BlockStore {
    /// Opens (or creates) the store at `path` for the chain of `cfg`.
    pub fn open(path: &Path, cfg: &ChainConfig) -> Result<Self, StoreError> {
        let p = path.display().to_string();
        let sql = |error| StoreError::Sqlite { path: p.clone(), error };
        let conn = Connection::open(path).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        let genesis = cfg.genesis.shelley_hash.to_vec();
        let found: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'genesis'", [], |r| r.get(0))
            .optional()
            .map_err(sql)?;
        match found {
            None => {
                conn.execute("INSERT INTO meta (key, value) VALUES ('genesis', ?1)", [&genesis])
                    .map_err(sql)?;
            }
            Some(f) if f != genesis => {
                return Err(StoreError::OtherChain {
                    path: p,
                    found: hex::encode(f),
                    expected: hex::encode(genesis),
                })
            }
            Some(_) => {}
        }
        Ok(BlockStore { conn, path: p })
    }

    fn sql(&self, error: rusqlite::Error) -> StoreError {
        sql(&self.path, error)
    }

    fn corrupt(&self, message: String) -> StoreError {
        corrupt(&self.path, message)
    }

    /// Rebuilds chain selection: the checkpoint, the immutable blocks after it, then the
    /// volatile blocks (the previously selected ones first, so ties resolve as before).
    pub fn load(&self, cfg: Arc<ChainConfig>) -> Result<ChainSelection, StoreError> {
        let checkpoint: Option<(u64, Vec<u8>)> = self
            .conn
            .query_row("SELECT block_no, state FROM checkpoint WHERE id = 1", [], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.sql(e))?;
        // A checkpoint this version cannot read (written by an earlier one, whose ledger state
        // lacked what this one keeps) is only a shortcut: the immutable blocks are all kept, so
        // the chain is replayed from genesis instead.
        let readable = checkpoint
            .as_ref()
            .and_then(|(_, bytes)| match decode_checkpoint(bytes) {
                Ok(state) => Some(state),
                Err(e) => {
                    tracing::warn!(error = %e, "the checkpoint cannot be read; replaying the chain from genesis");
                    None
                }
            });
        let mut anchor = match readable {
            Some(state) => state,
            None => ChainState::genesis(&cfg).map_err(|e| self.corrupt(e.to_string()))?,
        };
        let after = anchor.tip.map_or(-1, |t| t.block_number as i64);
        for (hash, bytes) in self.blocks_where("immutable = 1 AND block_no > ?1", after)? {
            let block = Block::decode(&bytes).map_err(|e| self.corrupt(format!("block {}: {e}", hex::encode(hash))))?;
            anchor = anchor
                .apply_block(&cfg, &block)
                .map_err(|e| self.corrupt(format!("immutable block {} does not apply: {e}", hex::encode(hash))))?;
        }
        let mut selection = ChainSelection::new(cfg, anchor);
        let mut volatile = self.blocks_where("immutable = 0 AND selected = 1 AND block_no > ?1", -1)?;
        volatile.extend(self.blocks_where("immutable = 0 AND selected = 0 AND block_no > ?1", -1)?);
        for (hash, bytes) in volatile {
            let block = Block::decode(&bytes).map_err(|e| self.corrupt(format!("block {}: {e}", hex::encode(hash))))?;
            // Blocks that no longer fit (forks left behind by the immutable tip) are skipped.
            let _ = selection.add_block(block);
        }
        Ok(selection)
    }

    /// (hash, bytes) of the blocks matching `condition`, by block number.
    fn blocks_where(&self, condition: &str, arg: i64) -> Result<Vec<StoredBlock>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT hash, bytes FROM blocks WHERE {condition} ORDER BY block_no, slot"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([arg], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (h, b) = row.map_err(|e| self.sql(e))?;
            let h: [u8; 32] = h
                .try_into()
                .map_err(|_| self.corrupt("a block hash is not 32 bytes".into()))?;
            out.push((h, b));
        }
        Ok(out)
    }

    /// Records a block chain selection took in, with what selection decided, in one
    /// transaction; writes a checkpoint when the immutable tip reaches a multiple of
    /// [`CHECKPOINT_EVERY`].
    pub fn record(
        &mut self,
        block: &Block,
        events: &[SelectionEvent],
        selection: &ChainSelection,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sql = |error| StoreError::Sqlite {
            path: path.clone(),
            error,
        };
        let tx = self.conn.transaction().map_err(sql)?;
        tx.execute(
            "INSERT OR IGNORE INTO blocks (hash, slot, block_no, bytes) VALUES (?1, ?2, ?3, ?4)",
            params![
                block.hash().to_vec(),
                block.slot() as i64,
                block.block_number() as i64,
                block.to_cbor()
            ],
        )
        .map_err(sql)?;
        let mut settled = None;
        for e in events {
            match e {
                SelectionEvent::Adopted { point, .. } => {
                    tx.execute("UPDATE blocks SET selected = 1 WHERE hash = ?1", [point.hash.to_vec()])
                        .map_err(sql)?;
                }
                SelectionEvent::Orphaned { point } => {
                    tx.execute("UPDATE blocks SET selected = 0 WHERE hash = ?1", [point.hash.to_vec()])
                        .map_err(sql)?;
                }
                SelectionEvent::Rejected { point, .. } => {
                    tx.execute("DELETE FROM blocks WHERE hash = ?1", [point.hash.to_vec()])
                        .map_err(sql)?;
                }
                SelectionEvent::Immutable { point } => {
                    let rows = tx
                        .execute(
                            "UPDATE blocks SET immutable = 1, selected = 1 WHERE hash = ?1",
                            [point.hash.to_vec()],
                        )
                        .map_err(sql)?;
                    if rows != 1 {
                        return Err(StoreError::Corrupt {
                            path: path.clone(),
                            message: format!(
                                "block {} (number {}) became immutable but the store has no row for it",
                                hex::encode(point.hash),
                                point.block_number
                            ),
                        });
                    }
                    settled = Some(*point);
                }
                SelectionEvent::RolledBack { .. } => {}
            }
        }
        if let Some(p) = settled {
            // Forks that can no longer be selected.
            tx.execute(
                "DELETE FROM blocks WHERE immutable = 0 AND block_no <= ?1",
                [p.block_number as i64],
            )
            .map_err(sql)?;
            let anchor = selection.anchor();
            let crossed = anchor.tip.map(|t| t.block_number) == Some(p.block_number)
                && (p.block_number / CHECKPOINT_EVERY)
                    > checkpoint_of(&tx).map_err(sql)?.unwrap_or(0) / CHECKPOINT_EVERY;
            if crossed {
                let bytes = encode_checkpoint(anchor).map_err(|e| StoreError::Corrupt {
                    path: path.clone(),
                    message: format!("checkpoint encoding: {e}"),
                })?;
                tx.execute(
                    "INSERT OR REPLACE INTO checkpoint (id, block_no, state) VALUES (1, ?1, ?2)",
                    params![p.block_number as i64, bytes],
                )
                .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// The block number of the stored checkpoint, if any.
    pub fn checkpoint_block(&self) -> Result<Option<u64>, StoreError> {
        checkpoint_of(&self.conn).map_err(|e| self.sql(e))
    }

    /// How many blocks are stored (immutable, volatile).
    pub fn counts(&self) -> Result<(u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT COALESCE(SUM(immutable), 0), COALESCE(SUM(1 - immutable), 0) FROM blocks",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.sql(e))
    }
}

fn checkpoint_of(conn: &Connection) -> Result<Option<u64>, rusqlite::Error> {
    Ok(conn
        .query_row("SELECT block_no FROM checkpoint WHERE id = 1", [], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
        .map(|n| n as u64))
}

/// A connection to read a stored chain from (see [`StoredChain`]).
pub struct Reads<'a> {
    conn: &'a Connection,
    path: &'a str,
}

/// Reads of the stored chain, the same on the chain task's [`BlockStore`] and on a server's
/// [`BlockReader`].
pub trait StoredChain {
    /// The connection the reads use.
    fn reads(&self) -> Reads<'_>;

    /// A stored block's bytes.
    fn block_bytes(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        self.reads().block_bytes(hash)
    }

    /// The immutable block with this hash, if any.
    fn immutable_point(&self, hash: &[u8; 32]) -> Result<Option<Point>, StoreError> {
        self.reads().immutable_point(hash)
    }

    /// The immutable chain's points from block number `from`, at most `limit`.
    fn immutable_points(&self, from: u64, limit: u64) -> Result<Vec<Point>, StoreError> {
        self.reads().points_where("block_no", from, limit)
    }

    /// The immutable chain's points from slot `from`, at most `limit`.
    fn immutable_points_from_slot(&self, from: u64, limit: u64) -> Result<Vec<Point>, StoreError> {
        self.reads().points_where("slot", from, limit)
    }
}

impl StoredChain for BlockStore {
    fn reads(&self) -> Reads<'_> {
        Reads {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

impl StoredChain for BlockReader {
    fn reads(&self) -> Reads<'_> {
        Reads {
            conn: &self.conn,
            path: &self.path,
        }
    }
}

fn sql(path: &str, error: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_string(),
        error,
    }
}

fn corrupt(path: &str, message: String) -> StoreError {
    StoreError::Corrupt {
        path: path.to_string(),
        message,
    }
}

impl Reads<'_> {
    /// A stored block's bytes.
    fn block_bytes(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .query_row("SELECT bytes FROM blocks WHERE hash = ?1", [hash.to_vec()], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(self.path, e))
    }

    /// The immutable block with this hash, if any.
    fn immutable_point(&self, hash: &[u8; 32]) -> Result<Option<Point>, StoreError> {
        self.conn
            .query_row(
                "SELECT slot, block_no FROM blocks WHERE hash = ?1 AND immutable = 1",
                [hash.to_vec()],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map(|o| {
                o.map(|(slot, n)| Point {
                    hash: *hash,
                    slot: slot as u64,
                    block_number: n as u64,
                })
            })
            .map_err(|e| sql(self.path, e))
    }

    fn points_where(&self, column: &str, from: u64, limit: u64) -> Result<Vec<Point>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT hash, slot, block_no FROM blocks WHERE immutable = 1 AND {column} >= ?1 ORDER BY block_no LIMIT ?2"
            ))
            .map_err(|e| sql(self.path, e))?;
        let rows = stmt
            .query_map(params![from as i64, limit as i64], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
            .map_err(|e| sql(self.path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (h, slot, n) = row.map_err(|e| sql(self.path, e))?;
            out.push(Point {
                hash: h
                    .try_into()
                    .map_err(|_| corrupt(self.path, "a block hash is not 32 bytes".into()))?,
                slot: slot as u64,
                block_number: n as u64,
            });
        }
        Ok(out)
    }
}

/// A read-only connection to a block store, for the servers (block-fetch, chain-sync): it reads
/// the immutable chain on the caller's thread, never the chain task's, while the task writes
/// (SQLite's WAL lets readers and the writer go on together).
pub struct BlockReader {
    conn: Connection,
    path: String,
}

impl BlockReader {
    /// Opens `path`, a store the chain task has created.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let p = path.display().to_string();
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql(&p, e))?;
        Ok(BlockReader { conn, path: p })
    }
}
