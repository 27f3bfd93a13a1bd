//! The mempool: transactions valid on the selected tip, in arrival order, each checked by the
//! ledger against the tip's state with every earlier pending transaction applied.
//!
//! Block bodies are drawn from it by fee per byte within a size budget (and BBODY's execution
//! units and reference-script bytes) and a time budget;
//! after every new tip (or rollback) it is validated again, so what it holds is always a
//! sequence the ledger accepts at the tip. Transactions of rolled-back blocks come back if
//! they are still valid.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use crate::block::BlockBody;
use crate::chain_state::ChainState;
use crate::config::ChainConfig;
use slotforge_ledger::params::ExUnits;
use slotforge_ledger::tx::{Transaction, TxId};
use slotforge_ledger::{Checks, LedgerError, LedgerState};

/// Why the mempool did not take a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// A transaction with this id is already pending. `ledger` is the ledger's verdict on it
    /// after its pending copy (which spent its inputs): what cardano-node, which keeps no index
    /// of pending ids, answers a resubmission with.
    #[error("the transaction {id} is already in the mempool")]
    Duplicate {
        /// The transaction's id, hex.
        id: String,
        /// The ledger's failures for the transaction on the mempool's state (`None` would
        /// mean the ledger accepts it a second time, which its refusal of spent inputs rules out).
        ledger: Option<Box<LedgerError>>,
    },
    /// Admitting the transaction would exceed the mempool's capacity.
    #[error(
        "mempool full: {used} of {capacity} bytes used, the transaction needs {needed}; retry after the next block"
    )]
    Full {
        /// The bytes the pending transactions take (by [`Transaction::size`]).
        used: u64,
        /// The mempool's capacity, in bytes.
        capacity: u64,
        /// The transaction's size, in bytes.
        needed: u64,
    },
    /// The ledger refuses the transaction on the tip's state with the pending ones applied.
    #[error("{0}")]
    Invalid(#[from] LedgerError),
}

/// Pending transactions and the ledger state they lead to.
pub struct Mempool {
    capacity_bytes: u64,
    txs: Vec<Transaction>,
    ids: HashSet<TxId>,
    /// [`Transaction::bytes_hash`] of every pending transaction (all fully checked).
    checked: HashSet<[u8; 32]>,
    /// What each pending transaction takes of a block's BBODY limits: its declared execution
    /// units and the reference-script bytes it uses (fixed by its bytes and inputs).
    limits: HashMap<TxId, (ExUnits, u64)>,
    used: u64,
    /// The tip's state, ticked to the slot transactions are checked at, with every pending
    /// transaction applied.
    state: LedgerState,
    slot: u64,
}

impl Mempool {
    /// An empty mempool over `tip` (checked at `slot`) holding at most `capacity_bytes`.
    pub fn new(cfg: &ChainConfig, tip: &ChainState, slot: u64, capacity_bytes: u64) -> Self {
        Mempool {
            capacity_bytes,
            txs: Vec::new(),
            ids: HashSet::new(),
            checked: HashSet::new(),
            limits: HashMap::new(),
            used: 0,
            state: tip.ticked(cfg.epoch_of(slot)).ledger,
            slot,
        }
    }

    /// Validates and adds a transaction, under the parameters of the mempool's ledger state.
    pub fn add(&mut self, tx: Transaction) -> Result<TxId, MempoolError> {
        self.admit(tx, Checks::Full)
    }

    fn admit(&mut self, tx: Transaction, checks: Checks) -> Result<TxId, MempoolError> {
        let id = tx.id();
        if self.ids.contains(&id) {
            return Err(self.duplicate(&tx));
        }
        let needed = tx.size();
        if self.used + needed > self.capacity_bytes {
            return Err(MempoolError::Full {
                used: self.used,
                capacity: self.capacity_bytes,
                needed,
            });
        }
        let limits = match self.limits.get(&id) {
            Some(l) => *l,
            None => (tx.declared_ex_units(), self.state.ref_scripts_size(&tx)),
        };
        match checks {
            Checks::Full => self.state.apply_tx(&self.state.params.clone(), self.slot, &tx)?,
            Checks::Reapply => self.state.reapply_tx(&self.state.params.clone(), self.slot, &tx)?,
        }
        self.limits.insert(id, limits);
        self.used += needed;
        self.ids.insert(id);
        self.checked.insert(tx.bytes_hash());
        self.txs.push(tx);
        Ok(id)
    }

    /// The refusal of a pending transaction submitted again, with the ledger's verdict on it
    /// (judged only: an acceptance must not apply it twice).
    fn duplicate(&self, tx: &Transaction) -> MempoolError {
        MempoolError::Duplicate {
            id: hex::encode(tx.id()),
            ledger: self
                .state
                .check_tx(&self.state.params, self.slot, tx)
                .err()
                .map(Box::new),
        }
    }

    /// The number of pending transactions.
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether no transaction is pending.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Bytes held.
    pub fn size_bytes(&self) -> u64 {
        self.used
    }

    /// The capacity, in bytes of transactions.
    pub fn capacity_bytes(&self) -> u64 {
        self.capacity_bytes
    }

    /// The slot new transactions are checked at.
    pub fn slot(&self) -> u64 {
        self.slot
    }

