//! Chain selection on real forged blocks: adoption, forks within and beyond k, slot battles,
//! invalid blocks, and the same chain whatever the arrival order.

mod common;

use common::Devnet;
use proptest::prelude::*;
use slotforge_chain::block::Block;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::selection::{AddError, ChainSelection, SelectionEvent};

fn adopted(events: &[SelectionEvent]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            SelectionEvent::Adopted { point, .. } => Some(point.block_number),
            _ => None,
        })
        .collect()
}

#[test]
fn a_forged_chain_is_adopted_and_blocks_become_immutable_k_deep() {
    let net = Devnet::new(3, 5, (1, 2), 100);
    let (blocks, end) = net.extend(&net.genesis_state(), 0, 12);
    let mut sel = ChainSelection::new(net.cfg.clone(), net.genesis_state());
    let mut immutable = Vec::new();
    for (n, b) in blocks.iter().enumerate() {
        let events = sel.add_block(b.clone()).unwrap();
        assert_eq!(adopted(&events), vec![n as u64]);
        for e in &events {
            if let SelectionEvent::Immutable { point } = e {
                immutable.push(point.block_number);
            }
        }
    }
    assert_eq!(sel.tip(), end.tip);
    assert_eq!(**sel.tip_state(), end);
    // 12 blocks, k = 5: blocks 0..=6 have at least 5 on top.
    assert_eq!(immutable, (0..7).collect::<Vec<_>>());
    assert_eq!(sel.anchor().tip.unwrap().block_number, 6);
    // A block before the immutable tip is not considered.
    let stale = blocks[3].clone();
    assert!(matches!(sel.add_block(stale), Err(AddError::BeforeImmutable { .. })));
}

/// A fork from `fork_at` blocks into the chain, `len` blocks long, by forging in slots the
/// main chain left empty (offset by 1000 so the two never share a slot).
fn fork(net: &Devnet, base: &ChainState, len: usize) -> Vec<Block> {
    let start = base.tip.map_or(0, |t| t.slot) + 1000;
    net.extend(base, start, len).0
}

#[test]
fn a_longer_fork_within_k_is_taken_and_one_beyond_k_refused() {
    let net = Devnet::new(3, 4, (1, 2), 10_000);
    let g = net.genesis_state();
    let (main, _) = net.extend(&g, 0, 6);
    let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
    for b in &main {
        sel.add_block(b.clone()).unwrap();
    }
    // The state after main[2] (block number 2), rebuilt by replay.
    let at2 = net.replay(&main[..3]);
    // Fork after block 2: rolls back 3 blocks (3, 4, 5) ≤ k = 4; 4 new blocks make it longer.
    let f = fork(&net, &at2, 4);
    let mut events = Vec::new();
    for b in &f {
        events.extend(sel.add_block(b.clone()).unwrap());
    }
    let rolled: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, SelectionEvent::RolledBack { .. }))
        .collect();
    assert_eq!(rolled.len(), 1, "{events:?}");
    assert_eq!(sel.tip().unwrap().hash, f.last().unwrap().hash());
    for b in &main[3..] {
        assert!(events.contains(&SelectionEvent::Orphaned {
            point: slotforge_chain::chain_state::Point {
                hash: b.hash(),
                slot: b.slot(),
                block_number: b.block_number()
            }
        }));
    }

    // The state after an orphaned block is rebuilt from where its fork left the chain.
    assert_eq!(*sel.state_of(Some(main[5].hash())).unwrap(), net.replay(&main));
    assert_eq!(sel.state_of(Some(f[3].hash())).as_ref(), Some(sel.tip_state()));
    assert!(sel.state_of(Some([7; 32])).is_none());

    // A fresh selection on the 6-block chain; a fork after block 0 would roll back 5 > k
    // blocks. Blocks 0 and 1 are immutable (k = 4 on top), so the fork is refused however long.
    let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
    for b in &main {
        sel.add_block(b.clone()).unwrap();
    }
    assert_eq!(sel.anchor().tip.unwrap().block_number, 1);
    let at0 = g.apply_block(&net.cfg, &main[0]).unwrap();
    let deep = fork(&net, &at0, 7);
    assert!(matches!(
        sel.add_block(deep[0].clone()),
        Err(AddError::BeforeImmutable { .. })
    ));
    assert!(matches!(
        sel.add_block(deep[1].clone()),
        Err(AddError::UnknownParent { .. })
    ));
    assert_eq!(sel.tip().unwrap().hash, main.last().unwrap().hash());
}

