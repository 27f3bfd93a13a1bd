//! Properties of the ledger over random sequences of valid and invalid transactions, epoch
//! boundaries and blocks: the lovelace held (UTxO, deposits, fees, rewards) never changes; a
//! refused transaction leaves the state byte-identical; and a chain that rolls back to a fork
//! holds exactly the state the fork alone leads to.

mod common;

use std::collections::BTreeMap;

use common::Devnet;
use proptest::prelude::*;
use slotforge_chain::chain_state::{encode_checkpoint, ChainState};
use slotforge_chain::selection::ChainSelection;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_devnet::txbuilder::{base_address, key_hash, Cert, PoolRegistration, TxBuilder};
use slotforge_ledger::address::reward_address;
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{Credential, LedgerState, TxIn};

/// One step of a random run.
#[derive(Debug, Clone)]
enum Op {
    /// A payment from the `from`-th spendable output to key pair `to`, of `share`/256 of it.
    Pay { from: usize, to: usize, share: u8 },
    /// The same payment listing its input twice.
    PayDuplicateInput { from: usize },
    /// A payment whose outputs exceed its input.
    Overspend { from: usize },
    /// A payment whose fee is below the minimum.
    LowFee { from: usize },
    /// A payment from an input that does not exist.
    UnknownInput { index: u64 },
    /// A payment signed by the wrong key.
    WrongSigner { from: usize },
    /// Registers stake key `key` (refused when already registered).
    Register { from: usize, key: usize },
    /// Withdraws stake key `key`'s whole balance and deregisters it.
    Deregister { from: usize, key: usize },
    /// Delegates stake key `key` to pool `pool`.
    Delegate { from: usize, key: usize, pool: usize },
    /// Registers (or re-registers) extra pool `pool`.
    RegisterPool { from: usize, pool: usize },
    /// Retires extra pool `pool` `after` epochs on.
    RetirePool { from: usize, pool: usize, after: u64 },
    /// Genesis pool `pool` (modulo) makes `n` blocks.
    MakeBlocks { pool: usize, n: u8 },
    /// Crosses an epoch boundary (rewards, snapshots, re-registrations, retirements,
    /// governance).
    NewEpoch,
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..64;
    prop_oneof![
        4 => (i.clone(), 0usize..3, 1u8..=255).prop_map(|(from, to, share)| Op::Pay { from, to, share }),
        1 => i.clone().prop_map(|from| Op::PayDuplicateInput { from }),
        1 => i.clone().prop_map(|from| Op::Overspend { from }),
        1 => i.clone().prop_map(|from| Op::LowFee { from }),
        1 => (0u64..4).prop_map(|index| Op::UnknownInput { index }),
        1 => i.clone().prop_map(|from| Op::WrongSigner { from }),
        2 => (i.clone(), 0usize..3).prop_map(|(from, key)| Op::Register { from, key }),
        2 => (i.clone(), 0usize..3).prop_map(|(from, key)| Op::Deregister { from, key }),
        2 => (i.clone(), 0usize..3, 0usize..4).prop_map(|(from, key, pool)| Op::Delegate { from, key, pool }),
        1 => (i.clone(), 0usize..2).prop_map(|(from, pool)| Op::RegisterPool { from, pool }),
        1 => (i, 0usize..2, 1u64..3).prop_map(|(from, pool, after)| Op::RetirePool { from, pool, after }),
        1 => (0usize..4, 1u8..=20).prop_map(|(pool, n)| Op::MakeBlocks { pool, n }),
        2 => Just(Op::NewEpoch),
    ]
}

/// The run's keys: three payment/stake key pairs and two extra pools' cold keys.
struct Keys {
    payment: Vec<SigningKey>,
    stake: Vec<SigningKey>,
    pools: Vec<SigningKey>,
}

impl Keys {
    fn new() -> Self {
        let k = |i: u8| SigningKey::from_bytes(&[i; 32]);
        Keys {
            payment: (0..3).map(|i| k(100 + i)).collect(),
            stake: (0..3).map(|i| k(110 + i)).collect(),
            pools: (0..2).map(|i| k(120 + i)).collect(),
        }
    }

