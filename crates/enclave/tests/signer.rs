//! The enclave's signing logic end to end on real files: schedules, guarded signing, KES
//! evolution, and headers that the praos validator accepts.

use std::sync::Arc;

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_enclave::clock::{SlotClock, WallClock};
use slotforge_enclave::kes_store::KesKeyStore;
use slotforge_enclave::sign_guard::{Refusal, SignGuard};
use slotforge_enclave::signer::{EpochParams, PraosLeader, SignError, Signer};
use slotforge_praos::forge::{header_body, BlockContent};
use slotforge_praos::header::{HeaderBody, HeaderVrf};
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::{blake2b256, Nonce};
use slotforge_praos::schedule::PraosEpoch;
use slotforge_praos::validation::{validate, IssuerState, PoolLookup, ValidationParams};

const SLOTS_PER_KES: u64 = 100;
const NONCE: Nonce = Nonce::Hash([4; 32]);

struct Fixture {
    _dir: tempfile::TempDir,
    signer: Signer,
    vrf_pk: [u8; 32],
    opcert: OperationalCertificate,
    store: KesKeyStore,
}

fn epoch(epoch: u64, first_slot: u64) -> PraosEpoch {
    PraosEpoch {
        epoch,
        first_slot,
        epoch_length: 1000,
        nonce: NONCE,
        variant: VrfVariant::Praos,
        threshold: LeaderThreshold::new(1, 1, ActiveSlotCoeff::new(1, 2).unwrap()).unwrap(),
        decentralisation: (0, 1),
    }
}

fn fixture(opcert_period: u64, kes_start_period: u32) -> Fixture {
    fixture_on(opcert_period, kes_start_period, None)
}

/// A fixture whose signer keeps `clock` (None: signs any slot, as in simulations).
fn fixture_on(opcert_period: u64, kes_start_period: u32, clock: Option<SlotClock>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let guard = SignGuard::create(&dir.path().join("guard.db")).unwrap();
    let vrf = VrfSecretKey::from_seed(&[11; 32]);
    let mut kes = KesSecretKey::from_seed(&mut [12; 32]);
    kes.evolve_to(kes_start_period).unwrap();
    let cold = SigningKey::from_bytes(&[13; 32]);
    let opcert = OperationalCertificate::issue(&cold, kes.public_key(), 0, opcert_period);
    let store = KesKeyStore::open(dir.path().join("kes.key")).unwrap();
    store.save(&kes).unwrap();
    let vrf_pk = vrf.public_key().0;
    let signer = match clock {
        Some(c) => Signer::new(guard).with_clock(c),
        None => Signer::new(guard),
    };
    signer.add_leader(
        "pool",
        PraosLeader {
            vrf,
            kes,
            kes_store: Some(store.clone()),
            opcert: opcert.clone(),
            slots_per_kes_period: SLOTS_PER_KES,
            max_kes_evolutions: 62,
        },
    );
    Fixture {
        _dir: dir,
        signer,
        vrf_pk,
        opcert,
        store,
    }
}

fn body_for(f: &Fixture, slot: u64, tag: u8) -> HeaderBody {
    // The body a node would build: VRF fields from the schedule, so use the enclave's key
    // through a scratch copy of the same seed.
    let vrf = VrfSecretKey::from_seed(&[11; 32]);
    let content = BlockContent {
        block_number: 1,
        slot,
        prev_hash: Some([tag; 32]),
        block_body_size: 10,
        block_body_hash: [tag; 32],
        protocol_version: (9, 1),
    };
    header_body(&content, VrfVariant::Praos, &NONCE, &vrf, &f.opcert)
}

/// The slots the leader wins in `slots` under `params` (remembering `params`).
fn won_slots(f: &Fixture, params: PraosEpoch, slots: std::ops::Range<u64>) -> Vec<u64> {
    f.signer
        .schedule("pool", EpochParams::Praos(params), slots)
        .unwrap()
        .iter()
        .map(|w| w.slot)
        .collect()
}

