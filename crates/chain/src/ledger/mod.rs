//! The devnet ledger: UTxO with Conway transactions, stake credentials, pools, and the stake
//! snapshots leader election reads.
//!
//! The state is a value of persistent maps (imbl): applying a block makes a new state that
//! shares everything unchanged with the old one, so the chain keeps one state per volatile
//! block and a rollback is picking an older one. Rules are ours where pallas-validate does not
//! fit (deposits, refunds, withdrawals, certificates; docs/ARCHITECTURE.md says why).

mod certs;
mod rules;
mod stake;

use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};

use crate::genesis::{hash_hex, Genesis, GenesisError};
use crate::tx::{Transaction, TxDecodeError, TxId};

pub use rules::Checks;
pub use stake::{PoolStake, StakeSnapshot};

/// A pool id: blake2b-224 of the pool's cold key.
pub type PoolId = [u8; 28];

/// A reference to a transaction output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxIn {
    #[serde(with = "hex32")]
    pub tx: TxId,
    pub index: u64,
}

impl std::fmt::Display for TxIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", hex::encode(self.tx), self.index)
    }
}

/// Native assets by policy id and asset name.
pub type Assets = std::collections::BTreeMap<[u8; 28], std::collections::BTreeMap<Vec<u8>, u64>>;

/// An unspent output: its exact CBOR and what the ledger reads of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOut {
    #[serde(with = "hex_vec")]
    pub address: Vec<u8>,
    pub coin: u64,
    #[serde(with = "pairs")]
    pub assets: Assets,
    /// The output's bytes as they appear in its transaction.
    #[serde(with = "hex_vec")]
    pub cbor: Vec<u8>,
}

/// A stake credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Credential {
    Key([u8; 28]),
    Script([u8; 28]),
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Key(h) => write!(f, "key {}", hex::encode(h)),
            Credential::Script(h) => write!(f, "script {}", hex::encode(h)),
        }
    }
}

/// A registered stake credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The deposit paid at registration (refunded at deregistration).
    pub deposit: u64,
    pub rewards: u64,
    pub pool: Option<PoolId>,
}

/// A pool's registered parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolParams {
    pub vrf_key_hash: [u8; 32],
    pub pledge: u64,
    pub cost: u64,
    pub margin: (u64, u64),
    #[serde(with = "hex_vec")]
    pub reward_account: Vec<u8>,
    pub owners: Vec<[u8; 28]>,
}

/// A registered pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    pub params: PoolParams,
    /// A re-registration's parameters, effective at the next epoch.
    pub future: Option<PoolParams>,
    /// The epoch at whose start the pool retires.
    pub retiring: Option<u64>,
    pub deposit: u64,
}

/// What transactions are checked against besides the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerParams {
    pub min_fee_a: u64,
    pub min_fee_b: u64,
    pub max_tx_size: u64,
    pub max_block_body_size: u64,
    pub max_block_header_size: u64,
    pub key_deposit: u64,
    pub pool_deposit: u64,
    pub min_pool_cost: u64,
    pub e_max: u64,
    pub coins_per_utxo_byte: u64,
    pub max_value_size: u64,
    pub network_id: u8,
}

impl LedgerParams {
    pub fn from_genesis(g: &Genesis) -> Self {
        let p = &g.shelley.protocol_params;
        LedgerParams {
            min_fee_a: p.min_fee_a,
            min_fee_b: p.min_fee_b,
            max_tx_size: p.max_tx_size,
            max_block_body_size: p.max_block_body_size,
            max_block_header_size: p.max_block_header_size,
            key_deposit: p.key_deposit,
            pool_deposit: p.pool_deposit,
            min_pool_cost: p.min_pool_cost,
            e_max: p.e_max,
            coins_per_utxo_byte: g.coins_per_utxo_byte(),
            max_value_size: g.alonzo.max_value_size,
            network_id: g.network_id(),
        }
    }

    /// The minimum fee of a transaction of `size` bytes: minFeeA · size + minFeeB.
    pub fn min_fee(&self, size: u64) -> u64 {
        self.min_fee_a.saturating_mul(size).saturating_add(self.min_fee_b)
    }

    /// The minimum coin of an output of `size` serialized bytes: (160 + size) · coinsPerUTxOByte.
    pub fn min_utxo(&self, size: u64) -> u64 {
        (160 + size).saturating_mul(self.coins_per_utxo_byte)
    }
}

