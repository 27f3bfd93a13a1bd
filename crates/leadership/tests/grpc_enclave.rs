//! Leadership with the enclave over gRPC: the enclave's tonic service on a real Unix socket,
//! `GrpcEnclave` as the client, real time. Every slot is a leader slot; each is forged, and an
//! enclave that goes away is recorded as unreachable.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use slotforge_enclave::metrics::Metrics;
use slotforge_enclave::service::EnclaveService;
use slotforge_leadership::clock::{Clock, SystemClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::grpc_enclave::GrpcEnclave;
use slotforge_leadership::process;
use slotforge_leadership::seams::ChainEvent;
use slotforge_leadership::slot_log::{Query, SlotLog};
use slotforge_leadership::status::SlotStatus;
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership, TimeFrame};
use slotforge_praos::leader::VrfVariant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_are_forged_through_the_enclaves_grpc_service() {
    let dir = tempfile::tempdir().unwrap();
    let signer = signer(dir.path(), 1);
    let socket = dir.path().join("enclave.sock");
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(EnclaveService::new(signer.clone(), None, Arc::new(Metrics::new())).into_server())
            .serve_with_incoming_shutdown(tokio_stream::wrappers::UnixListenerStream::new(listener), async {
                let _ = stop_rx.await;
            }),
    );
    let client = slotforge_enclave::client::EnclaveClient::connect_unix(&socket)
        .await
        .unwrap();
    let clock = SystemClock::new();
    let pool_id = signer.identity("pool-0").unwrap().praos().unwrap().pool_id;
    let start = clock.now_ms() + 1500;
    let params = EpochLeadership {
        epoch: 0,
        first_slot: 0,
        epoch_length: 8,
        time: TimeFrame {
            epoch_start_unix_ms: start,
            slot_length_ms: 250,
        },
        consensus: EpochConsensus::Praos {
            variant: VrfVariant::Praos,
            epoch_nonce: slotforge_praos::nonce::Nonce::Hash([0x11; 32]),
            active_slot_coeff: (1, 1),
            stake: [(pool_id, 1)].into(),
            total_stake: 1,
            decentralisation: (0, 1),
        },
    };
    let chain = SimChain::default();
    let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
    let (handle, _task) = process::start(
        GrpcEnclave::new(client),
        chain.clone(),
        SimPool::new(100),
        clock,
        log.clone(),
        LeadershipConfig::default(),
    )
    .await
    .unwrap();
    chain.0.lock().unwrap().handle = Some(handle.clone());
    handle.chain_event(ChainEvent::Leadership(params.clone()));
    // Slots 0–4 with the enclave up; then it goes away for slots 5–7.
    clock.sleep_until_ms(params.slot_start_ms(5) - 150).await;
    let _ = stop_tx.send(());
    server.await.unwrap().unwrap();
    clock.sleep_until_ms(params.slot_start_ms(8) + 500).await;
    handle.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let entries = log
        .query(&Query {
            limit: 100,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(entries.len(), 8, "every slot is a leader slot at f = 1");
    for e in &entries[..5] {
        assert_eq!(e.status, SlotStatus::Adopted, "slot {}: {:?}", e.slot, e.reason);
    }
    for e in &entries[5..] {
        assert_eq!(e.status, SlotStatus::Missed, "slot {}", e.slot);
        assert!(
            e.reason.as_deref().unwrap().starts_with("enclave unreachable"),
            "{:?}",
            e.reason
        );
    }
    // The blocks chain up: each on the previous one.
    let submitted = &chain.0.lock().unwrap().submitted;
    assert_eq!(submitted.len(), 5);
    for pair in submitted.windows(2) {
        assert_eq!(pair[1].parent, Some(pair[0].hash));
    }
}
