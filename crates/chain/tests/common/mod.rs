//! A devnet in a test: pools with real keys, a genesis from them, and a forger that makes
//! valid blocks (VRF proofs, KES signatures) for the slots a pool leads.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use slotforge_chain::block::{Block, BlockBody};
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::{ChainConfig, VrfTiebreaker};
use slotforge_chain::service::{self, ChainHandle, ServiceConfig};
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_ledger::tx::Transaction;
use slotforge_praos::epoch_leadership::EpochConsensus;
use slotforge_praos::forge::{forge_header, BlockContent};
use slotforge_praos::leader::{LeaderThreshold, VrfVariant};

#[path = "../../../ledger/tests/common/mod.rs"]
mod ledger_devnet;
pub mod plutus_spend;

pub use ledger_devnet::FUNDS;

/// A pool's keys, derived from a number: its ledger keys (cold, VRF, owner, payment: the
/// ledger tests' pool, which this derefs to) and its KES key with its operational certificate.
pub struct Pool {
    keys: ledger_devnet::Pool,
    kes_seed: [u8; 32],
    pub opcert: OperationalCertificate,
}

impl std::ops::Deref for Pool {
    type Target = ledger_devnet::Pool;

    fn deref(&self) -> &ledger_devnet::Pool {
        &self.keys
    }
}

impl Pool {
    pub fn new(i: u8) -> Self {
        let keys = ledger_devnet::Pool::new(i);
        let kes_seed = ledger_devnet::seed(2, i);
        let mut s = kes_seed;
        let kes = KesSecretKey::from_seed(&mut s);
        let opcert = OperationalCertificate::issue(&keys.cold, kes.public_key(), 0, 0);
        Pool { keys, kes_seed, opcert }
    }

    /// A valid transaction moving the pool owner's genesis funds back to the same address.
    pub fn spend_all_tx(&self) -> Transaction {
        let params = slotforge_ledger::LedgerParams {
            min_fee_a: 44,
            min_fee_b: 155_381,
            ..placeholder_params()
        };
        slotforge_devnet::txbuilder::TxBuilder::new()
            .input(self.funds())
            .output(self.address(), FUNDS)
            .balance(&params, FUNDS, 0, &[&self.payment])
    }
}

fn placeholder_params() -> slotforge_ledger::LedgerParams {
    slotforge_ledger::LedgerParams::default()
}

/// A devnet: its pools and chain configuration.
pub struct Devnet {
    pub pools: Vec<Pool>,
    pub cfg: Arc<ChainConfig>,
}

impl Devnet {
    /// The chain task on a store in `dir`, its clock at the devnet's first slot.
    pub fn start_chain(&self, dir: &Path, config: ServiceConfig) -> ChainHandle {
        let now = self.cfg.slot_start_ms(0);
        service::start(&dir.join("chain.db"), (*self.cfg).clone(), config, now).unwrap()
    }

    /// `n` pools with equal stake; k, f, epoch length as given; 1 s slots from 2026-01-01.
    pub fn new(n: u8, k: u64, f: (u64, u64), epoch_length: u64) -> Self {
        let pools: Vec<Pool> = (0..n).map(Pool::new).collect();
        let genesis = ledger_devnet::genesis(&pools.iter().map(|p| &p.keys).collect::<Vec<_>>(), k, f, epoch_length);
        let cfg = ChainConfig::new(genesis, None).unwrap();
        Devnet {
            pools,
            cfg: Arc::new(cfg),
        }
    }

    /// The same devnet with Babbage's unrestricted VRF tiebreak (a total chain order).
    pub fn unrestricted(mut self) -> Self {
        let mut cfg = (*self.cfg).clone();
        cfg.tiebreaker = VrfTiebreaker::Unrestricted;
        self.cfg = Arc::new(cfg);
        self
    }

    pub fn genesis_state(&self) -> ChainState {
        ChainState::genesis(&self.cfg).unwrap()
    }

