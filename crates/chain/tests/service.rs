//! The chain task: leadership parameters announced as soon as they are fixed (the next
//! epoch's once its stability window begins), announced again when a fork changes them, and
//! blocks forged with the announced parameters adopted.

mod common;

use std::time::Duration;

use common::Devnet;
use slotforge_chain::selection::SelectionEvent;
use slotforge_chain::service::{ChainHandle, ChainNotice, ServiceConfig};
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership};
use tokio::sync::broadcast::Receiver;

fn at(net: &Devnet, slot: u64) -> i64 {
    net.cfg.slot_start_ms(slot)
}

/// The Leadership notices received so far.
async fn announced(rx: &mut Receiver<ChainNotice>, chain: &ChainHandle) -> Vec<EpochLeadership> {
    // A query round-trip: every command sent before it has been handled.
    chain.query(|_| ()).await;
    let mut out = Vec::new();
    while let Ok(n) = rx.try_recv() {
        if let ChainNotice::Leadership(l) = n {
            out.push(l);
        }
    }
    out
}

fn nonce(l: &EpochLeadership) -> slotforge_praos::nonce::Nonce {
    match &l.consensus {
        EpochConsensus::Praos { epoch_nonce, .. } => *epoch_nonce,
        EpochConsensus::Bft { .. } => panic!("praos"),
    }
}

#[tokio::test]
async fn the_next_epoch_is_announced_once_fixed_and_again_when_a_fork_changes_it() {
    // k = 3, f = 1/2: the Conway window is 4k/f = 24 slots, so epoch 1's nonce is fixed
    // from slot 76 of epoch 0 (100 slots).
    let net = Devnet::new(3, 3, (1, 2), 100);
    assert_eq!(net.cfg.stability_window, 24);
    let dir = tempfile::tempdir().unwrap();
    let chain = net.start_chain(dir.path(), ServiceConfig::default());
    let mut rx = chain.subscribe();
    chain.reannounce();
    let mut first = announced(&mut rx, &chain).await;
    // The task's own first announcement may race with the subscription: once or twice.
    first.dedup();
    assert_eq!(first.iter().map(|l| l.epoch).collect::<Vec<_>>(), vec![0]);
    assert_eq!(nonce(&first[0]), net.cfg.genesis.initial_nonce());

    // Blocks in epoch 0 before the window.
    let g = net.genesis_state();
    let (main, _) = net.extend(&g, 0, 3);
    for b in &main {
        chain.add_block(b.clone()).await.unwrap();
    }
    assert!(main.last().unwrap().slot() < 70);
    chain.tick(at(&net, 75));
    assert!(
        announced(&mut rx, &chain).await.is_empty(),
        "epoch 1 is not fixed before slot 76"
    );
    chain.tick(at(&net, 76));
    let next = announced(&mut rx, &chain).await;
    assert_eq!(next.iter().map(|l| l.epoch).collect::<Vec<_>>(), vec![1]);
    let n1 = nonce(&next[0]);
    // Ticking again announces nothing new.
    chain.tick(at(&net, 77));
    assert!(announced(&mut rx, &chain).await.is_empty());

    // A longer fork from genesis (blocks in other slots before the window) changes epoch 1's
    // nonce: announced again.
    let (fork, _) = net.extend(&g, 30, 5);
    assert!(fork.last().unwrap().slot() < 76, "the fork stays before the window");
    for b in &fork {
        chain.add_block(b.clone()).await.unwrap();
    }
    // (The switch, and each fork block after it, changes the candidate nonce.)
    let again = announced(&mut rx, &chain).await;
    assert!(!again.is_empty() && again.iter().all(|l| l.epoch == 1), "{again:?}");
    assert_ne!(nonce(again.last().unwrap()), n1);
    assert!(again.windows(2).all(|w| w[0] != w[1]), "announced only when changed");

    // A block of epoch 1 forged with the announced parameters is adopted.
    let tip = chain.query(|v| v.selection.tip_state().clone()).await.unwrap();
    assert_eq!(
        tip.leadership(&net.cfg, 1).as_ref(),
        again.last(),
        "the forger uses what was announced"
    );
    let slot = (100..).find(|s| !net.leaders(&tip, *s).is_empty()).unwrap();
    let b = net.forge(&tip, net.leaders(&tip, slot)[0], slot, vec![]);
    let hash = b.hash();
    let events = chain.add_block(b).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, SelectionEvent::Adopted { point, .. } if point.hash == hash)),
        "{events:?}"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// The EpochEntered notices received so far, as (the state's epoch, the block it follows).
