//! The servers over the node's real chain: a forged chain, part immutable (in the store) and
//! part volatile, is served header by header by chain-sync to our client and block by block
//! by block-fetch, with the exact bytes; a fork switch reaches the client as a roll-backward.

#[path = "../../chain/tests/common/mod.rs"]
mod common;

use common::Devnet;
use slotforge_chain::block::Block;
use slotforge_chain::selection::ChainSelection;
use slotforge_chain::store::{BlockReader, BlockStore};
use slotforge_network::node_chain::NodeChain;
use slotforge_network::protocols::blockfetch::messages::{unwrap_block, Message as FetchMsg};
use slotforge_network::protocols::blockfetch::server::{BlockFetchServer, BlockSource, Reply};
use slotforge_network::protocols::chainsync::client::{ChainSyncClient, Event};
use slotforge_network::protocols::chainsync::messages::Point;
use slotforge_network::protocols::chainsync::server::{ChainSyncServer, ChainView};

fn add(sel: &mut ChainSelection, store: &mut BlockStore, b: &Block) {
    let events = sel.add_block(b.clone()).unwrap();
    store.record(b, &events, sel).unwrap();
}

/// Requests headers until the server says await; returns the headers received.
fn sync(client: &mut ChainSyncClient, server: &mut ChainSyncServer, chain: &NodeChain<'_>, got: &mut Vec<Vec<u8>>) {
    while let Some(m) = client.request_next() {
        for reply in server.on_message(m, chain).unwrap() {
            match client.on_message(reply).unwrap() {
                Event::RollForward(h, _) => got.push(h.header),
                Event::RollBackward(Point::Origin, _) => got.clear(),
                Event::RollBackward(Point::Specific { hash, .. }, _) => {
                    let keep = got
                        .iter()
                        .position(|h| slotforge_praos::nonce::blake2b256(&[h]) == hash)
                        .unwrap()
                        + 1;
                    got.truncate(keep);
                }
                Event::AwaitingUpdate => return,
                other => panic!("{other:?}"),
            }
        }
    }
}

