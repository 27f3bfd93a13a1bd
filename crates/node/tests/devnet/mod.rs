//! A Praos devnet for tests: deterministic pool keys held by in-process signers, owners with
//! funds, and the genesis files written and read back as a node reads them.
#![allow(dead_code)]

use std::path::Path;

use slotforge_chain::config::ChainConfig;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_devnet::genesis_spec::{DevnetFunds, DevnetPool, DevnetSpec};
use slotforge_devnet::txbuilder::{base_address, key_hash};
use slotforge_enclave::signer::{Identity, PraosLeader, Signer};
use slotforge_ledger::genesis::AlonzoGenesis;
use slotforge_praos::nonce::blake2b256;
use slotforge_praos::ratio::Ratio;

pub const FUNDS: u64 = 1_000_000_000_000;

/// A pool's owner: its payment and stake keys.
pub struct Owner {
    pub payment: SigningKey,
    pub stake: SigningKey,
}

impl Owner {
    pub fn new(i: u8) -> Self {
        Owner {
            payment: SigningKey::from_bytes(&[i + 150; 32]),
            stake: SigningKey::from_bytes(&[i + 200; 32]),
        }
    }

    pub fn address(&self) -> Vec<u8> {
        base_address(0, &key_hash(&self.payment), &key_hash(&self.stake))
    }
}

/// Pool `i`'s leader keys (deterministic), as `pool-{i}` in `signer`; returns its genesis entry.
pub fn add_pool(signer: &Signer, i: u8) -> DevnetPool {
    let kes = KesSecretKey::from_seed(&mut [i + 1; 32]);
    let cold = SigningKey::from_bytes(&[i + 100; 32]);
    let opcert = OperationalCertificate::issue(&cold, kes.public_key(), 0, 0);
    let name = format!("pool-{i}");
    signer.add_leader(
        &name,
        PraosLeader {
            vrf: VrfSecretKey::from_seed(&[i + 50; 32]),
            kes,
            kes_store: None,
            opcert,
            slots_per_kes_period: 129_600,
            max_kes_evolutions: 62,
        },
    );
    let Ok(Identity::Praos(p)) = signer.identity(&name) else {
        panic!("praos")
    };
    DevnetPool {
        id: p.pool_id,
        vrf_key_hash: blake2b256(&[&p.vrf_vkey]),
        owner_stake: key_hash(&Owner::new(i).stake),
    }
}

/// The timing and security of a test devnet.
pub struct Params {
    pub start_ms: i64,
    pub slot_ms: u64,
    pub epoch_length: u64,
    pub security_param: u64,
}

/// Writes the genesis files of a devnet with `pools` (owner `i` funded) into `dir` and reads
/// them back.
pub fn chain_config(dir: &Path, p: &Params, pools: Vec<DevnetPool>) -> ChainConfig {
    let spec = DevnetSpec {
        system_start: chrono::DateTime::from_timestamp_millis(p.start_ms).unwrap(),
        network_magic: 42,
        slot_length: Ratio::new(p.slot_ms, 1000),
        epoch_length: p.epoch_length,
        security_param: p.security_param,
        active_slots_coeff: Ratio::new(1, 2),
        slots_per_kes_period: 129_600,
        max_kes_evolutions: 62,
        funds: (0..pools.len() as u8)
            .map(|i| DevnetFunds {
                address: Owner::new(i).address(),
                lovelace: FUNDS,
            })
            .collect(),
        pools,
        gen_delegs: Vec::new(),
    };
    slotforge_chain::genesis_files::write(
        &spec.shelley_genesis(),
        &AlonzoGenesis::default(),
        &slotforge_ledger::genesis::ConwayGenesis::default(),
        dir,
    )
    .unwrap();
    let genesis = slotforge_chain::genesis_files::load(
        &dir.join("shelley-genesis.json"),
        Some(&dir.join("alonzo-genesis.json")),
        Some(&dir.join("conway-genesis.json")),
    )
    .unwrap();
    ChainConfig::new(genesis, None).unwrap()
}