    /// What a pending transaction takes of a block's limits: its declared execution units
    /// and the reference-script bytes it uses.
    pub fn limits_of(&self, id: &TxId) -> Option<(ExUnits, u64)> {
        self.limits.get(id).copied()
    }

    /// Whether a transaction with this id is pending.
    pub fn contains(&self, id: &TxId) -> bool {
        self.ids.contains(id)
    }

    /// Whether this exact transaction, byte for byte (body, witnesses, validity flag and
    /// auxiliary data), was fully checked here: a block carrying it need not verify its
    /// signatures and auxiliary data hash again.
    pub fn has_checked(&self, tx: &Transaction) -> bool {
        self.checked.contains(&tx.bytes_hash())
    }

    /// The pending transactions, in arrival order.
    pub fn transactions(&self) -> &[Transaction] {
        &self.txs
    }

    /// The ledger state with every pending transaction applied (what a wallet sees).
    pub fn pending_state(&self) -> &LedgerState {
        &self.state
    }

    /// Checks new transactions at `slot` (in the same epoch) from now on; pending ones are
    /// checked again at the next [`revalidate`](Self::revalidate).
    pub fn set_slot(&mut self, slot: u64) {
        self.slot = slot;
    }

    /// Re-validates everything on a new tip (after a block or a rollback), checked at `slot`;
    /// `returning` are transactions of rolled-back blocks, offered again first. Returns the
    /// ids dropped as no longer valid (spent, expired, conflicting).
    pub fn revalidate(
        &mut self,
        cfg: &ChainConfig,
        tip: &ChainState,
        slot: u64,
        returning: Vec<Transaction>,
    ) -> Vec<TxId> {
        self.slot = slot;
        let old = std::mem::take(&mut self.txs);
        // Kept for the transactions admitted again, computed for returning ones.
        let known = std::mem::take(&mut self.limits);
        self.limits = old
            .iter()
            .filter_map(|t| known.get(&t.id()).map(|l| (t.id(), *l)))
            .collect();
        self.ids.clear();
        self.checked.clear();
        self.used = 0;
        self.state = tip.ticked(cfg.epoch_of(slot)).ledger;
        let mut dropped = Vec::new();
        let mut seen = HashSet::new();
        for tx in returning.into_iter().chain(old) {
            let id = tx.id();
            if !seen.insert(id) {
                continue;
            }
            // Every one was fully checked before: here, in a block, or in a rolled-back block.
            if self.admit(tx, Checks::Reapply).is_err() {
                dropped.push(id);
            }
        }
        let ids = &self.ids;
        self.limits.retain(|id, _| ids.contains(id));
        dropped
    }

    /// A block body of at most `max_bytes` for a block at `slot` on `parent` (the tip, or its
    /// predecessor in a slot battle): pending transactions, best fee per byte first, each valid
    /// in order on that parent at that slot; stops at `deadline`.
    pub fn select(
        &self,
        cfg: &ChainConfig,
        parent: &ChainState,
        slot: u64,
        max_bytes: u64,
        deadline: Instant,
    ) -> BlockBody {
        // Fee per byte, highest first; arrival order breaks ties (and keeps chains of
        // dependent transactions in order when their rates are equal).
        let mut order: Vec<(usize, u128)> = self
            .txs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let fee = t.decoded_body().map(|b| b.fee).unwrap_or(0) as u128;
                (i, (fee << 32) / t.size().max(1) as u128)
            })
            .collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut state = parent.ticked(cfg.epoch_of(slot)).ledger;
        let params = state.params.clone();
        let max_bytes = max_bytes.min(params.max_block_body_size);
        let mut chosen: Vec<usize> = Vec::new();
        // Decided: chosen, or too big for what is left.
        let mut done = vec![false; self.txs.len()];
        // The four parts' heads take at most 10 bytes (3 + 3 + 3 + 1 below 65,536 txs).
        let mut used = 10u64;
        // BBODY's other limits: execution units and reference-script bytes.
        let mut units = ExUnits::default();
        let mut ref_bytes = 0u64;
        // A transaction spending the output of a lower-ranked one is retried after it.
        let mut progress = true;
        while progress {
            progress = false;
            for &(i, _) in &order {
                if done[i] {
                    continue;
                }
                if Instant::now() >= deadline {
                    return self.body_of(&chosen);
                }
                let t = &self.txs[i];
                let cost = t.body_bytes().len() as u64
                    + t.witness_bytes().len() as u64
                    + t.auxiliary_data().map_or(0, |a| a.len() as u64 + 3);
                let (tx_units, tx_ref_bytes) = self.limits.get(&t.id()).copied().unwrap_or_default();
                if used + cost > max_bytes
                    || !units.saturating_add(tx_units).within(params.max_block_ex_units)
                    || ref_bytes + tx_ref_bytes > params.max_ref_script_size_per_block
                {
                    done[i] = true;
                    continue;
                }
                if state.reapply_tx(&params, slot, t).is_ok() {
                    used += cost;
                    units = units.saturating_add(tx_units);
                    ref_bytes += tx_ref_bytes;
                    chosen.push(i);
                    done[i] = true;
                    progress = true;
                }
            }
        }
        self.body_of(&chosen)
    }

    fn body_of(&self, chosen: &[usize]) -> BlockBody {
        BlockBody::new(chosen.iter().map(|&i| self.txs[i].clone()).collect())
    }
}
