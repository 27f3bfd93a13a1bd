//! Genesis in the formats Cardano tools use: `shelley-genesis.json` (time, consensus and
//! protocol parameters, initial funds, genesis staking, genesis delegates) and the parts of
//! `alonzo-genesis.json` the ledger needs (coins per UTxO word, maximum value size). Both are
//! read and written; the chain's initial nonce is blake2b-256 of the Shelley file's bytes, as
//! cardano-node takes it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use slotforge_praos::nonce::{blake2b256, Nonce};

/// Why genesis could not be read or is not usable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}: not a valid genesis file: {error}")]
    Json { path: String, error: serde_json::Error },
    #[error("genesis: {0}")]
    Invalid(String),
}

/// A rational number written as a JSON decimal (`0.05`), kept exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub num: u64,
    pub den: u64,
}

impl Decimal {
    pub fn new(num: u64, den: u64) -> Self {
        let g = gcd(num, den).max(1);
        Decimal {
            num: num / g,
            den: den / g,
        }
    }

    /// Parses `0.05`, `1`, `2.5e-2`-free decimals exactly.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() || frac.len() > 18 {
            return None;
        }
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if !digits(int) || !digits(frac) {
            return None;
        }
        let den = 10u64.checked_pow(frac.len() as u32)?;
        let int: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
        let frac_v: u64 = if frac.is_empty() { 0 } else { frac.parse().ok()? };
        Some(Decimal::new(int.checked_mul(den)?.checked_add(frac_v)?, den))
    }

    pub fn as_f64(&self) -> f64 {
        self.num as f64 / self.den.max(1) as f64
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A decimal JSON number: exact whenever the denominator divides a power of ten
        // (all that genesis files use); otherwise 12 decimal places.
        let den = self.den.max(1) as u128;
        let text = match (0..=12u32).find(|p| 10u128.pow(*p) % den == 0) {
            Some(0) => self.num.to_string(),
            Some(p) => {
                let scaled = self.num as u128 * (10u128.pow(p) / den);
                let s = format!("{scaled:0>width$}", width = p as usize + 1);
                let (int, frac) = s.split_at(s.len() - p as usize);
                let frac = frac.trim_end_matches('0');
                if frac.is_empty() {
                    int.to_string()
                } else {
                    format!("{int}.{frac}")
                }
            }
            None => format!("{:.12}", self.as_f64()),
        };
        let n: serde_json::Number = text.parse().map_err(serde::ser::Error::custom)?;
        n.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        Decimal::parse(&n.to_string())
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a non-negative decimal number")))
    }
}

/// `protocolParams` of the Shelley genesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolParams {
    pub min_fee_a: u64,
    pub min_fee_b: u64,
    pub max_block_body_size: u64,
    pub max_tx_size: u64,
    pub max_block_header_size: u64,
    pub key_deposit: u64,
    pub pool_deposit: u64,
    #[serde(rename = "eMax")]
    pub e_max: u64,
    #[serde(rename = "nOpt")]
    pub n_opt: u64,
    pub min_pool_cost: u64,
    #[serde(rename = "minUTxOValue", default)]
    pub min_utxo_value: u64,
    pub protocol_version: ProtocolVersion,
    #[serde(default = "zero")]
    pub decentralisation_param: Decimal,
    #[serde(default = "zero")]
    pub a0: Decimal,
    #[serde(default = "zero")]
    pub rho: Decimal,
    #[serde(default = "zero")]
    pub tau: Decimal,
}

fn zero() -> Decimal {
    Decimal { num: 0, den: 1 }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolVersion {
    pub major: u64,
    pub minor: u64,
}

/// A genesis delegation: the delegate's key hash and its VRF key hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenDeleg {
    pub delegate: String,
    pub vrf: String,
}

