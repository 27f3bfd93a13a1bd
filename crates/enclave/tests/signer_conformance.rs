//! Runs tests/data/signer_cases.json through the whole signer with real keys and files:
//! eligibility, VRF, the KES window and key evolution, and the sign guard.

use std::path::Path;

use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_enclave::kes_store::KesKeyStore;
use slotforge_enclave::sign_guard::SignGuard;
use slotforge_enclave::signer::{EpochParams, PraosLeader, Signer};
use slotforge_praos::forge::{header_body, BlockContent};
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;
use slotforge_praos::schedule::PraosEpoch;

const SLOTS_PER_KES: u64 = 100;
const EPOCHS: u64 = 7;
const NONCE: Nonce = Nonce::Hash([4; 32]);

fn epoch(e: u64) -> PraosEpoch {
    PraosEpoch {
        epoch: e,
        first_slot: e * 1000,
        epoch_length: 1000,
        nonce: NONCE,
        variant: VrfVariant::Praos,
        threshold: LeaderThreshold::new(1, 1, ActiveSlotCoeff::new(1, 2).unwrap()).unwrap(),
        decentralisation: (0, 1),
    }
}

struct Keys {
    opcert: OperationalCertificate,
    max_kes_evolutions: u64,
}

fn vrf() -> VrfSecretKey {
    VrfSecretKey::from_seed(&[11; 32])
}

/// A signer over the case's guard database and KES key file; `remember` re-sends every
/// epoch's parameters (with an empty slot range) as a node does after a restart.
fn signer(dir: &Path, guard: SignGuard, keys: &Keys, remember: bool) -> Signer {
    let store = KesKeyStore::open(dir.join("kes.key")).unwrap();
    let s = Signer::new(guard);
    s.add_leader(
        "pool",
        PraosLeader {
            vrf: vrf(),
            kes: store.load().unwrap(),
            kes_store: Some(store),
            opcert: keys.opcert.clone(),
            slots_per_kes_period: SLOTS_PER_KES,
            max_kes_evolutions: keys.max_kes_evolutions,
        },
    );
    if remember {
        for e in 0..EPOCHS {
            s.schedule("pool", EpochParams::Praos(epoch(e)), 0..0).unwrap();
        }
    }
    s
}

fn outcome(s: &Signer, keys: &Keys, slot: u64, tag: u8) -> String {
    let content = BlockContent {
        block_number: slot,
        slot,
        prev_hash: Some([tag; 32]),
        block_body_size: 10,
        block_body_hash: [tag; 32],
        protocol_version: (10, 0),
    };
    let body = header_body(&content, VrfVariant::Praos, &NONCE, &vrf(), &keys.opcert);
    match s.sign_block("pool", &body.to_cbor()) {
        Ok(signed) if signed.fresh => "signed".into(),
        Ok(_) => "replayed".into(),
        Err(e) => format!("refused:{}", e.kind()),
    }
}

#[test]
fn signer_cases() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/signer_cases.json")).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = file["cases"].as_array().unwrap();
    // Won slots by KES period, once for all cases (same key, nonce and stake).
    let won: Vec<u64> = (0..EPOCHS)
        .flat_map(|e| epoch(e).scan(&vrf(), 0..u64::MAX).into_iter().map(|w| w.slot))
        .collect();
    let nth_in_period = |period: u64, nth: usize| {
        won.iter()
            .copied()
            .filter(|s| s / SLOTS_PER_KES == period)
            .nth(nth)
            .expect("enough won slots per period")
    };
    let mut steps_run = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cold = SigningKey::from_bytes(&[13; 32]);
        let mut kes = KesSecretKey::from_seed(&mut [12; 32]);
        kes.evolve_to(case["key_period"].as_u64().unwrap() as u32).unwrap();
        let keys = Keys {
            opcert: OperationalCertificate::issue(&cold, kes.public_key(), 0, case["opcert_period"].as_u64().unwrap()),
            max_kes_evolutions: case["max_kes_evolutions"].as_u64().unwrap(),
        };
        KesKeyStore::open(dir.path().join("kes.key"))
            .unwrap()
            .save(&kes)
            .unwrap();
        let mut guard_path = dir.path().join("guard.db");
        let mut s = signer(dir.path(), SignGuard::create(&guard_path).unwrap(), &keys, true);
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            if step.get("restart").is_some() || step.get("forget_epoch").is_some() {
                drop(s);
                let remember = step.get("restart").is_some();
                s = signer(dir.path(), SignGuard::open(&guard_path).unwrap(), &keys, remember);
                continue;
            }
            if step.get("move_history").is_some() {
                let history = s.guard().export().unwrap();
                drop(s);
                guard_path = dir.path().join(format!("moved-{i}.db"));
                let guard = SignGuard::create(&guard_path).unwrap();
                guard.import(&history).unwrap();
                s = signer(dir.path(), guard, &keys, true);
                continue;
            }
            let sign = &step["sign"];
            let slot = nth_in_period(sign["period"].as_u64().unwrap(), sign["nth"].as_u64().unwrap() as usize);
            let tag = hex::decode(sign["body"].as_str().unwrap()).unwrap()[0];
            let got = outcome(&s, &keys, slot, tag);
            assert_eq!(
                got,
                step["expect"].as_str().unwrap(),
                "case {name:?}, step {i} (slot {slot})"
            );
            if let Some(p) = step.get("key_period") {
                let id = s.identity("pool").unwrap();
                assert_eq!(
                    u64::from(id.praos().unwrap().kes_period),
                    p.as_u64().unwrap(),
                    "case {name:?}, step {i}: key period"
                );
            }
            steps_run += 1;
        }
    }
    println!("signer cases: {} cases, {steps_run} checked steps", cases.len());
    assert!(steps_run >= 30);
}
