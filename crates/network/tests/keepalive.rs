//! Keep-alive messages written byte for byte as pallas-network writes them, and read back.

use pallas_codec::minicbor;

#[test]
fn keep_alive_messages_are_written_as_pallas_writes_them() {
    use pallas_network::miniprotocols::keepalive as pk;
    use slotforge_network::protocols::keepalive::messages::Message as K;
    for (ours, theirs) in [
        (K::KeepAlive(7), pk::Message::KeepAlive(7)),
        (K::Response(65535), pk::Message::ResponseKeepAlive(65535)),
        (K::Done, pk::Message::Done),
    ] {
        let t = minicbor::to_vec(theirs).unwrap();
        assert_eq!(ours.to_cbor(), t);
        assert_eq!(K::decode(&t), Ok(ours));
    }
}