fn validates(f: &Fixture, header: &slotforge_praos::header::Header) {
    let params = ValidationParams {
        variant: VrfVariant::Praos,
        epoch_nonce: NONCE,
        active_slot_coeff: ActiveSlotCoeff::new(1, 2).unwrap(),
        slots_per_kes_period: SLOTS_PER_KES,
        max_kes_evolutions: 62,
        decentralisation: (0, 1),
        epoch_first_slot: 0,
        gen_delegs: Default::default(),
    };
    let issuer = IssuerState {
        last_sequence_number: Some(0),
        pool: PoolLookup::Registered {
            vrf_key_hash: blake2b256(&[&f.vrf_pk]),
            stake: 1,
            total_stake: 1,
        },
    };
    validate(header, &params, &issuer).unwrap();
}

/// A wall clock the test moves.
struct TestWall(std::sync::atomic::AtomicI64);

impl WallClock for TestWall {
    fn now_ms(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[test]
fn nothing_is_signed_ahead_of_the_enclaves_clock_nor_a_kes_key_evolved_ahead_of_it() {
    // Slot n starts at n seconds; a generous 100 s tolerance so a slot of the next KES period
    // can be within it.
    let wall = Arc::new(TestWall(250_500.into()));
    let history = slotforge_praos::time::EraHistory::single(0, 1000, 1000).unwrap();
    let f = fixture_on(0, 0, Some(SlotClock::new(history, 100_000, wall.clone())));
    let won = won_slots(&f, epoch(0, 0), 0..1000);
    let guard_id = f.signer.guard_id("pool").unwrap();
    // Now is slot 250, KES period 2.
    let far = *won.iter().find(|s| **s >= 400).unwrap();
    let r = f.signer.sign_praos("pool", body_for(&f, far, 1));
    assert!(
        matches!(r, Err(SignError::SlotInFuture { slot, current_slot: 250, .. }) if slot == far),
        "{r:?}"
    );
    let next_period = *won.iter().find(|s| (300..350).contains(*s)).unwrap();
    let r = f.signer.sign_praos("pool", body_for(&f, next_period, 1));
    assert!(
        matches!(
            r,
            Err(SignError::KesPeriodInFuture {
                needed: 3,
                current: 2,
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(f.store.load().unwrap().period(), 0, "the key did not move");
    assert_eq!(f.signer.guard().highest_slot(&guard_id).unwrap(), None);
    // The slot in progress signs, and the key reaches the clock's period only.
    let current = *won.iter().rev().find(|s| **s <= 250).unwrap();
    f.signer.sign_praos("pool", body_for(&f, current, 1)).unwrap();
    assert_eq!(f.store.load().unwrap().period(), 2);
    // Once the clock is in period 3, so can the key be.
    wall.0.store(305_000, std::sync::atomic::Ordering::Relaxed);
    f.signer.sign_praos("pool", body_for(&f, next_period, 1)).unwrap();
    assert_eq!(f.store.load().unwrap().period(), 3);
}

#[test]
fn schedule_then_sign_with_every_check() {
    let f = fixture(0, 0);
    let won = f
        .signer
        .schedule("pool", EpochParams::Praos(epoch(0, 0)), 0..1000)
        .unwrap();
    assert!(won.len() > 100, "about a third of the slots at f = 1/2, σ = 1");
    let vrf_pk = slotforge_crypto::vrf::VrfPublicKey(f.vrf_pk);
    for w in &won {
        assert_eq!(
            vrf_pk
                .verify(
                    &VrfVariant::Praos.leader_input(w.slot, &NONCE),
                    w.proof.as_ref().unwrap()
                )
                .unwrap(),
            w.output.unwrap()
        );
    }
    let id = f.signer.identity("pool").unwrap();
    let id = id.praos().unwrap();
    assert_eq!((id.kes_period, id.periods_left), (0, 62));

    // A won slot in KES period 3: the key evolves, is persisted, and the header validates.
    let s1 = won.iter().map(|w| w.slot).find(|s| *s >= 300).unwrap();
    let (h1, fresh) = f.signer.sign_praos("pool", body_for(&f, s1, 1)).unwrap();
    assert!(fresh);
    validates(&f, &h1);
    assert_eq!(f.store.load().unwrap().period(), 3);
    assert_eq!(f.signer.identity("pool").unwrap().praos().unwrap().kes_period, 3);
    // Retry: the same header, not re-signed.
    let (again, fresh) = f.signer.sign_praos("pool", body_for(&f, s1, 1)).unwrap();
    assert!(!fresh);
    assert_eq!(again.to_cbor(), h1.to_cbor());
    // Another body for the slot; a lower won slot.
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, s1, 2)),
        Err(SignError::Refused(Refusal::DoubleSign { .. }))
    ));
    let lower = won.iter().map(|w| w.slot).find(|s| *s < s1).unwrap();
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, lower, 1)),
        Err(SignError::Refused(Refusal::Regression { .. }))
    ));

    // Not the leader's slot; an epoch never scheduled; another pool's body; a forged VRF result.
    let later_lost = (s1 + 1..1000).find(|s| !won.iter().any(|w| w.slot == *s)).unwrap();
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, later_lost, 1)),
        Err(SignError::NotLeader(_))
    ));
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, 5000, 1)),
        Err(SignError::UnknownEpoch(5000))
    ));
    let mut foreign = body_for(&f, s1 + 1, 1);
    foreign.issuer_vkey[0] ^= 1;
    assert!(matches!(
        f.signer.sign_praos("pool", foreign),
        Err(SignError::ForeignBody { .. })
    ));
    let next = won.iter().map(|w| w.slot).find(|s| *s > s1).unwrap();
    let mut forged = body_for(&f, next, 1);
    if let HeaderVrf::Praos(c) = &mut forged.vrf {
        c.proof[50] ^= 1;
    }
    assert!(matches!(
        f.signer.sign_praos("pool", forged),
        Err(SignError::VrfMismatch(_))
    ));
    assert!(matches!(
        f.signer.sign_praos("nobody", body_for(&f, next, 1)),
        Err(SignError::UnknownLeader(_))
    ));
    // None of the refusals moved the guard.
    assert_eq!(
        f.signer
            .guard()
            .highest_slot(&f.signer.guard_id("pool").unwrap())
            .unwrap(),
        Some(s1)
    );
    let (h2, _) = f.signer.sign_praos("pool", body_for(&f, next, 1)).unwrap();
    validates(&f, &h2);
}

