//! Local state query bytes from a local client: the message decodes and re-encodes to an
//! equal one, and the bytes as a query decode or not; a decoded query is answered on a
//! devnet's genesis state (never a panic), and the answer is one CBOR item.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::local_state_query::answers::answer;
use slotforge_network::protocols::local_state_query::messages::Message;
use slotforge_network::protocols::local_state_query::queries::Query;
use slotforge_network::protocols::local_state_query::server::LocalStateQueryServer;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m));
        let mut server = LocalStateQueryServer::<()>::default();
        let _ = server.on_message(m);
    }
    if let Ok(q) = Query::decode(data) {
        let (cfg, g) = world::world();
        let bytes = answer(&q, g, cfg, 32791);
        let mut d = minicbor::Decoder::new(&bytes);
        d.skip().expect("an answer is CBOR");
        assert_eq!(d.position(), bytes.len(), "one item");
    }
});
