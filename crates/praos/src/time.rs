//! Slot ↔ epoch ↔ UTC conversion with an era history (Byron's 20 s slots, then Shelley's).

use chrono::{DateTime, TimeZone, Utc};

use crate::ratio::Ratio;

/// One era of constant slot and epoch length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EraParams {
    /// The first epoch of the era.
    pub start_epoch: u64,
    /// The first slot of the era.
    pub start_slot: u64,
    /// When the era's first slot starts, in milliseconds since the Unix epoch.
    pub start_unix_ms: i64,
    /// The length of every slot of the era, in milliseconds (20,000 for Byron, 1,000 for Shelley
    /// on).
    pub slot_length_ms: u64,
    /// The number of slots per epoch in the era (21,600 for Byron, 432,000 for mainnet Shelley on).
    pub epoch_length: u64,
}

/// Why a time configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// An era with a slot length or epoch length of 0.
    #[error("slot length and epoch length must be positive")]
    ZeroLength,
    /// Eras not in ascending order, or one not starting exactly (epoch, slot and time) where the
    /// previous ends.
    #[error("eras must be in order, each starting where the previous one ends")]
    EraOrder,
    /// [`EraHistory::new`] was given no era.
    #[error("no eras given")]
    Empty,
    /// A network name other than mainnet, preprod or preview; holds the name given.
    #[error("unknown network {0:?}: expected mainnet, preprod or preview")]
    UnknownNetwork(String),
    /// The epoch's first slot does not fit in a u64; holds the epoch.
    #[error("epoch {0} is beyond the representable range")]
    Overflow(u64),
    /// The time is before the first era's start, so no slot is in progress.
    #[error("{0} is before the system start")]
    BeforeStart(DateTime<Utc>),
    /// The Shelley genesis JSON could not be read or its timing is unusable; holds the reason.
    #[error("invalid Shelley genesis: {0}")]
    Genesis(String),
}

/// A chain's era history: everything needed to convert between slots, epochs and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraHistory {
    eras: Vec<EraParams>,
}

/// Which era a given epoch belongs to, for choosing the consensus variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Era {
    /// The Byron era: 20 s slots, OBFT (no stake pools).
    Byron,
    /// Shelley: TPraos with the overlay schedule of genesis delegates.
    Shelley,
    /// Allegra: TPraos.
    Allegra,
    /// Mary: TPraos.
    Mary,
    /// Alonzo: TPraos, the last TPraos era.
    Alonzo,
    /// Babbage: Praos, one VRF evaluation per header.
    Babbage,
    /// Conway: Praos with the longer nonce stabilisation window (CPraos).
    Conway,
}

/// A public network's time parameters and hard-fork epochs.
#[derive(Debug, Clone)]
pub struct NetworkPreset {
    /// The network's name: "mainnet", "preprod" or "preview".
    pub name: &'static str,
    /// The network's slot/epoch/time history from its system start.
    pub history: EraHistory,
    /// (first epoch, era), ascending.
    pub era_starts: Vec<(u64, Era)>,
    /// The active slot coefficient f as (numerator, denominator), 1/20 on the public networks.
    pub active_slot_coeff: (u64, u64),
    /// The security parameter k, in blocks (2160 on mainnet and preprod, 432 on preview).
    pub security_param: u64,
}

impl NetworkPreset {
    /// The era `epoch` belongs to (Byron before the first listed start).
    pub fn era_of_epoch(&self, epoch: u64) -> Era {
        self.era_starts
            .iter()
            .rev()
            .find(|(e, _)| epoch >= *e)
            .map_or(Era::Byron, |(_, era)| *era)
    }

    /// The preset of "mainnet", "preprod" or "preview"; any other name is
    /// [`TimeError::UnknownNetwork`].
    pub fn by_name(name: &str) -> Result<Self, TimeError> {
        match name {
            "mainnet" => Ok(Self::mainnet()),
            "preprod" => Ok(Self::preprod()),
            "preview" => Ok(Self::preview()),
            other => Err(TimeError::UnknownNetwork(other.to_string())),
        }
    }

