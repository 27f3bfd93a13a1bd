//! Chain-sync messages: every message round-trips; pallas-network (software no one here
//! wrote) reads what we write and we read what it writes; malformed bytes are refused.

use pallas_codec::minicbor;
use pallas_network::miniprotocols::chainsync as pc;
use pallas_network::miniprotocols::Point as PPoint;
use proptest::prelude::*;
use slotforge_network::protocols::chainsync::messages::{
    DecodeError, Message, Point, Tip, WrappedHeader, ERA_CONWAY, MAX_MESSAGE_BYTES,
};

fn to_pallas(p: &Point) -> PPoint {
    match p {
        Point::Origin => PPoint::Origin,
        Point::Specific { slot, hash } => PPoint::Specific(*slot, hash.to_vec()),
    }
}

fn pallas_tip(t: &Tip) -> pc::Tip {
    pc::Tip(to_pallas(&t.point), t.block_number)
}

fn sample() -> Vec<Message> {
    let p = Point::Specific {
        slot: 1234,
        hash: [7; 32],
    };
    let tip = Tip {
        point: p,
        block_number: 99,
    };
    vec![
        Message::RequestNext,
        Message::AwaitReply,
        Message::RollForward(
            WrappedHeader {
                era: ERA_CONWAY,
                header: vec![0x82, 0x01, 0x02],
            },
            tip,
        ),
        Message::RollBackward(Point::Origin, tip),
        Message::FindIntersect(vec![p, Point::Origin]),
        Message::FindIntersect(vec![]),
        Message::IntersectFound(p, tip),
        Message::IntersectNotFound(Tip {
            point: Point::Origin,
            block_number: 0,
        }),
        Message::Done,
    ]
}

fn pallas_of(m: &Message) -> pc::Message<pc::HeaderContent> {
    match m {
        Message::RequestNext => pc::Message::RequestNext,
        Message::AwaitReply => pc::Message::AwaitReply,
        Message::RollForward(h, t) => pc::Message::RollForward(
            pc::HeaderContent {
                variant: h.era,
                byron_prefix: None,
                cbor: h.header.clone(),
            },
            pallas_tip(t),
        ),
        Message::RollForwardBlock(..) => unreachable!("the sample is node-to-node's"),
        Message::RollBackward(p, t) => pc::Message::RollBackward(to_pallas(p), pallas_tip(t)),
        Message::FindIntersect(ps) => pc::Message::FindIntersect(ps.iter().map(to_pallas).collect()),
        Message::IntersectFound(p, t) => pc::Message::IntersectFound(to_pallas(p), pallas_tip(t)),
        Message::IntersectNotFound(t) => pc::Message::IntersectNotFound(pallas_tip(t)),
        Message::Done => pc::Message::Done,
    }
}

#[test]
fn pallas_network_and_we_read_each_others_messages() {
    for m in sample() {
        let ours = m.to_cbor();
        let theirs = minicbor::to_vec(pallas_of(&m)).unwrap();
        assert_eq!(Message::decode(&theirs).unwrap(), m, "we read pallas's {m:?}");
        let back: pc::Message<pc::HeaderContent> = minicbor::decode(&ours).unwrap();
        assert_eq!(
            minicbor::to_vec(back).unwrap(),
            theirs,
            "pallas reads ours of {m:?} as it writes it"
        );
    }
}

#[test]
fn an_indefinite_list_of_points_is_read() {
    // [4, [_ [], [5, h'00…']]] as the reference writes non-empty lists.
    let mut b = vec![0x82, 0x04, 0x9f, 0x80, 0x82, 0x05, 0x58, 0x20];
    b.extend_from_slice(&[0u8; 32]);
    b.push(0xff);
    assert_eq!(
        Message::decode(&b).unwrap(),
        Message::FindIntersect(vec![Point::Origin, Point::Specific { slot: 5, hash: [0; 32] }])
    );
}

#[test]
fn malformed_messages_are_refused() {
    assert!(matches!(Message::decode(&[0x81, 0x09]), Err(DecodeError::Invalid(_))));
    assert!(matches!(
        Message::decode(&[0x82, 0x00, 0x00]),
        Err(DecodeError::Invalid(_))
    ));
    assert_eq!(Message::decode(&[0x81, 0x00, 0x00]), Err(DecodeError::TrailingBytes(1)));
    assert_eq!(
        Message::decode(&vec![0; MAX_MESSAGE_BYTES + 1]),
        Err(DecodeError::TooLarge {
            size: MAX_MESSAGE_BYTES + 1,
            limit: MAX_MESSAGE_BYTES
        })
    );
    // A Byron header, a header without tag 24, a 31-byte hash.
    assert!(
        matches!(Message::decode(&[0x83, 0x02, 0x82, 0x00, 0x80, 0x82, 0x80, 0x00]), Err(DecodeError::Invalid(m)) if m.contains("Byron"))
    );
    assert!(matches!(
        Message::decode(&[0x83, 0x02, 0x82, 0x06, 0x41, 0x00, 0x82, 0x80, 0x00]),
        Err(DecodeError::Cbor { .. }) | Err(DecodeError::Invalid(_))
    ));
    let mut short = vec![0x82, 0x06, 0x82, 0x82, 0x01, 0x58, 0x1f];
    short.extend_from_slice(&[0; 31]);
    short.push(0x00);
    assert!(matches!(Message::decode(&short), Err(DecodeError::Invalid(m)) if m.contains("32 bytes")));
    for m in sample() {
        let b = m.to_cbor();
        for cut in 1..b.len() {
            assert!(Message::decode(&b[..cut]).is_err(), "{m:?} cut at {cut}");
        }
    }
}

fn point() -> impl Strategy<Value = Point> {
    prop_oneof![
        Just(Point::Origin),
        (any::<u64>(), any::<[u8; 32]>()).prop_map(|(slot, hash)| Point::Specific { slot, hash })
    ]
}

fn tip() -> impl Strategy<Value = Tip> {
    (point(), any::<u64>()).prop_map(|(point, block_number)| Tip { point, block_number })
}

proptest! {
    #[test]
    fn messages_round_trip(m in prop_oneof![
        Just(Message::RequestNext),
        Just(Message::AwaitReply),
        (1u8..8, proptest::collection::vec(any::<u8>(), 0..300), tip())
            .prop_map(|(era, header, t)| Message::RollForward(WrappedHeader { era, header }, t)),
        (proptest::collection::vec(any::<u8>(), 0..300), tip())
            .prop_map(|(block, t)| Message::RollForwardBlock(block, t)),
        (point(), tip()).prop_map(|(p, t)| Message::RollBackward(p, t)),
        proptest::collection::vec(point(), 0..20).prop_map(Message::FindIntersect),
        (point(), tip()).prop_map(|(p, t)| Message::IntersectFound(p, t)),
        tip().prop_map(Message::IntersectNotFound),
        Just(Message::Done),
    ]) {
        prop_assert_eq!(Message::decode(&m.to_cbor()).unwrap(), m);
    }
}
