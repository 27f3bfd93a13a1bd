//! What a chain is configured with: its genesis, its consensus, and the limits a node sets.

use std::sync::Arc;

use slotforge_praos::leader::{ActiveSlotCoeff, VrfVariant};
use slotforge_praos::nonce::{blake2b224, stability_window};
use slotforge_praos::time::EraHistory;

use slotforge_ledger::genesis::{hash_hex, Genesis, GenesisError};
use slotforge_ledger::LedgerParams;

/// The consensus a chain runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainConsensus {
    /// Praos with the era's VRF variant (Babbage: `Praos`, Conway: `CPraos`).
    Praos {
        /// The VRF construction: `CPraos` for a Conway chain.
        variant: VrfVariant,
    },
    /// Round-robin over the genesis delegates. Their verification keys are given here, in
    /// the order of `genDelegs` (by genesis key hash); each must hash to its delegate's hash.
    Bft {
        /// The delegates' Ed25519 verification keys, in round-robin order.
        delegates: Vec<[u8; 32]>,
    },
}

/// How chain selection breaks a tie between chains of equal length (ouroboros-consensus
/// `VRFTiebreakerFlavor`): Conway compares VRF outputs only for tips at most 5 slots apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VrfTiebreaker {
    /// Babbage: compare the tips' VRF outputs whatever their slots.
    Unrestricted,
    /// Conway (`RestrictedVRFTiebreaker`): compare VRF outputs only for tips this close.
    Restricted {
        /// The largest slot distance between the tips, in slots (5 in Conway).
        max_slot_distance: u64,
    },
}

/// Everything the chain's pure rules read besides the state.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// The genesis files the chain starts from.
    pub genesis: Arc<Genesis>,
    /// The consensus that judges headers: Praos or BFT.
    pub consensus: ChainConsensus,
    /// The protocol parameters the ledger's rules read, from genesis.
    pub ledger: LedgerParams,
    /// Slot ↔ epoch ↔ time for this chain: one era from slot 0.
    pub history: EraHistory,
    /// The active slot coefficient f of the Praos stake test.
    pub active_slot_coeff: ActiveSlotCoeff,
    /// The randomness stabilisation window in slots (3k/f Babbage, 4k/f Conway).
    pub stability_window: u64,
    /// How equal-length chains are ordered (Restricted from protocol version 9 on).
    pub tiebreaker: VrfTiebreaker,
    /// The highest major protocol version this node supports (cardano-node's
    /// `MaxMajorProtVer`): a ledger above it makes the node obsolete.
    pub max_major_protocol_version: u64,
}

impl ChainConfig {
    /// A Conway (CPraos) chain, or a BFT chain when `bft_delegates` is given.
    pub fn new(genesis: Genesis, bft_delegates: Option<Vec<[u8; 32]>>) -> Result<Self, GenesisError> {
        let s = &genesis.shelley;
        let f = ActiveSlotCoeff::new(s.active_slots_coeff.num, s.active_slots_coeff.den)
            .map_err(|e| GenesisError::Invalid(format!("activeSlotsCoeff: {e}")))?;
        let history = EraHistory::single(genesis.system_start_ms, genesis.slot_length_ms(), s.epoch_length)
            .map_err(|e| GenesisError::Invalid(e.to_string()))?;
        let consensus = match bft_delegates {
            None => ChainConsensus::Praos {
                variant: VrfVariant::CPraos,
            },
            Some(keys) => {
                let hashes: Vec<[u8; 28]> = s
                    .gen_delegs
                    .values()
                    .map(|d| hash_hex::<28>(&d.delegate, "genDelegs delegate"))
                    .collect::<Result<_, _>>()?;
                if keys.len() != hashes.len() {
                    return Err(GenesisError::Invalid(format!(
                        "{} BFT delegate keys given, genDelegs has {}",
                        keys.len(),
                        hashes.len()
                    )));
                }
                for (i, (k, h)) in keys.iter().zip(&hashes).enumerate() {
                    if blake2b224(k) != *h {
                        return Err(GenesisError::Invalid(format!(
                            "BFT delegate key #{i} does not hash to genDelegs delegate {}",
                            hex::encode(h)
                        )));
                    }
                }
                if keys.is_empty() {
                    return Err(GenesisError::Invalid(
                        "a BFT chain needs at least one genesis delegate".into(),
                    ));
                }
                ChainConsensus::Bft { delegates: keys }
            }
        };
        let pv = &s.protocol_params.protocol_version;
        let conway = pv.major >= 9;
        Ok(ChainConfig {
            ledger: LedgerParams::from_genesis(&genesis),
            history,
            stability_window: stability_window(
                s.security_param,
                s.active_slots_coeff.num,
                s.active_slots_coeff.den,
                conway,
            ),
            active_slot_coeff: f,
            tiebreaker: if conway {
                VrfTiebreaker::Restricted { max_slot_distance: 5 }
            } else {
                VrfTiebreaker::Unrestricted
            },
            max_major_protocol_version: 10,
            consensus,
            genesis: Arc::new(genesis),
        })
    }

    /// k: the deepest rollback chain selection accepts.
    pub fn security_param(&self) -> u64 {
        self.genesis.shelley.security_param
    }

    /// The epoch a slot belongs to.
    pub fn epoch_of(&self, slot: u64) -> u64 {
        self.history.slot_to_epoch(slot).0
    }

    /// The first slot of `epoch`.
    pub fn first_slot(&self, epoch: u64) -> u64 {
        epoch.saturating_mul(self.genesis.shelley.epoch_length)
    }

    /// Slots per epoch (`epochLength`).
    pub fn epoch_length(&self) -> u64 {
        self.genesis.shelley.epoch_length
    }

    /// When `slot` starts, in Unix milliseconds.
    pub fn slot_start_ms(&self, slot: u64) -> i64 {
        self.genesis
            .system_start_ms
            .saturating_add(slot.saturating_mul(self.genesis.slot_length_ms()).min(i64::MAX as u64) as i64)
    }

    /// The slot in progress at `unix_ms` (slot 0 before the system start).
    pub fn slot_at_ms(&self, unix_ms: i64) -> u64 {
        let since = unix_ms.saturating_sub(self.genesis.system_start_ms).max(0) as u64;
        since / self.genesis.slot_length_ms().max(1)
    }
}