#[test]
fn kes_edges() {
    // The opcert starts at period 2: slots of periods 0–1 are before it.
    let f = fixture(2, 0);
    let won = won_slots(&f, epoch(0, 0), 0..1000);
    let early = *won.iter().find(|s| **s < 200).unwrap();
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, early, 1)),
        Err(SignError::KesPeriodBeforeOpCert { .. })
    ));
    // Period 2 + 62 = 64 and beyond: past the opcert's window.
    let late = won_slots(&f, epoch(6, 6400), 6400..7400);
    assert!(matches!(
        f.signer.sign_praos("pool", body_for(&f, late[0], 1)),
        Err(SignError::KesExpired { .. })
    ));
    assert_eq!(
        f.signer
            .guard()
            .highest_slot(&f.signer.guard_id("pool").unwrap())
            .unwrap(),
        None,
        "nothing recorded"
    );

    // A key already evolved past a slot's period cannot sign it, and nothing is recorded.
    let g = fixture(0, 5);
    let won = won_slots(&g, epoch(0, 0), 0..1000);
    let in_period_2 = *won.iter().find(|s| (200..300).contains(*s)).unwrap();
    assert!(matches!(
        g.signer.sign_praos("pool", body_for(&g, in_period_2, 1)),
        Err(SignError::KesKeyPastPeriod {
            current: 5,
            needed: 2,
            ..
        })
    ));
    assert_eq!(
        g.signer
            .guard()
            .highest_slot(&g.signer.guard_id("pool").unwrap())
            .unwrap(),
        None
    );
    let in_period_7 = *won.iter().find(|s| (700..800).contains(*s)).unwrap();
    let (h, _) = g.signer.sign_praos("pool", body_for(&g, in_period_7, 1)).unwrap();
    validates(&g, &h);
    assert_eq!(g.store.load().unwrap().period(), 7);
}

