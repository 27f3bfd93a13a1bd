//! Ed25519 (RFC 8032) for operational certificates, BFT leaders and transaction witnesses,
//! from ed25519-dalek, verified as the libsodium cardano-node links does it.

use curve25519_dalek::edwards::CompressedEdwardsY;
pub use ed25519_dalek::{
    Signature, Signer, SigningKey, Verifier, VerifyingKey, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SIGNATURE_LENGTH,
};

/// Why [`verify`] refused a signature, in the order libsodium checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ed25519Error {
    /// S (the signature's last 32 bytes) is not below the group order ℓ, so the signature is
    /// malleable.
    #[error("the signature's S is not reduced modulo the group order")]
    NonCanonicalS,
    /// R (the signature's first 32 bytes) decodes to a point of small order.
    #[error("the signature's R has small order")]
    SmallOrderR,
    /// The public key encodes a y coordinate not below p (`ge25519_is_canonical` fails).
    #[error("the public key is not a canonical point encoding")]
    NonCanonicalKey,
    /// The public key decodes to a point of small order.
    #[error("the public key has small order")]
    SmallOrderKey,
    /// The public key's 32 bytes do not decompress to a curve point.
    #[error("the public key is not a curve point")]
    InvalidKey,
    /// Every encoding check passed but the verification equation does not hold.
    #[error("the signature does not verify")]
    Mismatch,
}

impl Ed25519Error {
    /// Whether the public key itself is unusable, rather than the signature made with it.
    pub fn is_key_error(self) -> bool {
        matches!(
            self,
            Ed25519Error::NonCanonicalKey | Ed25519Error::SmallOrderKey | Ed25519Error::InvalidKey
        )
    }
}

/// Whether `bytes` encode a y coordinate below p (the sign bit aside), libsodium's
/// `ge25519_is_canonical`: y + p would decode to the same point, and is refused.
pub fn is_canonical_point(bytes: &[u8; 32]) -> bool {
    let top_is_max = bytes[31] & 0x7f == 0x7f && bytes[1..31].iter().all(|b| *b == 0xff);
    !(top_is_max && bytes[0] >= 0xed)
}

/// Whether `bytes` decode to a point of small order (libsodium's `ge25519_has_small_order`
/// blacklist holds exactly the encodings of those points, canonical or not).
fn has_small_order(bytes: &[u8; 32]) -> bool {
    CompressedEdwardsY(*bytes)
        .decompress()
        .is_some_and(|p| p.is_small_order())
}

/// Verifies `signature` over `msg` as libsodium's `crypto_sign_verify_detached` (the strict
/// build cardano-node uses): S reduced, R and the key not of small order, the key canonical,
/// and the cofactorless equation with R compared byte for byte.
pub fn verify(public_key: &[u8; 32], msg: &[u8], signature: &[u8; 64]) -> Result<(), Ed25519Error> {
    let s: [u8; 32] = signature[32..].try_into().expect("32 bytes");
    if bool::from(curve25519_dalek::scalar::Scalar::from_canonical_bytes(s).is_none()) {
        return Err(Ed25519Error::NonCanonicalS);
    }
    let r: [u8; 32] = signature[..32].try_into().expect("32 bytes");
    if has_small_order(&r) {
        return Err(Ed25519Error::SmallOrderR);
    }
    if !is_canonical_point(public_key) {
        return Err(Ed25519Error::NonCanonicalKey);
    }
    if has_small_order(public_key) {
        return Err(Ed25519Error::SmallOrderKey);
    }
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| Ed25519Error::InvalidKey)?;
    key.verify_strict(msg, &Signature::from_bytes(signature))
        .map_err(|_| Ed25519Error::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::edwards::EdwardsPoint;
    use curve25519_dalek::traits::Identity;

    /// p = 2^255 - 19, little-endian.
    fn p_plus(k: u8) -> [u8; 32] {
        let mut b = [0xff; 32];
        b[31] = 0x7f;
        b[0] = 0xed + k;
        b
    }

    fn signed(msg: &[u8]) -> (SigningKey, [u8; 64]) {
        let key = SigningKey::from_bytes(&[7; 32]);
        let sig = key.sign(msg).to_bytes();
        (key, sig)
    }

    #[test]
    fn a_valid_signature_verifies_and_every_altered_part_is_refused() {
        let (key, sig) = signed(b"header");
        let pk = key.verifying_key().to_bytes();
        assert_eq!(verify(&pk, b"header", &sig), Ok(()));
        assert_eq!(verify(&pk, b"headex", &sig), Err(Ed25519Error::Mismatch));
        // S + L: the same signature to a lenient verifier that reduces S.
        // The group order ℓ, little-endian.
        let l = hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010").unwrap();
        let mut unreduced = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = sig[32 + i] as u16 + l[i] as u16 + carry;
            unreduced[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "S + L fits in 32 bytes");
        assert_eq!(verify(&pk, b"header", &unreduced), Err(Ed25519Error::NonCanonicalS));
    }

    #[test]
    fn small_order_and_non_canonical_points_are_refused() {
        let (key, sig) = signed(b"m");
        let pk = key.verifying_key().to_bytes();
        let identity = EdwardsPoint::identity().compress().to_bytes();
        let mut small_r = sig;
        small_r[..32].copy_from_slice(&identity);
        assert_eq!(verify(&pk, b"m", &small_r), Err(Ed25519Error::SmallOrderR));
        assert_eq!(verify(&identity, b"m", &sig), Err(Ed25519Error::SmallOrderKey));
        // p + 1 encodes y = 1 (the identity) non-canonically; libsodium blacklists it.
        assert_eq!(verify(&p_plus(1), b"m", &sig), Err(Ed25519Error::NonCanonicalKey));
        assert!(!is_canonical_point(&p_plus(0)) && !is_canonical_point(&p_plus(18)));
        let mut below_p = p_plus(0);
        below_p[0] = 0xec;
        assert!(is_canonical_point(&below_p));
        // A key of full order whose y is below 19 has a second, non-canonical encoding
        // y + p: the strict check refuses it before any arithmetic.
        let y_small = (2u8..19)
            .map(|y| {
                let mut b = [0u8; 32];
                b[0] = y;
                b
            })
            .find(|b| CompressedEdwardsY(*b).decompress().is_some_and(|p| !p.is_small_order()))
            .expect("some y below 19 is on the curve");
        let mut alias = p_plus(0);
        alias[0] = 0xed + y_small[0];
        assert_eq!(
            CompressedEdwardsY(alias).decompress(),
            CompressedEdwardsY(y_small).decompress(),
            "dalek decodes y + p as y"
        );
        assert_eq!(verify(&alias, b"m", &sig), Err(Ed25519Error::NonCanonicalKey));
        assert_ne!(verify(&y_small, b"m", &sig), Err(Ed25519Error::NonCanonicalKey));
    }
}
