//! KES signatures and signing keys from arbitrary bytes: verification rejects or accepts,
//! signing with any 608 bytes works, nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_crypto::kes::{KesPublicKey, KesSecretKey, KesSignature};

fuzz_target!(|data: &[u8]| {
    if data.len() >= 448 + 32 + 1 {
        let sig = KesSignature::from_bytes(&data[..448]).expect("448 bytes");
        let pk = KesPublicKey::from_bytes(&data[448..480]).expect("32 bytes");
        let period = u32::from(data[480]);
        let _ = sig.verify(period, &pk, &data[481..]);
    } else {
        let _ = KesSignature::from_bytes(data);
    }
    if data.len() >= 609 {
        if let Ok(mut sk) = KesSecretKey::from_bytes(&data[..608], u32::from(data[608] % 70)) {
            let _ = sk.sign(b"message");
            let _ = sk.evolve();
            let _ = sk.public_key();
        }
    }
});
