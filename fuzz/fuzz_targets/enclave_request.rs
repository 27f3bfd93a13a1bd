//! What a client sends the enclave: protobuf requests (decoded by prost), schedule parameters
//! checked and turned into thresholds, and header bodies decoded for signing. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use slotforge_enclave::wire::{proto, ScheduleParams};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = proto::ScheduleRequest::decode(data) {
        if let Ok((params, _range)) = ScheduleParams::from_request(&r) {
            let _ = params.to_epoch_params();
        }
    }
    if let Ok(r) = proto::SignBlockRequest::decode(data) {
        let _ = slotforge_enclave::signer::body_slot_and_hash(&r.header_body);
    }
    let _ = slotforge_enclave::signer::body_slot_and_hash(data);
});
