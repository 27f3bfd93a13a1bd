//! Building and signing Conway transactions (payments with native assets, stake and pool
//! certificates) from
//! public keys and Ed25519 signing keys, encoded with pallas-primitives — what the devnet's
//! faucet and the tests submit.

use std::collections::BTreeMap;

use pallas_codec::minicbor;
use pallas_codec::utils::{Bytes, NonEmptySet, Set};
use pallas_primitives::alonzo::Value;
use pallas_primitives::conway::{
    Certificate, LegacyTransactionOutput, TransactionBody, TransactionOutput, VKeyWitness, WitnessSet,
};
use pallas_primitives::{NetworkId, RationalNumber, StakeCredential, TransactionInput};
use slotforge_crypto::ed25519::{Signer, SigningKey};
use slotforge_praos::nonce::{blake2b224, blake2b256};

use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{LedgerParams, TxIn};

/// Native assets: policy id → asset name → quantity.
pub type Assets = BTreeMap<[u8; 28], BTreeMap<Vec<u8>, u64>>;

/// A key's hash as addresses and certificates use it: blake2b-224 of the verification key.
pub fn key_hash(key: &SigningKey) -> [u8; 28] {
    blake2b224(key.verifying_key().as_bytes())
}

/// A base address: payment key and stake key (header `0000 | network`).
pub fn base_address(network: u8, payment: &[u8; 28], stake: &[u8; 28]) -> Vec<u8> {
    let mut a = vec![network & 0x0f];
    a.extend_from_slice(payment);
    a.extend_from_slice(stake);
    a
}

/// An enterprise address: payment key only (header `0110 | network`).
pub fn enterprise_address(network: u8, payment: &[u8; 28]) -> Vec<u8> {
    let mut a = vec![0x60 | (network & 0x0f)];
    a.extend_from_slice(payment);
    a
}

/// A pool registration's parameters.
#[derive(Debug, Clone)]
pub struct PoolRegistration {
    /// The pool id: blake2b-224 of the pool's cold verification key.
    pub operator: [u8; 28],
    /// blake2b-256 of the pool's VRF verification key.
    pub vrf_key_hash: [u8; 32],
    /// The pledge the owners promise, in lovelace.
    pub pledge: u64,
    /// The fixed cost taken from each epoch's rewards, in lovelace.
    pub cost: u64,
    /// The margin as (numerator, denominator).
    pub margin: (u64, u64),
    /// The reward account's raw bytes (header byte `0xe0 | network` then the stake key hash).
    pub reward_account: Vec<u8>,
    /// The owners' stake key hashes.
    pub owners: Vec<[u8; 28]>,
}

/// A certificate the builder can write.
#[derive(Debug, Clone)]
pub enum Cert {
    /// Conway `reg_cert` with its deposit.
    Register {
        /// The stake key hash registered.
        stake: [u8; 28],
        /// The deposit paid, in lovelace (the `keyDeposit` parameter).
        deposit: u64,
    },
    /// Conway `unreg_cert` with the refund.
    Deregister {
        /// The stake key hash deregistered.
        stake: [u8; 28],
        /// The deposit refunded, in lovelace.
        refund: u64,
    },
    /// Conway `stake_delegation`: delegates a stake key to a pool.
    Delegate {
        /// The stake key hash that delegates.
        stake: [u8; 28],
        /// The pool id delegated to.
        pool: [u8; 28],
    },
    /// Conway `pool_registration` (a new pool, or new parameters for a registered one).
    RegisterPool(PoolRegistration),
    /// Conway `pool_retirement`: the pool retires at the start of `epoch`.
    RetirePool {
        /// The retiring pool's id (blake2b-224 of its cold key).
        pool: [u8; 28],
        /// The epoch at whose start the pool retires.
        epoch: u64,
    },
}

