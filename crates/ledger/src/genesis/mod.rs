//! Genesis in the formats Cardano tools use: `shelley-genesis.json` (time, consensus and
//! protocol parameters, initial funds, genesis staking, genesis delegates), the parts of
//! `alonzo-genesis.json` the ledger needs (coins per UTxO word, maximum value size, collateral,
//! execution prices and limits, the V1 and V2 cost models) and `conway-genesis.json`
//! ([`ConwayGenesis`]). All are read and written; the chain's initial nonce is blake2b-256 of
//! the Shelley file's bytes, as cardano-node takes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use slotforge_praos::nonce::{blake2b256, Nonce};
use slotforge_praos::ratio::{parse_json_number, Ratio};

mod conway;

pub use conway::{
    credential_key, AnchorJson, CommitteeJson, ConstitutionJson, ConwayGenesis, DRepVotingThresholds,
    PoolVotingThresholds, Threshold, CONWAY_FILE,
};

use crate::params::{ExUnits, Rational};

/// Why genesis could not be read or is not usable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file is not the JSON of its kind.
    #[error("{file}: not a valid genesis file: {error}")]
    Json {
        /// Which file: `shelley-genesis.json`, `alonzo-genesis.json` or `conway-genesis.json`.
        file: &'static str,
        /// What the JSON parser found.
        error: serde_json::Error,
    },
    /// The file parses but its contents are unusable (the message says which field).
    #[error("genesis: {0}")]
    Invalid(String),
}

/// The Shelley genesis file's name, as cardano-node's configuration names it.
pub const SHELLEY_FILE: &str = "shelley-genesis.json";
/// The Alonzo genesis file's name.
pub const ALONZO_FILE: &str = "alonzo-genesis.json";

/// `protocolParams` of the Shelley genesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolParams {
    /// `minFeeA`: the fee per byte of transaction, in lovelace.
    pub min_fee_a: u64,
    /// `minFeeB`: the fixed part of every fee, in lovelace.
    pub min_fee_b: u64,
    /// `maxBlockBodySize`: the largest block body, in bytes.
    pub max_block_body_size: u64,
    /// `maxTxSize`: the largest transaction, in bytes.
    pub max_tx_size: u64,
    /// `maxBlockHeaderSize`: the largest block header, in bytes.
    pub max_block_header_size: u64,
    /// `keyDeposit`: a stake credential registration's deposit, in lovelace.
    pub key_deposit: u64,
    /// `poolDeposit`: a pool's first registration's deposit, in lovelace.
    pub pool_deposit: u64,
    /// `eMax`: how many epochs ahead a pool may schedule its retirement.
    #[serde(rename = "eMax")]
    pub e_max: u64,
    /// `nOpt`: the desired number of pools k, which the reward formula reads.
    #[serde(rename = "nOpt")]
    pub n_opt: u64,
    /// `minPoolCost`: the lowest fixed cost a pool may declare, in lovelace.
    pub min_pool_cost: u64,
    /// `minUTxOValue`: the Shelley–Mary minimum output, in lovelace; Alonzo on use
    /// `lovelacePerUTxOWord` instead (0 when absent).
    #[serde(rename = "minUTxOValue", default)]
    pub min_utxo_value: u64,
    /// `protocolVersion`: the version the chain starts at.
    pub protocol_version: ProtocolVersion,
    /// `decentralisationParam` d, exact; 0 when absent (no overlay slots).
    #[serde(default = "zero")]
    pub decentralisation_param: Ratio,
    /// `a0`: the pledge influence factor, exact; 0 when absent.
    #[serde(default = "zero")]
    pub a0: Ratio,
    /// `rho`: the monetary expansion rate per epoch, exact; 0 when absent.
    #[serde(default = "zero")]
    pub rho: Ratio,
    /// `tau`: the treasury's share of the rewards, exact; 0 when absent.
    #[serde(default = "zero")]
    pub tau: Ratio,
}

fn zero() -> Ratio {
    Ratio { num: 0, den: 1 }
}

/// A protocol version, as genesis and block headers carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolVersion {
    /// The major version, which selects the era's rules (9 and 10 are Conway's).
    pub major: u64,
    /// The minor version: no effect on the rules.
    pub minor: u64,
}