    fn address(&self, i: usize) -> Vec<u8> {
        base_address(0, &key_hash(&self.payment[i]), &key_hash(&self.stake[i]))
    }
}

/// The run: the devnet, its ledger and what the keys can spend.
struct Run {
    net: Devnet,
    keys: Keys,
    state: LedgerState,
    owner: BTreeMap<Vec<u8>, SigningKey>,
}

impl Run {
    fn new() -> Self {
        let net = Devnet::new(2, 10, (1, 2), 100);
        let keys = Keys::new();
        let state = net.genesis_state().ledger;
        let mut owner = BTreeMap::new();
        for p in &net.pools {
            owner.insert(p.address(), p.payment.clone());
        }
        for i in 0..3 {
            owner.insert(keys.address(i), keys.payment[i].clone());
        }
        Run {
            net,
            keys,
            state,
            owner,
        }
    }

    /// The `n`-th (modulo) output a known key can spend, with its key.
    fn spendable(&self, n: usize) -> Option<(TxIn, u64, SigningKey)> {
        let mine: Vec<_> = self
            .state
            .utxo
            .iter()
            .filter_map(|(i, o)| self.owner.get(&o.address).map(|k| (*i, o.coin, k.clone())))
            .filter(|(_, coin, _)| *coin >= 20_000_000)
            .collect();
        (!mine.is_empty()).then(|| mine[n % mine.len()].clone())
    }

    /// A balanced transaction spending the `from`-th output (change to its own address), with
    /// `edit` applied and signed by the input's key and `extra` keys.
    fn tx(&self, from: usize, extra: &[&SigningKey], edit: impl FnOnce(TxBuilder) -> TxBuilder) -> Option<Transaction> {
        let (input, coin, key) = self.spendable(from)?;
        let address = self.state.utxo[&input].address.clone();
        let b = edit(TxBuilder::new().input(input).output(address, coin));
        let mut signers = vec![&key];
        signers.extend_from_slice(extra);
        Some(b.balance(&self.net.cfg.ledger, coin, 0, &signers))
    }

    fn pool_registration(&self, pool: usize) -> PoolRegistration {
        PoolRegistration {
            operator: key_hash(&self.keys.pools[pool]),
            vrf_key_hash: [pool as u8 + 1; 32],
            pledge: 0,
            cost: 170_000_000,
            margin: (1, 10),
            reward_account: reward_address(0, &Credential::Key(key_hash(&self.keys.stake[pool]))),
            owners: vec![],
            relays: Vec::new(),
        }
    }

