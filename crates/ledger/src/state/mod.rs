//! The ledger state: the UTxO, stake accounts, pools, the stake snapshots leader election
//! and rewards read, the blocks each pool made, the pots (fees, deposits, treasury, reserves,
//! donations), governance (DReps, the committee, proposals and votes, the last ratification)
//! and the protocol parameters, current and previous, as enactment leaves them.
//!
//! The state is a value of persistent maps (imbl): applying a block makes a new state that
//! shares everything unchanged with the old one, so the chain keeps one state per volatile
//! block and a rollback is picking an older one.

mod accounts;
pub mod gov_action_cbor;
mod governance;
pub mod json;
mod pools;
mod utxo;

use std::sync::Arc;

use imbl::OrdMap;
use serde::{Deserialize, Serialize};

pub use accounts::{Account, Credential};
pub use governance::{
    CommitteeAuthorization, DRep, DRepState, EnactState, GovActionId, GovActionKind, GovPurpose, Governance, Proposal,
    Ratification, Vote, Voter,
};
pub use pools::{PoolId, PoolParams, PoolState};
pub use utxo::{genesis_txin, Assets, Datum, TxIn, TxOut};

use crate::address::reward_address;
use crate::error::LedgerError;
use crate::genesis::{hash_hex, Genesis, GenesisError};
use crate::params::LedgerParams;
use crate::rules::{self, Checks};
use crate::snapshots::StakeSnapshot;
use crate::tx::Transaction;
use json::pairs;
use utxo::genesis_output;

