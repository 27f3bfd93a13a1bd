//! Every epoch's leadership parameters as the chain announced them (the latest announcement
//! wins: a fork can change them), kept in a JSON file in the data directory so that a past
//! epoch's schedule can be recomputed after a restart (`GET /api/v1/epochs/{e}`). The REST
//! layer reads it; the JSON shape of an epoch ([`epoch_json`]) is the archive's own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{json, Value};
use slotforge_chain::service::{ChainHandle, ChainNotice};
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

    /// The parameters of `epoch`, as [`epoch_json`] gave them, when the archive holds them.
    pub fn get(&self, epoch: u64) -> Option<Value> {
        self.lock().get(&epoch).cloned()
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

    /// Records one announcement; returns the file's new contents when it changed anything.
    fn record(&self, v: Value, epoch: u64) -> Option<Vec<u8>> {
        let mut e = self.lock();
        if e.get(&epoch) == Some(&v) {
            return None;
        }
        e.insert(epoch, v);
        while e.len() > KEPT {
            e.pop_first();
        }
        serde_json::to_vec(&*e).ok()
    }

    /// Follows the chain's announcements until it stops; writes the file (off the runtime)
    /// after each change.
    pub async fn follow(self: std::sync::Arc<Self>, chain: ChainHandle) {
        let mut notices = chain.subscribe();
        chain.reannounce();
        loop {
            match notices.recv().await {
                Ok(ChainNotice::Leadership(l)) => {
                    if let Some(bytes) = self.record(epoch_json(&l), l.epoch) {
                        let path = self.path.clone();
                        let written = tokio::task::spawn_blocking(move || {
                            let tmp = path.with_extension("json.tmp");
                            std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, &path))
                        })
                        .await;
                        if let Ok(Err(e)) = written {
                            tracing::warn!(path = %self.path.display(), "cannot save the epoch archive: {e}");
                        }
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => chain.reannounce(),
                Err(RecvError::Closed) => break,
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