/// A pool registered at genesis (`staking.pools`), as cardano-node writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisPool {
    pub cost: u64,
    pub margin: Decimal,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    #[serde(default)]
    pub owners: Vec<String>,
    pub pledge: u64,
    /// The pool id (hex of the cold key hash).
    pub public_key: String,
    #[serde(default)]
    pub relays: Vec<serde_json::Value>,
    pub reward_account: RewardAccountJson,
    /// blake2b-256 of the pool's VRF verification key, hex.
    pub vrf: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardAccountJson {
    pub credential: CredentialJson,
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialJson {
    #[serde(rename = "keyHash")]
    KeyHash(String),
    #[serde(rename = "scriptHash")]
    ScriptHash(String),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Staking {
    #[serde(default)]
    pub pools: BTreeMap<String, GenesisPool>,
    /// Stake key hash → pool id.
    #[serde(default)]
    pub stake: BTreeMap<String, String>,
}

/// `shelley-genesis.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShelleyGenesis {
    pub active_slots_coeff: Decimal,
    pub epoch_length: u64,
    #[serde(default)]
    pub gen_delegs: BTreeMap<String, GenDeleg>,
    #[serde(default)]
    pub initial_funds: BTreeMap<String, u64>,
    #[serde(rename = "maxKESEvolutions")]
    pub max_kes_evolutions: u64,
    pub max_lovelace_supply: u64,
    pub network_id: String,
    pub network_magic: u32,
    pub protocol_params: ProtocolParams,
    pub security_param: u64,
    pub slot_length: Decimal,
    #[serde(rename = "slotsPerKESPeriod")]
    pub slots_per_kes_period: u64,
    #[serde(default)]
    pub staking: Staking,
    pub system_start: String,
    #[serde(default)]
    pub update_quorum: u64,
}

/// The part of `alonzo-genesis.json` the ledger uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlonzoGenesis {
    /// Babbage and later charge `lovelacePerUTxOWord / 8` per byte.
    #[serde(rename = "lovelacePerUTxOWord")]
    pub lovelace_per_utxo_word: u64,
    pub max_value_size: u64,
    #[serde(default = "collateral_percentage")]
    pub collateral_percentage: u64,
    #[serde(default = "max_collateral_inputs")]
    pub max_collateral_inputs: u64,
    /// Kept as written (Plutus is out of scope for this ledger).
    #[serde(default)]
    pub execution_prices: serde_json::Value,
    #[serde(default)]
    pub max_tx_ex_units: serde_json::Value,
    #[serde(default)]
    pub max_block_ex_units: serde_json::Value,
    #[serde(default)]
    pub cost_models: serde_json::Value,
}

fn collateral_percentage() -> u64 {
    150
}

fn max_collateral_inputs() -> u64 {
    3
}

impl Default for AlonzoGenesis {
    fn default() -> Self {
        AlonzoGenesis {
            lovelace_per_utxo_word: 34_482,
            max_value_size: 5000,
            collateral_percentage: 150,
            max_collateral_inputs: 3,
            execution_prices: serde_json::json!({"prMem": 0.0577, "prSteps": 0.0000721}),
            max_tx_ex_units: serde_json::json!({"exUnitsMem": 14000000, "exUnitsSteps": 10000000000u64}),
            max_block_ex_units: serde_json::json!({"exUnitsMem": 62000000, "exUnitsSteps": 20000000000u64}),
            cost_models: serde_json::json!({}),
        }
    }
}

/// Genesis as the chain uses it: the files' contents and the Shelley file's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Genesis {
    pub shelley: ShelleyGenesis,
    pub alonzo: AlonzoGenesis,
    /// blake2b-256 of the Shelley genesis file's bytes: the initial nonce.
    pub shelley_hash: [u8; 32],
    /// `systemStart` in Unix milliseconds.
    pub system_start_ms: i64,
}

fn read(path: &Path) -> Result<Vec<u8>, GenesisError> {
    std::fs::read(path).map_err(|error| GenesisError::Io {
        path: path.display().to_string(),
        error,
    })
}

impl Genesis {
    /// Reads `shelley-genesis.json` and, if given, `alonzo-genesis.json` (else its defaults).
    pub fn load(shelley: &Path, alonzo: Option<&Path>) -> Result<Self, GenesisError> {
        let bytes = read(shelley)?;
        let json = |path: &Path, error| GenesisError::Json {
            path: path.display().to_string(),
            error,
        };
        let s: ShelleyGenesis = serde_json::from_slice(&bytes).map_err(|e| json(shelley, e))?;
        let a = match alonzo {
            Some(p) => serde_json::from_slice(&read(p)?).map_err(|e| json(p, e))?,
            None => AlonzoGenesis::default(),
        };
        Self::from_parts(s, a, blake2b256(&[&bytes]))
    }

