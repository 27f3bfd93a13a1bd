//! The real `slotforge-enclave` binary over real sockets: both transports, authentication,
//! streamed schedules, guarded signing, bad input, audit log and metrics.

mod common;

use std::sync::Arc;

use common::*;
use slotforge_crypto::vrf::VrfPublicKey;
use slotforge_enclave::client::{ClientError, EnclaveClient};
use slotforge_enclave::signer::Identity;
use slotforge_enclave::wire::proto;
use slotforge_praos::header::Header;
use slotforge_praos::leader::{ActiveSlotCoeff, VrfVariant};
use slotforge_praos::nonce::blake2b256;
use slotforge_praos::validation::{validate, IssuerState, PoolLookup, ValidationParams};
use tonic::Code;

fn validates(identity: &Identity, header: &[u8], epoch_first_slot: u64) {
    let p = identity.praos().unwrap();
    let header = Header::decode(header).unwrap();
    let params = ValidationParams {
        variant: VrfVariant::Praos,
        epoch_nonce: NONCE,
        active_slot_coeff: ActiveSlotCoeff::new(1, 2).unwrap(),
        slots_per_kes_period: SLOTS_PER_KES_PERIOD,
        max_kes_evolutions: 62,
        decentralisation: (0, 1),
        epoch_first_slot,
        gen_delegs: Default::default(),
    };
    let issuer = IssuerState {
        last_sequence_number: Some(0),
        pool: PoolLookup::Registered {
            vrf_key_hash: blake2b256(&[&p.vrf_vkey]),
            stake: 1,
            total_stake: 1,
        },
    };
    validate(&header, &params, &issuer).unwrap();
}

