//! Headers: real mainnet headers through the full validator, and forged headers whose every
//! single-field mutation fails with the right error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use proptest::prelude::*;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::kes::KesSecretKey;
use slotforge_crypto::opcert::OperationalCertificate;
use slotforge_crypto::vrf::VrfSecretKey;
use slotforge_praos::forge::{forge_header, sign_body, BlockContent};
use slotforge_praos::header::{Header, HeaderDecodeError, HeaderVrf};
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::{blake2b256, Nonce};
use slotforge_praos::time::{ConsensusGenesis, NetworkPreset};
use slotforge_praos::validation::{validate, GenesisDelegate, HeaderError, IssuerState, PoolLookup, ValidationParams};

fn vectors() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
}

fn ratio(s: &str) -> (u64, u64) {
    slotforge_praos::ratio::parse_ratio(s).unwrap()
}

#[test]
fn mainnet_headers_validate() {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("mainnet/headers.json")).unwrap()).unwrap();
    let history = NetworkPreset::mainnet().history;
    for h in meta["headers"].as_array().unwrap() {
        let bytes = hex::decode(
            std::fs::read_to_string(vectors().join("mainnet").join(h["file"].as_str().unwrap()))
                .unwrap()
                .trim(),
        )
        .unwrap();
        let header = Header::decode(&bytes).unwrap();
        assert_eq!(header.to_cbor(), bytes, "byte-for-byte");
        assert_eq!(
            header.body().to_cbor(),
            header.body_bytes(),
            "the decoded body re-encodes exactly"
        );
        assert_eq!(
            hex::encode(header.hash()),
            h["block_hash"].as_str().unwrap(),
            "block hash"
        );
        assert!(matches!(header.body().vrf, HeaderVrf::TPraos { .. }));
        let (epoch, _) = history.slot_to_epoch(header.body().slot);
        let (first, _) = history.epoch_bounds(epoch).unwrap();
        let (fn_, fd) = ratio(h["active_slot_coeff"].as_str().unwrap());
        let params = ValidationParams {
            variant: VrfVariant::TPraos,
            epoch_nonce: Nonce::from_hex(h["epoch_nonce"].as_str().unwrap()).unwrap(),
            active_slot_coeff: ActiveSlotCoeff::new(fn_, fd).unwrap(),
            slots_per_kes_period: 129_600,
            max_kes_evolutions: 62,
            decentralisation: ratio(h["decentralisation"].as_str().unwrap()),
            epoch_first_slot: first,
            gen_delegs: mainnet_gen_delegs(),
        };
        let registered = blake2b256(&[&header.body().vrf_vkey]);
        let seq = header.body().opcert.sequence_number;
        let issuer = |stake: u64| IssuerState {
            last_sequence_number: Some(seq),
            pool: match h["pool_stake"].as_u64() {
                Some(_) => PoolLookup::Registered {
                    vrf_key_hash: registered,
                    stake,
                    total_stake: h["total_active_stake"].as_u64().unwrap(),
                },
                None => PoolLookup::Unavailable, // the genesis delegate's block: no stake distribution needed
            },
        };
        let stake = h["pool_stake"].as_u64().unwrap_or(0);
        let v =
            validate(&header, &params, &issuer(stake)).unwrap_or_else(|e| panic!("block {}: {e}", h["block_number"]));
        if h["block_number"] == 4490511 {
            // d = 1: a genesis delegate's block, in the slot the overlay schedule gives it.
            assert!(v.overlay);
            let issuer_hash = slotforge_praos::validation::pool_id(&header.body().issuer_vkey);
            let (key, _) = params
                .gen_delegs
                .iter()
                .find(|(_, d)| d.delegate == issuer_hash)
                .unwrap();
            let key = *key;
            let altered = |edit: &dyn Fn(&mut GenesisDelegate)| {
                let mut p = params.clone();
                edit(p.gen_delegs.get_mut(&key).unwrap());
                validate(&header, &p, &issuer(stake)).err().map(|e| e.kind())
            };
            assert_eq!(altered(&|d| d.vrf_key_hash[0] ^= 1), Some("WrongGenesisVrfKey"));
            assert_eq!(altered(&|d| d.delegate[0] ^= 1), Some("WrongGenesisColdKey"));
            // The same key under another genesis key hash: the schedule names someone else.
            let mut moved = params.clone();
            let d = moved.gen_delegs.remove(&key).unwrap();
            moved.gen_delegs.insert([0xff; 28], d);
            assert_eq!(
                validate(&header, &moved, &issuer(stake)).err().map(|e| e.kind()),
                Some("WrongGenesisColdKey")
            );
        } else {
            assert!(!v.overlay);
            assert_eq!(
                validate(&header, &params, &issuer(stake / 1000)),
                Err(HeaderError::InsufficientStake)
            );
        }
    }
}

