//! A devnet genesis from a few choices: pools, funds, delegations and timing, rendered as
//! the Shelley genesis cardano-node reads.

use slotforge_ledger::genesis::{
    CredentialJson, GenDeleg, GenesisPool, ProtocolParams, ProtocolVersion, RewardAccountJson, ShelleyGenesis, Staking,
};
use slotforge_praos::ratio::Ratio;

/// A pool a devnet starts with: its cold key hash (pool id) and VRF key hash.
#[derive(Debug, Clone)]
pub struct DevnetPool {
    /// The pool id: blake2b-224 of the pool's cold verification key.
    pub id: [u8; 28],
    /// blake2b-256 of the pool's VRF verification key, as registered.
    pub vrf_key_hash: [u8; 32],
    /// The stake key that owns the pool's stake and receives its rewards.
    pub owner_stake: [u8; 28],
}

/// Funds a devnet starts with: an address and its lovelace.
#[derive(Debug, Clone)]
pub struct DevnetFunds {
    /// The address's raw bytes (header byte then credentials), hex-encoded into `initialFunds`.
    pub address: Vec<u8>,
    /// The amount at the address, in lovelace.
    pub lovelace: u64,
}

/// The shape of a devnet's genesis.
#[derive(Debug, Clone)]
pub struct DevnetSpec {
    /// The chain's start: slot 0 begins at this instant (`systemStart`, written to the second).
    pub system_start: chrono::DateTime<chrono::Utc>,
    /// The network magic the devnet's nodes handshake with (`networkMagic`).
    pub network_magic: u32,
    /// Seconds per slot, exact (`slotLength`).
    pub slot_length: Ratio,
    /// Slots per epoch (`epochLength`).
    pub epoch_length: u64,
    /// The security parameter k, in blocks (`securityParam`).
    pub security_param: u64,
    /// The active slot coefficient f, exact (`activeSlotsCoeff`).
    pub active_slots_coeff: Ratio,
    /// Slots per KES period (`slotsPerKESPeriod`).
    pub slots_per_kes_period: u64,
    /// KES evolutions an operational certificate is valid for (`maxKESEvolutions`).
    pub max_kes_evolutions: u64,
    /// The pools registered at genesis (`staking.pools`), each delegated its owner's stake.
    pub pools: Vec<DevnetPool>,
    /// The initial UTxO (`initialFunds`). A pool's stake is the funds at base addresses of its
    /// owner's stake key, which genesis delegates to it.
    pub funds: Vec<DevnetFunds>,
    /// The genesis delegations (`genDelegs`): (genesis key hash, delegate cold key hash, delegate
    /// VRF key hash).
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
                        margin: Ratio::new(0, 1),
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
                decentralisation_param: Ratio::new(0, 1),
                a0: Ratio::new(3, 10),
                rho: Ratio::new(3, 1000),
                tau: Ratio::new(2, 10),
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