async fn entered(rx: &mut Receiver<ChainNotice>, chain: &ChainHandle) -> Vec<(u64, Option<[u8; 32]>)> {
    chain.query(|_| ()).await;
    let mut out = Vec::new();
    while let Ok(n) = rx.try_recv() {
        if let ChainNotice::EpochEntered(s) = n {
            out.push((s.ledger.epoch, s.tip.map(|t| t.hash)));
        }
    }
    out
}

#[tokio::test]
async fn each_epochs_first_block_announces_the_state_it_starts_with() {
    let net = Devnet::new(3, 3, (1, 2), 50);
    let dir = tempfile::tempdir().unwrap();
    let chain = net.start_chain(dir.path(), ServiceConfig::default());
    let mut rx = chain.subscribe();
    chain.reannounce();
    assert_eq!(
        entered(&mut rx, &chain).await,
        vec![(0, None)],
        "the tip's epoch, on request"
    );

    // Blocks through epochs 0, 1 and 2: each epoch's first block, and only it, announces the
    // state after it.
    let g = net.genesis_state();
    let (blocks, _) = net.extend(&g, 0, 90);
    let blocks: Vec<_> = blocks.into_iter().filter(|b| b.slot() < 150).collect();
    let first = |e: u64| blocks.iter().find(|b| b.slot() / 50 == e).map(|b| b.hash());
    assert!(
        first(1).is_some() && first(2).is_some(),
        "blocks in each of the three epochs"
    );
    for b in &blocks {
        chain.add_block(b.clone()).await.unwrap();
    }
    assert_eq!(entered(&mut rx, &chain).await, vec![(1, first(1)), (2, first(2))]);
    // On request, the tip's state.
    chain.reannounce();
    let last = blocks.last().unwrap().hash();
    assert_eq!(entered(&mut rx, &chain).await, vec![(2, Some(last))]);
}

#[tokio::test]
async fn a_skipped_epoch_ticks_the_nonce_once_and_the_ledger_every_epoch() {
    let net = Devnet::new(2, 3, (1, 2), 50);
    let g = net.genesis_state();
    let (b, s1) = net.extend(&g, 0, 1);
    assert_eq!(b[0].slot() / 50, 0);
    // From epoch 0 straight to epoch 3 with no blocks between.
    let t = s1.ticked(3);
    assert_eq!(t.ledger.epoch, 3);
    let mut n = s1.nonces.get();
    n.on_new_epoch(slotforge_praos::nonce::Nonce::Neutral);
    assert_eq!(
        t.nonces.get(),
        n,
        "Praos ticks its nonces once, however many epochs pass"
    );
    // And a block there is valid with those parameters.
    let slot = (150..).find(|s| !net.leaders(&t, *s).is_empty()).unwrap();
    let blk = net.forge(&t, net.leaders(&t, slot)[0], slot, vec![]);
    s1.apply_block(&net.cfg, &blk).unwrap();
}