/// A genesis delegation: the delegate's key hash and its VRF key hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenDeleg {
    /// The delegate's key hash: blake2b-224 of its cold verification key, hex (56 digits).
    pub delegate: String,
    /// The delegate's VRF key hash: blake2b-256 of its VRF verification key, hex (64 digits).
    pub vrf: String,
}

/// A pool registered at genesis (`staking.pools`), as cardano-node writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenesisPool {
    /// The fixed cost per epoch, in lovelace.
    pub cost: u64,
    /// The margin, exact, in [0, 1].
    pub margin: Ratio,
    /// The pool's metadata reference (URL and hash), as written; not read by the ledger.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
    /// The owners' stake key hashes, hex.
    #[serde(default)]
    pub owners: Vec<String>,
    /// The pledge, in lovelace.
    pub pledge: u64,
    /// The pool id (hex of the cold key hash).
    pub public_key: String,
    /// The pool's relays, as written; not read by the ledger.
    #[serde(default)]
    pub relays: Vec<serde_json::Value>,
    /// The account the pool's rewards are paid to.
    pub reward_account: RewardAccountJson,
    /// blake2b-256 of the pool's VRF verification key, hex.
    pub vrf: String,
}

/// A reward account as cardano-node's genesis JSON writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RewardAccountJson {
    /// The account's stake credential.
    pub credential: CredentialJson,
    /// "Testnet" or "Mainnet".
    pub network: String,
}

/// A stake credential in genesis JSON: `{"keyHash": hex}` or `{"scriptHash": hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialJson {
    /// A key credential: blake2b-224 of the stake verification key, hex.
    #[serde(rename = "keyHash")]
    KeyHash(String),
    /// A script credential: the script's blake2b-224 hash, hex.
    #[serde(rename = "scriptHash")]
    ScriptHash(String),
}

/// `staking`: the pools registered and the stake delegated at genesis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Staking {
    /// The pools by pool id (hex); each key must equal its pool's `publicKey`.
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
    /// `activeSlotsCoeff` f, exact, in (0, 1].
    pub active_slots_coeff: Ratio,
    /// `epochLength`: slots per epoch.
    pub epoch_length: u64,
    /// `genDelegs`: genesis key hash (hex) → its delegate.
    #[serde(default)]
    pub gen_delegs: BTreeMap<String, GenDeleg>,
    /// `initialFunds`: address (hex of its raw bytes) → lovelace.
    #[serde(default)]
    pub initial_funds: BTreeMap<String, u64>,
    /// `maxKESEvolutions`: the KES periods an operational certificate is valid for.
    #[serde(rename = "maxKESEvolutions")]
    pub max_kes_evolutions: u64,
    /// `maxLovelaceSupply`: all lovelace there will ever be; reserves are what genesis does not
    /// hand out.
    pub max_lovelace_supply: u64,
    /// `networkId`: "Testnet" or "Mainnet".
    pub network_id: String,
    /// `networkMagic`: the number nodes of this network handshake with.
    pub network_magic: u32,
    /// `protocolParams`: the parameters the chain starts with.
    pub protocol_params: ProtocolParams,
    /// `securityParam` k: the rollback limit, in blocks.
    pub security_param: u64,
    /// `slotLength`: seconds per slot, exact.
    pub slot_length: Ratio,
    /// `slotsPerKESPeriod`: slots per KES period.
    #[serde(rename = "slotsPerKESPeriod")]
    pub slots_per_kes_period: u64,
    /// `staking`: pools and delegations at genesis (empty when absent).
    #[serde(default)]
    pub staking: Staking,
    /// `systemStart`: when slot 0 begins, RFC 3339.
    pub system_start: String,
    /// `updateQuorum`: how many genesis keys a protocol update needs (0 when absent).
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
    /// `maxValueSize`: the largest serialised output value, in bytes.
    pub max_value_size: u64,
    /// `collateralPercentage`: collateral as a percentage of the fee (150 when absent); Plutus
    /// only.
    #[serde(default = "collateral_percentage")]
    pub collateral_percentage: u64,
    /// `maxCollateralInputs` (3 when absent); Plutus only.
    #[serde(default = "max_collateral_inputs")]
    pub max_collateral_inputs: u64,
    /// `executionPrices`, kept as written (read by [`AlonzoGenesis::execution_limits`]).
    #[serde(default)]
    pub execution_prices: serde_json::Value,
    /// `maxTxExUnits`, kept as written (read by [`AlonzoGenesis::execution_limits`]).
    #[serde(default)]
    pub max_tx_ex_units: serde_json::Value,
    /// `maxBlockExUnits`, kept as written (read by [`AlonzoGenesis::execution_limits`]).
    #[serde(default)]
    pub max_block_ex_units: serde_json::Value,
    /// `costModels`, kept as written (read by [`AlonzoGenesis::cost_model_arrays`]).
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
            max_tx_ex_units: serde_json::json!({
                "exUnitsMem": MAINNET_MAX_TX_EX_UNITS.mem,
                "exUnitsSteps": MAINNET_MAX_TX_EX_UNITS.steps,
            }),
            max_block_ex_units: serde_json::json!({
                "exUnitsMem": MAINNET_MAX_BLOCK_EX_UNITS.mem,
                "exUnitsSteps": MAINNET_MAX_BLOCK_EX_UNITS.steps,
            }),
            cost_models: serde_json::json!({}),
        }
    }
}