fn refused(r: Result<impl std::fmt::Debug, ClientError>, reason: &str, code: Code) {
    match r {
        Err(ClientError::Refused {
            reason: got, code: c, ..
        }) => {
            assert_eq!((got.as_str(), c), (reason, code));
        }
        other => panic!("expected a {reason} refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedule_and_sign_over_mutual_tls_and_the_unix_socket() {
    let mut e = TestEnclave::new(Setup::default());
    e.start(true);
    let mut tls = e.tls_client().await;
    let mut unix = e.unix_client().await;
    assert_eq!(tls.list_leaders().await.unwrap(), vec!["pool"]);
    let id = tls.identity("pool").await.unwrap();
    assert_eq!(id, unix.identity("pool").await.unwrap());
    let p = id.praos().unwrap();
    assert_eq!(
        hex::encode(p.pool_id),
        hex::encode(slotforge_praos::validation::pool_id(&p.cold_vkey))
    );
    assert_eq!((p.opcert.kes_period, p.kes_period, p.periods_left), (7, 0, 62));
    let health = tls.health().await.unwrap();
    assert_eq!(health.leaders, 1);
    // The certificate's expiry: KES periods 7 to 69, then no signature.
    let kes = &health.kes[0];
    assert_eq!((kes.leader.as_str(), kes.kes_period, kes.end_period), ("pool", 7, 69));
    assert_eq!(kes.end_slot, 69 * p.slots_per_kes_period);
    // The test enclave keeps mainnet's time, where slot 6,900 (a Byron slot of 20 s) is long
    // past: expired, at the system start plus 138,000 s.
    assert_eq!(
        (kes.slots_left, kes.expires_unix_ms),
        (0, 1_506_203_091_000 + 138_000_000)
    );

    // The streamed schedule: in order, each proof verifies, the same over both transports,
    // and equal to an in-process scan with the same key.
    let params = praos_epoch(1);
    let won = schedule_all(&mut tls, "pool", &params, 0..0).await;
    assert_eq!(won, schedule_all(&mut unix, "pool", &params, 0..0).await);
    assert!(won.windows(2).all(|w| w[0].slot < w[1].slot));
    let vrf = slotforge_crypto::key_file::read_key_file(
        &forging("vrf.skey"),
        slotforge_crypto::key_file::KeyKind::VrfSigning,
        slotforge_crypto::key_file::parse_vrf_signing_key,
    )
    .unwrap();
    let slotforge_enclave::signer::EpochParams::Praos(local) = params.to_epoch_params().unwrap() else {
        unreachable!()
    };
    let expected: Vec<u64> = local.scan(&vrf, 1000..2000).iter().map(|w| w.slot).collect();
    assert_eq!(won.iter().map(|s| s.slot).collect::<Vec<_>>(), expected);
    for s in &won {
        let out = VrfPublicKey(p.vrf_vkey)
            .verify(
                &VrfVariant::Praos.leader_input(s.slot, &NONCE),
                s.proof.as_ref().unwrap(),
            )
            .unwrap();
        assert_eq!(Some(out), s.output);
    }

    // Sign, retry, double sign, regression.
    let (first, second) = (&won[3], &won[4]);
    let signed = tls
        .sign_block("pool", body_for(&id, second, 1).to_cbor())
        .await
        .unwrap();
    assert!(signed.fresh);
    assert_eq!(signed.slot, second.slot);
    validates(&id, &signed.header, 1000);
    let retry = unix
        .sign_block("pool", body_for(&id, second, 1).to_cbor())
        .await
        .unwrap();
    assert!(!retry.fresh);
    assert_eq!(retry.header, signed.header);
    refused(
        tls.sign_block("pool", body_for(&id, second, 2).to_cbor()).await,
        "double_sign",
        Code::Aborted,
    );
    refused(
        tls.sign_block("pool", body_for(&id, first, 1).to_cbor()).await,
        "regression",
        Code::Aborted,
    );
    // The KES key evolved to the slot's period (slot 1xxx is period 1x, opcert from 7).
    let now = tls.identity("pool").await.unwrap();
    assert_eq!(now.praos().unwrap().kes_period as u64, second.slot / 100 - 7);

    // The audit log names both clients.
    let audit = std::fs::read_to_string(e.path("data/audit.jsonl")).unwrap();
    assert!(audit.contains("\"client\":\"CN=slotforge-node\""), "{audit}");
    assert!(audit.contains("\"client\":\"unix\""));
    assert!(audit.contains("\"outcome\":\"double_sign\""));
    assert_eq!(
        audit.lines().filter(|l| l.contains("\"outcome\":\"signed\"")).count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_slot_streams_long_before_a_whole_epoch_is_scanned() {
    let mut e = TestEnclave::new(Setup::default());
    e.start(true);
    let mut c = e.unix_client().await;
    // A 100,000-slot epoch at f = 1/20 and σ = 1/10: about 500 won slots over seconds of work.
    let mut params = praos_epoch(0);
    params.epoch_length = 100_000;
    params.consensus = slotforge_enclave::wire::ScheduleConsensus::Praos {
        variant: VrfVariant::Praos,
        nonce: NONCE,
        active_slot_coeff: (1, 20),
        pool_stake: 1,
        total_stake: 10,
        decentralisation: (0, 1),
    };
    let started = std::time::Instant::now();
    let mut stream = c.schedule("pool", &params, 0..0).await.unwrap();
    stream.next().await.unwrap().unwrap();
    let first = started.elapsed();
    let mut n = 1;
    while let Some(s) = stream.next().await {
        s.unwrap();
        n += 1;
    }
    let total = started.elapsed();
    assert!(n > 300, "{n} won slots");
    // Ordering of the two instants, not a timing threshold: the first slot arrives while most
    // of the range is still to be scanned.
    assert!(first * 5 < total, "first slot after {first:?}, whole range {total:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_sign_requests_for_one_slot_sign_one_body() {
    let mut e = TestEnclave::new(Setup::default());
    e.start(true);
    let mut c = e.tls_client().await;
    let id = c.identity("pool").await.unwrap();
    let won = schedule_all(&mut c, "pool", &praos_epoch(2), 0..0).await;
    let slot = Arc::new(won[0].clone());
    let mut tasks = Vec::new();
    for i in 0..64u8 {
        // Separate connections, so the requests race in the server, not in one client.
        let tls = e.client_tls(&e.path("tls"));
        let addr = e.tls_addr.clone().unwrap();
        let (id, slot) = (id.clone(), slot.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = EnclaveClient::connect_tls(&addr, tls).await.unwrap();
            c.sign_block("pool", body_for(&id, &slot, i).to_cbor()).await
        }));
    }
    let mut signed = Vec::new();
    let mut double_signs = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(s) => signed.push(s),
            Err(e) if e.reason() == Some("double_sign") => double_signs += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((signed.len(), double_signs), (1, 63));
    let history = e.history();
    assert_eq!(history.data.len(), 1);
    assert_eq!(history.data[0].signed_slots.len(), 1);
    assert_eq!(
        history.data[0].signed_slots[0].body_hash,
        hex::encode(signed[0].body_hash)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_without_a_certificate_from_the_ca_are_refused() {
    let mut e = TestEnclave::new(Setup::default());
    e.start(true);
    let addr = e.tls_addr.clone().unwrap();
    // No client certificate.
    let no_cert = tonic::transport::ClientTlsConfig::new()
        .domain_name("localhost")
        .ca_certificate(tonic::transport::Certificate::from_pem(
            std::fs::read(e.path("tls/ca.pem")).unwrap(),
        ));
    let attempt = async |tls| match EnclaveClient::connect_tls(&addr, tls).await {
        Err(e) => Err(e),
        Ok(mut c) => c.list_leaders().await,
    };
    assert!(
        attempt(no_cert).await.is_err(),
        "a client without a certificate was served"
    );
    // A certificate from another CA.
    let other = e.path("other-ca");
    assert!(run(&["tls", "init", "--out", other.to_str().unwrap()]).status.success());
    let foreign = slotforge_enclave::tls::client_config(
        &e.path("tls/ca.pem"),
        &other.join("client.pem"),
        &other.join("client.key"),
        "localhost",
    )
    .unwrap();
    assert!(attempt(foreign).await.is_err(), "a client of another CA was served");
    // Plaintext HTTP/2 on the TLS port gets nothing.
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    let served = match plain.connect().await {
        Err(_) => false,
        Ok(ch) => proto::enclave_client::EnclaveClient::new(ch)
            .list_leaders(proto::ListLeadersRequest {})
            .await
            .is_ok(),
    };
    assert!(!served, "plaintext was served");
    // The Unix socket is the owner's only.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(e.socket()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // And the trusted client still works.
    assert_eq!(e.tls_client().await.list_leaders().await.unwrap(), vec!["pool"]);
}

/// Raw bytes as a gRPC message, to send what no generated client would.
#[derive(Clone, Default)]
struct RawCodec;

struct RawEncoder;
struct RawDecoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut tonic::codec::EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use bytes::BufMut;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut tonic::codec::DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf;
        let mut out = vec![0; src.remaining()];
        src.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

async fn raw_call(socket: &std::path::Path, method: &str, payload: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("unix:{}", socket.display()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path =
        tonic::codegen::http::uri::PathAndQuery::from_maybe_shared(format!("/slotforge.enclave.v1.Enclave/{method}"))
            .unwrap();
    grpc.unary(tonic::Request::new(payload), path, RawCodec)
        .await
        .map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_clearly_records_nothing_and_the_enclave_keeps_serving() {
    let mut e = TestEnclave::new(Setup::default());
    e.start(true);
    let mut c = e.unix_client().await;
    let id = c.identity("pool").await.unwrap();
    let won = schedule_all(&mut c, "pool", &praos_epoch(3), 0..0).await;
    let s = &won[0];

    // Malformed protobuf on every method.
    for method in ["SignBlock", "Schedule", "Identity", "ListLeaders"] {
        let err = raw_call(&e.socket(), method, vec![0xff, 0xff, 0xff, 0x0f, 0x01])
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{method}: {err:?}");
        let refusal = slotforge_enclave::wire::refusal(&err).expect("a refusal in the details");
        assert_eq!(refusal.reason, "malformed_request", "{method}");
    }
    // Not CBOR, truncated CBOR, a BFT body for a pool.
    for body in [
        vec![],
        b"not cbor".to_vec(),
        body_for(&id, s, 1).to_cbor()[..40].to_vec(),
    ] {
        refused(
            c.sign_block("pool", body).await,
            "malformed_body",
            Code::InvalidArgument,
        );
    }
    // Slots far beyond the enclave's own clock, up to u64::MAX: refused, naming the slot.
    for slot in [u64::MAX, 1 << 62, 1 << 40] {
        let mut far = body_for(&id, s, 1);
        far.slot = slot;
        let r = c.sign_block("pool", far.to_cbor()).await;
        assert!(
            matches!(&r, Err(ClientError::Refused { slot: Some(x), .. }) if *x == slot),
            "{r:?}"
        );
        refused(r, "slot_in_future", Code::FailedPrecondition);
    }
    // A slot the pool does not lead, in a known epoch.
    let lost = (3000..4000).find(|x| !won.iter().any(|w| w.slot == *x)).unwrap();
    let mut not_won = body_for(&id, s, 1);
    not_won.slot = lost;
    refused(
        c.sign_block("pool", not_won.to_cbor()).await,
        "not_leader",
        Code::FailedPrecondition,
    );
    // Another pool's body; a VRF result that is not the enclave's.
    let mut foreign = body_for(&id, s, 1);
    foreign.issuer_vkey = [9; 32];
    let r = c.sign_block("pool", foreign.to_cbor()).await;
    assert!(
        matches!(&r, Err(ClientError::Refused { slot: Some(x), .. }) if *x == s.slot),
        "{r:?}"
    );
    refused(r, "foreign_body", Code::FailedPrecondition);
    let mut forged = body_for(&id, s, 1);
    if let slotforge_praos::header::HeaderVrf::Praos(cert) = &mut forged.vrf {
        cert.output[0] ^= 1;
    }
    refused(
        c.sign_block("pool", forged.to_cbor()).await,
        "vrf_mismatch",
        Code::FailedPrecondition,
    );
    // Unknown leader; bad schedule parameters.
    refused(
        c.sign_block("nobody", body_for(&id, s, 1).to_cbor()).await,
        "unknown_leader",
        Code::NotFound,
    );
    refused(c.identity("nobody").await, "unknown_leader", Code::NotFound);
    for bad in [
        {
            let mut p = praos_epoch(3);
            p.epoch_length = 0;
            p
        },
        {
            let mut p = praos_epoch(3);
            p.first_slot = u64::MAX - 10;
            p
        },
        {
            let mut p = praos_epoch(3);
            if let slotforge_enclave::wire::ScheduleConsensus::Praos { total_stake, .. } = &mut p.consensus {
                *total_stake = 0;
            }
            p
        },
        {
            let mut p = praos_epoch(3);
            p.consensus = slotforge_enclave::wire::ScheduleConsensus::Bft { leaders: vec![[1; 32]] };
            p
        },
    ] {
        let r = c.schedule("pool", &bad, 0..0).await;
        let r = match r {
            Ok(mut s) => s.next().await.unwrap().map(|_| ()),
            Err(e) => Err(e),
        };
        match r {
            Err(ClientError::Refused { reason, .. }) => {
                assert!(reason == "bad_parameters" || reason == "wrong_consensus", "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
    // Nothing was recorded, and the enclave still serves and signs.
    assert!(e.history().data.is_empty());
    assert!(e.is_running());
    let ok = c.sign_block("pool", body_for(&id, s, 1).to_cbor()).await.unwrap();
    validates(&id, &ok.header, 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_import_and_remove_reach_a_running_enclave_without_a_restart() {
    let mut e = TestEnclave::new(Setup {
        tcp: false,
        metrics: true,
        import_pool: false,
        ..Setup::default()
    });
    e.start(true);
    let mut c = e.unix_client().await;
    assert!(c.list_leaders().await.unwrap().is_empty());
    let wait_for = async |c: &mut EnclaveClient, n: usize| {
        for _ in 0..200 {
            if c.list_leaders().await.unwrap().len() == n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the enclave did not reach {n} leaders");
    };
    e.import_sample_pool("pool-a");
    wait_for(&mut c, 1).await;
    // A BFT leader with a genesis-delegate key.
    let bft = e.path("keys/bft.skey");
    let key = slotforge_crypto::ed25519::SigningKey::from_bytes(&[3; 32]);
    slotforge_crypto::key_file::write_key_file(
        &bft,
        slotforge_crypto::key_file::KeyKind::GenesisDelegateSigning,
        &slotforge_crypto::key_file::encode_cbor_bytes(&key.to_bytes()),
    )
    .unwrap();
    let out = e.cli(&["keys", "import", "--name", "bft-1", "--bft-skey", bft.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_for(&mut c, 2).await;
    assert_eq!(
        c.identity("bft-1").await.unwrap(),
        Identity::Bft {
            vkey: key.verifying_key().to_bytes()
        }
    );
    // The pool signs while the BFT leader is added and removed.
    let id = c.identity("pool-a").await.unwrap();
    let won = schedule_all(&mut c, "pool-a", &praos_epoch(4), 0..0).await;
    c.sign_block("pool-a", body_for(&id, &won[0], 1).to_cbor())
        .await
        .unwrap();
    let out = e.cli(&["keys", "remove", "--name", "bft-1"]);
    assert!(out.status.success());
    wait_for(&mut c, 1).await;
    assert!(!e.path("data/leaders/bft-1").exists());
    refused(c.identity("bft-1").await, "unknown_leader", Code::NotFound);
    // Metrics: opt-in, loopback, with the outcome and the KES period.
    let metrics = http_get(e.metrics_addr.as_deref().unwrap(), "/metrics").await;
    assert!(
        metrics.contains("slotforge_enclave_sign_requests_total{outcome=\"signed\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("slotforge_enclave_sign_latency_seconds_count 1"));
    assert!(metrics.contains(&format!(
        "slotforge_enclave_kes_period{{leader=\"pool-a\"}} {}",
        won[0].slot / 100
    )));
    // A clean stop on SIGTERM removes the socket.
    assert!(e.terminate().success());
    assert!(!e.socket().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slot_ahead_of_the_enclaves_own_clock_is_refused_and_moves_neither_key_nor_guard() {
    // A chain of 1-second slots whose slot 2,500 is now: epoch 2 (slots 2,000..2,999) is in
    // progress, epoch 5 is an hour away. KES periods are 100 slots.
    let mut e = TestEnclave::new(Setup {
        tcp: false,
        chain_started_s_ago: Some(2_500),
        ..Setup::default()
    });
    e.start(true);
    let mut c = e.unix_client().await;
    let id = c.identity("pool").await.unwrap();
    let kes_period = async |c: &mut EnclaveClient| c.identity("pool").await.unwrap().praos().unwrap().kes_period;
    let start_period = kes_period(&mut c).await;
    // A compromised node asks for a won slot of a future epoch (schedules may look ahead).
    let future = schedule_all(&mut c, "pool", &praos_epoch(5), 0..0).await;
    let r = c.sign_block("pool", body_for(&id, &future[0], 1).to_cbor()).await;
    assert!(
        matches!(&r, Err(ClientError::Refused { slot: Some(s), message, .. })
            if *s == future[0].slot && message.contains("ms after the enclave's clock")),
        "{r:?}"
    );
    refused(r, "slot_in_future", Code::FailedPrecondition);
    assert_eq!(kes_period(&mut c).await, start_period, "the KES key did not evolve");
    assert!(e.history().data.is_empty(), "the guard recorded nothing");
    // The pool goes on signing the slots that come: no regression, no lost KES periods.
    let won = schedule_all(&mut c, "pool", &praos_epoch(2), 0..0).await;
    let now = won.iter().rev().find(|s| s.slot <= 2_400).unwrap();
    let signed = c.sign_block("pool", body_for(&id, now, 1).to_cbor()).await.unwrap();
    validates(&id, &signed.header, 2000);
    // The sample opcert starts at KES period 7.
    assert_eq!(u64::from(kes_period(&mut c).await), now.slot / SLOTS_PER_KES_PERIOD - 7);
    let later = won.iter().find(|s| s.slot >= 2_700).unwrap();
    refused(
        c.sign_block("pool", body_for(&id, later, 1).to_cbor()).await,
        "slot_in_future",
        Code::FailedPrecondition,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_uses_only_the_leaders_its_rules_give_it_and_refusals_are_audited() {
    let mut e = TestEnclave::new(Setup {
        extra_config: "[[client]]\nsubject = \"CN=slotforge-node\"\nleaders = [\"pool\"]\n\
                       [[client]]\nsubject = \"CN=node-b\"\nleaders = [\"*\"]\n"
            .into(),
        ..Setup::default()
    });
    e.import_sample_pool("pool-b");
    let out = run(&[
        "tls",
        "client",
        "--dir",
        e.path("tls").to_str().unwrap(),
        "--name",
        "node-b",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    e.start(true);
    let addr = e.tls_addr.clone().unwrap();
    let mut a = e.tls_client().await;
    let tls_b = slotforge_enclave::tls::client_config(
        &e.path("tls/ca.pem"),
        &e.path("tls/node-b.pem"),
        &e.path("tls/node-b.key"),
        "localhost",
    )
    .unwrap();
    let mut b = EnclaveClient::connect_tls(&addr, tls_b).await.unwrap();
    let mut unix = e.unix_client().await;

    assert_eq!(a.list_leaders().await.unwrap(), vec!["pool"]);
    assert_eq!(b.list_leaders().await.unwrap(), vec!["pool", "pool-b"]);
    assert!(
        unix.list_leaders().await.unwrap().is_empty(),
        "the socket is not listed"
    );

    let id = a.identity("pool").await.unwrap();
    assert_eq!(b.identity("pool-b").await.unwrap(), id, "the same sample keys");
    refused(a.identity("pool-b").await, "not_authorized", Code::PermissionDenied);
    refused(unix.identity("pool").await, "not_authorized", Code::PermissionDenied);
    match a.schedule("pool-b", &praos_epoch(2), 0..0).await {
        Err(e) => assert_eq!(e.reason(), Some("not_authorized")),
        Ok(mut s) => refused(s.next().await.unwrap(), "not_authorized", Code::PermissionDenied),
    }
    let won = schedule_all(&mut b, "pool-b", &praos_epoch(2), 0..0).await;
    let body = body_for(&id, &won[0], 1).to_cbor();
    refused(
        a.sign_block("pool-b", body.clone()).await,
        "not_authorized",
        Code::PermissionDenied,
    );
    refused(
        unix.sign_block("pool-b", body.clone()).await,
        "not_authorized",
        Code::PermissionDenied,
    );
    b.sign_block("pool-b", body).await.unwrap();

    let audit = std::fs::read_to_string(e.path("data/audit.jsonl")).unwrap();
    let refusals: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["outcome"] == "not_authorized")
        .collect();
    let seen = |client: &str, request: &str| {
        refusals
            .iter()
            .any(|v| v["client"] == client && v["request"] == request)
    };
    for (client, request) in [
        ("CN=slotforge-node", "Identity"),
        ("CN=slotforge-node", "Schedule"),
        ("CN=slotforge-node", "SignBlock"),
        ("unix", "Identity"),
        ("unix", "SignBlock"),
    ] {
        assert!(seen(client, request), "{client} {request} not audited: {audit}");
    }
    assert_eq!(refusals.len(), 5, "{audit}");
}