#[test]
fn rollback_restores_the_state_exactly() {
    let net = Devnet::new(2, 10, (1, 2), 10_000);
    let g = net.genesis_state();
    let (main, _) = net.extend(&g, 0, 3);
    let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
    for b in &main {
        sel.add_block(b.clone()).unwrap();
    }
    let at1 = sel.selected()[1].1.clone();
    let f = fork(&net, &at1, 3);
    for b in &f {
        sel.add_block(b.clone()).unwrap();
    }
    // The chain is main[0..2] + fork; its state at block 1 is the one a replay gives.
    let mut replay = net.replay(&main[..2]);
    assert_eq!(*sel.selected()[1].1, replay);
    for b in &f {
        replay = replay.apply_block(&net.cfg, b).unwrap();
    }
    assert_eq!(**sel.tip_state(), replay);
}

#[test]
fn an_invalid_block_is_rejected_and_its_descendants_never_selected() {
    let net = Devnet::new(2, 10, (1, 2), 10_000);
    let g = net.genesis_state();
    let (main, g1) = net.extend(&g, 0, 1);
    let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
    sel.add_block(main[0].clone()).unwrap();
    // A block by a leader whose transaction pays too small a fee.
    let p = &net.pools[0];
    let tx = slotforge_devnet::txbuilder::TxBuilder::new()
        .input(p.funds())
        .output(p.address(), common::FUNDS - 1000)
        .fee(1000)
        .sign(&[&p.payment]);
    let slot = (2..).find(|s| !net.leaders(&g1, *s).is_empty()).unwrap();
    let bad = net.forge(&g1, net.leaders(&g1, slot)[0], slot, vec![tx]);
    let events = sel.add_block(bad.clone()).unwrap();
    assert!(
        matches!(&events[..], [SelectionEvent::Rejected { error, .. }] if error.rule() == "FeeTooSmallUTxO"),
        "{events:?}"
    );
    assert_eq!(sel.tip(), g1.tip);
    // Its child is refused without validation.
    let mut fake = g1.clone();
    fake.tip = Some(slotforge_chain::chain_state::Point {
        hash: bad.hash(),
        slot,
        block_number: 1,
    });
    let child_slot = (slot + 1..).find(|s| !net.leaders(&fake, *s).is_empty()).unwrap();
    let child = net.forge(&fake, net.leaders(&fake, child_slot)[0], child_slot, vec![]);
    assert!(matches!(sel.add_block(child), Err(AddError::KnownInvalid { .. })));
    // A block shipped with a body other than its header's is not considered at all, and the
    // real block with the same header is still taken.
    let good = net.forge(&g1, net.leaders(&g1, slot)[0], slot, vec![]);
    let other = slotforge_chain::block::BlockBody::new(vec![net.pools[1].spend_all_tx()]);
    let mismatched = Block::assemble(good.header_bytes(), other).unwrap();
    assert!(matches!(sel.add_block(mismatched), Err(AddError::BodyMismatch { .. })));
    assert_eq!(adopted(&sel.add_block(good).unwrap()), vec![1]);
}

