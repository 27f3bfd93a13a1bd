//! Every ledger rule: a transaction that breaks it and the typed error expected; valid
//! payments and certificates; stake snapshots (a change in epoch e counts from e+2).

mod common;

use common::{Devnet, Pool, FUNDS};
use pallas_codec::minicbor;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_devnet::txbuilder::{base_address, enterprise_address, key_hash, Cert, PoolRegistration, TxBuilder};
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{LedgerError, LedgerParams, LedgerState, TxIn};

struct Fixture {
    net: Devnet,
    state: LedgerState,
}

impl Fixture {
    fn new() -> Self {
        let net = Devnet::new(2, 10, (1, 2), 100);
        let state = net.genesis_state();
        Fixture { net, state }
    }

    fn p(&self) -> &LedgerParams {
        &self.net.params
    }

    fn pool(&self, i: usize) -> &Pool {
        &self.net.pools[i]
    }

    /// A payment of everything in pool 0's genesis funds to `to`, balanced and signed.
    fn payment(&self) -> TxBuilder {
        let p = self.pool(0);
        TxBuilder::new().input(p.funds()).output(p.address(), FUNDS)
    }

    fn apply(&mut self, slot: u64, tx: &Transaction) -> Result<(), LedgerError> {
        let p = self.net.params.clone();
        self.state.apply_tx(&p, slot, tx)
    }

    fn expect(&mut self, tx: Transaction, want: impl Fn(&LedgerError) -> bool) {
        let before = self.state.clone();
        let err = self.apply(10, &tx).expect_err("the transaction must be refused");
        // The reference reports every failure: the one expected must be among them.
        assert!(
            want(&err) || err.failures().iter().any(&want),
            "unexpected error: {err}"
        );
        assert_eq!(self.state, before, "a refused transaction changes nothing");
    }

    fn signed(&self, b: TxBuilder) -> Transaction {
        b.bal(self, &[&self.pool(0).payment])
    }
}

/// Balancing against the fixture's UTxO.
trait Balance {
    fn bal(self, f: &Fixture, signers: &[&SigningKey]) -> Transaction;
}

impl Balance for TxBuilder {
    fn bal(self, f: &Fixture, signers: &[&SigningKey]) -> Transaction {
        let total = self
            .inputs
            .iter()
            .filter_map(|i| f.state.utxo.get(i))
            .map(|o| o.coin)
            .sum();
        self.balance(f.p(), total, 0, signers)
    }
}

fn other_key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[i; 32])
}