    /// Genesis from its parsed files and the Shelley file's hash; checks consistency.
    pub fn from_parts(
        shelley: ShelleyGenesis,
        alonzo: AlonzoGenesis,
        shelley_hash: [u8; 32],
    ) -> Result<Self, GenesisError> {
        let bad = |m: String| Err(GenesisError::Invalid(m));
        let start = chrono::DateTime::parse_from_rfc3339(&shelley.system_start)
            .map_err(|e| GenesisError::Invalid(format!("systemStart {:?}: {e}", shelley.system_start)))?;
        let f = shelley.active_slots_coeff;
        if f.num == 0 || f.num > f.den {
            return bad(format!("activeSlotsCoeff must be in (0, 1], got {}", f.as_f64()));
        }
        if shelley.epoch_length == 0 || shelley.security_param == 0 || shelley.slots_per_kes_period == 0 {
            return bad("epochLength, securityParam and slotsPerKESPeriod must be positive".into());
        }
        if slot_length_ms(&shelley) == 0 {
            return bad("slotLength must be at least 1 ms".into());
        }
        if !matches!(shelley.network_id.as_str(), "Testnet" | "Mainnet") {
            return bad(format!(
                "networkId must be Testnet or Mainnet, got {:?}",
                shelley.network_id
            ));
        }
        for (id, p) in &shelley.staking.pools {
            if *id != p.public_key {
                return bad(format!(
                    "staking.pools: key {id} differs from its publicKey {}",
                    p.public_key
                ));
            }
            hash_hex::<28>(id, "staking.pools key")?;
            hash_hex::<32>(&p.vrf, "staking.pools vrf")?;
        }
        for (cred, pool) in &shelley.staking.stake {
            hash_hex::<28>(cred, "staking.stake key")?;
            if !shelley.staking.pools.contains_key(pool) {
                return bad(format!(
                    "staking.stake delegates {cred} to {pool}, which is not in staking.pools"
                ));
            }
        }
        for addr in shelley.initial_funds.keys() {
            hex::decode(addr)
                .map_err(|_| GenesisError::Invalid(format!("initialFunds address {addr:?} is not hex")))?;
        }
        for (k, d) in &shelley.gen_delegs {
            hash_hex::<28>(k, "genDelegs key")?;
            hash_hex::<28>(&d.delegate, "genDelegs delegate")?;
            hash_hex::<32>(&d.vrf, "genDelegs vrf")?;
        }
        Ok(Genesis {
            system_start_ms: start.timestamp_millis(),
            shelley,
            alonzo,
            shelley_hash,
        })
    }

    /// Writes both files; returns the Shelley file's hash (the chain's initial nonce).
    pub fn write(shelley: &ShelleyGenesis, alonzo: &AlonzoGenesis, dir: &Path) -> Result<[u8; 32], GenesisError> {
        let io = |path: &Path, error| GenesisError::Io {
            path: path.display().to_string(),
            error,
        };
        let sp = dir.join("shelley-genesis.json");
        let text = serde_json::to_vec_pretty(shelley).map_err(|error| GenesisError::Json {
            path: sp.display().to_string(),
            error,
        })?;
        std::fs::write(&sp, &text).map_err(|e| io(&sp, e))?;
        let ap = dir.join("alonzo-genesis.json");
        let a = serde_json::to_vec_pretty(alonzo).map_err(|error| GenesisError::Json {
            path: ap.display().to_string(),
            error,
        })?;
        std::fs::write(&ap, a).map_err(|e| io(&ap, e))?;
        Ok(blake2b256(&[&text]))
    }

    pub fn initial_nonce(&self) -> Nonce {
        Nonce::Hash(self.shelley_hash)
    }

    pub fn slot_length_ms(&self) -> u64 {
        slot_length_ms(&self.shelley)
    }

    /// 0 for Testnet, 1 for Mainnet (the address network tag).
    pub fn network_id(&self) -> u8 {
        u8::from(self.shelley.network_id == "Mainnet")
    }

    /// Coins per UTxO byte (Babbage on): lovelacePerUTxOWord / 8.
    pub fn coins_per_utxo_byte(&self) -> u64 {
        self.alonzo.lovelace_per_utxo_word / 8
    }
}

fn slot_length_ms(s: &ShelleyGenesis) -> u64 {
    let l = s.slot_length;
    ((l.num as u128 * 1000) / l.den.max(1) as u128).min(u64::MAX as u128) as u64
}

/// Parses `N` bytes of hex, naming `what` on failure.
pub fn hash_hex<const N: usize>(s: &str, what: &str) -> Result<[u8; N], GenesisError> {
    hex::decode(s)
        .ok()
        .and_then(|b| <[u8; N]>::try_from(b).ok())
        .ok_or_else(|| GenesisError::Invalid(format!("{what} {s:?} is not {N} bytes of hex")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Decimal::parse("0.05"), Some(Decimal { num: 1, den: 20 }));
        assert_eq!(Decimal::parse("0.2"), Some(Decimal { num: 1, den: 5 }));
        assert_eq!(Decimal::parse("1"), Some(Decimal { num: 1, den: 1 }));
        assert_eq!(Decimal::parse("-1"), None);
        assert_eq!(Decimal::parse("1e3"), None);
        for (n, d, text) in [(1, 20, "0.05"), (1, 5, "0.2"), (3, 1, "3"), (1, 8, "0.125")] {
            let v = serde_json::to_string(&Decimal::new(n, d)).unwrap();
            assert_eq!(v, text);
            assert_eq!(serde_json::from_str::<Decimal>(&v).unwrap(), Decimal::new(n, d));
        }
    }
}

