//! Every epoch's leadership parameters as the chain announced them (the latest announcement
//! wins: a fork can change them), and what the ledger made of the epoch's start (its protocol
//! version and parameters, the rewards each pool paid, what ratification decided), kept in a
//! JSON file in the data directory so that a past epoch's schedule can be recomputed after a
//! restart (`GET /api/v1/epochs/{e}`). The REST layer reads it; the JSON shape of an epoch
//! ([`epoch_json`], [`ledger_json`]) is the archive's own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Value};
use slotforge_chain::service::{ChainHandle, ChainNotice};
use slotforge_ledger::LedgerState;
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership};
use tokio::sync::broadcast::error::RecvError;

use crate::bech32_ids::pool_bech32;

/// Epochs kept (the oldest are dropped beyond this).
const KEPT: usize = 200;

/// The announced parameters by epoch, as the API gives them.
pub struct EpochArchive {
    path: PathBuf,
    epochs: Mutex<BTreeMap<u64, Value>>,
}

impl EpochArchive {
    /// Reads `path` when it exists (an unreadable file is reported and started afresh: the
    /// chain announces the current epochs again).
    pub fn open(path: PathBuf) -> Self {
        let epochs = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(path = %path.display(), "ignoring an unreadable epoch archive: {e}");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        EpochArchive {
            path,
            epochs: Mutex::new(epochs),
        }
    }

    /// The parameters of `epoch`, as [`epoch_json`] gave them (with the ledger's facts under
    /// `ledger` once the chain reached the epoch), when the archive holds them.
    pub fn get(&self, epoch: u64) -> Option<Value> {
        self.lock()
            .get(&epoch)
            .filter(|v| v.get("consensus").is_some())
            .cloned()
    }

    /// The epochs held, as "a–b" (or "none").
    pub fn known(&self) -> String {
        let e = self.lock();
        match (e.keys().next(), e.keys().last()) {
            (Some(a), Some(b)) => format!("epochs {a} to {b}"),
            _ => "none yet".into(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Value>> {
        self.epochs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records one announcement, keeping the ledger's facts when the parameters are unchanged
    /// (new ones, from a fork, are asked for again); returns the file's new contents when it
    /// changed anything.
    fn record(&self, mut v: Value, epoch: u64) -> Option<Vec<u8>> {
        let mut e = self.lock();
        if let Some(old) = e.get(&epoch) {
            let mut announced = old.clone();
            let facts = announced.as_object_mut().and_then(|o| o.remove("ledger"));
            if announced == v {
                return None;
            }
            if announced.get("consensus").is_none() {
                // Only the ledger's facts were known: they stay.
                if let Some(f) = facts {
                    v["ledger"] = f;
                }
            }
        }
        e.insert(epoch, v);
        Self::contents(&mut e)
    }

    /// Records the ledger's facts of `epoch`; returns the file's new contents when they changed.
    fn record_ledger(&self, epoch: u64, facts: Value) -> Option<Vec<u8>> {
        let mut e = self.lock();
        let entry = e.entry(epoch).or_insert_with(|| json!({ "epoch": epoch }));
        if entry.get("ledger") == Some(&facts) {
            return None;
        }
        entry["ledger"] = facts;
        Self::contents(&mut e)
    }

    fn contents(e: &mut BTreeMap<u64, Value>) -> Option<Vec<u8>> {
        while e.len() > KEPT {
            e.pop_first();
        }
        serde_json::to_vec(&*e).ok()
    }

    fn save(&self, bytes: Vec<u8>) -> tokio::task::JoinHandle<std::io::Result<()>> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let tmp = path.with_extension("json.tmp");
            std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &path))
        })
    }

    /// Follows the chain's announcements until it stops; writes the file (off the runtime)
    /// after each change.
    pub async fn follow(self: std::sync::Arc<Self>, chain: ChainHandle) {
        let mut notices = chain.subscribe();
        chain.reannounce();
        loop {
            let changed = match notices.recv().await {
                Ok(ChainNotice::Leadership(l)) => self.record(epoch_json(&l), l.epoch),
                Ok(ChainNotice::EpochEntered(state)) => {
                    let (epoch, facts) = ledger_json(&state.ledger);
                    self.record_ledger(epoch, facts)
                }
                Ok(_) => None,
                Err(RecvError::Lagged(_)) => {
                    chain.reannounce();
                    None
                }
                Err(RecvError::Closed) => break,
            };
            if let Some(bytes) = changed {
                if let Ok(Err(e)) = self.save(bytes).await {
                    tracing::warn!(path = %self.path.display(), "cannot save the epoch archive: {e}");
                }
            }
        }
    }
}

