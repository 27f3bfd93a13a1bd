//! Sum6 KES against the cardano-base vectors in ../shared/vectors/kes.

mod common;

use common::read_vector;
use pallas_crypto::kes::summed_kes::{Sum1Kes, Sum6CompactKes, Sum6CompactKesSig};
use pallas_crypto::kes::traits::{KesCompactSig, KesSk};
use slotforge_crypto::kes::{KesError, KesSecretKey, KesSignature, MAX_PERIODS};

const SEED: &[u8; 32] = b"test string of 32 byte of lenght";
const MESSAGE: &[u8] = b"test message";

#[test]
fn sum6_matches_cardano_base() {
    let mut seed = *SEED;
    let mut sk = KesSecretKey::from_seed(&mut seed);
    assert_eq!(seed, [0u8; 32], "the seed is wiped");
    assert_eq!(&sk.to_bytes()[..], &read_vector("kes/key6.bin")[..]);
    let pk = sk.public_key();
    let sig0 = sk.sign(MESSAGE);
    assert_eq!(&sig0.as_bytes()[..], &read_vector("kes/key6Sig.bin")[..]);
    sig0.verify(0, &pk, MESSAGE).unwrap();
    assert!(sig0.verify(1, &pk, MESSAGE).is_err());
    assert!(sig0.verify(0, &pk, b"other message").is_err());

    sk.evolve().unwrap();
    assert_eq!(&sk.to_bytes()[..], &read_vector("kes/key6update1.bin")[..]);
    sk.evolve_to(5).unwrap();
    assert_eq!(sk.period(), 5);
    assert_eq!(&sk.to_bytes()[..], &read_vector("kes/key6update5.bin")[..]);
    let sig5 = sk.sign(MESSAGE);
    assert_eq!(&sig5.as_bytes()[..], &read_vector("kes/key6Sig5.bin")[..]);
    sig5.verify(5, &pk, MESSAGE).unwrap();
    assert!(sig5.verify(4, &pk, MESSAGE).is_err());
    assert_eq!(sk.public_key(), pk, "the verification key is constant");

    // Their signature parses and verifies with our types.
    let theirs = KesSignature::from_bytes(&read_vector("kes/key6Sig5.bin")).unwrap();
    theirs.verify(5, &pk, MESSAGE).unwrap();
}

#[test]
fn evolution_erases_and_ends() {
    let mut seed = *SEED;
    let mut sk = KesSecretKey::from_seed(&mut seed);
    let leaf0: Vec<u8> = sk.to_bytes()[..32].to_vec();
    sk.evolve().unwrap();
    let after = sk.to_bytes();
    assert!(
        !after.windows(32).any(|w| w == &leaf0[..]),
        "period 0's leaf secret is gone"
    );
    assert_eq!(
        sk.evolve_to(0),
        Err(KesError::PeriodInThePast {
            current: 1,
            requested: 0
        })
    );
    assert_eq!(sk.evolve_to(MAX_PERIODS), Err(KesError::PeriodOutOfRange(MAX_PERIODS)));
    sk.evolve_to(MAX_PERIODS - 1).unwrap();
    let pk = sk.public_key();
    sk.sign(MESSAGE).verify(MAX_PERIODS - 1, &pk, MESSAGE).unwrap();
    assert_eq!(sk.evolve(), Err(KesError::Exhausted(MAX_PERIODS - 1)));
}

#[test]
fn bad_lengths_are_errors() {
    assert!(matches!(
        KesSecretKey::from_bytes(&[0; 607], 0),
        Err(KesError::WrongLength { .. })
    ));
    assert!(matches!(
        KesSecretKey::from_bytes(&[0; 608], 64),
        Err(KesError::PeriodOutOfRange(64))
    ));
    assert!(matches!(
        KesSignature::from_bytes(&[0; 447]),
        Err(KesError::WrongLength { .. })
    ));
}

/// The smaller and the compact compositions, straight from pallas, against the same vectors.
#[test]
fn sum1_and_compact_sum6() {
    let mut buf = vec![0u8; Sum1Kes::SIZE + 4];
    let mut seed = *SEED;
    let (sk1, _) = Sum1Kes::keygen(&mut buf, &mut seed);
    assert_eq!(&sk1.as_bytes()[..Sum1Kes::SIZE], &read_vector("kes/key1.bin")[..]);
    drop(sk1);

    let mut buf = vec![0u8; Sum6CompactKes::SIZE + 4];
    let mut seed = *SEED;
    let (mut sk, pk) = Sum6CompactKes::keygen(&mut buf, &mut seed);
    assert_eq!(
        &sk.as_bytes()[..Sum6CompactKes::SIZE],
        &read_vector("kes/compactkey6.bin")[..]
    );
    let sig = sk.sign(MESSAGE);
    assert_eq!(&sig.to_bytes()[..], &read_vector("kes/compactkey6Sig.bin")[..]);
    for _ in 0..5 {
        sk.update().unwrap();
    }
    assert_eq!(
        &sk.as_bytes()[..Sum6CompactKes::SIZE],
        &read_vector("kes/compactkey6update5.bin")[..]
    );
    let theirs = Sum6CompactKesSig::from_bytes(&read_vector("kes/compactkey6Sig5.bin")).unwrap();
    theirs.verify(5, &pk, MESSAGE).unwrap();
}