/// The ledger state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerState {
    /// The current epoch, advanced by [`new_epoch`](Self::new_epoch).
    pub epoch: u64,
    /// The unspent outputs by the input that spends them.
    #[serde(with = "pairs")]
    pub utxo: OrdMap<TxIn, Arc<TxOut>>,
    /// The UTxO's inputs by address (derived from `utxo`, rebuilt when a state is read back:
    /// see [`reindex`](Self::reindex)).
    #[serde(skip)]
    pub utxo_by_address: OrdMap<Vec<u8>, imbl::OrdSet<TxIn>>,
    /// The registered stake credentials by credential.
    #[serde(with = "pairs")]
    pub accounts: OrdMap<Credential, Account>,
    /// The registered pools by pool id, retiring ones included until their epoch.
    #[serde(with = "pairs")]
    pub pools: OrdMap<PoolId, PoolState>,
    /// The snapshot taken at the start of the current epoch: the next epoch's leader election.
    pub mark: Arc<StakeSnapshot>,
    /// The snapshot taken at the start of the previous epoch: this epoch's leader election.
    pub set: Arc<StakeSnapshot>,
    /// The one before (rewards, in a full ledger).
    pub go: Arc<StakeSnapshot>,
    /// Fees collected (kept for conservation checks).
    pub fees: u64,
    /// Deposits held: stake credentials', pools', DReps' and proposals'.
    pub deposits: u64,
    /// The treasury, in lovelace.
    #[serde(default)]
    pub treasury: u64,
    /// The reserves, in lovelace.
    #[serde(default)]
    pub reserves: u64,
    /// Donations to the treasury made since the last epoch boundary, which moves them to the
    /// treasury.
    #[serde(default)]
    pub donations: u64,
    /// DReps, the committee, proposals and votes.
    #[serde(default)]
    pub governance: Governance,
    /// The protocol parameters in force this epoch (`curPParams`). Required in a checkpoint:
    /// one written before the ledger kept them is refused, not read with wrong parameters.
    pub params: Arc<LedgerParams>,
    /// Those of the epoch before (`prevPParams`): the reward update reads them.
    pub prev_params: Arc<LedgerParams>,
    /// The fees of the epoch before, which the next reward update distributes (`ssFee`).
    #[serde(default)]
    pub fee_snapshot: u64,
    /// Blocks made this epoch by each pool (`nesBcur`).
    #[serde(default, with = "pairs")]
    pub blocks_current: OrdMap<PoolId, u64>,
    /// Blocks made in the epoch before by each pool (`nesBprev`): the next reward update pays them.
    #[serde(default, with = "pairs")]
    pub blocks_previous: OrdMap<PoolId, u64>,
    /// What each pool paid its leader and members in the reward update applied at this epoch's
    /// start (for its blocks two epochs before); kept for the node to show.
    #[serde(default, with = "pairs")]
    pub pool_rewards: OrdMap<PoolId, u64>,
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
                        relays: Vec::new(),
                        metadata: Vec::new(),
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
                    drep: None,
                },
            );
        }
        // Genesis registrations hold their deposits, taken from the reserves as cardano-ledger
        // does; the reserves are what the initial funds and deposits leave of the supply.
        let deposits = accounts.values().map(|a: &Account| a.deposit).sum::<u64>()
            + pools.values().map(|p: &PoolState| p.deposit).sum::<u64>();
        let funded: u64 = g.shelley.initial_funds.values().sum();
        let reserves = g
            .shelley
            .max_lovelace_supply
            .saturating_sub(funded)
            .saturating_sub(deposits);
        let params = Arc::new(params);
        let mut state = LedgerState {
            params: params.clone(),
            prev_params: params,
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
            reserves,
            ..LedgerState::default()
        };
        state.governance.committee = Some(
            g.conway
                .committee_members()?
                .into_iter()
                .collect::<imbl::OrdMap<Credential, u64>>(),
        );
        state.governance.guardrail = g.conway.guardrail()?;
        state.governance.constitution_anchor = g.conway.constitution_anchor()?;
        state.governance.committee_threshold = g.conway.committee.threshold.0;
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

    /// Judges a transaction as [`apply_tx`](Self::apply_tx) does, leaving the state as it is
    /// whatever the verdict.
    pub fn check_tx(&self, params: &LedgerParams, slot: u64, tx: &Transaction) -> Result<(), LedgerError> {
        rules::ledger::apply(&mut self.clone(), params, slot, tx, Checks::Full)
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
        rules::ledger::apply(&mut next, params, slot, tx, checks)?;
        *self = next;
        Ok(())
    }

    /// Checks a block's transactions against BBODY's limits (reference-script bytes and
    /// execution units), on this state: the one at the block's start.
    pub fn check_block_limits(&self, params: &LedgerParams, txs: &[Transaction]) -> Result<(), LedgerError> {
        rules::bbody::check(self, params, txs)
    }

    /// The bytes of reference scripts `tx` uses on this state.
    pub fn ref_scripts_size(&self, tx: &Transaction) -> u64 {
        rules::bbody::ref_scripts_size(self, tx)
    }

    /// Pays `amount` to the reward balance of `to` when it is a registered credential, to the
    /// treasury otherwise (unclaimed rewards, pool and proposal deposits at the epoch boundary).
    pub(crate) fn pay_or_treasury(&mut self, to: Option<Credential>, amount: u64) {
        match to.and_then(|c| self.accounts.get_mut(&c)) {
            Some(a) => a.rewards = a.rewards.saturating_add(amount),
            None => self.treasury = self.treasury.saturating_add(amount),
        }
    }

    /// Counts a block made by `pool` this epoch (BBODY's `incrBlocks`): the reward update of
    /// the epoch after next pays the pool by its share of them.
    pub fn block_made(&mut self, pool: PoolId) {
        let n = self.blocks_current.get(&pool).copied().unwrap_or(0);
        self.blocks_current.insert(pool, n + 1);
    }

    /// Total lovelace: UTxO, rewards and every pot (constant under every rule; the supply at
    /// genesis when the initial funds fit in it).
    pub fn total_lovelace(&self) -> u128 {
        let utxo: u128 = self.utxo.values().map(|o| o.coin as u128).sum();
        let rewards: u128 = self.accounts.values().map(|a| a.rewards as u128).sum();
        utxo + rewards
            + [self.deposits, self.fees, self.treasury, self.reserves, self.donations]
                .iter()
                .map(|x| *x as u128)
                .sum::<u128>()
    }
}
