//! `GrpcEnclave` over two enclaves (the enclave's tonic service on real Unix sockets, the same
//! pool's keys in both): a refusal is final and never reaches the second enclave; an
//! unreachable enclave is skipped and the same request served by the next.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use slotforge_enclave::client::EnclaveClient;
use slotforge_enclave::metrics::Metrics;
use slotforge_enclave::service::EnclaveService;
use slotforge_enclave::signer::{ScheduledSlot, Signer};
use slotforge_enclave::wire::{ScheduleConsensus, ScheduleParams};
use slotforge_leadership::grpc_enclave::GrpcEnclave;
use slotforge_leadership::seams::{Enclave as _, EnclaveError};
use slotforge_praos::forge::{praos_header_body, BlockContent};
use slotforge_praos::leader::VrfVariant;
use slotforge_praos::nonce::Nonce;
use tokio::sync::{mpsc, oneshot};

/// Serves `signer` on `socket` until the returned sender is used.
fn serve(signer: Arc<Signer>, socket: &Path) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::UnixListener::bind(socket).unwrap();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(EnclaveService::new(signer, None, Arc::new(Metrics::new())).into_server())
            .serve_with_incoming_shutdown(tokio_stream::wrappers::UnixListenerStream::new(listener), async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap()
    });
    (stop_tx, task)
}

/// Every slot of the epoch is won (f = 1, all the stake).
fn params() -> ScheduleParams {
    ScheduleParams {
        epoch: 0,
        first_slot: 0,
        epoch_length: 100,
        consensus: ScheduleConsensus::Praos {
            variant: VrfVariant::Praos,
            nonce: Nonce::Hash([7; 32]),
            active_slot_coeff: (1, 1),
            pool_stake: 1,
            total_stake: 1,
            decentralisation: (0, 1),
        },
    }
}

async fn body(enclave: &GrpcEnclave, s: &ScheduledSlot, tag: u8) -> Vec<u8> {
    let id = enclave.identity("pool-0").await.unwrap();
    let p = id.praos().unwrap();
    praos_header_body(
        &BlockContent {
            block_number: s.slot,
            slot: s.slot,
            prev_hash: Some([tag; 32]),
            block_body_size: 0,
            block_body_hash: [tag; 32],
            protocol_version: (10, 0),
        },
        p.vrf_vkey,
        s.output.as_ref().unwrap(),
        s.proof.as_ref().unwrap(),
        &p.opcert,
    )
    .to_cbor()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_final_and_an_unreachable_enclave_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a_dir).unwrap();
    std::fs::create_dir_all(&b_dir).unwrap();
    let (a, b) = (signer(&a_dir, 1), signer(&b_dir, 1));
    let (a_sock, b_sock) = (dir.path().join("a.sock"), dir.path().join("b.sock"));
    let (stop_a, a_task) = serve(a.clone(), &a_sock);
    let (_stop_b, _b_task) = serve(b.clone(), &b_sock);
    let enclave = GrpcEnclave::with_failover(vec![
        ("a".into(), EnclaveClient::connect_unix(&a_sock).await.unwrap()),
        ("b".into(), EnclaveClient::connect_unix(&b_sock).await.unwrap()),
    ]);
    let guard_id = a.guard_id("pool-0").unwrap();
    let (sink, mut found) = mpsc::channel(100);
    enclave.schedule("pool-0", &params(), 0..10, sink).await.unwrap();
    let mut won = Vec::new();
    while let Some(s) = found.recv().await {
        won.push(s);
    }
    assert_eq!(won.len(), 10);

    // A signs; a conflicting body is refused by A and never tried on B (B would sign it).
    let signed = enclave.sign("pool-0", body(&enclave, &won[0], 1).await).await.unwrap();
    assert!(signed.fresh);
    let refused = enclave.sign("pool-0", body(&enclave, &won[0], 2).await).await;
    assert!(
        matches!(&refused, Err(EnclaveError::Refused { reason, .. }) if reason == "double_sign"),
        "{refused:?}"
    );
    assert_eq!(a.guard().highest_slot(&guard_id).unwrap(), Some(won[0].slot));
    assert_eq!(b.guard().highest_slot(&guard_id).unwrap(), None, "B was never asked");

    // A goes away: the schedule and then the signature are served by B.
    stop_a.send(()).unwrap();
    a_task.await.unwrap();
    let (sink, mut found) = mpsc::channel(100);
    enclave.schedule("pool-0", &params(), 0..10, sink).await.unwrap();
    let mut again = 0;
    while found.recv().await.is_some() {
        again += 1;
    }
    assert_eq!(again, 10, "B streams the same schedule");
    let signed = enclave.sign("pool-0", body(&enclave, &won[1], 1).await).await.unwrap();
    assert!(signed.fresh);
    assert_eq!(b.guard().highest_slot(&guard_id).unwrap(), Some(won[1].slot));
    assert_eq!(a.guard().highest_slot(&guard_id).unwrap(), Some(won[0].slot));
}