#[test]
fn concurrent_sign_requests_for_one_slot_sign_one_body() {
    let f = Arc::new(fixture(0, 0));
    let won = f
        .signer
        .schedule("pool", EpochParams::Praos(epoch(0, 0)), 0..1000)
        .unwrap();
    let slot = won[0].slot;
    let handles: Vec<_> = (0..64u8)
        .map(|i| {
            let f = f.clone();
            std::thread::spawn(move || {
                f.signer
                    .sign_praos("pool", body_for(&f, slot, i))
                    .map(|(h, _)| h.to_cbor())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let signed: Vec<&Vec<u8>> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(signed.len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Err(SignError::Refused(Refusal::DoubleSign { .. }))))
            .count(),
        63
    );
}

#[test]
fn streamed_schedule_is_ordered_and_complete_across_windows() {
    let f = fixture(0, 0);
    // Large enough for several scan windows; a low stake keeps proofs few.
    let mut params = epoch(0, 0);
    params.epoch_length = 40_000;
    params.threshold = LeaderThreshold::new(1, 50, ActiveSlotCoeff::new(1, 20).unwrap()).unwrap();
    let mut streamed = Vec::new();
    f.signer
        .schedule_each("pool", EpochParams::Praos(params.clone()), 0..40_000, |s| {
            streamed.push(s.slot);
            true
        })
        .unwrap();
    let vrf = VrfSecretKey::from_seed(&[11; 32]);
    let expected: Vec<u64> = params.scan(&vrf, 0..40_000).iter().map(|w| w.slot).collect();
    assert!(expected.len() > 10);
    assert_eq!(streamed, expected);
    // The sink can stop the scan.
    let mut first = Vec::new();
    f.signer
        .schedule_each("pool", EpochParams::Praos(params), 0..40_000, |s| {
            first.push(s.slot);
            false
        })
        .unwrap();
    assert_eq!(first, expected[..1]);
}

#[test]
fn bft_leaders_sign_their_round_robin_slots_under_the_guard() {
    use slotforge_enclave::signer::{BftEpoch, BftLeader};
    use slotforge_praos::bft::{BftHeader, BftHeaderBody};
    let dir = tempfile::tempdir().unwrap();
    let signer = Signer::new(SignGuard::create(&dir.path().join("guard.db")).unwrap());
    let keys: Vec<SigningKey> = (1..=3u8).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
    let leaders: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    signer.add_leader("bft-b", BftLeader { key: keys[1].clone() });
    let epoch = BftEpoch {
        epoch: 2,
        first_slot: 200,
        epoch_length: 100,
        leaders: leaders.clone(),
    };
    let won = signer
        .schedule("bft-b", EpochParams::Bft(epoch.clone()), 0..u64::MAX)
        .unwrap();
    let slots: Vec<u64> = won.iter().map(|s| s.slot).collect();
    assert_eq!(slots, (201..300).step_by(3).collect::<Vec<_>>());
    assert!(won.iter().all(|s| s.output.is_none() && s.proof.is_none()));
    // Praos parameters for a BFT leader are refused.
    assert!(matches!(
        signer.schedule("bft-b", EpochParams::Praos(self::epoch(0, 0)), 0..10),
        Err(SignError::WrongConsensus(_))
    ));

    let body = |slot: u64, tag: u8| BftHeaderBody {
        block_number: 7,
        slot,
        prev_hash: Some([tag; 32]),
        issuer_vkey: leaders[1],
        block_body_size: 3,
        block_body_hash: [tag; 32],
        protocol_version: (1, 0),
    };
    let signed = signer.sign_block("bft-b", &body(204, 1).to_cbor()).unwrap();
    assert!(signed.fresh);
    let header = BftHeader::decode(&signed.header).unwrap();
    header.validate(epoch.slots(), &leaders).unwrap();
    assert!(!signer.sign_block("bft-b", &body(204, 1).to_cbor()).unwrap().fresh);
    assert!(matches!(
        signer.sign_block("bft-b", &body(204, 2).to_cbor()),
        Err(SignError::Refused(Refusal::DoubleSign { .. }))
    ));
    assert!(matches!(
        signer.sign_block("bft-b", &body(205, 1).to_cbor()),
        Err(SignError::NotLeader(205))
    ));
    assert!(matches!(
        signer.sign_block("bft-b", &body(301, 1).to_cbor()),
        Err(SignError::UnknownEpoch(301))
    ));
    let mut foreign = body(207, 1);
    foreign.issuer_vkey = leaders[0];
    assert!(matches!(
        signer.sign_block("bft-b", &foreign.to_cbor()),
        Err(SignError::ForeignBody { .. })
    ));
    assert!(matches!(
        signer.sign_block("bft-b", &[0x82, 0x00]),
        Err(SignError::MalformedBody(_))
    ));
    assert_eq!(
        signer.guard().highest_slot(&signer.guard_id("bft-b").unwrap()).unwrap(),
        Some(204)
    );
}

#[test]
fn signing_reference_case_bodies_with_their_keys_reproduces_the_headers() {
    use slotforge_praos::header::Header;
    let path = std::env::var_os("PRAOS_HEADER_CASES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/vectors/header-cases/praos-header-cases.json")
        });
    let cases: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut reproduced, mut refused_huge) = (0, 0);
    for case in cases.iter().filter(|c| c["expected"] == "pass") {
        let ctx = &case["context"];
        let original = Header::decode(&hex::decode(case["header"].as_str().unwrap()).unwrap()).unwrap();
        let body = original.body().clone();
        let spkp = ctx["praosSlotsPerKESPeriod"].as_u64().unwrap();
        let relative = (body.slot / spkp - body.opcert.kes_period) as u32;
        // The case's KES key is given at the header's period.
        let kes =
            KesSecretKey::from_bytes(&hex::decode(ctx["kesSignKey"].as_str().unwrap()).unwrap(), relative).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::new(SignGuard::create(&dir.path().join("guard.db")).unwrap());
        signer.add_leader(
            "case",
            PraosLeader {
                vrf: VrfSecretKey::from_bytes(&hex::decode(ctx["vrfSignKey"].as_str().unwrap()).unwrap()).unwrap(),
                kes,
                kes_store: None,
                opcert: OperationalCertificate {
                    hot_vkey: slotforge_crypto::kes::KesPublicKey(body.opcert.hot_vkey),
                    sequence_number: body.opcert.sequence_number,
                    kes_period: body.opcert.kes_period,
                    sigma: body.opcert.sigma,
                    cold_vkey: body.issuer_vkey,
                },
                slots_per_kes_period: spkp,
                max_kes_evolutions: ctx["praosMaxKESEvo"].as_u64().unwrap(),
            },
        );
        // Parameters under which the slot is the pool's (f = 1 makes every slot a win; the
        // stake check itself is the header validator's, which the reference already passed).
        let params = PraosEpoch {
            epoch: 0,
            first_slot: body.slot,
            epoch_length: 1,
            nonce: Nonce::from_hex(ctx["nonce"].as_str().unwrap()).unwrap(),
            variant: VrfVariant::Praos,
            threshold: LeaderThreshold::new(1, 1, ActiveSlotCoeff::new(1, 1).unwrap()).unwrap(),
            decentralisation: (0, 1),
        };
        assert_eq!(
            signer
                .schedule("case", EpochParams::Praos(params), 0..u64::MAX)
                .unwrap()
                .len(),
            1
        );
        let result = signer.sign_block("case", &body.to_cbor());
        if body.slot > i64::MAX as u64 {
            // The generated cases include slots from 2^63 on, which the guard cannot record:
            // a clear refusal, nothing signed.
            assert_eq!(result.unwrap_err().kind(), "slot_out_of_range");
            refused_huge += 1;
            continue;
        }
        assert_eq!(
            result.unwrap().header,
            original.to_cbor(),
            "{}: byte for byte",
            case["title"]
        );
        reproduced += 1;
    }
    assert_eq!(reproduced + refused_huge, 20);
    println!("reference cases: {reproduced} reproduced, {refused_huge} refused as slots from 2^63 on");
    assert!(reproduced >= 10, "only {reproduced} cases have slots below 2^63");
}