    /// Builds the transaction of `op` (None for an epoch boundary or nothing to spend), and
    /// whether it must be refused.
    fn build(&self, op: &Op) -> Option<(Result<Transaction, String>, bool)> {
        let ok = |t: Option<Transaction>| t.map(|t| (Ok(t), false));
        let bad = |t: Option<Transaction>| t.map(|t| (Ok(t), true));
        let p = &self.net.cfg.ledger;
        match op {
            Op::Pay { from, to, share } => {
                let (_, coin, _) = self.spendable(*from)?;
                let amount = ((coin - 5_000_000) / 256 * *share as u64).max(2_000_000);
                ok(self.tx(*from, &[], |b| b.output(self.keys.address(*to), amount)))
            }
            Op::PayDuplicateInput { from } => {
                let (input, coin, key) = self.spendable(*from)?;
                let mut b = TxBuilder::new()
                    .input(input)
                    .input(input)
                    .output(self.keys.address(0), coin * 2 - 1_000_000);
                b.fee = 1_000_000;
                // Signing would decode the body: sign its bytes by hand.
                let body = b.body_bytes();
                Some((
                    Transaction::from_parts(body.clone(), witnesses(&body, &key), true, None)
                        .map_err(|e| e.to_string()),
                    true,
                ))
            }
            Op::Overspend { from } => {
                let (input, coin, key) = self.spendable(*from)?;
                let b = TxBuilder::new()
                    .input(input)
                    .output(self.keys.address(1), coin)
                    .fee(p.min_fee(400));
                bad(Some(b.sign(&[&key])))
            }
            Op::LowFee { from } => {
                let (input, coin, key) = self.spendable(*from)?;
                let b = TxBuilder::new()
                    .input(input)
                    .output(self.keys.address(1), coin - 1_000)
                    .fee(1_000);
                bad(Some(b.sign(&[&key])))
            }
            Op::UnknownInput { index } => {
                let input = TxIn {
                    tx: [0xee; 32],
                    index: *index,
                };
                let b = TxBuilder::new()
                    .input(input)
                    .output(self.keys.address(1), 5_000_000)
                    .fee(1_000_000);
                bad(Some(b.sign(&[&self.keys.payment[0]])))
            }
            Op::WrongSigner { from } => {
                let (input, coin, _) = self.spendable(*from)?;
                let b = TxBuilder::new()
                    .input(input)
                    .output(self.keys.address(1), coin - 1_000_000)
                    .fee(1_000_000);
                bad(Some(b.sign(&[&self.keys.pools[0]])))
            }
            // The ledger decides whether these are valid; either way nothing may be created.
            Op::Register { from, key } => self
                .tx(*from, &[&self.keys.stake[*key]], |b| {
                    b.cert(Cert::Register {
                        stake: key_hash(&self.keys.stake[*key]),
                        deposit: p.key_deposit,
                    })
                })
                .map(|t| (Ok(t), false)),
            Op::Deregister { from, key } => {
                let cred = Credential::Key(key_hash(&self.keys.stake[*key]));
                let rewards = self.state.accounts.get(&cred).map_or(0, |a| a.rewards);
                self.tx(*from, &[&self.keys.stake[*key]], |mut b| {
                    if rewards > 0 {
                        b.withdrawals = vec![(reward_address(0, &cred), rewards)];
                    }
                    b.cert(Cert::Deregister {
                        stake: key_hash(&self.keys.stake[*key]),
                        refund: p.key_deposit,
                    })
                })
                .map(|t| (Ok(t), false))
            }
            Op::Delegate { from, key, pool } => {
                let pool = match pool {
                    0 | 1 => self.net.pools[*pool].id(),
                    n => key_hash(&self.keys.pools[n - 2]),
                };
                self.tx(*from, &[&self.keys.stake[*key]], |b| {
                    b.cert(Cert::Delegate {
                        stake: key_hash(&self.keys.stake[*key]),
                        pool,
                    })
                })
                .map(|t| (Ok(t), false))
            }
            Op::RegisterPool { from, pool } => {
                let known = self.state.pools.contains_key(&key_hash(&self.keys.pools[*pool]));
                self.tx(*from, &[&self.keys.pools[*pool]], |mut b| {
                    b.reregistration = known;
                    b.cert(Cert::RegisterPool(self.pool_registration(*pool)))
                })
                .map(|t| (Ok(t), false))
            }
            Op::RetirePool { from, pool, after } => self
                .tx(*from, &[&self.keys.pools[*pool]], |b| {
                    b.cert(Cert::RetirePool {
                        pool: key_hash(&self.keys.pools[*pool]),
                        epoch: self.state.epoch + after,
                    })
                })
                .map(|t| (Ok(t), false)),
            Op::NewEpoch | Op::MakeBlocks { .. } => None,
        }
    }
}

/// A witness set `{0: [[vkey, signature]]}` signing `body`.
fn witnesses(body: &[u8], key: &SigningKey) -> Vec<u8> {
    use slotforge_crypto::ed25519::Signer;
    let id = slotforge_praos::nonce::blake2b256(&[body]);
    let mut w = vec![0xa1, 0x00, 0x81, 0x82, 0x58, 0x20];
    w.extend_from_slice(key.verifying_key().as_bytes());
    w.extend_from_slice(&[0x58, 0x40]);
    w.extend_from_slice(&key.sign(&id).to_bytes());
    w
}