/// A transaction under construction.
#[derive(Debug, Clone, Default)]
pub struct TxBuilder {
    /// The inputs spent, written in the order given.
    pub inputs: Vec<TxIn>,
    /// The outputs as (address bytes, lovelace), written as legacy `[address, value]` outputs.
    pub outputs: Vec<(Vec<u8>, u64)>,
    /// The native assets of outputs, by output index: policy id → asset name → quantity.
    pub output_assets: BTreeMap<usize, Assets>,
    /// The fee, in lovelace.
    pub fee: u64,
    /// The slot from which the transaction is invalid (`ttl`, `invalid_hereafter`).
    pub ttl: Option<u64>,
    /// The first slot the transaction is valid in (`validity_interval_start`).
    pub validity_start: Option<u64>,
    /// The certificates, in order.
    pub certs: Vec<Cert>,
    /// Withdrawals as (reward account bytes, lovelace).
    pub withdrawals: Vec<(Vec<u8>, u64)>,
    /// The body's `network_id` (1: mainnet, anything else: testnet); `None` leaves it out.
    pub network_id: Option<u8>,
    /// The auxiliary data's CBOR; its blake2b-256 goes into the body unless overridden.
    pub auxiliary_data: Option<Vec<u8>>,
    /// Overrides the auxiliary data hash written in the body (tests of that rule).
    pub auxiliary_data_hash: Option<[u8; 32]>,
    /// The pool certificate re-registers an existing pool (no deposit, when balancing).
    pub reregistration: bool,
}

impl TxBuilder {
    /// An empty transaction: no inputs, outputs or certificates, fee 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an input to spend.
    pub fn input(mut self, i: TxIn) -> Self {
        self.inputs.push(i);
        self
    }

    /// Adds an output paying `coin` lovelace to `address` (raw address bytes).
    pub fn output(mut self, address: Vec<u8>, coin: u64) -> Self {
        self.outputs.push((address, coin));
        self
    }

    /// Adds an output paying `coin` lovelace and `assets` to `address`.
    pub fn output_with_assets(mut self, address: Vec<u8>, coin: u64, assets: Assets) -> Self {
        self.output_assets.insert(self.outputs.len(), assets);
        self.outputs.push((address, coin));
        self
    }

    /// Sets the fee, in lovelace.
    pub fn fee(mut self, fee: u64) -> Self {
        self.fee = fee;
        self
    }

    /// Appends a certificate; the ledger applies certificates in order.
    pub fn cert(mut self, c: Cert) -> Self {
        self.certs.push(c);
        self
    }

    /// The body's CBOR.
    pub fn body_bytes(&self) -> Vec<u8> {
        let input = |i: &TxIn| TransactionInput {
            transaction_id: i.tx.into(),
            index: i.index,
        };
        let certs: Vec<Certificate> = self.certs.iter().map(certificate).collect();
        let aux_hash = self
            .auxiliary_data_hash
            .or_else(|| self.auxiliary_data.as_ref().map(|a| blake2b256(&[a])));
        let body = TransactionBody {
            inputs: Set::from(self.inputs.iter().map(input).collect::<Vec<_>>()),
            outputs: self
                .outputs
                .iter()
                .enumerate()
                // `[address, value]`, the form wallets and cardano-cli write for plain outputs.
                .map(|(i, (address, coin))| {
                    let amount = match self.output_assets.get(&i) {
                        None => Value::Coin(*coin),
                        Some(assets) => Value::Multiasset(
                            *coin,
                            assets
                                .iter()
                                .map(|(policy, names)| {
                                    let names = names.iter().map(|(n, q)| (Bytes::from(n.clone()), *q)).collect();
                                    ((*policy).into(), names)
                                })
                                .collect(),
                        ),
                    };
                    TransactionOutput::Legacy(
                        LegacyTransactionOutput {
                            address: Bytes::from(address.clone()),
                            amount,
                            datum_hash: None,
                        }
                        .into(),
                    )
                })
                .collect(),
            fee: self.fee,
            ttl: self.ttl,
            certificates: NonEmptySet::from_vec(certs),
            withdrawals: (!self.withdrawals.is_empty()).then(|| {
                self.withdrawals
                    .iter()
                    .map(|(a, c)| (Bytes::from(a.clone()), *c))
                    .collect()
            }),
            auxiliary_data_hash: aux_hash.map(Into::into),
            validity_interval_start: self.validity_start,
            mint: None,
            script_data_hash: None,
            collateral: None,
            required_signers: None,
            network_id: self
                .network_id
                .map(|n| if n == 1 { NetworkId::Mainnet } else { NetworkId::Testnet }),
            collateral_return: None,
            total_collateral: None,
            reference_inputs: None,
            voting_procedures: None,
            proposal_procedures: None,
            treasury_value: None,
            donation: None,
        };
        minicbor::to_vec(&body).unwrap_or_default()
    }

