//! The mempool: validation at the tip, duplicates, double spends, capacity, fee-per-byte
//! selection within the size budget, re-validation after blocks and rollbacks, expiry.

mod common;

use std::time::{Duration, Instant};

use common::{Devnet, FUNDS};
use slotforge_chain::mempool::{Mempool, MempoolError};
use slotforge_chain::selection::ChainSelection;
use slotforge_devnet::txbuilder::{enterprise_address, TxBuilder};
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{LedgerError, TxIn};

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Splits pool `i`'s genesis funds into `n` outputs of 10 ADA plus change.
fn split(net: &Devnet, i: usize, n: usize) -> Transaction {
    let p = &net.pools[i];
    let mut b = TxBuilder::new().input(p.funds()).output(p.address(), 0);
    for _ in 0..n {
        b = b.output(p.address(), 10_000_000);
    }
    b.balance(&net.cfg.ledger, FUNDS, 0, &[&p.payment])
}

/// Spends output `index` of `tx` (10 ADA) to a fresh address, paying `extra` above the
/// minimum fee.
fn spend(net: &Devnet, i: usize, tx: &Transaction, index: u64, extra: u64) -> Transaction {
    let p = &net.pools[i];
    let b = TxBuilder::new()
        .input(TxIn { tx: tx.id(), index })
        .output(enterprise_address(0, &[index as u8; 28]), 0);
    let base = b.clone().balance(&net.cfg.ledger, 10_000_000, 0, &[&p.payment]);
    let fee = base.decoded_body().unwrap().fee + extra;
    let mut b = b;
    b.fee = fee;
    b.outputs[0].1 = 10_000_000 - fee;
    b.sign(&[&p.payment])
}

#[test]
fn admission_duplicates_double_spends_and_capacity() {
    let net = Devnet::new(2, 10, (1, 2), 100);
    let g = net.genesis_state();
    let mut m = Mempool::new(&net.cfg, &g, 1, 4_000);
    let s = split(&net, 0, 3);
    m.add(s.clone()).unwrap();
    // A resubmission is refused, with the ledger's verdict on it: its inputs are spent.
    match m.add(s.clone()) {
        Err(MempoolError::Duplicate { id, ledger: Some(e) }) => {
            assert_eq!(id, hex::encode(s.id()));
            assert!(
                e.failures().iter().any(|f| matches!(f, LedgerError::BadInputs(_))),
                "{e}"
            );
        }
        other => panic!("expected a duplicate, got {other:?}"),
    }
    assert_eq!(m.len(), 1, "nothing applied twice");
    // A transaction spending an output of a pending one is valid; a second spend of that
    // output is a double spend.
    m.add(spend(&net, 0, &s, 1, 0)).unwrap();
    let err = m.add(spend(&net, 0, &s, 1, 7)).unwrap_err();
    assert!(
        matches!(&err, MempoolError::Invalid(e) if e.failures().iter().any(|f| matches!(f, LedgerError::BadInputs(_)))),
        "{err}"
    );
    // Capacity: 4,000 bytes; a transaction that does not fit is refused, with nothing lost.
    let before = m.transactions().len();
    let big = split(&net, 1, 60);
    assert!(m.size_bytes() + big.size() > 4_000);
    let e = m.add(big).unwrap_err();
    assert!(matches!(e, MempoolError::Full { capacity: 4_000, .. }), "{e}");
    assert!(e.to_string().contains("mempool full"));
    assert_eq!(m.transactions().len(), before);
    assert!(m.size_bytes() <= 4_000);
}

#[test]
fn selection_is_by_fee_per_byte_within_the_budget_and_valid_in_order() {
    let net = Devnet::new(2, 10, (1, 2), 100);
    let g = net.genesis_state();
    let mut m = Mempool::new(&net.cfg, &g, 1, 10_000_000);
    let s = split(&net, 0, 60);
    m.add(s.clone()).unwrap();
    let mut by_extra = Vec::new();
    for idx in 1..=60u64 {
        let t = spend(&net, 0, &s, idx, idx * 1_000);
        by_extra.push(t.id());
        m.add(t).unwrap();
    }
    // Everything fits: the parent comes before its children although it pays less per byte.
    let all = m.select(&net.cfg, &g, 1, 90_112, far());
    assert_eq!(all.transactions().len(), 61);
    assert_eq!(all.transactions()[0].id(), s.id());
    let mut state = g.ledger.clone();
    for t in all.transactions() {
        state.apply_tx(&net.cfg.ledger, 1, t).unwrap();
    }
    // A small budget takes the parent, then the best payers.
    let budget = s.size() + 10 * 250;
    let some = m.select(&net.cfg, &g, 1, budget, far());
    assert!(some.size() <= budget, "{} > {budget}", some.size());
    let ids: Vec<_> = some.transactions().iter().map(|t| t.id()).collect();
    assert_eq!(ids[0], s.id());
    let n = ids.len() - 1;
    assert!(n >= 5, "{n}");
    let best: Vec<_> = by_extra.iter().rev().take(n).copied().collect();
    let mut got = ids[1..].to_vec();
    got.sort();
    let mut want = best;
    want.sort();
    assert_eq!(got, want, "the {n} highest fee-per-byte children");
    // A deadline already passed selects nothing.
    assert!(m
        .select(&net.cfg, &g, 1, 90_112, Instant::now())
        .transactions()
        .is_empty());
}