/// Genesis as the chain uses it: the files' contents and the Shelley file's hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Genesis {
    /// The parsed `shelley-genesis.json`.
    pub shelley: ShelleyGenesis,
    /// The parsed `alonzo-genesis.json`, or its defaults when the file is absent.
    pub alonzo: AlonzoGenesis,
    /// The parsed `conway-genesis.json`, or its defaults when the file is absent.
    pub conway: ConwayGenesis,
    /// blake2b-256 of the Shelley genesis file's bytes: the initial nonce.
    pub shelley_hash: [u8; 32],
    /// `systemStart` in Unix milliseconds.
    pub system_start_ms: i64,
}

impl Genesis {
    /// Genesis from the files' bytes (the Alonzo file's defaults when it is absent).
    pub fn from_json(shelley: &[u8], alonzo: Option<&[u8]>) -> Result<Self, GenesisError> {
        let s: ShelleyGenesis = serde_json::from_slice(shelley).map_err(|error| GenesisError::Json {
            file: SHELLEY_FILE,
            error,
        })?;
        let a = match alonzo {
            Some(bytes) => serde_json::from_slice(bytes).map_err(|error| GenesisError::Json {
                file: ALONZO_FILE,
                error,
            })?,
            None => AlonzoGenesis::default(),
        };
        Self::from_parts(s, a, blake2b256(&[shelley]))
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
        alonzo.execution_limits()?;
        alonzo.cost_model_arrays()?;
        Ok(Genesis {
            system_start_ms: start.timestamp_millis(),
            shelley,
            alonzo,
            conway: ConwayGenesis::default(),
            shelley_hash,
        })
    }

    /// The same genesis with this Conway genesis.
    pub fn with_conway(self, conway: ConwayGenesis) -> Self {
        Genesis { conway, ..self }
    }

    /// The two files' bytes as written (pretty JSON): Shelley's, then Alonzo's.
    pub fn to_json(shelley: &ShelleyGenesis, alonzo: &AlonzoGenesis) -> Result<(Vec<u8>, Vec<u8>), GenesisError> {
        let s = serde_json::to_vec_pretty(shelley).map_err(|error| GenesisError::Json {
            file: SHELLEY_FILE,
            error,
        })?;
        let a = serde_json::to_vec_pretty(alonzo).map_err(|error| GenesisError::Json {
            file: ALONZO_FILE,
            error,
        })?;
        Ok((s, a))
    }

    /// The chain's initial nonce: blake2b-256 of the Shelley file's bytes.
    pub fn initial_nonce(&self) -> Nonce {
        Nonce::Hash(self.shelley_hash)
    }