    /// Signs the body with every key in `signers` and makes the transaction.
    pub fn sign(&self, signers: &[&SigningKey]) -> Transaction {
        let body = self.body_bytes();
        let id = blake2b256(&[&body]);
        let wits: Vec<VKeyWitness> = signers
            .iter()
            .map(|k| VKeyWitness {
                vkey: Bytes::from(k.verifying_key().as_bytes().to_vec()),
                signature: Bytes::from(k.sign(&id).to_bytes().to_vec()),
            })
            .collect();
        let ws = WitnessSet {
            vkeywitness: NonEmptySet::from_vec(wits),
            native_script: None,
            bootstrap_witness: None,
            plutus_v1_script: None,
            plutus_data: None,
            redeemer: None,
            plutus_v2_script: None,
            plutus_v3_script: None,
        };
        let wits = minicbor::to_vec(&ws).unwrap_or_default();
        Transaction::from_parts(body, wits, true, self.auxiliary_data.clone())
            .expect("the builder writes decodable transactions")
    }

    /// Sets the fee to (at least) the minimum for the signed size and the output at `change`
    /// to what balances the transaction, given the inputs' total; returns it signed.
    pub fn balance(
        mut self,
        params: &LedgerParams,
        input_total: u64,
        change: usize,
        signers: &[&SigningKey],
    ) -> Transaction {
        let deposits: i128 = self
            .certs
            .iter()
            .map(|c| match c {
                Cert::Register { deposit, .. } => *deposit as i128,
                Cert::Deregister { refund, .. } => -(*refund as i128),
                Cert::RegisterPool(_) if !self.reregistration => params.pool_deposit as i128,
                _ => 0,
            })
            .sum();
        let withdrawn: i128 = self.withdrawals.iter().map(|(_, c)| *c as i128).sum();
        let others: i128 = self
            .outputs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != change)
            .map(|(_, o)| o.1 as i128)
            .sum();
        let available = input_total as i128 + withdrawn - deposits - others;
        let mut fee = params.min_fee(0);
        loop {
            self.fee = fee;
            if let Some(o) = self.outputs.get_mut(change) {
                o.1 = (available - fee as i128).clamp(0, u64::MAX as i128) as u64;
            }
            let tx = self.sign(signers);
            let need = params.min_fee(tx.size());
            if need <= fee {
                return tx;
            }
            fee = need;
        }
    }
}

fn stake(h: &[u8; 28]) -> StakeCredential {
    StakeCredential::AddrKeyhash((*h).into())
}

fn certificate(c: &Cert) -> Certificate {
    match c {
        Cert::Register { stake: s, deposit } => Certificate::Reg(stake(s), *deposit),
        Cert::Deregister { stake: s, refund } => Certificate::UnReg(stake(s), *refund),
        Cert::Delegate { stake: s, pool } => Certificate::StakeDelegation(stake(s), (*pool).into()),
        Cert::RegisterPool(p) => Certificate::PoolRegistration {
            operator: p.operator.into(),
            vrf_keyhash: p.vrf_key_hash.into(),
            pledge: p.pledge,
            cost: p.cost,
            margin: RationalNumber {
                numerator: p.margin.0,
                denominator: p.margin.1,
            },
            reward_account: Bytes::from(p.reward_account.clone()),
            pool_owners: Set::from(p.owners.iter().map(|o| (*o).into()).collect::<Vec<_>>()),
            relays: Vec::new(),
            pool_metadata: None,
        },
        Cert::RetirePool { pool, epoch } => Certificate::PoolRetirement((*pool).into(), *epoch),
    }
}
