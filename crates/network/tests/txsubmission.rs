//! Tx-submission2 messages: written byte for byte as pallas-network writes non-empty lists
//! (indefinite), read back from it, and round-tripped.

use pallas_codec::minicbor;
use pallas_network::miniprotocols::txsubmission as pt;
use proptest::prelude::*;
use slotforge_network::protocols::txsubmission::messages::{EraTx, EraTxId, Message, ERA_CONWAY};

fn id(b: u8) -> EraTxId {
    EraTxId {
        era: ERA_CONWAY,
        id: vec![b; 32],
    }
}

fn theirs(m: &Message) -> pt::Message<pt::EraTxId, pt::EraTxBody> {
    let pid = |i: &EraTxId| pt::EraTxId(i.era, i.id.clone());
    match m {
        Message::Init => pt::Message::Init,
        Message::RequestTxIds { blocking, ack, req } => pt::Message::RequestTxIds(*blocking, *ack, *req),
        Message::ReplyTxIds(v) => pt::Message::ReplyTxIds(v.iter().map(|(i, s)| pt::TxIdAndSize(pid(i), *s)).collect()),
        Message::RequestTxs(v) => pt::Message::RequestTxs(v.iter().map(pid).collect()),
        Message::ReplyTxs(v) => pt::Message::ReplyTxs(v.iter().map(|t| pt::EraTxBody(t.era, t.tx.clone())).collect()),
        Message::Done => pt::Message::Done,
    }
}

#[test]
fn pallas_network_and_we_agree_on_every_message() {
    for m in [
        Message::Init,
        Message::RequestTxIds {
            blocking: true,
            ack: 3,
            req: 10,
        },
        Message::ReplyTxIds(vec![(id(1), 300), (id(2), 16_384)]),
        Message::RequestTxs(vec![id(1), id(2)]),
        Message::ReplyTxs(vec![EraTx {
            era: ERA_CONWAY,
            tx: vec![0x84, 0xa0, 0xa0, 0xf5, 0xf6],
        }]),
        Message::Done,
    ] {
        let t = minicbor::to_vec(theirs(&m)).unwrap();
        assert_eq!(m.to_cbor(), t, "{m:?}");
        assert_eq!(Message::decode(&t, 65_535).unwrap(), m);
    }
    // An empty list: we write [] as the reference does; pallas writes [_ ]; both are read.
    let empty = Message::ReplyTxIds(vec![]);
    assert_eq!(empty.to_cbor(), [0x82, 0x01, 0x80]);
    let t = minicbor::to_vec(theirs(&empty)).unwrap();
    assert_eq!(Message::decode(&t, 100).unwrap(), empty);
}

#[test]
fn malformed_messages_are_refused() {
    assert!(Message::decode(&[0x81, 0x07], 100).is_err());
    assert!(Message::decode(&[0x84, 0x00, 0xf5, 0x01], 100).is_err());
    assert!(
        Message::decode(&[0x82, 0x03, 0x81, 0x82, 0x06, 0x41, 0x00], 100).is_err(),
        "an untagged transaction"
    );
    let m = Message::RequestTxs(vec![id(1); 10]).to_cbor();
    assert!(Message::decode(&m, 100).is_err(), "over the limit");
    for cut in 1..m.len() {
        assert!(Message::decode(&m[..cut], 100_000).is_err());
    }
}

proptest! {
    #[test]
    fn messages_round_trip(ids in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40), any::<u32>()), 0..10)) {
        let reply = Message::ReplyTxIds(ids.iter().map(|(e, b, s)| (EraTxId { era: *e, id: b.clone() }, *s)).collect());
        prop_assert_eq!(Message::decode(&reply.to_cbor(), 100_000).unwrap(), reply);
        let txs = Message::ReplyTxs(ids.iter().map(|(e, b, _)| EraTx { era: *e, tx: b.clone() }).collect());
        prop_assert_eq!(Message::decode(&txs.to_cbor(), 100_000).unwrap(), txs);
    }
}