#[test]
fn the_chain_is_served_from_the_store_and_the_volatile_part() {
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::new(3, 3, (1, 2), 10_000);
    let mut store = BlockStore::open(&dir.path().join("chain.db"), &net.cfg).unwrap();
    // The servers read the store on a connection of their own.
    let reader = BlockReader::open(&dir.path().join("chain.db")).unwrap();
    let mut sel = ChainSelection::new(net.cfg.clone(), net.genesis_state());
    let (main, _) = net.extend(&net.genesis_state(), 0, 8);
    for b in &main {
        add(&mut sel, &mut store, b);
    }
    assert_eq!(
        sel.anchor().tip.unwrap().block_number,
        4,
        "blocks 0–4 are immutable, 5–7 volatile"
    );
    let mut client = ChainSyncClient::default();
    let mut server = ChainSyncServer::new();
    let mut got = Vec::new();
    {
        let volatile = sel.volatile();
        let chain = NodeChain {
            volatile: &volatile,
            store: &reader,
        };
        sync(&mut client, &mut server, &chain, &mut got);
        let want: Vec<Vec<u8>> = main.iter().map(|b| b.header_bytes().to_vec()).collect();
        assert_eq!(got, want, "every header, exact bytes, in order");
        // Block-fetch over the whole chain: exact bytes.
        let first = Point::Specific {
            slot: main[0].slot(),
            hash: main[0].hash(),
        };
        let last = Point::Specific {
            slot: main[7].slot(),
            hash: main[7].hash(),
        };
        let mut fetch = BlockFetchServer::default();
        let Some(Reply::Batch(points)) = fetch.on_message(FetchMsg::RequestRange(first, last), &chain).unwrap() else {
            panic!("a batch")
        };
        assert_eq!(points.len(), 8);
        for (p, b) in points.iter().zip(&main) {
            let w = chain.wrapped_block(p).unwrap();
            let (era, bytes) = unwrap_block(&w).unwrap();
            assert_eq!((era, bytes), (7, &b.to_cbor()[..]));
        }
        assert!(chain.range(&last, &first).is_none());
    }
    // A longer fork from block 5 (volatile): the waiting client is rolled back, then follows.
    let at5 = net.replay(&main[..6]);
    let (fork, _) = net.extend(&at5, 5000, 3);
    for b in &fork {
        add(&mut sel, &mut store, b);
    }
    let volatile = sel.volatile();
    let chain = NodeChain {
        volatile: &volatile,
        store: &reader,
    };
    for reply in server.on_chain_changed(&chain) {
        match client.on_message(reply).unwrap() {
            Event::RollBackward(p, _) => {
                assert_eq!(
                    p,
                    Point::Specific {
                        slot: main[5].slot(),
                        hash: main[5].hash()
                    }
                );
                got.truncate(6);
            }
            other => panic!("{other:?}"),
        }
    }
    sync(&mut client, &mut server, &chain, &mut got);
    let want: Vec<Vec<u8>> = main[..6]
        .iter()
        .chain(&fork)
        .map(|b| b.header_bytes().to_vec())
        .collect();
    assert_eq!(got, want);
    assert_eq!(chain.tip().block_number, 8);

    // The abandoned blocks 6–7 are still served to a client fetching them (it saw them before
    // the switch), from an immutable block through the fork.
    let p = |b: &Block| Point::Specific {
        slot: b.slot(),
        hash: b.hash(),
    };
    let range = chain
        .range(&p(&main[4]), &p(&main[7]))
        .expect("a range through the old fork");
    assert_eq!(range, main[4..8].iter().map(p).collect::<Vec<_>>());
    for (q, b) in range.iter().zip(&main[4..]) {
        assert_eq!(
            unwrap_block(&chain.wrapped_block(q).unwrap()).unwrap().1,
            &b.to_cbor()[..]
        );
    }
    // Not a range: the fork's tip does not descend from the abandoned block 6.
    assert!(chain.range(&p(&main[6]), &p(&fork[2])).is_none());
}

#[test]
fn a_block_fetch_range_is_bounded_and_read_from_the_store_index() {
    use slotforge_network::node_chain::MAX_RANGE_BLOCKS;
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::new(3, 3, (1, 2), 100_000);
    let mut store = BlockStore::open(&dir.path().join("chain.db"), &net.cfg).unwrap();
    let reader = BlockReader::open(&dir.path().join("chain.db")).unwrap();
    let mut sel = ChainSelection::new(net.cfg.clone(), net.genesis_state());
    let n = MAX_RANGE_BLOCKS as usize + 1;
    let (blocks, _) = net.extend(&net.genesis_state(), 0, n);
    for b in &blocks {
        add(&mut sel, &mut store, b);
    }
    let volatile = sel.volatile();
    let chain = NodeChain {
        volatile: &volatile,
        store: &reader,
    };
    let p = |b: &Block| Point::Specific {
        slot: b.slot(),
        hash: b.hash(),
    };
    // MAX_RANGE_BLOCKS blocks, immutable and volatile: served.
    let range = chain.range(&p(&blocks[1]), &p(&blocks[n - 1])).unwrap();
    assert_eq!(range.len() as u64, MAX_RANGE_BLOCKS);
    assert_eq!(range, blocks[1..].iter().map(p).collect::<Vec<_>>());
    // One more: no blocks.
    assert!(chain.range(&p(&blocks[0]), &p(&blocks[n - 1])).is_none());
    let mut fetch = BlockFetchServer::default();
    assert_eq!(
        fetch
            .on_message(FetchMsg::RequestRange(p(&blocks[0]), p(&blocks[n - 1])), &chain)
            .unwrap(),
        Some(Reply::NoBlocks)
    );
}