/// Re-encodes a builder's body after `edit`, signed by `key`.
fn edited(
    b: &TxBuilder,
    key: &SigningKey,
    edit: impl FnOnce(&mut pallas_primitives::conway::TransactionBody<'_>),
) -> Transaction {
    let bytes = b.body_bytes();
    let mut body: pallas_primitives::conway::TransactionBody<'_> = minicbor::decode(&bytes).unwrap();
    edit(&mut body);
    let body = minicbor::to_vec(&body).unwrap();
    let signed = b.sign(&[key]);
    // Re-sign over the edited body's id.
    let id = slotforge_praos::nonce::blake2b256(&[&body]);
    let mut ws: pallas_primitives::conway::WitnessSet<'_> = minicbor::decode(signed.witness_bytes()).unwrap();
    use slotforge_crypto::ed25519::Signer;
    ws.vkeywitness = pallas_codec::utils::NonEmptySet::from_vec(vec![pallas_primitives::conway::VKeyWitness {
        vkey: key.verifying_key().as_bytes().to_vec().into(),
        signature: key.sign(&id).to_bytes().to_vec().into(),
    }]);
    Transaction::from_parts(body, minicbor::to_vec(&ws).unwrap(), true, b.auxiliary_data.clone()).unwrap()
}

#[test]
fn a_valid_payment_moves_value_and_conserves_lovelace() {
    let mut f = Fixture::new();
    let total = f.state.total_lovelace();
    let to = enterprise_address(0, &key_hash(&other_key(9)));
    let tx = f.signed(f.payment().output(to.clone(), 5_000_000));
    // The change (output 0) pays for the second output and the fee.
    f.apply(10, &tx).unwrap();
    assert!(!f.state.utxo.contains_key(&f.pool(0).funds()));
    let out = &f.state.utxo[&TxIn { tx: tx.id(), index: 1 }];
    assert_eq!((out.address.clone(), out.coin), (to, 5_000_000));
    assert_eq!(f.state.total_lovelace(), total);
    assert_eq!(f.state.fees, tx.decoded_body().unwrap().fee);
    // Spending the same input again: the double spend is refused.
    let again = f.signed(f.payment());
    f.expect(again, |e| matches!(e, LedgerError::BadInputs(v) if v.len() == 1));
}

#[test]
fn input_rules() {
    let mut f = Fixture::new();
    let k = f.pool(0).payment.clone();
    let empty = edited(&f.payment(), &k, |b| b.inputs = Vec::new().into());
    f.expect(empty, |e| *e == LedgerError::InputSetEmpty);
    let unknown = f.signed(
        TxBuilder::new()
            .input(TxIn { tx: [7; 32], index: 0 })
            .output(f.pool(0).address(), FUNDS),
    );
    f.expect(
        unknown,
        |e| matches!(e, LedgerError::BadInputs(v) if v[0].tx == [7; 32]),
    );
}

#[test]
fn validity_interval() {
    let mut f = Fixture::new();
    let mut b = f.payment();
    b.ttl = Some(10);
    let expired = f.signed(b);
    f.expect(expired, |e| {
        matches!(
            e,
            LedgerError::OutsideValidityInterval {
                slot: 10,
                end: Some(10),
                ..
            }
        )
    });
    let mut b = f.payment();
    b.validity_start = Some(11);
    let early = f.signed(b);
    f.expect(early, |e| {
        matches!(e, LedgerError::OutsideValidityInterval { start: Some(11), .. })
    });
    let mut b = f.payment();
    b.validity_start = Some(10);
    b.ttl = Some(11);
    let ok = f.signed(b);
    f.apply(10, &ok).unwrap();
}

#[test]
fn size_and_fee() {
    let mut f = Fixture::new();
    let b = f.payment().fee(155_381 + 44 * 100);
    let cheap = b.sign(&[&f.pool(0).payment]);
    let min = f.p().min_fee(cheap.size());
    f.expect(
        cheap,
        |e| matches!(e, LedgerError::FeeTooSmall { min: m, paid } if *m == min && *paid < min),
    );
    let mut small = f.p().clone();
    small.max_tx_size = 100;
    let tx = f.signed(f.payment());
    let err = f.state.clone().apply_tx(&small, 10, &tx).unwrap_err();
    assert_eq!(
        err,
        LedgerError::MaxTxSize {
            size: tx.size(),
            max: 100
        }
    );
    // The fee counts the size without the validity flag: one byte less than the wire form.
    assert_eq!(tx.size() + 1, tx.to_cbor().len() as u64);
}

#[test]
fn value_conservation_and_outputs() {
    let mut f = Fixture::new();
    let p = f.pool(0);
    let more = TxBuilder::new()
        .input(p.funds())
        .output(p.address(), FUNDS + 1)
        .fee(200_000)
        .sign(&[&p.payment]);
    f.expect(more, |e| matches!(e, LedgerError::ValueNotConserved { .. }));
    let tiny = f.signed(f.payment().output(f.pool(1).address(), 1_000));
    f.expect(
        tiny,
        |e| matches!(e, LedgerError::OutputTooSmall(v) if v.len() == 1 && v[0].index == 1 && v[0].actual == 1_000),
    );
    let mut strict = f.p().clone();
    strict.max_value_size = 4;
    let tx = f.signed(f.payment());
    assert!(matches!(
        f.state.clone().apply_tx(&strict, 10, &tx),
        Err(LedgerError::OutputTooBig(v)) if !v.is_empty() && v[0].index == 0 && v[0].bound == 4
    ));
    let mainnet = enterprise_address(1, &[1; 28]);
    let tx = f.signed(f.payment().output(mainnet.clone(), 5_000_000));
    f.expect(
        tx,
        |e| matches!(e, LedgerError::WrongNetwork { expected: 0, addresses } if addresses == &vec![mainnet.clone()]),
    );
    let garbage = f.signed(f.payment().output(vec![0x00, 1, 2], 5_000_000));
    f.expect(garbage, |e| matches!(e, LedgerError::MalformedAddress { index: 1, .. }));
    let mut b = f.payment();
    b.network_id = Some(1);
    let body_net = f.signed(b);
    f.expect(body_net, |e| {
        matches!(e, LedgerError::WrongNetworkInTxBody { found: 1, expected: 0 })
    });
}

#[test]
fn witnesses_and_auxiliary_data() {
    let mut f = Fixture::new();
    let b = f.payment().fee(200_000);
    let wrong_key = b.sign(&[&other_key(3)]);
    let want = hex::encode(key_hash(&f.pool(0).payment));
    f.expect(
        wrong_key,
        |e| matches!(e, LedgerError::MissingVKeyWitnesses(v) if v == &vec![want.clone()]),
    );
    // A signature that does not verify.
    let good = b.sign(&[&f.pool(0).payment]);
    let mut ws: pallas_primitives::conway::WitnessSet<'_> = minicbor::decode(good.witness_bytes()).unwrap();
    let mut w = ws.vkeywitness.clone().unwrap().to_vec();
    let mut sig = w[0].signature.to_vec();
    sig[0] ^= 1;
    w[0].signature = sig.into();
    let forged_key = w[0].vkey.to_vec();
    ws.vkeywitness = pallas_codec::utils::NonEmptySet::from_vec(w);
    let forged =
        Transaction::from_parts(good.body_bytes().to_vec(), minicbor::to_vec(&ws).unwrap(), true, None).unwrap();
    f.expect(forged, |e| *e == LedgerError::InvalidWitness(vec![forged_key.clone()]));
    // Auxiliary data: a metadata map {1: "hello"}.
    let meta = vec![0xa1, 0x01, 0x65, b'h', b'e', b'l', b'l', b'o'];
    let mut b = f.payment();
    b.auxiliary_data = Some(meta.clone());
    let ok = f.signed(b.clone());
    assert!(f.state.clone().apply_tx(f.p(), 10, &ok).is_ok());
    let mut bad = b.clone();
    bad.auxiliary_data_hash = Some([0; 32]);
    let bad = f.signed(bad);
    let meta_hash = slotforge_praos::nonce::blake2b256(&[&meta]);
    f.expect(bad, |e| {
        *e == LedgerError::AuxiliaryDataHashMismatch {
            supplied: [0; 32],
            expected: meta_hash,
        }
    });
    // `InvalidMetadata`: a metadata string over 64 bytes (the decoder reads it, as the
    // reference's does; a 64-byte one is fine), at any depth, or a Plutus script in
    // the auxiliary data that does not deserialise.
    let text = |len: usize| [vec![0x78, len as u8], vec![b'a'; len]].concat();
    let cases: Vec<(Vec<u8>, bool)> = vec![
        ([vec![0xa1, 0x01], text(64)].concat(), true),
        ([vec![0xa1, 0x01], text(65)].concat(), false),
        // {1: [{2: "a" * 65}]}: nested.
        ([vec![0xa1, 0x01, 0x81, 0xa1, 0x02], text(65)].concat(), false),
        (hex::decode("d90103a100a1016568656c6c6f").unwrap(), true),
        (hex::decode("d90103a1048143010203").unwrap(), false),
    ];
    for (aux, valid) in cases {
        let mut b = f.payment();
        b.auxiliary_data = Some(aux.clone());
        let tx = f.signed(b);
        let r = f.state.clone().apply_tx(f.p(), 10, &tx);
        assert_eq!(r.is_ok(), valid, "{}: {r:?}", hex::encode(&aux));
        if !valid {
            assert_eq!(r.unwrap_err(), LedgerError::InvalidMetadata);
        }
    }
    let mut no_data = f.payment();
    no_data.auxiliary_data_hash = Some([0; 32]);
    let no_data = f.signed(no_data);
    f.expect(no_data, |e| *e == LedgerError::MissingAuxiliaryData([0; 32]));
    let key = f.pool(0).payment.clone();
    let no_hash = edited(&b.fee(300_000), &key, |body| {
        body.auxiliary_data_hash = None;
        body.outputs.truncate(1);
    });
    f.expect(no_hash, |e| *e == LedgerError::MissingAuxiliaryDataHash(meta_hash));
}

#[test]
fn donations_mints_and_the_validity_flag_are_judged() {
    let mut f = Fixture::new();
    let k = f.pool(0).payment.clone();
    let donation = edited(&f.payment(), &k, |b| {
        b.donation = Some(pallas_primitives::PositiveCoin::try_from(5u64).unwrap())
    });
    // A donation is produced value: the payment no longer balances.
    f.expect(donation, |e| {
        e.failures()
            .iter()
            .any(|f| matches!(f, LedgerError::ValueNotConserved { .. }))
    });
    let mint = edited(&f.payment(), &k, |b| {
        let mut m = std::collections::BTreeMap::new();
        let mut inner = std::collections::BTreeMap::new();
        inner.insert(vec![1u8].into(), pallas_primitives::NonZeroInt::try_from(1i64).unwrap());
        m.insert([3u8; 28].into(), inner);
        b.mint = Some(m);
    });
    // Minting without the policy's script: the script is missing and the value is unbalanced,
    // both reported.
    f.expect(mint, |e| {
        let names: Vec<&str> = e.failures().iter().map(LedgerError::name).collect();
        names.contains(&"MissingScriptWitnessesUTXOW") && names.contains(&"ValueNotConservedUTxO")
    });
    // What is minted is consumed and what is burnt produced, each as a positive quantity, as
    // the reference reports the two values.
    let mint_and_burn = edited(&f.payment(), &k, |b| {
        let mut inner = std::collections::BTreeMap::new();
        inner.insert(vec![1u8].into(), pallas_primitives::NonZeroInt::try_from(4i64).unwrap());
        inner.insert(
            vec![2u8].into(),
            pallas_primitives::NonZeroInt::try_from(-3i64).unwrap(),
        );
        b.mint = Some([([3u8; 28].into(), inner)].into_iter().collect());
    });
    f.expect(mint_and_burn, |e| {
        e.failures().iter().any(|f| match f {
            LedgerError::ValueNotConserved { consumed, produced } => {
                consumed.assets[&[3u8; 28]].get(&vec![1u8]) == Some(&4)
                    && !consumed.assets[&[3u8; 28]].contains_key(&vec![2u8])
                    && produced.assets[&[3u8; 28]].get(&vec![2u8]) == Some(&3)
                    && !produced.assets[&[3u8; 28]].contains_key(&vec![1u8])
            }
            _ => false,
        })
    });
    let invalid_flag = {
        let t = f.signed(f.payment());
        Transaction::from_parts(t.body_bytes().to_vec(), t.witness_bytes().to_vec(), false, None).unwrap()
    };
    // Marked invalid, yet no script fails.
    f.expect(
        invalid_flag,
        |e| matches!(e, LedgerError::ValidationTagMismatch { is_valid: false, failures } if failures.is_empty()),
    );
}

#[test]
fn stake_registration_delegation_and_deregistration() {
    let mut f = Fixture::new();
    let total = f.state.total_lovelace();
    // The genesis registrations' deposits (2 stake keys, 2 pools).
    let d0 = f.state.deposits;
    assert_eq!(d0, 2 * 2_000_000 + 2 * 500_000_000);
    let stake = other_key(20);
    let sh = key_hash(&stake);
    let pool = f.pool(1).id();
    let pay = f.pool(0).payment.clone();
    let signers = [&pay, &stake];
    let reg = f
        .payment()
        .cert(Cert::Register {
            stake: sh,
            deposit: 2_000_000,
        })
        .cert(Cert::Delegate { stake: sh, pool })
        .bal(&f, &signers);
    f.apply(10, &reg).unwrap();
    assert_eq!(
        f.state.accounts[&slotforge_ledger::Credential::Key(sh)].pool,
        Some(pool)
    );
    assert_eq!(f.state.deposits, d0 + 2_000_000);
    assert_eq!(f.state.total_lovelace(), total);
    // Registering again, a wrong deposit, a wrong refund, an unknown pool.
    let from = TxIn { tx: reg.id(), index: 0 };
    let coin = f.state.utxo[&from].coin;
    let spend = |f: &Fixture| TxBuilder::new().input(from).output(f.pool(0).address(), coin);
    let twice = spend(&f)
        .cert(Cert::Register {
            stake: sh,
            deposit: 2_000_000,
        })
        .bal(&f, &signers);
    f.expect(twice, |e| matches!(e, LedgerError::StakeAlreadyRegistered(_)));
    let stake2 = other_key(21);
    let wrong_deposit = spend(&f)
        .cert(Cert::Register {
            stake: key_hash(&stake2),
            deposit: 1,
        })
        .bal(&f, &[&f.pool(0).payment, &stake2]);
    f.expect(wrong_deposit, |e| {
        *e == LedgerError::IncorrectDeposit {
            expected: 2_000_000,
            declared: 1,
        }
    });
    let wrong_refund = spend(&f)
        .cert(Cert::Deregister { stake: sh, refund: 1 })
        .bal(&f, &signers);
    f.expect(wrong_refund, |e| {
        *e == LedgerError::IncorrectRefund {
            expected: 2_000_000,
            declared: 1,
        }
    });
    let nowhere = spend(&f)
        .cert(Cert::Delegate {
            stake: sh,
            pool: [9; 28],
        })
        .bal(&f, &signers);
    f.expect(nowhere, |e| *e == LedgerError::PoolNotRegistered([9; 28]));
    let unregistered = spend(&f)
        .cert(Cert::Delegate {
            stake: key_hash(&stake2),
            pool,
        })
        .bal(&f, &[&f.pool(0).payment, &stake2]);
    f.expect(unregistered, |e| matches!(e, LedgerError::StakeNotRegistered(_)));
    // Delegation needs the stake key's signature.
    let unsigned = spend(&f)
        .cert(Cert::Delegate { stake: sh, pool })
        .bal(&f, &[&f.pool(0).payment]);
    f.expect(
        unsigned,
        |e| matches!(e, LedgerError::MissingVKeyWitnesses(v) if v == &vec![hex::encode(sh)]),
    );
    // Deregistration refunds the deposit into the outputs.
    let dereg = spend(&f)
        .cert(Cert::Deregister {
            stake: sh,
            refund: 2_000_000,
        })
        .bal(&f, &signers);
    f.apply(11, &dereg).unwrap();
    assert_eq!(f.state.deposits, d0);
    assert_eq!(f.state.total_lovelace(), total);
}

#[test]
fn withdrawals_must_take_the_whole_balance() {
    let mut f = Fixture::new();
    let owner = f.pool(0).owner.clone();
    let account = slotforge_ledger::address::reward_address(0, &slotforge_ledger::Credential::Key(key_hash(&owner)));
    let mut b = f.payment();
    b.withdrawals = vec![(account.clone(), 5)];
    let tx = b.bal(&f, &[&f.pool(0).payment, &owner]);
    f.expect(tx, |e| {
        matches!(
            e,
            LedgerError::IncorrectWithdrawal {
                requested: 5,
                balance: Some(0),
                ..
            }
        )
    });
    let mut b = f.payment();
    b.withdrawals = vec![(
        slotforge_ledger::address::reward_address(1, &slotforge_ledger::Credential::Key(key_hash(&owner))),
        0,
    )];
    let tx = b.bal(&f, &[&f.pool(0).payment, &owner]);
    f.expect(
        tx,
        |e| matches!(e, LedgerError::WrongNetworkWithdrawal { expected: 0, accounts } if accounts.len() == 1),
    );
    // From protocol version 10 a key-hash account withdraws only once it delegates its vote.
    let mut b = f.payment();
    b.withdrawals = vec![(account.clone(), 0)];
    let tx = b.bal(&f, &[&f.pool(0).payment, &owner]);
    f.expect(tx, |e| matches!(e, LedgerError::WdrlNotDelegatedToDRep(_)));
    let cred = slotforge_ledger::Credential::Key(key_hash(&owner));
    f.state.accounts.get_mut(&cred).expect("registered").drep = Some(slotforge_ledger::state::DRep::AlwaysAbstain);
    // Withdrawing the zero balance, signed by the stake key, is valid.
    let mut b = f.payment();
    b.withdrawals = vec![(account, 0)];
    let tx = b.bal(&f, &[&f.pool(0).payment, &owner]);
    f.apply(10, &tx).unwrap();
}

fn registration(f: &Fixture, cold: &SigningKey, cost: u64) -> PoolRegistration {
    PoolRegistration {
        operator: key_hash(cold),
        vrf_key_hash: [5; 32],
        pledge: 0,
        cost,
        margin: (1, 100),
        reward_account: slotforge_ledger::address::reward_address(
            0,
            &slotforge_ledger::Credential::Key(key_hash(&f.pool(0).owner)),
        ),
        owners: vec![],
        relays: Vec::new(),
    }
}

#[test]
fn pools_register_update_and_retire_at_the_epoch_named() {
    let mut f = Fixture::new();
    let total = f.state.total_lovelace();
    let d0 = f.state.deposits;
    let cold = other_key(30);
    let id = key_hash(&cold);
    let pay = f.pool(0).payment.clone();
    let signers = [&pay, &cold];
    let low = f
        .payment()
        .cert(Cert::RegisterPool(registration(&f, &cold, 1)))
        .bal(&f, &signers);
    f.expect(low, |e| matches!(e, LedgerError::PoolCostTooLow { cost: 1, .. }));
    let unsigned = f
        .payment()
        .cert(Cert::RegisterPool(registration(&f, &cold, 170_000_000)))
        .bal(&f, &[&f.pool(0).payment]);
    f.expect(unsigned, |e| matches!(e, LedgerError::MissingVKeyWitnesses(_)));
    let reg = f
        .payment()
        .cert(Cert::RegisterPool(registration(&f, &cold, 170_000_000)))
        .bal(&f, &signers);
    f.apply(10, &reg).unwrap();
    assert_eq!(f.state.deposits, d0 + 500_000_000);
    // Re-registration: no deposit, new parameters at the next epoch.
    let from = TxIn { tx: reg.id(), index: 0 };
    let coin = f.state.utxo[&from].coin;
    let mut update = registration(&f, &cold, 200_000_000);
    update.vrf_key_hash = [6; 32];
    let mut re = TxBuilder::new()
        .input(from)
        .output(f.pool(0).address(), coin)
        .cert(Cert::RegisterPool(update));
    re.reregistration = true;
    let re = re.bal(&f, &signers);
    f.apply(11, &re).unwrap();
    assert_eq!(f.state.deposits, d0 + 500_000_000);
    assert_eq!(f.state.pools[&id].params.vrf_key_hash, [5; 32]);
    // Retirement: only within (current, current + eMax].
    let from = TxIn { tx: re.id(), index: 0 };
    let coin = f.state.utxo[&from].coin;
    let retire = |f: &Fixture, epoch| {
        TxBuilder::new()
            .input(from)
            .output(f.pool(0).address(), coin)
            .cert(Cert::RetirePool { pool: id, epoch })
            .bal(f, &signers)
    };
    let now = retire(&f, 0);
    f.expect(now, |e| {
        *e == LedgerError::RetirementEpoch {
            epoch: 0,
            current: 0,
            max: 18,
        }
    });
    let far = retire(&f, 19);
    f.expect(far, |e| matches!(e, LedgerError::RetirementEpoch { epoch: 19, .. }));
    let ok = retire(&f, 2);
    f.apply(12, &ok).unwrap();
    f.state.new_epoch();
    assert_eq!(
        f.state.pools[&id].params.vrf_key_hash, [6; 32],
        "the update took effect"
    );
    assert!(f.state.pools.contains_key(&id));
    f.state.new_epoch();
    assert!(!f.state.pools.contains_key(&id), "retired at the start of epoch 2");
    // The deposit went to the reward account (pool 0's owner, registered at genesis)...
    let owner = slotforge_ledger::Credential::Key(key_hash(&f.pool(0).owner));
    assert_eq!(f.state.accounts[&owner].rewards, 500_000_000);
    assert_eq!(f.state.deposits, d0);
    assert_eq!(f.state.total_lovelace(), total);
    // ...so the owner cannot deregister before withdrawing it.
    let from = TxIn { tx: ok.id(), index: 0 };
    let coin = f.state.utxo[&from].coin;
    let dereg = TxBuilder::new()
        .input(from)
        .output(f.pool(0).address(), coin)
        .cert(Cert::Deregister {
            stake: key_hash(&f.pool(0).owner),
            refund: 2_000_000,
        })
        .bal(&f, &[&f.pool(0).payment, &f.pool(0).owner]);
    f.expect(dereg, |e| {
        matches!(
            e,
            LedgerError::NonZeroRewardBalance {
                balance: 500_000_000,
                ..
            }
        )
    });
    // Conway's CERTS drains withdrawals before the certificates: withdrawing the balance and
    // deregistering in one transaction is valid.
    let mut both = TxBuilder::new()
        .input(from)
        .output(f.pool(0).address(), coin)
        .cert(Cert::Deregister {
            stake: key_hash(&f.pool(0).owner),
            refund: 2_000_000,
        });
    both.withdrawals = vec![(slotforge_ledger::address::reward_address(0, &owner), 500_000_000)];
    // The account delegates its vote, as withdrawing requires from protocol version 10.
    f.state.accounts.get_mut(&owner).expect("registered").drep = Some(slotforge_ledger::state::DRep::AlwaysAbstain);
    let both = both.bal(&f, &[&f.pool(0).payment, &f.pool(0).owner]);
    f.apply(40, &both).unwrap();
    assert!(!f.state.accounts.contains_key(&owner));
    assert_eq!(f.state.total_lovelace(), total);
}

#[test]
fn pool_registration_reports_the_reward_network_the_metadata_hash_and_the_cost_in_order() {
    let mut f = Fixture::new();
    let cold = other_key(31);
    let pay = f.pool(0).payment.clone();
    let mut wrong = registration(&f, &cold, 1);
    wrong.reward_account[0] = 0xe1;
    let tx = f.payment().cert(Cert::RegisterPool(wrong)).bal(&f, &[&pay, &cold]);
    // Every POOL failure is reported (`?!`), the network's before the cost's (1 is below the
    // minimum too).
    let err = f.apply(10, &tx).expect_err("refused");
    let names: Vec<&str> = err.failures().iter().map(LedgerError::name).collect();
    assert!(
        names
            .windows(2)
            .any(|w| w == ["WrongNetworkPOOL", "StakePoolCostTooLowPOOL"]),
        "{names:?}"
    );
    f.expect(tx, |e| {
        *e == LedgerError::WrongNetworkPool {
            expected: 0,
            found: 1,
            pool: key_hash(&cold),
        }
    });
    // A 33-byte metadata hash (the builder writes none: the body is edited and signed by
    // one key; POOL runs before the witnesses are checked).
    let b = f.payment().cert(Cert::RegisterPool(registration(&f, &cold, 1)));
    let tx = edited(&b, &cold, |body| {
        let mut certs = body.certificates.take().unwrap().to_vec();
        if let pallas_primitives::conway::Certificate::PoolRegistration { pool_metadata, .. } = &mut certs[0] {
            *pool_metadata = Some(pallas_primitives::PoolMetadata {
                url: "https://p.example".into(),
                hash: vec![0; 33].into(),
            });
        }
        body.certificates = pallas_codec::utils::NonEmptySet::from_vec(certs);
    });
    f.expect(tx, |e| {
        *e == LedgerError::PoolMetadataHashTooBig {
            pool: key_hash(&cold),
            size: 33,
        }
    });
}

#[test]
fn a_pool_with_a_delegator_stays_in_the_distribution_at_zero_stake() {
    let mut f = Fixture::new();
    let cold = other_key(32);
    let pay = f.pool(0).payment.clone();
    let staker = other_key(33);
    let reg = f
        .payment()
        .cert(Cert::RegisterPool(registration(&f, &cold, 170_000_000)))
        .cert(Cert::Register {
            stake: key_hash(&staker),
            deposit: 2_000_000,
        })
        .cert(Cert::Delegate {
            stake: key_hash(&staker),
            pool: key_hash(&cold),
        })
        .bal(&f, &[&pay, &cold, &staker]);
    f.apply(10, &reg).unwrap();
    let d = f.state.stake_distribution();
    // The delegator holds nothing: the pool is there with zero stake.
    assert_eq!(d.pools[&key_hash(&cold)].stake, 0);
    // A pool no one delegates to is not.
    let lonely = other_key(34);
    let from = TxIn { tx: reg.id(), index: 0 };
    let coin = f.state.utxo[&from].coin;
    let tx = TxBuilder::new()
        .input(from)
        .output(f.pool(0).address(), coin)
        .cert(Cert::RegisterPool(registration(&f, &lonely, 170_000_000)))
        .bal(&f, &[&pay, &lonely]);
    f.apply(11, &tx).unwrap();
    assert!(!f.state.stake_distribution().pools.contains_key(&key_hash(&lonely)));
}

#[test]
fn a_stake_change_in_epoch_e_counts_for_leader_election_from_e_plus_2() {
    let mut f = Fixture::new();
    let (a, b) = (f.pool(0).id(), f.pool(1).id());
    let dist = |s: &LedgerState| {
        (
            s.leader_distribution().pools[&a].stake,
            s.leader_distribution().pools.get(&b).map(|p| p.stake),
        )
    };
    assert_eq!(dist(&f.state), (FUNDS, Some(FUNDS)));
    // Epoch 0: pool 0's owner moves 400,000 ADA to an address staked with pool 1's owner.
    let to = base_address(0, &key_hash(&other_key(40)), &key_hash(&f.pool(1).owner));
    let tx = f.signed(f.payment().output(to, 400_000_000_000));
    f.apply(10, &tx).unwrap();
    let fee = tx.decoded_body().unwrap().fee;
    assert_eq!(dist(&f.state), (FUNDS, Some(FUNDS)));
    f.state.new_epoch(); // epoch 1: still the genesis distribution
    assert_eq!(dist(&f.state), (FUNDS, Some(FUNDS)));
    f.state.new_epoch(); // epoch 2: the snapshot taken at the start of epoch 1
    assert_eq!(
        dist(&f.state),
        (FUNDS - 400_000_000_000 - fee, Some(FUNDS + 400_000_000_000))
    );
    assert_eq!(f.state.leader_distribution().total, 2 * FUNDS - fee);
}

#[test]
fn votes_by_unknown_voters_are_reported_in_the_reference_voter_order() {
    use slotforge_devnet::txbuilder::Voter;
    use slotforge_ledger::error::GovFailure;
    use slotforge_ledger::state::{GovActionId, Vote};
    use slotforge_ledger::Credential;
    let mut f = Fixture::new();
    let id = GovActionId { tx: [9; 32], index: 0 };
    let (key, script, pool) = (
        Voter::DRep(Credential::Key([1; 28])),
        Voter::DRep(Credential::Script([2; 28])),
        Voter::Pool([3; 28]),
    );
    let mut b = f.payment();
    b.votes = vec![(pool, id, Vote::Yes), (key, id, Vote::No), (script, id, Vote::Yes)];
    let tx = f.signed(b);
    // The reference's `Ord Voter`: DReps before pools, script credentials before key ones.
    let want = LedgerError::Gov(GovFailure::VotersDoNotExist(vec![script, key, pool]));
    f.expect(tx, |e| e.failures().contains(&want));
}

#[test]
fn utxo_failures_are_reported_in_the_reference_order() {
    let mut f = Fixture::new();
    let p = f.pool(0);
    let mut b = TxBuilder::new()
        .input(p.funds())
        .input(TxIn {
            tx: [0xee; 32],
            index: 7,
        })
        .output(enterprise_address(1, &[1; 28]), FUNDS)
        .output(p.address(), 1_000)
        .fee(0);
    b.ttl = Some(5);
    let tx = b.sign(&[&p.payment]);
    // Babbage's `utxoTransition`: the validity interval, feesOK, the inputs known, the value,
    // then the outputs' minimum and network.
    let want = [
        "OutsideValidityIntervalUTxO",
        "FeeTooSmallUTxO",
        "BadInputsUTxO",
        "ValueNotConservedUTxO",
        "BabbageOutputTooSmallUTxO",
        "WrongNetwork",
    ];
    f.expect(tx, |e| {
        let names: Vec<&str> = e
            .failures()
            .iter()
            .map(LedgerError::name)
            .filter(|n| want.contains(n))
            .collect();
        assert_eq!(names, want, "{e}");
        true
    });
}