#[tokio::test]
async fn the_mempool_checks_new_transactions_at_the_current_slot() {
    let net = Devnet::new(2, 3, (1, 2), 100);
    let dir = tempfile::tempdir().unwrap();
    let chain = net.start_chain(dir.path(), ServiceConfig::default());
    let p = &net.pools[0];
    let mut b = slotforge_devnet::txbuilder::TxBuilder::new()
        .input(p.funds())
        .output(p.address(), 0);
    b.validity_start = Some(5);
    let tx = b.balance(&net.cfg.ledger, common::FUNDS, 0, &[&p.payment]);
    let err = chain.submit_tx(tx.to_cbor()).await.unwrap_err();
    assert!(err.to_string().contains("OutsideValidityIntervalUTxO"), "{err}");
    chain.tick(at(&net, 5));
    assert_eq!(chain.submit_tx(tx.to_cbor()).await.unwrap(), tx.id());
    let garbage = chain.submit_tx(vec![0x84, 0x01]).await.unwrap_err();
    assert!(garbage.to_string().contains("undecodable transaction"), "{garbage}");
}

/// The next epoch's parameters, read without crossing the ledger's boundary, are exactly
/// those of the state ticked into that epoch: its mark snapshot becomes the set one, and the
/// nonce ticks once.
#[test]
fn the_next_epochs_parameters_are_those_of_the_state_ticked_into_it() {
    let net = Devnet::new(3, 5, (1, 2), 100);
    let (_, end) = net.extend(&net.genesis_state(), 0, 12);
    let mut state = end.ticked(1);
    // A mark snapshot unlike the set one, as stake moved during the epoch.
    let mut mark = (**state.ledger.next_leader_distribution()).clone();
    let (pool, first) = mark.pools.iter_mut().next().unwrap();
    first.stake += 1_000_000;
    mark.total += 1_000_000;
    let pool = *pool;
    state.ledger.mark = std::sync::Arc::new(mark);

    let next = state.leadership(&net.cfg, 2).unwrap();
    assert_eq!(next, state.ticked(2).leadership(&net.cfg, 2).unwrap());
    let now = state.leadership(&net.cfg, 1).unwrap();
    let stake = |l: &EpochLeadership| match &l.consensus {
        EpochConsensus::Praos { stake, .. } => stake[&pool],
        EpochConsensus::Bft { .. } => panic!("praos"),
    };
    assert_eq!(
        stake(&next),
        stake(&now) + 1_000_000,
        "the next epoch's stake is the mark's"
    );
    // Two epochs ahead, the ledger's boundary is crossed.
    assert_eq!(
        state.leadership(&net.cfg, 3).unwrap(),
        state.ticked(3).leadership(&net.cfg, 3).unwrap()
    );
}

#[test]
fn a_crossing_from_headers_alone_is_never_shared_with_the_whole_chain() {
    // Headers-first sync crosses a boundary on a state whose ledger has not seen the bodies (here,
    // the payment in the first block): that crossing must not serve the whole chain's. The
    // blocks are forged without crossing the boundary, so the headers cross it first.
    let net = Devnet::new(3, 3, (1, 2), 50);
    let mut whole = net.genesis_state();
    let mut blocks = Vec::new();
    for slot in 1..50 {
        if let Some(&i) = net.leaders(&whole, slot).first() {
            let txs = if blocks.is_empty() {
                vec![net.pools[0].spend_all_tx()]
            } else {
                vec![]
            };
            let b = net.forge(&whole, i, slot, txs);
            whole = whole.apply_block(&net.cfg, &b).unwrap();
            blocks.push(b);
        }
    }
    let slot = (50..100).find(|s| !net.leaders(&whole, *s).is_empty()).unwrap();
    blocks.push(net.forge(&whole, net.leaders(&whole, slot)[0], slot, vec![]));
    let mut h = net.genesis_state();
    for b in &blocks {
        h = h.advance_header(&net.cfg, b.header()).unwrap();
    }
    assert_eq!(h.ledger.epoch, 1, "the headers crossed the boundary");
    let mut want = whole.ledger.clone();
    want.new_epoch();
    assert_eq!(whole.ticked(1).ledger, want, "the whole chain's own boundary");
}