/// A transaction the ledger refuses, with the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("undecodable transaction: {0}")]
    Decode(#[from] TxDecodeError),
    #[error("not supported by this ledger: {0} (out of scope: see docs/ARCHITECTURE.md)")]
    Unsupported(&'static str),
    #[error("InputSetEmptyUTxO: the transaction spends no input")]
    InputSetEmpty,
    #[error("BadInputsUTxO: inputs not in the UTxO (unknown or already spent): {}", list(.0))]
    BadInputs(Vec<TxIn>),
    #[error("OutsideValidityIntervalUTxO: slot {slot} is outside [{start:?}, {end:?})")]
    OutsideValidityInterval {
        slot: u64,
        start: Option<u64>,
        end: Option<u64>,
    },
    #[error("MaxTxSizeUTxO: {size} bytes, the maximum is {max}")]
    MaxTxSize { size: u64, max: u64 },
    #[error("FeeTooSmallUTxO: the fee is {paid}, the minimum is {min}")]
    FeeTooSmall { min: u64, paid: u64 },
    #[error("ValueNotConservedUTxO: consumed {consumed} lovelace{consumed_assets}, produced {produced} lovelace{produced_assets}")]
    ValueNotConserved {
        consumed: u64,
        produced: u64,
        consumed_assets: String,
        produced_assets: String,
    },
    #[error("BabbageOutputTooSmallUTxO: output {index} holds {coin} lovelace, the minimum is {min}")]
    OutputTooSmall { index: usize, coin: u64, min: u64 },
    #[error("OutputTooBigUTxO: output {index}'s value is {size} bytes, the maximum is {max}")]
    OutputTooBig { index: usize, size: u64, max: u64 },
    #[error("WrongNetwork: output {index}'s address is not for network {expected}")]
    WrongNetwork { index: usize, expected: u8 },
    #[error("WrongNetworkInTxBody: the body names network {found}, the chain is {expected}")]
    WrongNetworkInTxBody { found: u8, expected: u8 },
    #[error("WrongNetworkWithdrawal: reward account {0} is not for this network")]
    WrongNetworkWithdrawal(String),
    #[error("MalformedAddress: output {index}: {message}")]
    MalformedAddress { index: usize, message: String },
    #[error("InvalidWitnessesUTXOW: the signature of key {0} does not verify over the transaction id")]
    InvalidWitness(String),
    #[error("MissingVKeyWitnessesUTXOW: no signature from key hashes {}", .0.join(", "))]
    MissingVKeyWitnesses(Vec<String>),
    #[error("MissingTxBodyMetadataHash: the transaction has auxiliary data but its body has no hash of it")]
    MissingAuxiliaryDataHash,
    #[error("MissingTxMetadata: the body names an auxiliary data hash but the transaction has none")]
    MissingAuxiliaryData,
    #[error("ConflictingMetadataHash: the body's auxiliary data hash is not the hash of the auxiliary data")]
    AuxiliaryDataHashMismatch,
    #[error("StakeKeyRegisteredDELEG: {0} is already registered")]
    StakeAlreadyRegistered(Credential),
    #[error("StakeKeyNotRegisteredDELEG: {0} is not registered")]
    StakeNotRegistered(Credential),
    #[error("IncorrectDepositDELEG: the certificate declares {declared}, the deposit is {expected}")]
    IncorrectDeposit { expected: u64, declared: u64 },
    #[error("RefundIncorrectDELEG: the certificate declares {declared}, the deposit paid was {expected}")]
    IncorrectRefund { expected: u64, declared: u64 },
    #[error("StakeKeyNonZeroAccountBalanceDELEG: {credential} still holds {balance} lovelace of rewards")]
    NonZeroRewardBalance { credential: Credential, balance: u64 },
    #[error("DelegateeNotRegisteredDELEG: pool {} is not registered", hex::encode(.0))]
    PoolNotRegistered(PoolId),
    #[error("WrongNetworkPOOL: pool {}'s reward account is for network {found}, the chain is {expected}", hex::encode(.pool))]
    WrongNetworkPool { expected: u8, found: u8, pool: PoolId },
    #[error("PoolMedataHashTooBig: pool {}'s metadata hash is {size} bytes, at most 32 are allowed", hex::encode(.pool))]
    PoolMetadataHashTooBig { pool: PoolId, size: usize },
    #[error("StakePoolCostTooLowPOOL: cost {cost}, the minimum is {min}")]
    PoolCostTooLow { cost: u64, min: u64 },
    #[error("StakePoolRetirementWrongEpochPOOL: retirement at epoch {epoch}, allowed ({current}, {max}]")]
    RetirementEpoch { epoch: u64, current: u64, max: u64 },
    #[error("WithdrawalsNotInRewardsCERTS: withdrawing {requested} from {account}, whose balance is {balance:?}")]
    IncorrectWithdrawal {
        account: String,
        requested: u64,
        balance: Option<u64>,
    },
    #[error("ValidationTagMismatch: a transaction marked invalid without Plutus scripts")]
    ValidationTagMismatch,
}

fn list(ins: &[TxIn]) -> String {
    ins.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// The ledger state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerState {
    pub epoch: u64,
    #[serde(with = "pairs")]
    pub utxo: OrdMap<TxIn, Arc<TxOut>>,
    /// The UTxO's inputs by address (derived from `utxo`, rebuilt when a state is read back:
    /// see [`reindex`](Self::reindex)).
    #[serde(skip)]
    pub utxo_by_address: OrdMap<Vec<u8>, imbl::OrdSet<TxIn>>,
    #[serde(with = "pairs")]
    pub accounts: OrdMap<Credential, Account>,
    #[serde(with = "pairs")]
    pub pools: OrdMap<PoolId, PoolState>,
    /// The snapshot taken at the start of the current epoch (used two epochs on).
    pub mark: Arc<StakeSnapshot>,
    /// The snapshot taken at the start of the previous epoch: this epoch's leader election.
    pub set: Arc<StakeSnapshot>,
    /// The one before (rewards, in a full ledger).
    pub go: Arc<StakeSnapshot>,
    /// Fees collected (kept for conservation checks).
    pub fees: u64,
    /// Deposits held.
    pub deposits: u64,
}

impl LedgerState {
    /// The state at genesis: initial funds as UTxO, genesis pools and delegations, and the
    /// genesis stake distribution as both the current and the next epoch's.
    pub fn genesis(g: &Genesis) -> Result<Self, GenesisError> {
        let mut utxo = OrdMap::new();
        for (addr, coin) in &g.shelley.initial_funds {
            let address = hex::decode(addr).map_err(|_| GenesisError::Invalid(format!("address {addr}")))?;
            let out = genesis_output(&address, *coin);
            utxo.insert(genesis_txin(&address), Arc::new(out));
        }
        let params = LedgerParams::from_genesis(g);
        let mut pools = OrdMap::new();
        for (id, p) in &g.shelley.staking.pools {
            let owners = p
                .owners
                .iter()
                .map(|o| hash_hex::<28>(o, "pool owner"))
                .collect::<Result<_, _>>()?;
            let reward_account = match &p.reward_account.credential {
                crate::genesis::CredentialJson::KeyHash(h) => {
                    reward_address(g.network_id(), &Credential::Key(hash_hex(h, "reward account")?))
                }
                crate::genesis::CredentialJson::ScriptHash(h) => {
                    reward_address(g.network_id(), &Credential::Script(hash_hex(h, "reward account")?))
                }
            };
            pools.insert(
                hash_hex::<28>(id, "pool id")?,
                PoolState {
                    params: PoolParams {
                        vrf_key_hash: hash_hex(&p.vrf, "pool vrf")?,
                        pledge: p.pledge,
                        cost: p.cost,
                        margin: (p.margin.num, p.margin.den),
                        reward_account,
                        owners,
                    },
                    future: None,
                    retiring: None,
                    deposit: params.pool_deposit,
                },
            );
        }
        let mut accounts = OrdMap::new();
        for (cred, pool) in &g.shelley.staking.stake {
            accounts.insert(
                Credential::Key(hash_hex(cred, "staking.stake key")?),
                Account {
                    deposit: params.key_deposit,
                    rewards: 0,
                    pool: Some(hash_hex(pool, "pool id")?),
                },
            );
        }
        // Genesis registrations hold their deposits (cardano-ledger takes them from the
        // reserves, which this ledger does not keep).
        let deposits = accounts.values().map(|a: &Account| a.deposit).sum::<u64>()
            + pools.values().map(|p: &PoolState| p.deposit).sum::<u64>();
        let mut state = LedgerState {
            epoch: 0,
            utxo_by_address: OrdMap::new(),
            utxo,
            accounts,
            pools,
            mark: Arc::default(),
            set: Arc::default(),
            go: Arc::default(),
            fees: 0,
            deposits,
        };
        state.reindex();
        let initial = Arc::new(state.stake_distribution());
        state.mark = initial.clone();
        state.set = initial;
        Ok(state)
    }

    /// Applies one transaction at `slot`: every phase-1 rule, then its effects. On error the
    /// state is unchanged.
    pub fn apply_tx(&mut self, params: &LedgerParams, slot: u64, tx: &Transaction) -> Result<(), LedgerError> {
        self.apply_checked(params, slot, tx, Checks::Full)
    }

    /// Applies a transaction already fully checked once (by the mempool): every rule that
    /// depends on the state, not its witnesses. On error the state is unchanged.
    pub fn reapply_tx(&mut self, params: &LedgerParams, slot: u64, tx: &Transaction) -> Result<(), LedgerError> {
        self.apply_checked(params, slot, tx, Checks::Reapply)
    }

    /// Applies a transaction with the given checks. On error the state is unchanged.
    pub fn apply_checked(
        &mut self,
        params: &LedgerParams,
        slot: u64,
        tx: &Transaction,
        checks: Checks,
    ) -> Result<(), LedgerError> {
        let mut next = self.clone();
        rules::apply(&mut next, params, slot, tx, checks)?;
        *self = next;
        Ok(())
    }

    /// Adds an output to the UTxO, and its input to its address's index.
    pub(crate) fn add_output(&mut self, input: TxIn, out: Arc<TxOut>) {
        self.utxo_by_address
            .entry(out.address.clone())
            .or_default()
            .insert(input);
        self.utxo.insert(input, out);
    }

    /// Removes an output from the UTxO and from its address's index.
    pub(crate) fn remove_output(&mut self, input: &TxIn) {
        if let Some(out) = self.utxo.remove(input) {
            if let Some(set) = self.utxo_by_address.get_mut(&out.address) {
                set.remove(input);
                if set.is_empty() {
                    self.utxo_by_address.remove(&out.address);
                }
            }
        }
    }

    /// Rebuilds the address index from the UTxO (after reading a state back).
    pub fn reindex(&mut self) {
        let mut index: OrdMap<Vec<u8>, imbl::OrdSet<TxIn>> = OrdMap::new();
        for (i, o) in self.utxo.iter() {
            index.entry(o.address.clone()).or_default().insert(*i);
        }
        self.utxo_by_address = index;
    }

    /// The outputs at `address`, in input order, after the input `after` (exclusive).
    pub fn utxos_at<'a>(
        &'a self,
        address: &[u8],
        after: Option<TxIn>,
    ) -> impl Iterator<Item = (TxIn, &'a Arc<TxOut>)> + 'a {
        use std::ops::Bound;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.utxo_by_address
            .get(address)
            .into_iter()
            .flat_map(move |set| set.range((from, Bound::Unbounded)))
            .filter_map(|i| self.utxo.get(i).map(|o| (*i, o)))
    }

    /// Total lovelace held: UTxO, rewards, deposits and fees (constant under every rule).
    pub fn total_lovelace(&self) -> u128 {
        let utxo: u128 = self.utxo.values().map(|o| o.coin as u128).sum();
        let rewards: u128 = self.accounts.values().map(|a| a.rewards as u128).sum();
        utxo + rewards + self.deposits as u128 + self.fees as u128
    }
}

/// The UTxO entry of a genesis address: the pseudo transaction id is blake2b-256 of the
/// address bytes, index 0 (cardano-ledger's `initialFundsPseudoTxIn`).
pub fn genesis_txin(address: &[u8]) -> TxIn {
    TxIn {
        tx: slotforge_praos::nonce::blake2b256(&[address]),
        index: 0,
    }
}

fn genesis_output(address: &[u8], coin: u64) -> TxOut {
    // [address, coin] — a legacy-shaped output, as genesis outputs are.
    let mut cbor = vec![0x82];
    crate::block::cbor_head(&mut cbor, 2, address.len() as u64);
    cbor.extend_from_slice(address);
    crate::block::cbor_head(&mut cbor, 0, coin);
    TxOut {
        address: address.to_vec(),
        coin,
        assets: Assets::new(),
        cbor,
    }
}

/// The reward address of a credential (header 0xe0/0xf0 | network).
pub fn reward_address(network: u8, c: &Credential) -> Vec<u8> {
    let (tag, h) = match c {
        Credential::Key(h) => (0xe0, h),
        Credential::Script(h) => (0xf0, h),
    };
    let mut v = vec![tag | (network & 0x0f)];
    v.extend_from_slice(h);
    v
}

/// Serializes a map as a list of pairs (JSON maps need string keys).
pub(crate) mod pairs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// A map whose key and value types deserialization can name.
    pub trait PairMap: FromIterator<(Self::K, Self::V)> {
        type K;
        type V;
    }

    impl<K: Ord + Clone, V: Clone> PairMap for imbl::OrdMap<K, V> {
        type K = K;
        type V = V;
    }

    impl<K: Ord, V> PairMap for std::collections::BTreeMap<K, V> {
        type K = K;
        type V = V;
    }

    pub fn serialize<'a, M, S>(m: &'a M, s: S) -> Result<S::Ok, S::Error>
    where
        M: PairMap,
        &'a M: IntoIterator<Item = (&'a M::K, &'a M::V)>,
        M::K: Serialize + 'a,
        M::V: Serialize + 'a,
        S: Serializer,
    {
        s.collect_seq(m)
    }

    pub fn deserialize<'de, M, D>(d: D) -> Result<M, D::Error>
    where
        M: PairMap,
        M::K: Deserialize<'de>,
        M::V: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(M::K, M::V)>::deserialize(d)?.into_iter().collect())
    }
}

mod hex32 {
    pub fn serialize<S: serde::Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(&s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected 32 bytes of hex"))
    }
}

mod hex_vec {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        hex::decode(&s).map_err(serde::de::Error::custom)
    }
}