    /// Byron and Shelley-family eras with a Byron prefix of `byron_epochs` 21,600-slot epochs.
    fn with_byron_prefix(system_start: i64, byron_epochs: u64, shelley_epoch_length: u64) -> EraHistory {
        let byron = EraParams {
            start_epoch: 0,
            start_slot: 0,
            start_unix_ms: system_start * 1000,
            slot_length_ms: 20_000,
            epoch_length: 21_600,
        };
        let shelley_slot = byron_epochs * 21_600;
        let shelley = EraParams {
            start_epoch: byron_epochs,
            start_slot: shelley_slot,
            start_unix_ms: (system_start + shelley_slot as i64 * 20) * 1000,
            slot_length_ms: 1000,
            epoch_length: shelley_epoch_length,
        };
        let eras = if byron_epochs == 0 {
            vec![EraParams {
                start_unix_ms: system_start * 1000,
                ..shelley
            }]
        } else {
            vec![byron, shelley]
        };
        EraHistory { eras }
    }

    /// Mainnet: system start 2017-09-23T21:44:51Z, 208 Byron epochs, Conway from epoch 507.
    pub fn mainnet() -> Self {
        use Era::*;
        NetworkPreset {
            name: "mainnet",
            history: Self::with_byron_prefix(1_506_203_091, 208, 432_000), // 2017-09-23T21:44:51Z
            era_starts: vec![
                (0, Byron),
                (208, Shelley),
                (236, Allegra),
                (251, Mary),
                (290, Alonzo),
                (365, Babbage),
                (507, Conway),
            ],
            active_slot_coeff: (1, 20),
            security_param: 2160,
        }
    }

    /// Preprod: system start 2022-06-01T00:00:00Z, 4 Byron epochs, Conway from epoch 163.
    pub fn preprod() -> Self {
        use Era::*;
        NetworkPreset {
            name: "preprod",
            history: Self::with_byron_prefix(1_654_041_600, 4, 432_000), // 2022-06-01T00:00:00Z
            era_starts: vec![
                (0, Byron),
                (4, Shelley),
                (5, Allegra),
                (6, Mary),
                (7, Alonzo),
                (12, Babbage),
                (163, Conway),
            ],
            active_slot_coeff: (1, 20),
            security_param: 2160,
        }
    }

    /// Preview: system start 2022-10-25T00:00:00Z, no Byron epochs, 86,400-slot epochs, Conway from
    /// epoch 646.
    pub fn preview() -> Self {
        use Era::*;
        NetworkPreset {
            name: "preview",
            history: Self::with_byron_prefix(1_666_656_000, 0, 86_400), // 2022-10-25T00:00:00Z
            era_starts: vec![(0, Alonzo), (3, Babbage), (646, Conway)],
            active_slot_coeff: (1, 20),
            security_param: 432,
        }
    }
}

/// The consensus part of a Shelley genesis file: what slot timing and header validation need
/// (the ledger reads the whole file as `slotforge_ledger::genesis::ShelleyGenesis`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsensusGenesis {
    /// The chain's start, RFC 3339.
    pub system_start: String,
    /// Seconds per slot, exact.
    pub slot_length: Ratio,
    /// Slots per epoch.
    pub epoch_length: u64,
    /// f, exact.
    pub active_slots_coeff: Ratio,
    /// k.
    pub security_param: u64,
    /// Genesis key hash → its delegate, hex as the file gives them (decoded by
    /// [`ConsensusGenesis::genesis_delegates`](crate::validation)).
    #[serde(default)]
    pub gen_delegs: std::collections::BTreeMap<String, GenDelegEntry>,
}

/// One `genDelegs` entry of a Shelley genesis file, hex.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct GenDelegEntry {
    /// The delegate's key hash: blake2b-224 of its cold verification key, 56 hex digits.
    pub delegate: String,
    /// The delegate's VRF key hash: blake2b-256 of its VRF verification key, 64 hex digits.
    pub vrf: String,
}

impl ConsensusGenesis {
    /// Parses the genesis file's JSON, ignoring the fields consensus does not need.
    pub fn from_json(text: &str) -> Result<Self, TimeError> {
        serde_json::from_str(text).map_err(|e| TimeError::Genesis(e.to_string()))
    }

