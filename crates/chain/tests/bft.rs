//! A BFT chain: leaders from the genesis delegates, round-robin blocks adopted, a block by
//! the wrong leader rejected, and delegate keys that do not match genesis refused.

mod common;

use slotforge_chain::block::{Block, BlockBody};
use slotforge_chain::chain_state::{BlockError, ChainState};
use slotforge_chain::config::ChainConfig;
use slotforge_chain::selection::{ChainSelection, SelectionEvent};
use slotforge_crypto::ed25519::SigningKey;
use slotforge_ledger::genesis::{AlonzoGenesis, Genesis};
use slotforge_praos::bft::{BftHeader, BftHeaderBody};
use slotforge_praos::epoch_leadership::EpochConsensus;
use slotforge_praos::nonce::blake2b224;

fn keys() -> Vec<SigningKey> {
    (0..3u8).map(|i| SigningKey::from_bytes(&[i + 60; 32])).collect()
}

fn config(delegates: Vec<[u8; 32]>) -> Result<ChainConfig, slotforge_ledger::genesis::GenesisError> {
    let base = common::Devnet::new(1, 5, (1, 2), 30);
    let mut shelley = base.cfg.genesis.shelley.clone();
    for (i, k) in keys().iter().enumerate() {
        shelley.gen_delegs.insert(
            hex::encode([i as u8 + 1; 28]),
            slotforge_ledger::genesis::GenDeleg {
                delegate: hex::encode(blake2b224(k.verifying_key().as_bytes())),
                vrf: hex::encode([0u8; 32]),
            },
        );
    }
    let g = Genesis::from_parts(shelley, AlonzoGenesis::default(), [7; 32])?;
    ChainConfig::new(g, Some(delegates))
}

fn forge(state: &ChainState, key: &SigningKey, slot: u64) -> Block {
    let body = BlockBody::empty();
    let h = BftHeader::sign(
        BftHeaderBody {
            block_number: state.tip.map_or(0, |t| t.block_number + 1),
            slot,
            prev_hash: state.tip.map(|t| t.hash),
            issuer_vkey: key.verifying_key().to_bytes(),
            block_body_size: body.size(),
            block_body_hash: body.hash(),
            protocol_version: (10, 0),
        },
        key,
    );
    Block::assemble(&h.to_cbor(), body).unwrap()
}

#[test]
fn round_robin_blocks_are_adopted_and_a_wrong_leader_rejected() {
    let keys = keys();
    let vkeys: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let cfg = std::sync::Arc::new(config(vkeys.clone()).unwrap());
    let g = ChainState::genesis(&cfg).unwrap();
    match g.leadership(&cfg, 0).unwrap().consensus {
        EpochConsensus::Bft { leaders } => assert_eq!(leaders, vkeys),
        other => panic!("{other:?}"),
    }
    let mut sel = ChainSelection::new(cfg.clone(), g.clone());
    // Slots 1..40 cross an epoch (30 slots): leader = slot-in-epoch mod 3.
    for slot in 1..40u64 {
        let state = sel.tip_state().clone();
        let leader = ((slot % 30) % 3) as usize;
        let wrong = forge(&state, &keys[(leader + 1) % 3], slot);
        let events = sel.add_block(wrong).unwrap();
        assert!(
            matches!(
                &events[..],
                [SelectionEvent::Rejected {
                    error: BlockError::Bft(_),
                    ..
                }]
            ),
            "slot {slot}: {events:?}"
        );
        let right = forge(&state, &keys[leader], slot);
        let events = sel.add_block(right).unwrap();
        assert!(
            matches!(events[0], SelectionEvent::Adopted { .. }),
            "slot {slot}: {events:?}"
        );
    }
    assert_eq!(sel.tip().unwrap().block_number, 38);
}

#[test]
fn delegate_keys_must_match_the_genesis_delegates() {
    let mut vkeys: Vec<[u8; 32]> = keys().iter().map(|k| k.verifying_key().to_bytes()).collect();
    vkeys.swap(0, 1);
    let err = config(vkeys).err().unwrap().to_string();
    assert!(err.contains("does not hash to genDelegs delegate"), "{err}");
    let err = config(Vec::new()).err().unwrap().to_string();
    assert!(err.contains("0 BFT delegate keys given, genDelegs has 3"), "{err}");
}
