//! ECVRF-ED25519-SHA512-Elligator2 as in draft-irtf-cfrg-vrf-03, byte-compatible with the
//! libsodium fork Cardano uses (`crypto_vrf_ietfdraft03_*`).
//!
//! Besides `prove`/`verify`/`proof_to_hash`, [`VrfSecretKey::output`] and
//! [`VrfSecretKey::output_batch`] compute the 64-byte VRF output without a proof: that is one
//! variable-base scalar multiplication instead of two plus a fixed-base one, and it is what
//! schedule scanning needs (proofs are made only for the slots that are won).

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::ed25519::is_canonical_point;
use crate::field::Fe;

/// Suite string of ECVRF-ED25519-SHA512-Elligator2.
const SUITE: u8 = 0x04;
/// Montgomery curve25519 coefficient A.
const MONTGOMERY_A: u64 = 486_662;

/// Length of a VRF proof (Gamma ‖ c ‖ s).
pub const PROOF_LEN: usize = 80;
/// Length of a VRF output (`proof_to_hash`).
pub const OUTPUT_LEN: usize = 64;
/// Length of a VRF public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a VRF secret key as libsodium and cardano-cli store it (seed ‖ public key).
pub const SECRET_KEY_LEN: usize = 64;

/// Why a VRF key, proof or verification was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VrfError {
    /// A key or proof of the wrong size.
    #[error("VRF {what} must be {expected} bytes, got {got}")]
    WrongLength {
        /// Which of them it was: "proof", "public key" or "secret key".
        what: &'static str,
        /// The size it must have, in bytes.
        expected: usize,
        /// The size that was given, in bytes.
        got: usize,
    },
    /// The public key does not decompress to a curve point.
    #[error("VRF public key is not a curve point")]
    InvalidPublicKey,
    /// The public key encodes a y coordinate not below p.
    #[error("VRF public key is not a canonical point encoding (y is not below p)")]
    NonCanonicalPublicKey,
    /// The public key decodes to a point of small order.
    #[error("VRF public key has small order")]
    SmallOrderPublicKey,
    /// The 64-byte secret key's last 32 bytes are not the public key its seed derives.
    #[error("VRF secret key's public half does not match its seed")]
    KeyMismatch,
    /// The proof's Gamma (first 32 bytes) does not decompress to a curve point.
    #[error("VRF proof's Gamma is not a curve point")]
    InvalidGamma,
    /// The proof's Gamma encodes a y coordinate not below p.
    #[error("VRF proof's Gamma is not a canonical point encoding (y is not below p)")]
    NonCanonicalGamma,
    /// The proof's s (last 32 bytes) is not below the group order ℓ.
    #[error("VRF proof's s is not a canonical scalar")]
    NonCanonicalScalar,
    /// The proof is well formed but its challenge c does not match the one recomputed.
    #[error("VRF proof does not verify")]
    VerificationFailed,
}

fn check_len(what: &'static str, bytes: &[u8], expected: usize) -> Result<(), VrfError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(VrfError::WrongLength {
            what,
            expected,
            got: bytes.len(),
        })
    }
}

/// The 64-byte VRF output (beta).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfOutput(pub [u8; OUTPUT_LEN]);

impl VrfOutput {
    /// The 64 output bytes, which leader election and nonces hash further.
    pub fn as_bytes(&self) -> &[u8; OUTPUT_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for VrfOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfOutput({})", hex::encode(self.0))
    }
}

/// An 80-byte VRF proof: Gamma (32) ‖ c (16) ‖ s (32).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VrfProof(pub [u8; PROOF_LEN]);

impl std::fmt::Debug for VrfProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfProof({})", hex::encode(self.0))
    }
}