/// A pool a devnet starts with: its cold key hash (pool id) and VRF key hash.
#[derive(Debug, Clone)]
pub struct DevnetPool {
    pub id: [u8; 28],
    pub vrf_key_hash: [u8; 32],
    /// The stake key that owns the pool's stake and receives its rewards.
    pub owner_stake: [u8; 28],
}

/// Funds a devnet starts with: an address and its lovelace.
#[derive(Debug, Clone)]
pub struct DevnetFunds {
    pub address: Vec<u8>,
    pub lovelace: u64,
}

/// The shape of a devnet's genesis.
#[derive(Debug, Clone)]
pub struct DevnetSpec {
    pub system_start: chrono::DateTime<chrono::Utc>,
    pub network_magic: u32,
    pub slot_length: Decimal,
    pub epoch_length: u64,
    pub security_param: u64,
    pub active_slots_coeff: Decimal,
    pub slots_per_kes_period: u64,
    pub max_kes_evolutions: u64,
    pub pools: Vec<DevnetPool>,
    /// Each pool's owner stake delegated to it: funds at a base address of that stake key.
    pub funds: Vec<DevnetFunds>,
    pub gen_delegs: Vec<([u8; 28], [u8; 28], [u8; 32])>,
}

impl DevnetSpec {
    /// The Shelley genesis of the devnet (Conway protocol version 10, mainnet's fee and deposit
    /// parameters, 90 KiB blocks).
    pub fn shelley_genesis(&self) -> ShelleyGenesis {
        let pools = self
            .pools
            .iter()
            .map(|p| {
                let id = hex::encode(p.id);
                (
                    id.clone(),
                    GenesisPool {
                        cost: 170_000_000,
                        margin: Decimal::new(0, 1),
                        metadata: None,
                        owners: vec![hex::encode(p.owner_stake)],
                        pledge: 0,
                        public_key: id,
                        relays: Vec::new(),
                        reward_account: RewardAccountJson {
                            credential: CredentialJson::KeyHash(hex::encode(p.owner_stake)),
                            network: "Testnet".into(),
                        },
                        vrf: hex::encode(p.vrf_key_hash),
                    },
                )
            })
            .collect();
        let stake = self
            .pools
            .iter()
            .map(|p| (hex::encode(p.owner_stake), hex::encode(p.id)))
            .collect();
        ShelleyGenesis {
            active_slots_coeff: self.active_slots_coeff,
            epoch_length: self.epoch_length,
            gen_delegs: self
                .gen_delegs
                .iter()
                .map(|(k, d, v)| {
                    (
                        hex::encode(k),
                        GenDeleg {
                            delegate: hex::encode(d),
                            vrf: hex::encode(v),
                        },
                    )
                })
                .collect(),
            initial_funds: self
                .funds
                .iter()
                .map(|f| (hex::encode(&f.address), f.lovelace))
                .collect(),
            max_kes_evolutions: self.max_kes_evolutions,
            max_lovelace_supply: 45_000_000_000_000_000,
            network_id: "Testnet".into(),
            network_magic: self.network_magic,
            protocol_params: ProtocolParams {
                min_fee_a: 44,
                min_fee_b: 155_381,
                max_block_body_size: 90_112,
                max_tx_size: 16_384,
                max_block_header_size: 1_100,
                key_deposit: 2_000_000,
                pool_deposit: 500_000_000,
                e_max: 18,
                n_opt: 500,
                min_pool_cost: 170_000_000,
                min_utxo_value: 0,
                protocol_version: ProtocolVersion { major: 10, minor: 0 },
                decentralisation_param: Decimal::new(0, 1),
                a0: Decimal::new(3, 10),
                rho: Decimal::new(3, 1000),
                tau: Decimal::new(2, 10),
            },
            security_param: self.security_param,
            slot_length: self.slot_length,
            slots_per_kes_period: self.slots_per_kes_period,
            staking: Staking { pools, stake },
            system_start: self.system_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            update_quorum: self.gen_delegs.len() as u64,
        }
    }
}