/// Mainnet's Shelley genesis delegations (tests/data/mainnet-shelley-genesis.json).
fn mainnet_gen_delegs() -> BTreeMap<[u8; 28], GenesisDelegate> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/mainnet-shelley-genesis.json");
    let genesis = ConsensusGenesis::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    let delegates = genesis.genesis_delegates().unwrap();
    assert_eq!(delegates.len(), 7);
    delegates
}

#[test]
fn malformed_headers_are_typed_errors() {
    let bytes = hex::decode(
        std::fs::read_to_string(vectors().join("mainnet/header-4556956.cbor.hex"))
            .unwrap()
            .trim(),
    )
    .unwrap();
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(Header::decode(&trailing), Err(HeaderDecodeError::TrailingBytes(1)));
    let mut indefinite = bytes.clone();
    indefinite[0] = 0x9f; // indefinite outer array
    assert!(matches!(
        Header::decode(&indefinite),
        Err(HeaderDecodeError::Indefinite { .. })
    ));
    let mut three = bytes.clone();
    three[0] = 0x83;
    assert!(matches!(
        Header::decode(&three),
        Err(HeaderDecodeError::ArrayLength { .. })
    ));
    assert!(matches!(
        Header::decode(&bytes[..bytes.len() - 1]),
        Err(HeaderDecodeError::Cbor { .. })
    ));
    assert!(Header::decode(&[]).is_err());
    // A non-minimal (but definite) length for the outer array is kept as received: the bytes
    // and the block hash are those of the input, not of a re-encoding.
    let mut wide = vec![0x98, 0x02];
    wide.extend_from_slice(&bytes[1..]);
    let h = Header::decode(&wide).unwrap();
    assert_eq!(h.to_cbor(), wide);
    assert_ne!(h.hash(), Header::decode(&bytes).unwrap().hash());
    // The body's array size (15) changed to 14.
    let mut body_size = bytes.clone();
    assert_eq!(body_size[1], 0x8f);
    body_size[1] = 0x8e;
    assert!(matches!(
        Header::decode(&body_size),
        Err(HeaderDecodeError::ArrayLength {
            what: "header body",
            ..
        })
    ));
}

struct Pool {
    vrf: VrfSecretKey,
    kes_bytes: Vec<u8>,
    opcert: OperationalCertificate,
}

const SLOTS_PER_KES: u64 = 100;

fn pool(seed: u8) -> Pool {
    let vrf = VrfSecretKey::from_seed(&[seed; 32]);
    let mut kes_seed = [seed.wrapping_add(1); 32];
    let kes = KesSecretKey::from_seed(&mut kes_seed);
    let cold = SigningKey::from_bytes(&[seed.wrapping_add(2); 32]);
    let opcert = OperationalCertificate::issue(&cold, kes.public_key(), 3, 2);
    Pool {
        vrf,
        kes_bytes: kes.to_bytes().to_vec(),
        opcert,
    }
}

fn params(variant: VrfVariant) -> ValidationParams {
    ValidationParams {
        variant,
        epoch_nonce: Nonce::Hash([9; 32]),
        active_slot_coeff: ActiveSlotCoeff::new(1, 2).unwrap(),
        slots_per_kes_period: SLOTS_PER_KES,
        max_kes_evolutions: 62,
        decentralisation: (0, 1),
        epoch_first_slot: 0,
        gen_delegs: Default::default(),
    }
}

fn issuer(p: &Pool) -> IssuerState {
    IssuerState {
        last_sequence_number: Some(3),
        pool: PoolLookup::Registered {
            vrf_key_hash: blake2b256(&[p.vrf.public_key().as_bytes()]),
            stake: 1,
            total_stake: 1,
        },
    }
}

/// The first slot at or after `from` (within the opcert's window) that the pool wins.
fn won_slot(p: &Pool, variant: VrfVariant, from: u64) -> u64 {
    let t = LeaderThreshold::new(1, 1, ActiveSlotCoeff::new(1, 2).unwrap()).unwrap();
    let nonce = Nonce::Hash([9; 32]);
    (from..)
        .find(|s| t.is_leader(&variant.leader_value(&p.vrf.output(&variant.leader_input(*s, &nonce)))))
        .unwrap()
}