impl VrfProof {
    /// Reads an 80-byte proof (Gamma ‖ c ‖ s); any other length is [`VrfError::WrongLength`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VrfError> {
        check_len("proof", bytes, PROOF_LEN)?;
        let mut p = [0u8; PROOF_LEN];
        p.copy_from_slice(bytes);
        Ok(VrfProof(p))
    }

    /// The 80 proof bytes, as carried in a block header.
    pub fn as_bytes(&self) -> &[u8; PROOF_LEN] {
        &self.0
    }

    /// Decodes Gamma, c and s as libsodium's `vrf_verify` and `proof_to_hash` do: Gamma a
    /// canonical encoding of a curve point (any order), s reduced.
    fn decode(&self) -> Result<(EdwardsPoint, Scalar, Scalar), VrfError> {
        let gamma_bytes = compressed(&self.0[..32]);
        if !is_canonical_point(gamma_bytes.as_bytes()) {
            return Err(VrfError::NonCanonicalGamma);
        }
        let gamma = gamma_bytes.decompress().ok_or(VrfError::InvalidGamma)?;
        let mut c = [0u8; 32];
        c[..16].copy_from_slice(&self.0[32..48]);
        let mut s = [0u8; 32];
        s.copy_from_slice(&self.0[48..]);
        let s = Option::from(Scalar::from_canonical_bytes(s)).ok_or(VrfError::NonCanonicalScalar)?;
        Ok((gamma, Scalar::from_bytes_mod_order(c), s))
    }

    /// The VRF output this proof commits to (`proof_to_hash`). Does not verify the proof.
    pub fn to_output(&self) -> Result<VrfOutput, VrfError> {
        let (gamma, _, _) = self.decode()?;
        Ok(gamma_to_output(&gamma.mul_by_cofactor().compress()))
    }
}

fn compressed(bytes: &[u8]) -> CompressedEdwardsY {
    let mut b = [0u8; 32];
    b.copy_from_slice(bytes);
    CompressedEdwardsY(b)
}

fn gamma_to_output(gamma8: &CompressedEdwardsY) -> VrfOutput {
    let mut h = Sha512::new();
    h.update([SUITE, 0x03]);
    h.update(gamma8.as_bytes());
    VrfOutput(h.finalize().into())
}

/// A VRF verification key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfPublicKey(pub [u8; PUBLIC_KEY_LEN]);

impl std::fmt::Debug for VrfPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfPublicKey({})", hex::encode(self.0))
    }
}

impl VrfPublicKey {
    /// Reads a 32-byte public key; any other length is [`VrfError::WrongLength`]. The point is
    /// checked only at verification.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VrfError> {
        check_len("public key", bytes, PUBLIC_KEY_LEN)?;
        let mut pk = [0u8; PUBLIC_KEY_LEN];
        pk.copy_from_slice(bytes);
        Ok(VrfPublicKey(pk))
    }

    /// The 32 key bytes, as registered for a pool and carried in a block header.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The point, if the key is a canonical encoding of a point that is not of small order
    /// (libsodium's checks in `crypto_vrf_ietfdraft03_verify`, in its order).
    fn point(&self) -> Result<EdwardsPoint, VrfError> {
        let p = CompressedEdwardsY(self.0).decompress();
        if p.is_some_and(|p| p.is_small_order()) {
            return Err(VrfError::SmallOrderPublicKey);
        }
        if !is_canonical_point(&self.0) {
            return Err(VrfError::NonCanonicalPublicKey);
        }
        p.ok_or(VrfError::InvalidPublicKey)
    }

    /// Verifies `proof` for `alpha` and returns the VRF output.
    pub fn verify(&self, alpha: &[u8], proof: &VrfProof) -> Result<VrfOutput, VrfError> {
        let y = self.point()?;
        let (gamma, c, s) = proof.decode()?;
        let h = hash_to_curve(&self.0, &[alpha])
            .pop()
            .ok_or(VrfError::VerificationFailed)?;
        // U = s·B − c·Y, V = s·H − c·Gamma
        let u = EdwardsPoint::vartime_double_scalar_mul_basepoint(&-c, &y, &s);
        let v = EdwardsPoint::vartime_multiscalar_mul([s, -c], [h, gamma]);
        // libsodium hashes Gamma as the proof carries it, not re-encoded.
        let c_prime = challenge(&h.compress(), &proof.0[..32], &u, &v);
        if c_prime == proof.0[32..48] {
            Ok(gamma_to_output(&gamma.mul_by_cofactor().compress()))
        } else {
            Err(VrfError::VerificationFailed)
        }
    }
}

