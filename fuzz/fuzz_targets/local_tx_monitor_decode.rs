//! Local tx-monitor bytes from a local client: decode, re-encode to an equal message, and the
//! server's state machine takes it in any state. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_network::protocols::local_tx_monitor::messages::Message;
use slotforge_network::protocols::local_tx_monitor::server::{LocalTxMonitorServer, MempoolSnapshot};

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Message::decode(data) else { return };
    assert_eq!(Message::decode(&m.to_cbor()).as_ref(), Ok(&m));
    let mut server = LocalTxMonitorServer::default();
    let _ = server.on_message(m.clone(), 6);
    server.acquired(MempoolSnapshot::default());
    let _ = server.on_message(m, 6);
});