    /// A Shelley-only history from slot 0 (as a devnet started from this genesis has).
    pub fn era_history(&self) -> Result<EraHistory, TimeError> {
        let start = DateTime::parse_from_rfc3339(&self.system_start)
            .map_err(|e| TimeError::Genesis(format!("systemStart {:?}: {e}", self.system_start)))?;
        let l = self.slot_length;
        let (scaled, den) = (l.num as u128 * 1000, l.den.max(1) as u128);
        let ms = scaled / den;
        if !scaled.is_multiple_of(den) || !(1..=1_000_000_000).contains(&ms) {
            return Err(TimeError::Genesis(format!(
                "slotLength {} is not a whole number of milliseconds from 1 ms to 1e6 s",
                l.as_f64()
            )));
        }
        EraHistory::single(start.timestamp_millis(), ms as u64, self.epoch_length)
    }
}

impl EraHistory {
    /// Checks that the eras are non-empty, have positive lengths, and follow each other exactly.
    pub fn new(eras: Vec<EraParams>) -> Result<Self, TimeError> {
        if eras.is_empty() {
            return Err(TimeError::Empty);
        }
        for e in &eras {
            if e.slot_length_ms == 0 || e.epoch_length == 0 {
                return Err(TimeError::ZeroLength);
            }
        }
        for w in eras.windows(2) {
            let (a, b) = (w[0], w[1]);
            let epochs = b.start_epoch.checked_sub(a.start_epoch).ok_or(TimeError::EraOrder)?;
            let slots = epochs.checked_mul(a.epoch_length).ok_or(TimeError::EraOrder)?;
            let ms = slots as i128 * a.slot_length_ms as i128;
            if epochs == 0
                || a.start_slot + slots != b.start_slot
                || a.start_unix_ms as i128 + ms != b.start_unix_ms as i128
            {
                return Err(TimeError::EraOrder);
            }
        }
        Ok(EraHistory { eras })
    }

    /// One era from slot 0 and epoch 0: custom devnets.
    pub fn single(system_start_ms: i64, slot_length_ms: u64, epoch_length: u64) -> Result<Self, TimeError> {
        Self::new(vec![EraParams {
            start_epoch: 0,
            start_slot: 0,
            start_unix_ms: system_start_ms,
            slot_length_ms,
            epoch_length,
        }])
    }

    /// A history whose (only) era starts at `first_slot` with epoch `epoch` (for custom
    /// parameters given as "this epoch starts at that slot").
    pub fn anchored(
        epoch: u64,
        first_slot: u64,
        start_ms: i64,
        slot_length_ms: u64,
        epoch_length: u64,
    ) -> Result<Self, TimeError> {
        Self::new(vec![EraParams {
            start_epoch: epoch,
            start_slot: first_slot,
            start_unix_ms: start_ms,
            slot_length_ms,
            epoch_length,
        }])
    }

    fn era_of_epoch(&self, epoch: u64) -> &EraParams {
        self.eras
            .iter()
            .rev()
            .find(|e| epoch >= e.start_epoch)
            .unwrap_or(&self.eras[0])
    }

    fn era_of_slot(&self, slot: u64) -> &EraParams {
        self.eras
            .iter()
            .rev()
            .find(|e| slot >= e.start_slot)
            .unwrap_or(&self.eras[0])
    }

    /// The first slot of an epoch and the epoch's length in slots.
    pub fn epoch_bounds(&self, epoch: u64) -> Result<(u64, u64), TimeError> {
        let era = self.era_of_epoch(epoch);
        let offset = epoch.checked_sub(era.start_epoch).ok_or(TimeError::Overflow(epoch))?;
        let first = offset
            .checked_mul(era.epoch_length)
            .and_then(|s| s.checked_add(era.start_slot))
            .ok_or(TimeError::Overflow(epoch))?;
        Ok((first, era.epoch_length))
    }

    /// (epoch, slot in epoch) of a slot. Slots before the first era map into it.
    pub fn slot_to_epoch(&self, slot: u64) -> (u64, u64) {
        let era = self.era_of_slot(slot);
        let rel = slot.saturating_sub(era.start_slot);
        (era.start_epoch + rel / era.epoch_length, rel % era.epoch_length)
    }