fn bytes(s: &LedgerState) -> Vec<u8> {
    serde_json::to_vec(s).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn lovelace_is_conserved_and_a_refused_transaction_changes_nothing(ops in proptest::collection::vec(op(), 1..40)) {
        let mut run = Run::new();
        let total = run.state.total_lovelace();
        // Reserves, treasury, UTxO, deposits, rewards, fees and donations make the maximum
        // supply, whatever the rewards paid at each boundary.
        prop_assert_eq!(total, u128::from(run.state.params.max_lovelace_supply));
        for op in &ops {
            if let Op::NewEpoch = op {
                run.state.new_epoch();
                prop_assert_eq!(run.state.total_lovelace(), total, "after the boundary into epoch {}", run.state.epoch);
                continue;
            }
            if let Op::MakeBlocks { pool, n } = op {
                let id = run.net.pools[pool % run.net.pools.len()].id();
                for _ in 0..*n {
                    run.state.block_made(id);
                }
                continue;
            }
            let Some((tx, must_fail)) = run.build(op) else { continue };
            let before = bytes(&run.state);
            let p = run.net.cfg.ledger.clone();
            let result = match &tx {
                Ok(t) => run.state.apply_tx(&p, 10, t).map_err(|e| e.to_string()),
                Err(e) => Err(e.clone()),
            };
            match result {
                Ok(()) => {
                    prop_assert!(!must_fail, "{:?} was accepted", op);
                }
                Err(e) => {
                    prop_assert!(!matches!(op, Op::Pay { .. }), "a valid payment was refused: {e}");
                    prop_assert_eq!(bytes(&run.state), before, "{:?} was refused ({}) but changed the state", op, e);
                }
            }
            prop_assert_eq!(run.state.total_lovelace(), total, "after {:?}", op);
            let deposits: u64 = run.state.accounts.values().map(|a| a.deposit).sum::<u64>()
                + run.state.pools.values().map(|p| p.deposit).sum::<u64>();
            prop_assert_eq!(run.state.deposits, deposits, "the deposit pot is the sum of the deposits held");
            // The address index is the UTxO's, exactly.
            let mut index = run.state.clone();
            index.reindex();
            prop_assert_eq!(&index.utxo_by_address, &run.state.utxo_by_address, "the address index after {:?}", op);
        }
    }

    #[test]
    fn a_rollback_leaves_exactly_the_state_the_fork_leads_to(payments in proptest::collection::vec((0usize..3, 1u8..=255), 1..6), fork_len in 1usize..4) {
        let run = Run::new();
        let net = &run.net;
        let genesis = net.genesis_state();
        // Our chain: one payment per block.
        let mut chain = ChainSelection::new(net.cfg.clone(), genesis.clone());
        let mut state = genesis.clone();
        let mut ledger = Run { state: genesis.ledger.clone(), ..Run::new() };
        let mut slot = 1;
        let mut ours = 0;
        for (to, share) in &payments {
            let Some((Ok(tx), _)) = ledger.build(&Op::Pay { from: 0, to: *to, share: *share }) else { continue };
            slot = (slot..).find(|s| !net.leaders(&state, *s).is_empty()).unwrap();
            let block = net.forge(&state, net.leaders(&state, slot)[0], slot, vec![tx]);
            state = state.apply_block(&net.cfg, &block).unwrap();
            ledger.state = state.ledger.clone();
            chain.add_block(block).unwrap();
            ours += 1;
            slot += 1;
        }
        prop_assert_eq!(chain.tip_state().ledger.total_lovelace(), genesis.ledger.total_lovelace());
        // A longer fork of empty blocks from genesis, in later slots: the chain switches to it.
        let (fork, fork_state) = net.extend(&genesis, slot + 1, ours + fork_len);
        for b in fork {
            let _ = chain.add_block(b);
        }
        let tip: &ChainState = chain.tip_state();
        prop_assert_eq!(encode_checkpoint(tip).unwrap(), encode_checkpoint(&fork_state).unwrap());
        prop_assert_eq!(
            encode_checkpoint(&chain.state_of(None).unwrap()).unwrap(),
            encode_checkpoint(&genesis).unwrap()
        );
    }
}
