//! cardano-ledger's generated conformance vectors (`shared/vectors/ledger/rules-conformance/`,
//! see its README): `[config, initial_state, final_state, events, title]`, the states being
//! `NewEpochState` encodings whose protocol parameters are replaced by the SHA-256 of their
//! encoding, a key into `pparams/`.
#![allow(dead_code)]

pub mod cbor;
mod state;

use std::path::{Path, PathBuf};

use cbor::Node;
use slotforge_ledger::params::LedgerParams;
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::LedgerState;

/// The vectors' folder: `SLOTFORGE_LEDGER_VECTORS`, else the shared vectors' (`SLOTFORGE_VECTORS`, else `../shared/vectors`).
pub fn root() -> PathBuf {
    match std::env::var_os("SLOTFORGE_LEDGER_VECTORS") {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("SLOTFORGE_VECTORS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
            .join("ledger/rules-conformance"),
    }
}

/// Every vector file under `root` (`eras/<era>/<name>/<n>`), sorted.
pub fn files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.join("eras")];
    while let Some(d) = dirs.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for entry in entries {
            let p = entry.map_err(|e| e.to_string())?.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The network and genesis constants every vector states.
#[derive(Debug, Clone)]
pub struct Config {
    /// The slot of the test's first tick.
    pub first_slot: u64,
    pub epoch_length: u64,
    pub security_param: u64,
    pub max_supply: u64,
    pub active_slots: (u64, u64),
    pub network_id: u8,
    /// The system start in Unix milliseconds (slots are 1 s long).
    pub system_start_ms: i64,
}

/// What happens to the state, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// A transaction at `slot`; `success` is the reference's verdict.
    Tx { tx: Vec<u8>, success: bool, slot: u64 },
    /// `n` consecutive ticks.
    Ticks(u64),
    /// A marker: the ticks before it crossed `n` epoch boundaries.
    Epochs(u64),
}

/// One vector.
pub struct Vector {
    pub title: String,
    pub config: Config,
    pub events: Vec<Event>,
    bytes: Vec<u8>,
    initial: Node,
    last: Node,
    root: PathBuf,
}

impl Vector {
    pub fn read(root: &Path, path: &Path) -> Result<Vector, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc = cbor::parse(&bytes)?;
        let [config, initial, last, events, title] = doc.fields(5)? else {
            unreachable!()
        };
        let config = read_config(config)?;
        let events = events
            .array()?
            .iter()
            .map(|e| {
                let f = e.array()?;
                match (f.first().map(|t| t.uint()).transpose()?, f.len()) {
                    (Some(0), 4) => Ok(Event::Tx {
                        tx: f[1].bytes()?.to_vec(),
                        success: f[2].bool()?,
                        slot: f[3].uint()?,
                    }),
                    (Some(1), 2) => Ok(Event::Ticks(f[1].uint()?)),
                    (Some(2), 2) => Ok(Event::Epochs(f[1].uint()?)),
                    _ => Err(format!("unknown event at byte {}", e.span.start)),
                }
            })
            .collect::<Result<_, String>>()?;
        Ok(Vector {
            title: title.text()?.to_string(),
            config,
            events,
            initial: initial.clone(),
            last: last.clone(),
            bytes,
            root: root.to_path_buf(),
        })
    }

    /// The state before the first transaction and the parameters it is in force with.
    pub fn initial_state(&self) -> Result<(LedgerState, LedgerParams), String> {
        self.state_of(&self.initial)
    }

    fn state_of(&self, nes: &Node) -> Result<(LedgerState, LedgerParams), String> {
        let resolve = |hash: &[u8; 32]| -> Result<Vec<u8>, String> {
            let p = self.root.join("pparams").join(hex::encode(hash));
            std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
        };
        state::ledger_state(&self.bytes, nes, &self.config, &resolve)
    }

    /// The state the reference reached after the last transaction.
    pub fn final_state(&self) -> Result<(LedgerState, LedgerParams), String> {
        self.state_of(&self.last)
    }

    /// The transactions, decoded.
    pub fn transaction(bytes: &[u8]) -> Result<Transaction, String> {
        Transaction::decode(bytes).map_err(|e| e.to_string())
    }
}

fn read_config(c: &Node) -> Result<Config, String> {
    let f = c.fields(13)?;
    let start = f[12].fields(3)?;
    let (year, day, picos) = (start[0].uint()?, start[1].uint()?, start[2].uint()?);
    let date = chrono::NaiveDate::from_yo_opt(i32::try_from(year).map_err(|e| e.to_string())?, day as u32)
        .ok_or("systemStart: not a date")?;
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or("systemStart")?
        .and_utc()
        .timestamp_millis();
    Ok(Config {
        first_slot: f[0].uint()?,
        epoch_length: f[2].uint()?,
        security_param: f[6].uint()?,
        max_supply: f[9].uint()?,
        active_slots: f[10].rational()?,
        network_id: u8::try_from(f[11].uint()?).map_err(|e| e.to_string())?,
        system_start_ms: midnight + i64::try_from(picos / 1_000_000_000).map_err(|e| e.to_string())?,
    })
}