    /// When a slot starts.
    pub fn slot_start(&self, slot: u64) -> DateTime<Utc> {
        let era = self.era_of_slot(slot);
        let ms = era.start_unix_ms as i128 + (slot.saturating_sub(era.start_slot) as i128) * era.slot_length_ms as i128;
        let ms = ms.clamp(i64::MIN as i128 / 2, 8_000_000_000_000_000) as i64; // chrono's range
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The slot in progress at `t`.
    pub fn slot_at(&self, t: DateTime<Utc>) -> Result<u64, TimeError> {
        let ms = t.timestamp_millis();
        let era = self
            .eras
            .iter()
            .rev()
            .find(|e| ms >= e.start_unix_ms)
            .ok_or(TimeError::BeforeStart(t))?;
        Ok(era.start_slot + ((ms - era.start_unix_ms) as u64) / era.slot_length_ms)
    }

    /// The length of `slot`, in milliseconds, from the era the slot is in.
    pub fn slot_length_ms(&self, slot: u64) -> u64 {
        self.era_of_slot(slot).slot_length_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mainnet_known_points() {
        let m = NetworkPreset::mainnet();
        let h = &m.history;
        // The first Shelley block: slot 4,492,800 = epoch 208 slot 0, 2020-07-29T21:44:51Z.
        assert_eq!(h.epoch_bounds(208).unwrap(), (4_492_800, 432_000));
        assert_eq!(h.slot_to_epoch(4_492_800), (208, 0));
        assert_eq!(h.slot_start(4_492_800).to_rfc3339(), "2020-07-29T21:44:51+00:00");
        // headers.json: slot 5,824,849 is epoch 211, slot 36,049; 6,220,749 is 211/431,949.
        assert_eq!(h.slot_to_epoch(5_824_849), (211, 36_049));
        assert_eq!(h.slot_to_epoch(6_220_749), (211, 431_949));
        assert_eq!(h.slot_to_epoch(21_599), (0, 21_599));
        assert_eq!(h.slot_start(1).to_rfc3339(), "2017-09-23T21:45:11+00:00");
        assert_eq!(m.era_of_epoch(207), Era::Byron);
        assert_eq!(m.era_of_epoch(364), Era::Alonzo);
        assert_eq!(m.era_of_epoch(365), Era::Babbage);
        assert_eq!(m.era_of_epoch(600), Era::Conway);
        // Epoch 507, the Conway hard fork, began on 2024-09-01 at 21:44:51 UTC.
        let (first, _) = h.epoch_bounds(507).unwrap();
        assert_eq!(h.slot_start(first).to_rfc3339(), "2024-09-01T21:44:51+00:00");
    }

    #[test]
    fn preprod_and_preview() {
        let p = NetworkPreset::preprod();
        assert_eq!(p.history.epoch_bounds(4).unwrap(), (86_400, 432_000));
        assert_eq!(p.history.slot_start(86_400).to_rfc3339(), "2022-06-21T00:00:00+00:00");
        let v = NetworkPreset::preview();
        assert_eq!(v.history.epoch_bounds(1).unwrap(), (86_400, 86_400));
        assert_eq!(v.history.slot_start(0).to_rfc3339(), "2022-10-25T00:00:00+00:00");
        assert!(NetworkPreset::by_name("nope").is_err());
    }

    #[test]
    fn genesis_and_validation() {
        let g = ConsensusGenesis::from_json(r#"{"systemStart":"2024-01-01T00:00:00Z","slotLength":0.2,"epochLength":500,"activeSlotsCoeff":0.1,"securityParam":10}"#).unwrap();
        let h = g.era_history().unwrap();
        assert_eq!(h.slot_length_ms(3), 200);
        assert_eq!(h.slot_start(5).to_rfc3339(), "2024-01-01T00:00:01+00:00");
        assert!(ConsensusGenesis::from_json("{}").is_err());
        assert_eq!(EraHistory::single(0, 0, 10), Err(TimeError::ZeroLength));
        assert_eq!(EraHistory::new(vec![]), Err(TimeError::Empty));
        assert!(h.slot_at(Utc.timestamp_opt(0, 0).unwrap()).is_err());
        assert_eq!(
            EraHistory::single(0, 1000, 10).unwrap().epoch_bounds(u64::MAX),
            Err(TimeError::Overflow(u64::MAX))
        );
    }

    proptest! {
        #[test]
        fn slot_time_roundtrip(slot in 0u64..200_000_000) {
            let h = NetworkPreset::mainnet().history;
            prop_assert_eq!(h.slot_at(h.slot_start(slot)).unwrap(), slot);
            let (epoch, within) = h.slot_to_epoch(slot);
            let (first, len) = h.epoch_bounds(epoch).unwrap();
            prop_assert_eq!(first + within, slot);
            prop_assert!(within < len);
        }
    }
}