/// The first 16 bytes of SHA512(suite ‖ 0x02 ‖ H ‖ Gamma ‖ U ‖ V).
fn challenge(h: &CompressedEdwardsY, gamma: &[u8], u: &EdwardsPoint, v: &EdwardsPoint) -> [u8; 16] {
    let mut hasher = Sha512::new();
    hasher.update([SUITE, 0x02]);
    hasher.update(h.as_bytes());
    hasher.update(gamma);
    for p in EdwardsPoint::compress_batch(&[*u, *v]) {
        hasher.update(p.as_bytes());
    }
    let digest = hasher.finalize();
    let mut c = [0u8; 16];
    c.copy_from_slice(&digest[..16]);
    c
}

/// A VRF signing key. Secret material is zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct VrfSecretKey {
    seed: [u8; 32],
    /// The clamped secret scalar x, reduced mod ℓ.
    scalar: Scalar,
    /// 8·x mod ℓ: the output is SHA512(suite ‖ 3 ‖ (8x)·H) for H in the prime-order subgroup.
    scalar_times_cofactor: Scalar,
    /// The second half of SHA512(seed), the nonce key.
    nonce_key: [u8; 32],
    #[zeroize(skip)]
    public: VrfPublicKey,
}

impl VrfSecretKey {
    /// Derives the key pair from a 32-byte seed, as libsodium's `crypto_vrf_seed_keypair`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let mut az: Zeroizing<[u8; 64]> = Zeroizing::new(Sha512::digest(seed).into());
        let mut x = [0u8; 32];
        x.copy_from_slice(&az[..32]);
        x[0] &= 248;
        x[31] &= 127;
        x[31] |= 64;
        let scalar = Scalar::from_bytes_mod_order(x);
        x.zeroize();
        let mut nonce_key = [0u8; 32];
        nonce_key.copy_from_slice(&az[32..]);
        az.zeroize();
        let public = VrfPublicKey(EdwardsPoint::mul_base(&scalar).compress().0);
        VrfSecretKey {
            seed: *seed,
            scalar,
            scalar_times_cofactor: scalar * Scalar::from(8u8),
            nonce_key,
            public,
        }
    }

    /// Reads the 64-byte libsodium form (seed ‖ public key); the public half must match.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VrfError> {
        check_len("secret key", bytes, SECRET_KEY_LEN)?;
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(&bytes[..32]);
        let key = Self::from_seed(&seed);
        if key.public.0[..] != bytes[32..] {
            return Err(VrfError::KeyMismatch);
        }
        Ok(key)
    }

    /// The 64-byte libsodium form (seed ‖ public key).
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        out[..32].copy_from_slice(&self.seed);
        out[32..].copy_from_slice(&self.public.0);
        out
    }

    /// The verification key derived from the seed.
    pub fn public_key(&self) -> VrfPublicKey {
        self.public
    }

    /// Makes the 80-byte proof for `alpha`.
    pub fn prove(&self, alpha: &[u8]) -> VrfProof {
        let h = hash_to_curve(&self.public.0, &[alpha]).pop().unwrap_or_default();
        let h_enc = h.compress();
        let gamma = (self.scalar * h).compress();
        let mut nonce_input = Zeroizing::new([0u8; 64]);
        nonce_input[..32].copy_from_slice(&self.nonce_key);
        nonce_input[32..].copy_from_slice(h_enc.as_bytes());
        let wide: Zeroizing<[u8; 64]> = Zeroizing::new(Sha512::digest(&nonce_input[..]).into());
        let mut k = Scalar::from_bytes_mod_order_wide(&wide);
        let c = challenge(&h_enc, gamma.as_bytes(), &EdwardsPoint::mul_base(&k), &(k * h));
        let mut c32 = [0u8; 32];
        c32[..16].copy_from_slice(&c);
        let s = k + Scalar::from_bytes_mod_order(c32) * self.scalar;
        k.zeroize();
        let mut pi = [0u8; PROOF_LEN];
        pi[..32].copy_from_slice(gamma.as_bytes());
        pi[32..48].copy_from_slice(&c);
        pi[48..].copy_from_slice(s.as_bytes());
        VrfProof(pi)
    }

    /// The VRF output for `alpha`, equal to `prove(alpha).to_output()`, without the proof.
    pub fn output(&self, alpha: &[u8]) -> VrfOutput {
        self.output_batch(&[alpha]).pop().unwrap_or(VrfOutput([0; OUTPUT_LEN]))
    }

    /// [`output`](Self::output) for many inputs, sharing field inversions across them.
    pub fn output_batch<A: AsRef<[u8]>>(&self, alphas: &[A]) -> Vec<VrfOutput> {
        let points: Vec<EdwardsPoint> = hash_to_curve(&self.public.0, alphas)
            .iter()
            .map(|h| self.scalar_times_cofactor * h)
            .collect();
        EdwardsPoint::compress_batch_alloc(&points)
            .iter()
            .map(gamma_to_output)
            .collect()
    }
}

