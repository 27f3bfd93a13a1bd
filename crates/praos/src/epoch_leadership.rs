//! An epoch's leadership parameters (the design's `Leadership`): the one type the chain
//! announces, the leadership module schedules from, the enclave API's requests are built from
//! and the REST API shows. Bytes, not hex: hex exists only in its JSON form, which is also what
//! its digest is computed over.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::leader::VrfVariant;
use crate::nonce::{blake2b256, Nonce};

/// A pool id: blake2b-224 of the pool's cold verification key.
pub type PoolId = [u8; 28];

/// The epoch's time frame: when its first slot starts and how long a slot lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeFrame {
    /// The start of the epoch's first slot, Unix milliseconds.
    pub epoch_start_unix_ms: i64,
    /// Milliseconds per slot.
    pub slot_length_ms: u64,
}

/// What the consensus of an epoch needs to decide its leaders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EpochConsensus {
    /// Praos (or TPraos, CPraos): leaders by VRF lottery weighted by stake.
    Praos {
        /// Which VRF construction and leader value the era uses.
        variant: VrfVariant,
        /// The epoch nonce (JSON: 64 hex digits, or empty for the neutral nonce).
        #[serde(with = "nonce_hex")]
        epoch_nonce: Nonce,
        /// f as (numerator, denominator).
        active_slot_coeff: (u64, u64),
        /// Active stake by pool, from the epoch's snapshot (JSON: pool ids as 56 hex digits).
        #[serde(with = "stake_hex")]
        stake: BTreeMap<PoolId, u64>,
        /// The total active stake (σ's denominator).
        total_stake: u64,
        /// TPraos d as (numerator, denominator); (0, 1) otherwise.
        decentralisation: (u64, u64),
    },
    /// BFT: round-robin over the leaders.
    Bft {
        /// The leaders' Ed25519 verification keys in round-robin order (JSON: hex).
        #[serde(with = "keys_hex")]
        leaders: Vec<[u8; 32]>,
    },
}

/// One epoch's leadership parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochLeadership {
    /// The epoch number.
    pub epoch: u64,
    /// Its first slot.
    pub first_slot: u64,
    /// Slots in the epoch.
    pub epoch_length: u64,
    /// When its slots happen.
    pub time: TimeFrame,
    /// Who may lead.
    pub consensus: EpochConsensus,
}

impl EpochLeadership {
    /// blake2b-256 of the parameters' JSON, hex: equal parameters, equal digest (what schedule
    /// requests are de-duplicated by).
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(blake2b256(&[&json]))
    }

    /// The epoch's slots.
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
}

fn fixed_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    hex::decode(s).ok().and_then(|b| <[u8; N]>::try_from(b).ok())
}

mod nonce_hex {
    use super::Nonce;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(n: &Nonce, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Nonce::Neutral => s.serialize_str(""),
            Nonce::Hash(h) => s.serialize_str(&hex::encode(h)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Nonce, D::Error> {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(Nonce::Neutral);
        }
        Nonce::from_hex(&text).map_err(|e| serde::de::Error::custom(format!("epoch nonce: {e}")))
    }
}

mod stake_hex {
    use std::collections::BTreeMap;

    use super::PoolId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(m: &BTreeMap<PoolId, u64>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (hex::encode(k), v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<PoolId, u64>, D::Error> {
        BTreeMap::<String, u64>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| {
                super::fixed_hex::<28>(&k)
                    .map(|id| (id, v))
                    .ok_or_else(|| serde::de::Error::custom(format!("pool id {k:?} is not 56 hex digits")))
            })
            .collect()
    }
}

mod keys_hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(keys: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(keys.iter().map(hex::encode))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|k| {
                super::fixed_hex::<32>(&k)
                    .ok_or_else(|| serde::de::Error::custom(format!("BFT leader key {k:?} is not 64 hex digits")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn praos(stake: BTreeMap<PoolId, u64>, nonce: Nonce) -> EpochLeadership {
        EpochLeadership {
            epoch: 3,
            first_slot: 300,
            epoch_length: 100,
            time: TimeFrame {
                epoch_start_unix_ms: 1_000,
                slot_length_ms: 200,
            },
            consensus: EpochConsensus::Praos {
                variant: VrfVariant::CPraos,
                epoch_nonce: nonce,
                active_slot_coeff: (1, 20),
                total_stake: stake.values().fold(0u64, |a, v| a.saturating_add(*v)),
                stake,
                decentralisation: (0, 1),
            },
        }
    }

    #[test]
    fn json_shows_bytes_as_hex() {
        let p = praos(BTreeMap::from([([0xab; 28], 7)]), Nonce::Neutral);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["consensus"]["kind"], "praos");
        assert_eq!(v["consensus"]["epoch_nonce"], "");
        assert_eq!(v["consensus"]["stake"][hex::encode([0xab; 28])], 7);
        let bft = EpochLeadership {
            consensus: EpochConsensus::Bft { leaders: vec![[1; 32]] },
            ..p
        };
        let v = serde_json::to_value(&bft).unwrap();
        assert_eq!(v["consensus"]["leaders"][0], hex::encode([1; 32]));
    }

    #[test]
    fn bad_hex_is_refused_with_its_field() {
        let p = praos(BTreeMap::new(), Nonce::Neutral);
        let mut v = serde_json::to_value(&p).unwrap();
        v["consensus"]["epoch_nonce"] = "zz".into();
        let e = serde_json::from_value::<EpochLeadership>(v).unwrap_err().to_string();
        assert!(e.contains("epoch nonce"), "{e}");
        let mut v = serde_json::to_value(&p).unwrap();
        v["consensus"]["stake"] = serde_json::json!({"abcd": 1});
        let e = serde_json::from_value::<EpochLeadership>(v).unwrap_err().to_string();
        assert!(e.contains("pool id"), "{e}");
    }

    #[test]
    fn slot_times() {
        let p = praos(BTreeMap::new(), Nonce::Neutral);
        assert_eq!(p.slot_start_ms(300), 1_000);
        assert_eq!(p.slot_start_ms(301), 1_200);
        assert_eq!(p.slot_at_ms(0), Some(300));
        assert_eq!(p.slot_at_ms(1_399), Some(301));
        assert_eq!(p.slot_at_ms(1_000 + 100 * 200), None);
    }

    proptest! {
        #[test]
        fn json_roundtrip_and_digest(
            stake in proptest::collection::btree_map(any::<[u8; 28]>(), any::<u64>(), 0..8),
            nonce in any::<Option<[u8; 32]>>(),
        ) {
            let p = praos(stake, nonce.map_or(Nonce::Neutral, Nonce::Hash));
            let text = serde_json::to_string(&p).unwrap();
            let back: EpochLeadership = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back.digest(), p.digest());
            prop_assert_eq!(back, p);
        }
    }
}
