//! Scanning an epoch for the slots a pool leads.

use std::ops::Range;

use slotforge_crypto::vrf::{VrfOutput, VrfSecretKey};

use crate::leader::{is_overlay_slot, LeaderThreshold, VrfVariant};
use crate::nonce::Nonce;

/// How many slots share one batch of field inversions.
const BATCH: usize = 256;

/// One epoch's Praos leadership parameters for one pool: what its schedule is scanned with
/// (the whole epoch's parameters are [`EpochLeadership`](crate::epoch_leadership::EpochLeadership)).
#[derive(Debug, Clone)]
pub struct PraosEpoch {
    /// The epoch these parameters are for, counted from 0 at the chain's start.
    pub epoch: u64,
    /// The absolute slot the epoch starts at.
    pub first_slot: u64,
    /// The number of slots in the epoch.
    pub epoch_length: u64,
    /// The epoch nonce that seeds the VRF inputs.
    pub nonce: Nonce,
    /// The VRF construction of the epoch's era.
    pub variant: VrfVariant,
    /// The pool's stake test for the epoch (its σ and f).
    pub threshold: LeaderThreshold,
    /// TPraos decentralisation parameter d as (numerator, denominator); overlay slots
    /// belong to the genesis delegates.
    pub decentralisation: (u64, u64),
}

/// A slot the pool leads, with the VRF output that won it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WonSlot {
    /// The absolute slot won.
    pub slot: u64,
    /// The slot's index within its epoch (from 0).
    pub slot_in_epoch: u64,
    /// The 64-byte VRF output of the leader input, from which the header's proof is later made.
    pub output: VrfOutput,
}

impl PraosEpoch {
    /// All slots of the epoch.
    pub fn slots(&self) -> Range<u64> {
        self.first_slot..self.first_slot.saturating_add(self.epoch_length)
    }

    fn is_overlay(&self, slot: u64) -> bool {
        self.variant == VrfVariant::TPraos
            && is_overlay_slot(slot - self.first_slot, self.decentralisation.0, self.decentralisation.1)
    }

    /// The won slots in `slots` (clamped to the epoch), in slot order, computing VRF outputs
    /// only (no proofs).
    pub fn scan(&self, key: &VrfSecretKey, slots: Range<u64>) -> Vec<WonSlot> {
        let epoch = self.slots();
        let slots = slots.start.max(epoch.start)..slots.end.min(epoch.end);
        let candidates: Vec<u64> = slots.filter(|s| !self.is_overlay(*s)).collect();
        let mut won = Vec::new();
        for chunk in candidates.chunks(BATCH) {
            let inputs: Vec<[u8; 32]> = chunk
                .iter()
                .map(|s| self.variant.leader_input(*s, &self.nonce))
                .collect();
            for (slot, output) in chunk.iter().zip(key.output_batch(&inputs)) {
                if self.threshold.is_leader(&self.variant.leader_value(&output)) {
                    won.push(WonSlot {
                        slot: *slot,
                        slot_in_epoch: slot - self.first_slot,
                        output,
                    });
                }
            }
        }
        won
    }

    /// Whether one slot is won, computed the way today's tools do it: a full VRF proof per
    /// slot, then its hash. The reference the fast [`scan`](Self::scan) is measured against.
    pub fn is_won_with_proof(&self, key: &VrfSecretKey, slot: u64) -> bool {
        if !self.slots().contains(&slot) || self.is_overlay(slot) {
            return false;
        }
        let proof = key.prove(&self.variant.leader_input(slot, &self.nonce));
        proof
            .to_output()
            .is_ok_and(|out| self.threshold.is_leader(&self.variant.leader_value(&out)))
    }

    /// d as a number: the TPraos decentralisation parameter, 0 for the other variants.
    pub fn decentralisation_value(&self) -> f64 {
        let (num, den) = self.decentralisation;
        if self.variant == VrfVariant::TPraos && den != 0 {
            num as f64 / den as f64
        } else {
            0.0
        }
    }

    /// The expected number of won slots, σ · f · (1 − d) · slots (cncli's `epochSlotsIdeal`).
    pub fn ideal_slots(&self, f: f64) -> f64 {
        self.threshold.sigma() * f * (1.0 - self.decentralisation_value()) * self.epoch_length as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leader::ActiveSlotCoeff;

    fn params(variant: VrfVariant, d: (u64, u64)) -> PraosEpoch {
        PraosEpoch {
            epoch: 3,
            first_slot: 3000,
            epoch_length: 1000,
            nonce: Nonce::Hash([7; 32]),
            variant,
            threshold: LeaderThreshold::new(1, 10, ActiveSlotCoeff::new(1, 2).unwrap()).unwrap(),
            decentralisation: d,
        }
    }

    #[test]
    fn scan_agrees_with_full_proofs_and_is_ordered() {
        let key = VrfSecretKey::from_seed(&[1; 32]);
        for (variant, d) in [
            (VrfVariant::Praos, (0, 1)),
            (VrfVariant::TPraos, (1, 2)),
            (VrfVariant::CPraos, (0, 1)),
        ] {
            let p = params(variant, d);
            let won = p.scan(&key, p.slots());
            let reference: Vec<u64> = p.slots().filter(|s| p.is_won_with_proof(&key, *s)).collect();
            assert_eq!(won.iter().map(|w| w.slot).collect::<Vec<_>>(), reference, "{variant:?}");
            assert!(!won.is_empty());
            // Sub-ranges compose to the whole.
            let mut parts = p.scan(&key, 0..3500);
            parts.extend(p.scan(&key, 3500..u64::MAX));
            assert_eq!(parts, won);
        }
    }

    #[test]
    fn tpraos_overlay_slots_are_never_won() {
        let key = VrfSecretKey::from_seed(&[1; 32]);
        let p = params(VrfVariant::TPraos, (1, 1));
        assert!(p.scan(&key, p.slots()).is_empty());
    }
}