impl std::fmt::Debug for VrfSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VrfSecretKey({:?}, secret: <redacted>)", self.public)
    }
}

/// libsodium's `_vrf_ietfdraft03_hash_to_curve_elligator2_25519` for each input: r = the first
/// 32 bytes of SHA512(suite ‖ 0x01 ‖ pk ‖ alpha) with bit 255 cleared, mapped by Elligator2 to
/// the Montgomery u-coordinate, converted to Edwards y = (u−1)/(u+1), decoded with a
/// non-negative x, and multiplied by the cofactor.
///
/// Elligator2 picks u1 = −A/(1+2r²) when u1³+Au1²+u1 is a square, else u2 = −u1−A. A point
/// with y(u) exists on the Edwards curve exactly when that expression is a square, so instead
/// of a separate Legendre-symbol exponentiation we try to decode y(u1) and fall back to y(u2);
/// both denominators of all inputs are inverted together. Everything here is public data.
fn hash_to_curve<A: AsRef<[u8]>>(pk: &[u8; 32], alphas: &[A]) -> Vec<EdwardsPoint> {
    let a = Fe::from_u64(MONTGOMERY_A);
    let mut numerators = Vec::with_capacity(2 * alphas.len());
    let mut denominators = Vec::with_capacity(2 * alphas.len());
    for alpha in alphas {
        let mut hasher = Sha512::new();
        hasher.update([SUITE, 0x01]);
        hasher.update(pk);
        hasher.update(alpha.as_ref());
        let digest = hasher.finalize();
        let mut r = [0u8; 32];
        r.copy_from_slice(&digest[..32]);
        let r = Fe::from_bytes(&r);
        let r2 = r.square();
        let d = Fe::ONE.add(r2).add(r2); // 1 + 2r²
                                         // u1 = −A/d:        y1 = (u1−1)/(u1+1) = (A+d)/(A−d)
                                         // u2 = A(1−d)/d:    y2 = (A(1−d)−d)/(A(1−d)+d)
        let t = a.sub(a.mul(d));
        numerators.extend([a.add(d), t.sub(d)]);
        denominators.extend([a.sub(d), t.add(d)]);
    }
    Fe::batch_invert(&mut denominators);
    numerators
        .chunks_exact(2)
        .zip(denominators.chunks_exact(2))
        .map(|(n, m)| {
            let decode = |i: usize| CompressedEdwardsY(n[i].mul(m[i]).to_bytes()).decompress();
            // One of the two candidates always decodes (see above); the identity fallback is
            // unreachable and only keeps this function total.
            decode(0).or_else(|| decode(1)).unwrap_or_default().mul_by_cofactor()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn output_equals_proof_to_hash(seed in any::<[u8; 32]>(), alpha in proptest::collection::vec(any::<u8>(), 0..80)) {
            let sk = VrfSecretKey::from_seed(&seed);
            let proof = sk.prove(&alpha);
            let out = sk.public_key().verify(&alpha, &proof).unwrap();
            prop_assert_eq!(out, proof.to_output().unwrap());
            prop_assert_eq!(out, sk.output(&alpha));
        }

        #[test]
        fn batch_equals_single(seed in any::<[u8; 32]>(), alphas in proptest::collection::vec(any::<[u8; 32]>(), 0..40)) {
            let sk = VrfSecretKey::from_seed(&seed);
            let batch = sk.output_batch(&alphas);
            let single: Vec<VrfOutput> = alphas.iter().map(|a| sk.output(a)).collect();
            prop_assert_eq!(batch, single);
        }

        #[test]
        fn tampered_proof_rejected(seed in any::<[u8; 32]>(), byte in 0usize..80, bit in 0u8..8) {
            let sk = VrfSecretKey::from_seed(&seed);
            let mut proof = sk.prove(b"slot");
            proof.0[byte] ^= 1 << bit;
            prop_assert!(sk.public_key().verify(b"slot", &proof).is_err());
        }
    }
}