    /// The state after `blocks`, applied from genesis.
    pub fn replay(&self, blocks: &[Block]) -> ChainState {
        blocks
            .iter()
            .fold(self.genesis_state(), |s, b| s.apply_block(&self.cfg, b).unwrap())
    }

    /// Whether pool `i` leads `slot` on `state`.
    pub fn leads(&self, state: &ChainState, i: usize, slot: u64) -> bool {
        let epoch = self.cfg.epoch_of(slot);
        let Some(l) = state.leadership(&self.cfg, epoch) else {
            return false;
        };
        let EpochConsensus::Praos {
            epoch_nonce: nonce,
            stake,
            total_stake,
            active_slot_coeff,
            ..
        } = l.consensus
        else {
            return false;
        };
        let Some(&s) = stake.get(&self.pools[i].id()) else {
            return false;
        };
        let f = slotforge_praos::leader::ActiveSlotCoeff::new(active_slot_coeff.0, active_slot_coeff.1).unwrap();
        let t = LeaderThreshold::new(s, total_stake, f).unwrap();
        let v = VrfVariant::CPraos;
        let out = self.pools[i].vrf.output(&v.leader_input(slot, &nonce));
        t.is_leader(&v.leader_value(&out))
    }

    /// The pools leading `slot` on `state`.
    pub fn leaders(&self, state: &ChainState, slot: u64) -> Vec<usize> {
        (0..self.pools.len()).filter(|i| self.leads(state, *i, slot)).collect()
    }

    /// A block by pool `i` at `slot` on `state` with `txs` (the caller checks leadership).
    pub fn forge(&self, state: &ChainState, i: usize, slot: u64, txs: Vec<Transaction>) -> Block {
        let body = BlockBody::new(txs);
        self.forge_body(state, i, slot, body)
    }

    pub fn forge_body(&self, state: &ChainState, i: usize, slot: u64, body: BlockBody) -> Block {
        let p = &self.pools[i];
        let epoch = self.cfg.epoch_of(slot);
        let l = state.leadership(&self.cfg, epoch).unwrap();
        let EpochConsensus::Praos { epoch_nonce: nonce, .. } = l.consensus else {
            panic!("praos")
        };
        let content = BlockContent {
            block_number: state.tip.map_or(0, |t| t.block_number + 1),
            slot,
            prev_hash: state.tip.map(|t| t.hash),
            block_body_size: body.size(),
            block_body_hash: body.hash(),
            protocol_version: (10, 0),
        };
        let mut s = p.kes_seed;
        let mut kes = KesSecretKey::from_seed(&mut s);
        let header = forge_header(
            &content,
            VrfVariant::CPraos,
            &nonce,
            &p.vrf,
            &mut kes,
            &p.opcert,
            self.cfg.genesis.shelley.slots_per_kes_period,
        )
        .unwrap();
        Block::assemble(&header.to_cbor(), body).unwrap()
    }

    /// Extends `state` by `n` blocks, each in the next slot some pool leads (the first such
    /// pool), applying each; returns the blocks and the final state.
    pub fn extend(&self, state: &ChainState, slot: u64, n: usize) -> (Vec<Block>, ChainState) {
        self.extend_carrying(state, slot, n, Vec::new(), 0)
    }

    /// [`Devnet::extend`] with blocks carrying `txs` in order, `per_block` to a block, until
    /// they run out.
    pub fn extend_carrying(
        &self,
        state: &ChainState,
        mut slot: u64,
        n: usize,
        txs: Vec<Transaction>,
        per_block: usize,
    ) -> (Vec<Block>, ChainState) {
        let mut s = state.clone();
        let mut out = Vec::new();
        let mut txs = txs.into_iter();
        while out.len() < n {
            slot += 1;
            if let Some(&i) = self.leaders(&s, slot).first() {
                let b = self.forge(&s, i, slot, txs.by_ref().take(per_block).collect());
                s = s.apply_block(&self.cfg, &b).unwrap();
                out.push(b);
            }
        }
        (out, s)
    }
}