fn forge(p: &Pool, variant: VrfVariant, slot: u64) -> Header {
    let content = BlockContent {
        block_number: 7,
        slot,
        prev_hash: Some([1; 32]),
        block_body_size: 1024,
        block_body_hash: [2; 32],
        protocol_version: (9, 0),
    };
    let mut kes = KesSecretKey::from_bytes(&p.kes_bytes, 0).unwrap();
    forge_header(
        &content,
        variant,
        &Nonce::Hash([9; 32]),
        &p.vrf,
        &mut kes,
        &p.opcert,
        SLOTS_PER_KES,
    )
    .unwrap()
}

/// The header re-signed by its KES key after `edit`: only the edited rule can fail.
fn signed_as(p: &Pool, h: &Header, edit: impl FnOnce(&mut slotforge_praos::header::HeaderBody)) -> Header {
    let mut body = h.body().clone();
    edit(&mut body);
    let mut kes = KesSecretKey::from_bytes(&p.kes_bytes, 0).unwrap();
    sign_body(body, &mut kes, SLOTS_PER_KES).unwrap()
}

/// Re-decodes a header whose body was edited, keeping the original signature.
fn edited_as(h: &Header, edit: impl FnOnce(&mut slotforge_praos::header::HeaderBody)) -> Header {
    let mut body = h.body().clone();
    edit(&mut body);
    let mut cbor = vec![0x82];
    cbor.extend(body.to_cbor());
    cbor.extend([0x59, 0x01, 0xc0]);
    cbor.extend(h.kes_signature().as_bytes());
    Header::decode(&cbor).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn forged_headers_validate_and_mutations_fail(seed in any::<u8>(), start in 200u64..5000, tpraos in any::<bool>()) {
        let variant = if tpraos { VrfVariant::TPraos } else { VrfVariant::Praos };
        let p = pool(seed);
        let slot = won_slot(&p, variant, start);
        let h = forge(&p, variant, slot);
        let ps = params(variant);
        let iss = issuer(&p);
        prop_assert!(validate(&h, &ps, &iss).is_ok());
        prop_assert_eq!(Header::decode(&h.to_cbor()).unwrap(), h.clone());

        let kind = |hh: &Header, iss: &IssuerState| validate(hh, &ps, iss).err().map(|e| e.kind());
        // A body edited under the old signature breaks two rules: TPraos checks the VRF first,
        // Praos the KES signature. Re-signed, only the edited rule fails.
        let vrf_or_kes = |vrf: &'static str| Some(if tpraos { vrf } else { "KesSignature" });
        prop_assert_eq!(kind(&edited_as(&h, |b| b.slot += 1), &iss), vrf_or_kes("VrfProof"));
        prop_assert_eq!(kind(&signed_as(&p, &h, |b| b.slot += 1), &iss), Some("VrfProof"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.block_number += 1), &iss), Some("KesSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.block_body_hash[0] ^= 1), &iss), Some("KesSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.prev_hash = None), &iss), Some("KesSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.protocol_version.1 += 1), &iss), Some("KesSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.vrf_vkey[0] ^= 1), &iss), vrf_or_kes("VrfKeyMismatch"));
        prop_assert_eq!(kind(&signed_as(&p, &h, |b| b.vrf_vkey[0] ^= 1), &iss), Some("VrfKeyMismatch"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.issuer_vkey[0] ^= 1), &iss), Some("OpCertSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.opcert.sigma[5] ^= 1), &iss), Some("OpCertSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.opcert.sequence_number += 1), &iss), Some("OpCertSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.opcert.hot_vkey[0] ^= 1), &iss), Some("OpCertSignature"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.opcert.kes_period = slot / SLOTS_PER_KES + 1), &iss), Some("KesPeriodBeforeOpCert"));
        prop_assert_eq!(kind(&edited_as(&h, |b| b.opcert.kes_period = 0), &iss), Some("OpCertSignature"));
        let vrf_edit = |b: &mut slotforge_praos::header::HeaderBody| match &mut b.vrf {
            HeaderVrf::Praos(c) => c.output[0] ^= 1,
            HeaderVrf::TPraos { leader, .. } => leader.proof[40] ^= 1,
        };
        prop_assert_eq!(kind(&edited_as(&h, vrf_edit), &iss), vrf_or_kes("VrfProof"));
        prop_assert_eq!(kind(&signed_as(&p, &h, vrf_edit), &iss), Some("VrfProof"));
        let mut bytes = h.to_cbor();
        let n = bytes.len();
        bytes[n - 100] ^= 1;
        prop_assert_eq!(kind(&Header::decode(&bytes).unwrap(), &iss), Some("KesSignature"));

        let with = |last: u64| IssuerState { last_sequence_number: Some(last), ..iss.clone() };
        prop_assert!(validate(&h, &ps, &with(2)).is_ok(), "one above the last seen is fine");
        prop_assert_eq!(kind(&h, &with(4)), Some("SequenceNumberTooSmall"));
        // Praos bounds the counter's step; TPraos's OCERT rule does not.
        prop_assert_eq!(kind(&h, &with(1)), if tpraos { None } else { Some("SequenceNumberTooFarAhead") });
        prop_assert_eq!(kind(&h, &IssuerState { pool: PoolLookup::NotInDistribution, ..iss.clone() }), Some("UnknownPool"));
        // No counter yet: a registered pool starts at 0 (3 is more than one above it for
        // Praos); an unknown issuer has none, which Praos finds before the VRF rules.
        let fresh = IssuerState { last_sequence_number: None, ..iss.clone() };
        prop_assert_eq!(kind(&h, &fresh), if tpraos { None } else { Some("SequenceNumberTooFarAhead") });
        let stranger = IssuerState { last_sequence_number: None, pool: PoolLookup::NotInDistribution };
        prop_assert_eq!(kind(&h, &stranger), Some(if tpraos { "UnknownPool" } else { "NoOpCertCounter" }));
        prop_assert_eq!(kind(&h, &IssuerState { pool: PoolLookup::Unavailable, ..iss.clone() }), Some("StakeDistributionUnavailable"));
        let short = ValidationParams { max_kes_evolutions: slot / SLOTS_PER_KES - 2, ..params(variant) };
        prop_assert_eq!(validate(&h, &short, &iss).err().map(|e| e.kind()), Some("KesPeriodAfterOpCert"));
        let tiny = IssuerState { pool: PoolLookup::Registered { vrf_key_hash: blake2b256(&[p.vrf.public_key().as_bytes()]), stake: 1, total_stake: u64::MAX }, ..iss.clone() };
        prop_assert_eq!(kind(&h, &tiny), Some("InsufficientStake"));

        if tpraos {
            // d = 1, f = 1/2: every slot is an overlay slot, the even ones active, each for the
            // genesis key (slot / 2) mod 2. The pool is one key's delegate, with no counter
            // and no stake.
            let me = GenesisDelegate {
                delegate: slotforge_praos::validation::pool_id(&h.body().issuer_vkey),
                vrf_key_hash: blake2b256(&[p.vrf.public_key().as_bytes()]),
            };
            let other = GenesisDelegate { delegate: [0xee; 28], vrf_key_hash: [0xee; 32] };
            let mine = (slot / 2 % 2) as u8;
            let overlay = ValidationParams {
                decentralisation: (1, 1),
                gen_delegs: [([mine; 28], me), ([1 - mine; 28], other)].into_iter().collect(),
                ..params(variant)
            };
            let delegate = IssuerState { last_sequence_number: None, pool: PoolLookup::NotInDistribution };
            let outcome = validate(&h, &overlay, &delegate);
            if slot % 2 == 1 {
                prop_assert_eq!(outcome, Err(HeaderError::NotActiveSlot(slot)));
            } else {
                prop_assert!(outcome.unwrap().overlay);
                let swapped = ValidationParams {
                    gen_delegs: overlay.gen_delegs.iter().map(|(k, d)| ([1 - k[0]; 28], d.clone())).collect(),
                    ..overlay.clone()
                };
                prop_assert_eq!(validate(&h, &swapped, &delegate).err().map(|e| e.kind()), Some("WrongGenesisColdKey"));
            }
        }
    }
}

#[test]
fn signing_refuses_what_cannot_validate() {
    let p = pool(1);
    let slot = won_slot(&p, VrfVariant::Praos, 250);
    let h = forge(&p, VrfVariant::Praos, slot);
    // A KES key already past the slot's period cannot sign it.
    let mut kes = KesSecretKey::from_bytes(&p.kes_bytes, 0).unwrap();
    kes.evolve_to(60).unwrap();
    assert!(sign_body(h.body().clone(), &mut kes, SLOTS_PER_KES).is_err());
    // A slot before the opcert's start period.
    let mut early = h.body().clone();
    early.slot = 10;
    let mut kes = KesSecretKey::from_bytes(&p.kes_bytes, 0).unwrap();
    assert!(sign_body(early, &mut kes, SLOTS_PER_KES).is_err());
    // Another KES key than the opcert certifies.
    let mut other = KesSecretKey::from_seed(&mut [77; 32]);
    assert!(sign_body(h.body().clone(), &mut other, SLOTS_PER_KES).is_err());
}