    /// The slot length in whole milliseconds (`slotLength` × 1000, rounded down).
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

impl AlonzoGenesis {
    /// `executionPrices` (memory, steps), `maxTxExUnits` and `maxBlockExUnits` as the
    /// reference reads them (prices as decimals or `{numerator, denominator}`); mainnet's
    /// current values where a field is absent, an error where one is unreadable.
    pub fn execution_limits(&self) -> Result<((Rational, Rational), ExUnits, ExUnits), GenesisError> {
        let invalid = |what: &str, v: &serde_json::Value| {
            GenesisError::Invalid(format!(
                "{ALONZO_FILE}: {what} must be a non-negative decimal or {{numerator, denominator}}, got {v}"
            ))
        };
        let price = |name: &str, default: Rational| -> Result<Rational, GenesisError> {
            let Some(v) = self.execution_prices.get(name) else {
                return Ok(default);
            };
            let ratio = match v {
                serde_json::Value::Object(o) => o
                    .get("numerator")
                    .and_then(|n| n.as_u64())
                    .zip(o.get("denominator").and_then(|d| d.as_u64())),
                serde_json::Value::Number(_) => parse_json_number(&v.to_string()).ok(),
                _ => None,
            };
            match ratio {
                Some((_, 0)) | None => Err(invalid(&format!("executionPrices.{name}"), v)),
                Some(r) => Ok(r),
            }
        };
        let prices = (price("prMem", (577, 10_000))?, price("prSteps", (721, 10_000_000))?);
        let units = |field: &str, v: &serde_json::Value, default: ExUnits| -> Result<ExUnits, GenesisError> {
            let get = |key: &str, default: u64| match v.get(key) {
                None => Ok(default),
                Some(x) => x.as_u64().ok_or_else(|| {
                    GenesisError::Invalid(format!(
                        "{ALONZO_FILE}: {field}.{key} must be a non-negative integer, got {x}"
                    ))
                }),
            };
            Ok(ExUnits {
                mem: get("exUnitsMem", default.mem)?,
                steps: get("exUnitsSteps", default.steps)?,
            })
        };
        Ok((
            prices,
            units("maxTxExUnits", &self.max_tx_ex_units, MAINNET_MAX_TX_EX_UNITS)?,
            units("maxBlockExUnits", &self.max_block_ex_units, MAINNET_MAX_BLOCK_EX_UNITS)?,
        ))
    }

    /// `costModels` as arrays by language key (0 = PlutusV1, 1 = PlutusV2), from the array form
    /// or the map form cardano-node writes (named parameters, in the order of the names' sort);
    /// an error where a value is not an integer.
    pub fn cost_model_arrays(&self) -> Result<BTreeMap<u8, Vec<i64>>, GenesisError> {
        let integer = |name: &str, v: &serde_json::Value| {
            v.as_i64().ok_or_else(|| {
                GenesisError::Invalid(format!(
                    "{ALONZO_FILE}: costModels.{name} holds {v}, which is not an integer"
                ))
            })
        };
        let mut out = BTreeMap::new();
        for (name, key) in [("PlutusV1", 0u8), ("PlutusV2", 1), ("PlutusV3", 2)] {
            let values = match self.cost_models.get(name) {
                None => continue,
                Some(serde_json::Value::Array(a)) => a.iter().map(|v| integer(name, v)).collect::<Result<_, _>>()?,
                Some(serde_json::Value::Object(o)) => {
                    let mut named: Vec<(&String, &serde_json::Value)> = o.iter().collect();
                    named.sort_by(|a, b| a.0.cmp(b.0));
                    named
                        .into_iter()
                        .map(|(_, v)| integer(name, v))
                        .collect::<Result<_, _>>()?
                }
                Some(other) => {
                    return Err(GenesisError::Invalid(format!(
                        "{ALONZO_FILE}: costModels.{name} must be a list or a map of integers, got {other}"
                    )))
                }
            };
            out.insert(key, values);
        }
        Ok(out)
    }
}

/// Mainnet's `maxTxExecutionUnits` since the parameter update proposed on 2026-01-12
/// (IntersectMBO/governance-actions, `mainnet/2026-01-12-ppu-part1`).
pub const MAINNET_MAX_TX_EX_UNITS: ExUnits = ExUnits {
    mem: 16_500_000,
    steps: 10_000_000_000,
};

/// Mainnet's `maxBlockExecutionUnits` since the same update.
pub const MAINNET_MAX_BLOCK_EX_UNITS: ExUnits = ExUnits {
    mem: 72_000_000,
    steps: 20_000_000_000,
};

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
