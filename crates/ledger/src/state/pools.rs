//! Registered stake pools: their parameters, a pending re-registration and retirement.

use serde::{Deserialize, Serialize};

use super::json::hex_vec;

/// A pool id: blake2b-224 of the pool's cold key.
pub type PoolId = [u8; 28];

/// A pool's registered parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolParams {
    /// blake2b-256 of the pool's VRF verification key; headers' VRF keys must hash to it.
    pub vrf_key_hash: [u8; 32],
    /// The pledge the owners promise, in lovelace.
    pub pledge: u64,
    /// The fixed cost taken from each epoch's rewards, in lovelace.
    pub cost: u64,
    /// The margin as (numerator, denominator).
    pub margin: (u64, u64),
    /// The reward account's raw bytes (header `0xe0`/`0xf0` | network, then the credential hash).
    #[serde(with = "hex_vec")]
    pub reward_account: Vec<u8>,
    /// The owners' stake key hashes.
    pub owners: Vec<[u8; 28]>,
    /// The relays, the CBOR list the registration carried (empty: none recorded).
    #[serde(with = "hex_vec", default)]
    pub relays: Vec<u8>,
    /// The metadata's CBOR `[url, hash]` as registered (empty: none).
    #[serde(with = "hex_vec", default)]
    pub metadata: Vec<u8>,
}

/// A registered pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    /// The parameters in force this epoch.
    pub params: PoolParams,
    /// A re-registration's parameters, effective at the next epoch.
    pub future: Option<PoolParams>,
    /// The epoch at whose start the pool retires.
    pub retiring: Option<u64>,
    /// The deposit the pool paid at its first registration, in lovelace, refunded when it retires.
    pub deposit: u64,
}