/// The leadership parameters of an epoch as JSON: everything needed to recompute any pool's
/// schedule.
pub fn epoch_json(e: &EpochLeadership) -> Value {
    let mut v = json!({
        "epoch": e.epoch,
        "first_slot": e.first_slot,
        "length": e.epoch_length,
        "start": chrono::DateTime::from_timestamp_millis(e.time.epoch_start_unix_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        "slot_length_ms": e.time.slot_length_ms,
    });
    match &e.consensus {
        EpochConsensus::Praos {
            variant,
            epoch_nonce: nonce,
            active_slot_coeff,
            stake,
            total_stake,
            ..
        } => {
            v["consensus"] = json!("praos");
            v["vrf_variant"] = json!(format!("{variant:?}"));
            v["nonce"] = match nonce {
                slotforge_praos::nonce::Nonce::Neutral => Value::Null,
                slotforge_praos::nonce::Nonce::Hash(h) => json!(hex::encode(h)),
            };
            v["active_slot_coeff"] = json!(format!("{}/{}", active_slot_coeff.0, active_slot_coeff.1));
            v["total_stake"] = json!(total_stake);
            v["stake"] = stake
                .iter()
                .map(|(id, s)| {
                    json!({
                        "pool_id": pool_bech32(id),
                        "pool_id_hex": hex::encode(id),
                        "stake": s,
                        "share": if *total_stake == 0 { 0.0 } else { *s as f64 / *total_stake as f64 },
                    })
                })
                .collect();
        }
        EpochConsensus::Bft { leaders } => {
            v["consensus"] = json!("bft");
            v["leaders"] = leaders.iter().map(hex::encode).collect();
        }
    }
    v
}

/// What the ledger made of its epoch's start: the protocol version and the parameters blocks
/// are judged by, the treasury and reserves, what each pool paid in the reward update applied
/// then, and the actions the ratification taken then decided to enact at the next epoch's
/// start. Returns the epoch with them.
pub fn ledger_json(l: &LedgerState) -> (u64, Value) {
    let p = &l.params;
    let g = &l.governance;
    let ratified: Vec<Value> = g
        .ratification
        .enacted
        .iter()
        .map(|id| json!({ "id": id.to_string(), "action": g.proposals.get(id).map(|p| p.kind.name()) }))
        .collect();
    let facts = json!({
        "protocol_version": { "major": p.protocol_version.0, "minor": p.protocol_version.1 },
        "parameters": {
            "max_tx_size": p.max_tx_size,
            "max_block_body_size": p.max_block_body_size,
            "max_block_header_size": p.max_block_header_size,
            "min_fee_a": p.min_fee_a,
            "min_fee_b": p.min_fee_b,
            "key_deposit": p.key_deposit,
            "pool_deposit": p.pool_deposit,
            "gov_action_deposit": p.gov_action_deposit,
            "drep_deposit": p.drep_deposit,
        },
        "treasury": l.treasury,
        "reserves": l.reserves,
        "pool_rewards": l.pool_rewards.iter().map(|(id, paid)| json!({
            "pool_id": pool_bech32(id),
            "pool_id_hex": hex::encode(id),
            "lovelace": paid,
        })).collect::<Vec<_>>(),
        "ratified": ratified,
    });
    (l.epoch, facts)
}
