//! Block-fetch: messages read and written interchangeably with pallas-network (byte for byte),
//! blocks wrapped as the hard-fork combinator wraps them, and the server's answers to ranges
//! it has and has not.

use pallas_codec::minicbor;
use pallas_network::miniprotocols::blockfetch as pb;
use pallas_network::miniprotocols::Point as PPoint;
use proptest::prelude::*;
use slotforge_network::protocols::blockfetch::messages::{
    unwrap_block, wrap_block, Message, BLOCK_ERA_CONWAY, MAX_BLOCK_MESSAGE_BYTES,
};
use slotforge_network::protocols::blockfetch::server::{BlockFetchServer, BlockSource, Reply, State};
use slotforge_network::protocols::chainsync::messages::{DecodeError, Point};

fn pp(p: &Point) -> PPoint {
    match p {
        Point::Origin => PPoint::Origin,
        Point::Specific { slot, hash } => PPoint::Specific(*slot, hash.to_vec()),
    }
}

fn theirs(m: &Message) -> pb::Message {
    match m {
        Message::RequestRange(a, b) => pb::Message::RequestRange { range: (pp(a), pp(b)) },
        Message::ClientDone => pb::Message::ClientDone,
        Message::StartBatch => pb::Message::StartBatch,
        Message::NoBlocks => pb::Message::NoBlocks,
        Message::Block(b) => pb::Message::Block { body: b.clone() },
        Message::BatchDone => pb::Message::BatchDone,
    }
}

#[test]
fn pallas_network_and_we_read_each_others_messages() {
    let p = Point::Specific {
        slot: 10,
        hash: [3; 32],
    };
    for m in [
        Message::RequestRange(Point::Origin, p),
        Message::ClientDone,
        Message::StartBatch,
        Message::NoBlocks,
        Message::Block(wrap_block(BLOCK_ERA_CONWAY, &[0x85, 0x80, 0x80, 0x80, 0xa0, 0x80])),
        Message::BatchDone,
    ] {
        let ours = m.to_cbor();
        let t = minicbor::to_vec(theirs(&m)).unwrap();
        assert_eq!(ours, t, "{m:?} is written as pallas writes it");
        assert_eq!(Message::decode(&t, MAX_BLOCK_MESSAGE_BYTES).unwrap(), m);
        let back: pb::Message = minicbor::decode(&ours).unwrap();
        assert_eq!(minicbor::to_vec(back).unwrap(), ours);
    }
}

#[test]
fn wrapped_blocks_keep_their_bytes_and_era() {
    let block = [0x85, 0x82, 0x01, 0x02, 0x80, 0x80, 0xa0, 0x80];
    let w = wrap_block(BLOCK_ERA_CONWAY, &block);
    assert_eq!(&w[..2], &[0x82, 0x07]);
    assert_eq!(unwrap_block(&w).unwrap(), (BLOCK_ERA_CONWAY, &block[..]));
    let mut longer = w.clone();
    longer.push(0);
    assert!(unwrap_block(&longer).is_err());
    assert!(unwrap_block(&[0x83, 0x07, 0x80, 0x80]).is_err());
}

#[test]
fn malformed_and_oversized_messages_are_refused() {
    assert!(matches!(
        Message::decode(&[0x81, 0x09], 100),
        Err(DecodeError::Invalid(_))
    ));
    assert!(matches!(
        Message::decode(&[0x82, 0x04, 0x41, 0x00], 100),
        Err(DecodeError::Cbor { .. }) | Err(DecodeError::Invalid(_))
    ));
    assert_eq!(
        Message::decode(&[0x81, 0x01, 0x00], 100),
        Err(DecodeError::TrailingBytes(1))
    );
    let big = Message::Block(vec![0; 70_000]).to_cbor();
    assert!(matches!(
        Message::decode(&big, 65_535),
        Err(DecodeError::TooLarge { limit: 65_535, .. })
    ));
    assert!(Message::decode(&big, MAX_BLOCK_MESSAGE_BYTES).is_ok());
}

/// Blocks 1..=10 on one chain.
struct Ten;

fn point(i: u64) -> Point {
    Point::Specific {
        slot: i * 2,
        hash: [i as u8; 32],
    }
}

impl BlockSource for Ten {
    fn range(&self, from: &Point, to: &Point) -> Option<Vec<Point>> {
        let idx = |p: &Point| (1..=10).find(|i| point(*i) == *p);
        let (a, b) = (idx(from)?, idx(to)?);
        (a <= b).then(|| (a..=b).map(point).collect())
    }
}

#[test]
fn the_server_answers_ranges_it_has_with_a_batch_and_others_with_no_blocks() {
    let mut s = BlockFetchServer::default();
    assert_eq!(
        s.on_message(Message::RequestRange(point(3), point(5)), &Ten).unwrap(),
        Some(Reply::Batch(vec![point(3), point(4), point(5)]))
    );
    assert_eq!(
        s.on_message(Message::RequestRange(point(5), point(3)), &Ten).unwrap(),
        Some(Reply::NoBlocks)
    );
    let unknown = Point::Specific {
        slot: 1,
        hash: [99; 32],
    };
    assert_eq!(
        s.on_message(Message::RequestRange(unknown, point(3)), &Ten).unwrap(),
        Some(Reply::NoBlocks)
    );
    // Server messages from a client are violations; done ends it.
    assert!(s.on_message(Message::StartBatch, &Ten).is_err());
    assert_eq!(s.on_message(Message::ClientDone, &Ten).unwrap(), None);
    assert_eq!(s.state(), State::Done);
    assert!(s.on_message(Message::RequestRange(point(1), point(1)), &Ten).is_err());
}

proptest! {
    #[test]
    fn messages_round_trip(slot in any::<u64>(), hash in any::<[u8; 32]>(), body in proptest::collection::vec(any::<u8>(), 0..500)) {
        let p = Point::Specific { slot, hash };
        for m in [Message::RequestRange(p, Point::Origin), Message::Block(body.clone())] {
            prop_assert_eq!(Message::decode(&m.to_cbor(), MAX_BLOCK_MESSAGE_BYTES).unwrap(), m);
        }
    }
}