#[test]
fn revalidation_after_blocks_rollbacks_and_expiry() {
    let net = Devnet::new(2, 10, (1, 2), 1000);
    let g = net.genesis_state();
    let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
    let mut m = Mempool::new(&net.cfg, &g, 1, 1_000_000);
    let s = split(&net, 0, 2);
    m.add(s.clone()).unwrap();
    let mut expiring = TxBuilder::new()
        .input(net.pools[1].funds())
        .output(net.pools[1].address(), 0);
    expiring.ttl = Some(50);
    let expiring = expiring.balance(&net.cfg.ledger, FUNDS, 0, &[&net.pools[1].payment]);
    m.add(expiring.clone()).unwrap();
    // A block including the split: it leaves the mempool; its child stays valid.
    let slot = (1..).find(|s| !net.leaders(&g, *s).is_empty()).unwrap();
    let b = net.forge(&g, net.leaders(&g, slot)[0], slot, vec![s.clone()]);
    sel.add_block(b.clone()).unwrap();
    let child = spend(&net, 0, &s, 1, 0);
    let dropped = m.revalidate(&net.cfg, sel.tip_state(), slot + 1, Vec::new());
    assert_eq!(dropped, vec![s.id()], "spent by the block");
    m.add(child.clone()).unwrap();
    // A longer fork without the split: the split comes back, before its child.
    let fork_start = 500;
    let (fork, _) = net.extend(&g, fork_start, 2);
    for f in &fork {
        sel.add_block(f.clone()).unwrap();
    }
    assert_eq!(sel.tip().unwrap().hash, fork[1].hash());
    let dropped = m.revalidate(&net.cfg, sel.tip_state(), fork[1].slot() + 1, vec![s.clone()]);
    assert!(dropped.contains(&expiring.id()), "the ttl (50) passed");
    let ids: Vec<_> = m.transactions().iter().map(|t| t.id()).collect();
    assert_eq!(ids, vec![s.id(), child.id()]);
}

#[test]
fn a_block_reuses_the_mempools_witness_checks_only_for_the_same_bytes() {
    let net = Devnet::new(2, 10, (1, 2), 1000);
    let g = net.genesis_state();
    let mut m = Mempool::new(&net.cfg, &g, 1, 1_000_000);
    let s = split(&net, 0, 2);
    m.add(s.clone()).unwrap();
    assert!(m.has_checked(&s));
    // The same body with a forged signature: not the transaction the mempool checked.
    let mut wits = s.witness_bytes().to_vec();
    let n = wits.len();
    wits[n - 1] ^= 1;
    let forged = Transaction::from_parts(s.body_bytes().to_vec(), wits, true, None).unwrap();
    assert_eq!(forged.id(), s.id());
    assert!(!m.has_checked(&forged));
    let slot = (1..).find(|x| !net.leaders(&g, *x).is_empty()).unwrap();
    let b = net.forge(&g, net.leaders(&g, slot)[0], slot, vec![forged]);
    let err = g.apply_block_with(&net.cfg, &b, &|t| m.has_checked(t)).unwrap_err();
    assert!(err.to_string().contains("InvalidWitnessesUTXOW"), "{err}");
    // The same body and witnesses with auxiliary data the body does not commit to: not the
    // transaction the mempool checked either, so its auxiliary data hash is checked.
    let with_aux = Transaction::from_parts(
        s.body_bytes().to_vec(),
        s.witness_bytes().to_vec(),
        true,
        Some(vec![0xa0]),
    )
    .unwrap();
    assert!(!m.has_checked(&with_aux));
    let b = net.forge(&g, net.leaders(&g, slot)[0], slot, vec![with_aux]);
    let err = g.apply_block_with(&net.cfg, &b, &|t| m.has_checked(t)).unwrap_err();
    assert!(err.to_string().contains("MissingTxBodyMetadataHash"), "{err}");
    // The real one is accepted with its checks reused.
    let ok = net.forge(&g, net.leaders(&g, slot)[0], slot, vec![s]);
    g.apply_block_with(&net.cfg, &ok, &|t| m.has_checked(t)).unwrap();
}
