//! What leadership derives from an epoch's leadership parameters
//! ([`EpochLeadership`], as the blockchain announces them): their digest, computed once (what
//! schedule requests are de-duplicated by), and each leader's share of the epoch.

use slotforge_enclave_api::types::Identity;
use slotforge_enclave_api::wire::{ScheduleConsensus, ScheduleParams};
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership};
use slotforge_praos::leader::VrfVariant;

/// Parameters with their digest, computed once: the digest serialises the whole stake
/// distribution, so it is not recomputed for every streamed slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestedParams {
    /// The parameters.
    pub params: EpochLeadership,
    /// Their [`digest`](EpochLeadership::digest).
    pub digest: String,
}

impl DigestedParams {
    /// The parameters with their digest computed.
    pub fn new(params: EpochLeadership) -> Self {
        let digest = params.digest();
        DigestedParams { params, digest }
    }
}

impl std::ops::Deref for DigestedParams {
    type Target = EpochLeadership;

    fn deref(&self) -> &EpochLeadership {
        &self.params
    }
}

/// Why parameters cannot be used for a leader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("epoch {epoch}: {message}")]
pub struct ParamsError {
    /// The epoch whose parameters are unusable.
    pub epoch: u64,
    /// What is wrong with them.
    pub message: String,
}

/// What one leader is scheduled under for an epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderShare {
    /// The schedule request the enclave is sent for this leader.
    pub request: ScheduleParams,
    /// The expected number of won slots (σ · f · (1 − d) · slots, or slots / leaders for BFT).
    pub ideal_slots: f64,
}

impl LeaderShare {
    /// `leader`'s share of the epoch, or None when it takes no part (no stake, not listed).
    pub fn of(params: &EpochLeadership, identity: &Identity) -> Result<Option<LeaderShare>, ParamsError> {
        let err = |message: String| ParamsError {
            epoch: params.epoch,
            message,
        };
        let (consensus, ideal) = match (&params.consensus, identity) {
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
                let Some(&pool_stake) = stake.get(&p.pool_id) else {
                    return Ok(None);
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
                    ScheduleConsensus::Praos {
                        variant: *variant,
                        nonce: *epoch_nonce,
                        active_slot_coeff: *active_slot_coeff,
                        pool_stake,
                        total_stake: *total_stake,
                        decentralisation: *decentralisation,
                    },
                    sigma * f * (1.0 - d) * params.epoch_length as f64,
                )
            }
            (EpochConsensus::Bft { leaders }, Identity::Bft { vkey }) => {
                let mine = leaders.iter().filter(|k| *k == vkey).count();
                if mine == 0 {
                    return Ok(None);
                }
                let ideal = params.epoch_length as f64 * mine as f64 / leaders.len() as f64;
                (
                    ScheduleConsensus::Bft {
                        leaders: leaders.clone(),
                    },
                    ideal,
                )
            }
            _ => return Ok(None),
        };
        let request = ScheduleParams {
            epoch: params.epoch,
            first_slot: params.first_slot,
            epoch_length: params.epoch_length,
            consensus,
        };
        request.to_epoch_params().map_err(|e| err(e.to_string()))?;
        Ok(Some(LeaderShare {
            request,
            ideal_slots: ideal,
        }))
    }
}