/// `n` blocks on `state` from `slot` on, each with a payment by pool 0's owner to itself, so
/// that undoing them has UTxO to restore.
fn busy_chain(net: &Devnet, state: &ChainState, mut slot: u64, n: usize) -> Vec<Block> {
    let mut s = state.clone();
    let mut out = Vec::new();
    let p = &net.pools[0];
    while out.len() < n {
        slot += 1;
        let Some(&i) = net.leaders(&s, slot).first() else {
            continue;
        };
        let addr = p.address();
        let (input, coin) = s
            .ledger
            .utxo
            .iter()
            .filter(|(_, o)| o.address == addr)
            .map(|(i, o)| (*i, o.coin))
            .max_by_key(|(_, c)| *c)
            .unwrap();
        let tx = slotforge_devnet::txbuilder::TxBuilder::new()
            .input(input)
            .output(addr, 0)
            .output(net.pools[1].address(), 1_000_000 + slot)
            .balance(&net.cfg.ledger, coin, 0, &[&p.payment]);
        let b = net.forge(&s, i, slot, vec![tx]);
        s = s.apply_block(&net.cfg, &b).unwrap();
        out.push(b);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// A fork after `keep` of `main_len` blocks, `fork_len` long, k = 4: taken exactly when it
    /// is longer and forks after the immutable tip; then the state equals a replay of the new
    /// chain (every undone transaction restored); otherwise nothing changes.
    #[test]
    fn a_fork_within_k_is_taken_beyond_k_refused_and_rollback_restores_the_state(
        main_len in 1usize..9,
        keep_seed in 0usize..9,
        fork_len in 1usize..9,
    ) {
        let net = Devnet::new(3, 4, (1, 2), 100_000);
        let g = net.genesis_state();
        let main = busy_chain(&net, &g, 0, main_len);
        let keep = keep_seed % (main_len + 1);
        let base = net.replay(&main[..keep]);
        let fork = busy_chain(&net, &base, base.tip.map_or(0, |t| t.slot) + 1000, fork_len);
        let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
        for b in &main {
            sel.add_block(b.clone()).unwrap();
        }
        let before = sel.tip_state().clone();
        let immutable = main_len.saturating_sub(4); // blocks with k on top
        let mut refused = false;
        for b in &fork {
            match sel.add_block(b.clone()) {
                Ok(_) => {}
                Err(AddError::BeforeImmutable { .. }) | Err(AddError::UnknownParent { .. }) => refused = true,
                Err(e) => panic!("{e}"),
            }
        }
        if keep < immutable {
            prop_assert!(refused);
            prop_assert_eq!(sel.tip_state(), &before);
        } else if keep + fork_len > main_len {
            prop_assert_eq!(sel.tip().unwrap().hash, fork.last().unwrap().hash());
            let mut replay = base.clone();
            for b in &fork {
                replay = replay.apply_block(&net.cfg, b).unwrap();
            }
            prop_assert_eq!(&**sel.tip_state(), &replay);
        } else {
            // Not longer (ties at distant slots keep the current chain in Conway).
            prop_assert_eq!(sel.tip_state(), &before);
        }
    }

    /// A tree of three branches off a short trunk, delivered in any order (parents before
    /// children), selects the same tip.
    #[test]
    fn any_arrival_order_selects_the_same_chain(seed in any::<u64>()) {
        let net = Devnet::new(3, 20, (1, 2), 100_000).unrestricted();
        let g = net.genesis_state();
        let (trunk, t_state) = net.extend(&g, 0, 2);
        let lens = [1 + (seed % 3) as usize, 1 + (seed / 3 % 3) as usize, 1 + (seed / 9 % 3) as usize];
        let mut all = trunk.clone();
        for (i, len) in lens.iter().enumerate() {
            let start = t_state.tip.unwrap().slot + 1000 * (i as u64 + 1);
            all.extend(net.extend(&t_state, start, *len).0);
        }
        let mut tips = Vec::new();
        for perm in 0..4u64 {
            // A deterministic shuffle respecting parents: repeatedly pick an available block.
            let mut pending = all.clone();
            let mut known: std::collections::HashSet<Option<[u8; 32]>> = [None].into_iter().collect();
            let mut sel = ChainSelection::new(net.cfg.clone(), g.clone());
            let mut r = seed.wrapping_mul(6364136223846793005).wrapping_add(perm * 1442695040888963407 + 1);
            while !pending.is_empty() {
                let ready: Vec<usize> = (0..pending.len()).filter(|&i| known.contains(&pending[i].prev_hash())).collect();
                r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let pick = ready[(r >> 33) as usize % ready.len()];
                let b = pending.remove(pick);
                known.insert(Some(b.hash()));
                sel.add_block(b).unwrap();
            }
            tips.push(sel.tip());
        }
        prop_assert!(tips.windows(2).all(|w| w[0] == w[1]), "{tips:?}");
    }
}
