//! An epoch's leadership parameters as the blockchain announces them, their digest (what
//! schedule requests are de-duplicated by), the epoch's time frame, and each leader's share.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use slotforge_enclave_api::types::Identity;
use slotforge_enclave_api::wire::{Consensus, ScheduleParams};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::{blake2b256, Nonce};

/// The epoch's time frame: when its first slot starts and how long a slot lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFrame {
    pub epoch_start_unix_ms: i64,
    pub slot_length_ms: u64,
}

/// What the consensus of an epoch needs to decide its leaders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EpochConsensus {
    Praos {
        variant: VrfVariant,
        /// 64 hex digits, or empty for the neutral nonce.
        epoch_nonce: String,
        active_slot_coeff: (u64, u64),
        /// Active stake by pool id (56 hex digits), from the epoch's snapshot.
        stake: BTreeMap<String, u64>,
        total_stake: u64,
        /// TPraos d; (0, 1) otherwise.
        decentralisation: (u64, u64),
    },
    Bft {
        /// The leaders' Ed25519 verification keys (hex) in round-robin order.
        leaders: Vec<String>,
    },
}

/// One epoch's leadership parameters (the design's `Leadership`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochLeadershipParams {
    pub epoch: u64,
    pub first_slot: u64,
    pub epoch_length: u64,
    pub time: TimeFrame,
    pub consensus: EpochConsensus,
}

/// Parameters with their digest, computed once: the digest serialises the whole stake
/// distribution, so it is not recomputed for every streamed slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestedParams {
    pub params: EpochLeadershipParams,
    pub digest: String,
}

impl DigestedParams {
    pub fn new(params: EpochLeadershipParams) -> Self {
        let digest = params.digest();
        DigestedParams { params, digest }
    }
}

impl std::ops::Deref for DigestedParams {
    type Target = EpochLeadershipParams;

    fn deref(&self) -> &EpochLeadershipParams {
        &self.params
    }
}

/// Why parameters cannot be used for a leader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("epoch {epoch}: {message}")]
pub struct ParamsError {
    pub epoch: u64,
    pub message: String,
}

/// What one leader is scheduled under for an epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderShare {
    pub request: ScheduleParams,
    /// The expected number of won slots (σ · f · (1 − d) · slots, or slots / leaders for BFT).
    pub ideal_slots: f64,
}

impl EpochLeadershipParams {
    /// blake2b-256 of the canonical JSON of the parameters, hex: equal parameters, equal digest.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(blake2b256(&[&json]))
    }

    pub fn slots(&self) -> Range<u64> {
        self.first_slot..self.first_slot.saturating_add(self.epoch_length)
    }

    /// When `slot` starts, in Unix milliseconds.
    pub fn slot_start_ms(&self, slot: u64) -> i64 {
        let offset = slot
            .saturating_sub(self.first_slot)
            .saturating_mul(self.time.slot_length_ms);
        self.time
            .epoch_start_unix_ms
            .saturating_add(offset.min(i64::MAX as u64) as i64)
    }

    /// The slot in progress at `t_ms` (the first slot before the epoch starts, None after it).
    pub fn slot_at_ms(&self, t_ms: i64) -> Option<u64> {
        if t_ms < self.time.epoch_start_unix_ms {
            return Some(self.first_slot);
        }
        let n = ((t_ms - self.time.epoch_start_unix_ms) as u64) / self.time.slot_length_ms.max(1);
        (n < self.epoch_length).then(|| self.first_slot + n)
    }

    /// `leader`'s share of the epoch, or None when it takes no part (no stake, not listed).
    pub fn share(&self, identity: &Identity) -> Result<Option<LeaderShare>, ParamsError> {
        let err = |message: String| ParamsError {
            epoch: self.epoch,
            message,
        };
        let (consensus, ideal) = match (&self.consensus, identity) {
            (
                EpochConsensus::Praos {
                    variant,
                    epoch_nonce,
                    active_slot_coeff,
                    stake,
                    total_stake,
                    decentralisation,
                },
                Identity::Praos(p),
            ) => {
                let Some(&pool_stake) = stake.get(&hex::encode(p.pool_id)) else {
                    return Ok(None);
                };
                let nonce = if epoch_nonce.is_empty() {
                    Nonce::Neutral
                } else {
                    Nonce::from_hex(epoch_nonce).map_err(|e| err(format!("epoch nonce: {e}")))?
                };
                let (f_num, f_den) = *active_slot_coeff;
                let (d_num, d_den) = *decentralisation;
                let sigma = pool_stake as f64 / (*total_stake).max(1) as f64;
                let d = if *variant == VrfVariant::TPraos && d_den != 0 {
                    d_num as f64 / d_den as f64
                } else {
                    0.0
                };
                let f = f_num as f64 / f_den.max(1) as f64;
                (
                    Consensus::Praos {
                        variant: *variant,
                        nonce,
                        active_slot_coeff: *active_slot_coeff,
                        pool_stake,
                        total_stake: *total_stake,
                        decentralisation: *decentralisation,
                    },
                    sigma * f * (1.0 - d) * self.epoch_length as f64,
                )
            }
            (EpochConsensus::Bft { leaders }, Identity::Bft { vkey }) => {
                let keys: Vec<[u8; 32]> = leaders
                    .iter()
                    .map(|l| {
                        hex::decode(l)
                            .ok()
                            .and_then(|b| <[u8; 32]>::try_from(b).ok())
                            .ok_or_else(|| err(format!("BFT leader key {l:?} is not 32 bytes of hex")))
                    })
                    .collect::<Result<_, _>>()?;
                let mine = keys.iter().filter(|k| *k == vkey).count();
                if mine == 0 {
                    return Ok(None);
                }
                let ideal = self.epoch_length as f64 * mine as f64 / keys.len() as f64;
                (Consensus::Bft { leaders: keys }, ideal)
            }
            _ => return Ok(None),
        };
        let request = ScheduleParams {
            epoch: self.epoch,
            first_slot: self.first_slot,
            epoch_length: self.epoch_length,
            consensus,
        };
        request.to_epoch_params().map_err(|e| err(e.to_string()))?;
        Ok(Some(LeaderShare {
            request,
            ideal_slots: ideal,
        }))
    }
}
