//! VRF proofs, public keys and secret keys from arbitrary bytes: verify must reject or
//! accept, never panic; an accepted proof's output equals proof_to_hash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slotforge_crypto::vrf::{VrfProof, VrfPublicKey, VrfSecretKey};

fuzz_target!(|data: &[u8]| {
    if data.len() < 112 {
        let _ = VrfProof::from_bytes(data);
        let _ = VrfSecretKey::from_bytes(data);
        return;
    }
    let (proof, rest) = data.split_at(80);
    let (pk, alpha) = rest.split_at(32);
    let proof = VrfProof::from_bytes(proof).expect("80 bytes");
    let pk = VrfPublicKey::from_bytes(pk).expect("32 bytes");
    let hashed = proof.to_output();
    if let Ok(out) = pk.verify(alpha, &proof) {
        assert_eq!(Ok(out), hashed);
    }
    let _ = VrfSecretKey::from_bytes(&data[..64]);
});
