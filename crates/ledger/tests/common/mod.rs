//! A devnet's ledger in a test: pools with real keys, a genesis from them, its ledger state and
//! protocol parameters. The chain tests build their forging devnet on it.
#![allow(dead_code)]

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_devnet::genesis_spec::{DevnetFunds, DevnetPool, DevnetSpec};
use slotforge_devnet::txbuilder::{base_address, key_hash};
use slotforge_ledger::genesis::{AlonzoGenesis, Genesis};
use slotforge_ledger::state::genesis_txin;
use slotforge_ledger::{LedgerParams, LedgerState, TxIn};
use slotforge_praos::nonce::{blake2b224, blake2b256};
use slotforge_praos::ratio::Ratio;

/// A pool's ledger keys, derived from a number (the chain tests' pools add their KES key and
/// operational certificate).
pub struct Pool {
    pub cold: SigningKey,
    pub vrf: VrfSecretKey,
    pub owner: SigningKey,
    pub payment: SigningKey,
}

/// Key material number `i` of kind `tag` (1 cold, 2 KES, 3 VRF, 4 owner, 5 payment).
pub fn seed(tag: u8, i: u8) -> [u8; 32] {
    blake2b256(&[&[tag, i]])
}

impl Pool {
    pub fn new(i: u8) -> Self {
        Pool {
            cold: SigningKey::from_bytes(&seed(1, i)),
            vrf: VrfSecretKey::from_seed(&seed(3, i)),
            owner: SigningKey::from_bytes(&seed(4, i)),
            payment: SigningKey::from_bytes(&seed(5, i)),
        }
    }

    pub fn id(&self) -> [u8; 28] {
        blake2b224(self.cold.verifying_key().as_bytes())
    }

    /// The pool owner's funded base address (payment key, owner stake key).
    pub fn address(&self) -> Vec<u8> {
        base_address(0, &key_hash(&self.payment), &key_hash(&self.owner))
    }

    pub fn funds(&self) -> TxIn {
        genesis_txin(&self.address())
    }
}

/// A devnet's ledger: its pools, genesis and protocol parameters.
pub struct Devnet {
    pub pools: Vec<Pool>,
    pub genesis: Genesis,
    pub params: LedgerParams,
}

pub const FUNDS: u64 = 1_000_000_000_000;

impl Devnet {
    /// `n` pools with equal stake; k, f, epoch length as given; 1 s slots from 2026-01-01.
    pub fn new(n: u8, k: u64, f: (u64, u64), epoch_length: u64) -> Self {
        let pools: Vec<Pool> = (0..n).map(Pool::new).collect();
        let genesis = genesis(&pools.iter().collect::<Vec<_>>(), k, f, epoch_length);
        let params = LedgerParams::from_genesis(&genesis);
        Devnet { pools, genesis, params }
    }

    /// The ledger state at genesis.
    pub fn genesis_state(&self) -> LedgerState {
        LedgerState::genesis(&self.genesis).unwrap()
    }
}

/// The test devnet's genesis (the chain tests' too): `pools`, each owner's stake delegated to
/// its pool and funded with [`FUNDS`] at its address; k, f, epoch length as given; 1 s slots
/// from 2026-01-01, network magic 42.
pub fn genesis(pools: &[&Pool], k: u64, f: (u64, u64), epoch_length: u64) -> Genesis {
    let spec = DevnetSpec {
        system_start: chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .into(),
        network_magic: 42,
        slot_length: Ratio::new(1, 1),
        epoch_length,
        security_param: k,
        active_slots_coeff: Ratio::new(f.0, f.1),
        slots_per_kes_period: 129_600,
        max_kes_evolutions: 62,
        pools: pools
            .iter()
            .map(|p| DevnetPool {
                id: p.id(),
                vrf_key_hash: blake2b256(&[&p.vrf.public_key().0]),
                owner_stake: key_hash(&p.owner),
            })
            .collect(),
        funds: pools
            .iter()
            .map(|p| DevnetFunds {
                address: p.address(),
                lovelace: FUNDS,
            })
            .collect(),
        gen_delegs: Vec::new(),
    };
    let shelley = spec.shelley_genesis();
    let hash = blake2b256(&[&serde_json::to_vec_pretty(&shelley).unwrap()]);
    Genesis::from_parts(shelley, AlonzoGenesis::default(), hash).unwrap()
}
