//! The chain judges blocks by the parameters the ledger state holds — those governance enacted,
//! not the genesis ones — counts each block for its issuer's pool (the reward update pays by
//! them), and refuses every block once the ledger's protocol version is above the node's
//! maximum (`ObsoleteNode`).

mod common;

use std::sync::Arc;

use common::Devnet;
use slotforge_chain::chain_state::{BlockError, ChainState};

/// The genesis state with `edit` applied to its parameters, as an enactment would leave them.
fn with_params(net: &Devnet, edit: impl FnOnce(&mut slotforge_ledger::LedgerParams)) -> ChainState {
    let mut s = net.genesis_state();
    let mut p = (*s.ledger.params).clone();
    edit(&mut p);
    s.ledger.params = Arc::new(p);
    s
}

#[test]
fn blocks_are_judged_by_the_ledgers_parameters() {
    let net = Devnet::new(3, 5, (1, 2), 100);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 1);
    let block = &blocks[0];
    assert!(net.genesis_state().apply_block(&net.cfg, block).is_ok());

    let small = with_params(&net, |p| p.max_block_body_size = 2);
    assert!(
        matches!(
            small.apply_block(&net.cfg, block),
            Err(BlockError::BlockSizeTooLarge { max: 2, .. })
        ),
        "a smaller enacted maximum body size refuses the block"
    );
    let small = with_params(&net, |p| p.max_block_header_size = 100);
    assert!(matches!(
        small.apply_block(&net.cfg, block),
        Err(BlockError::HeaderSizeTooLarge { max: 100, .. })
    ));
}

#[test]
fn a_ledger_above_the_nodes_maximum_version_makes_the_node_obsolete() {
    let net = Devnet::new(3, 5, (1, 2), 100);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 1);
    let eleven = with_params(&net, |p| p.protocol_version = (11, 0));
    assert!(matches!(
        eleven.apply_block(&net.cfg, &blocks[0]),
        Err(BlockError::ObsoleteNode { ledger: 11, max: 10 })
    ));
    let minor = with_params(&net, |p| p.protocol_version = (10, 7));
    assert!(
        minor.apply_block(&net.cfg, &blocks[0]).is_ok(),
        "a minor version is no hard fork"
    );
}

#[test]
fn each_block_counts_for_its_issuers_pool_and_moves_to_the_previous_epoch_at_the_boundary() {
    let net = Devnet::new(3, 5, (1, 2), 100);
    let (blocks, end) = net.extend(&net.genesis_state(), 0, 12);
    let made: u64 = end.ledger.blocks_current.values().sum();
    assert_eq!(made, blocks.len() as u64);
    for (pool, n) in end.ledger.blocks_current.iter() {
        let issued = blocks
            .iter()
            .filter(|b| slotforge_praos::validation::pool_id(&b.header().issuer_vkey()) == *pool)
            .count() as u64;
        assert_eq!(*n, issued);
    }
    let next = end.ticked(end.ledger.epoch + 1);
    assert_eq!(next.ledger.blocks_previous, end.ledger.blocks_current);
    assert!(next.ledger.blocks_current.is_empty());
}
