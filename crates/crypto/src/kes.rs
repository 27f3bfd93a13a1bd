//! Cardano's KES: Sum6KES over Ed25519 with Blake2b-256 (64 periods), on pallas-crypto's
//! implementation, with cardano-cli's byte formats.
//!
//! pallas' key type borrows a buffer and zeroes it when dropped, so this wrapper owns the
//! bytes (key ‖ big-endian period) and lends pallas a scratch copy for each operation.

use pallas_crypto::kes::common::PublicKey as PallasPk;
use pallas_crypto::kes::summed_kes::{Sum6Kes, Sum6KesSig};
use pallas_crypto::kes::traits::{KesSig, KesSk};
use zeroize::{Zeroize, Zeroizing};

/// A cardano-cli Sum6 KES signing key: 608 bytes.
pub const SIGNING_KEY_LEN: usize = 608;
/// A Sum6 KES signature: 448 bytes.
pub const SIGNATURE_LEN: usize = 448;
/// A KES verification key: 32 bytes (the root of the Merkle tree).
pub const VERIFICATION_KEY_LEN: usize = 32;
/// Sum6 keys sign for 2^6 periods.
pub const MAX_PERIODS: u32 = 64;

/// Why a KES key or signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KesError {
    /// A key or signature of the wrong size.
    #[error("KES {what} must be {expected} bytes, got {got}")]
    WrongLength {
        /// Which of them it was: "signing key", "verification key" or "signature".
        what: &'static str,
        /// The size the Sum6 encoding has, in bytes.
        expected: usize,
        /// The size that was given, in bytes.
        got: usize,
    },
    /// A period at or beyond [`MAX_PERIODS`] (64), which a Sum6 key cannot reach.
    #[error("KES period {0} is outside 0..{MAX_PERIODS}")]
    PeriodOutOfRange(u32),
    /// [`KesSecretKey::evolve_to`] was asked for a period before the key's own; evolving only goes
    /// forward.
    #[error("the KES key is at period {current} and cannot go back to {requested}")]
    PeriodInThePast {
        /// The period the key is at.
        current: u32,
        /// The earlier period that was asked for.
        requested: u32,
    },
    /// The key is at its last period (63) and [`KesSecretKey::evolve`] has nowhere to go; holds
    /// that period.
    #[error("the KES key is at its last period ({0}) and cannot evolve")]
    Exhausted(u32),
    /// pallas rejected the signature or key at verification; holds pallas' message.
    #[error("KES signature does not verify: {0}")]
    Verification(String),
}

/// A Sum6 KES signing key at some period. Zeroized on drop; evolving erases the old period.
pub struct KesSecretKey {
    /// 608 key bytes followed by the period as a big-endian u32 (pallas' layout).
    buf: Zeroizing<Vec<u8>>,
}

impl KesSecretKey {
    /// Generates the key from a 32-byte seed (cardano-base `genKeyKES`); the seed is wiped.
    pub fn from_seed(seed: &mut [u8; 32]) -> Self {
        let mut buf = Zeroizing::new(vec![0u8; SIGNING_KEY_LEN + 4]);
        let mut scratch = Zeroizing::new(vec![0u8; SIGNING_KEY_LEN + 4]);
        {
            let (sk, _pk) = Sum6Kes::keygen(&mut scratch[..], &mut seed[..]);
            buf.copy_from_slice(sk.as_bytes());
        }
        seed.zeroize();
        KesSecretKey { buf }
    }

    /// Reads cardano-cli's 608-byte key, known to be at `period` (a key file does not record
    /// its period; a freshly generated key is at period 0).
    pub fn from_bytes(bytes: &[u8], period: u32) -> Result<Self, KesError> {
        if bytes.len() != SIGNING_KEY_LEN {
            return Err(KesError::WrongLength {
                what: "signing key",
                expected: SIGNING_KEY_LEN,
                got: bytes.len(),
            });
        }
        if period >= MAX_PERIODS {
            return Err(KesError::PeriodOutOfRange(period));
        }
        let mut buf = Zeroizing::new(vec![0u8; SIGNING_KEY_LEN + 4]);
        buf[..SIGNING_KEY_LEN].copy_from_slice(bytes);
        buf[SIGNING_KEY_LEN..].copy_from_slice(&period.to_be_bytes());
        Ok(KesSecretKey { buf })
    }

    /// The 608 key bytes, as cardano-cli and cardano-base serialise them.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.buf[..SIGNING_KEY_LEN].to_vec())
    }

    /// The period the key signs for.
    pub fn period(&self) -> u32 {
        u32::from_be_bytes([self.buf[608], self.buf[609], self.buf[610], self.buf[611]])
    }

    /// Runs `f` on pallas' view of a scratch copy, then keeps what `f` left in it.
    fn with_key<T>(&mut self, f: impl FnOnce(&mut Sum6Kes<'_>) -> T) -> T {
        let mut scratch = self.buf.clone();
        let mut sk = Sum6Kes::from_bytes(&mut scratch[..]).expect("buffer has the key size");
        let out = f(&mut sk);
        self.buf.copy_from_slice(sk.as_bytes());
        out
    }

    /// The verification key (constant across periods).
    pub fn public_key(&self) -> KesPublicKey {
        let mut scratch = self.buf.clone();
        let sk = Sum6Kes::from_bytes(&mut scratch[..]).expect("buffer has the key size");
        let mut pk = [0u8; VERIFICATION_KEY_LEN];
        pk.copy_from_slice(sk.to_pk().as_bytes());
        KesPublicKey(pk)
    }

    /// Signs `msg` for the current period.
    pub fn sign(&self, msg: &[u8]) -> KesSignature {
        let mut scratch = self.buf.clone();
        let sk = Sum6Kes::from_bytes(&mut scratch[..]).expect("buffer has the key size");
        KesSignature(sk.sign(msg).to_bytes())
    }

    /// Moves to the next period, erasing the material of the current one.
    pub fn evolve(&mut self) -> Result<(), KesError> {
        let period = self.period();
        if period + 1 >= MAX_PERIODS {
            return Err(KesError::Exhausted(period));
        }
        self.with_key(|sk| sk.update()).map_err(|_| KesError::Exhausted(period))
    }

    /// Evolves to `period` (no-op when already there; never backwards).
    pub fn evolve_to(&mut self, period: u32) -> Result<(), KesError> {
        if period >= MAX_PERIODS {
            return Err(KesError::PeriodOutOfRange(period));
        }
        let current = self.period();
        if period < current {
            return Err(KesError::PeriodInThePast {
                current,
                requested: period,
            });
        }
        while self.period() < period {
            self.evolve()?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for KesSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KesSecretKey(period {}, secret: <redacted>)", self.period())
    }
}

/// A KES verification key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct KesPublicKey(pub [u8; VERIFICATION_KEY_LEN]);

impl KesPublicKey {
    /// Reads a 32-byte verification key; any other length is [`KesError::WrongLength`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KesError> {
        let arr: [u8; VERIFICATION_KEY_LEN] = bytes.try_into().map_err(|_| KesError::WrongLength {
            what: "verification key",
            expected: VERIFICATION_KEY_LEN,
            got: bytes.len(),
        })?;
        Ok(KesPublicKey(arr))
    }

    /// The 32 key bytes, as carried in an operational certificate.
    pub fn as_bytes(&self) -> &[u8; VERIFICATION_KEY_LEN] {
        &self.0
    }
}

/// A Sum6 KES signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KesSignature(pub [u8; SIGNATURE_LEN]);

impl std::fmt::Debug for KesSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KesSignature({}…)", hex::encode(&self.0[..8]))
    }
}

impl KesSignature {
    /// Reads a 448-byte Sum6 signature; any other length is [`KesError::WrongLength`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KesError> {
        let arr: [u8; SIGNATURE_LEN] = bytes.try_into().map_err(|_| KesError::WrongLength {
            what: "signature",
            expected: SIGNATURE_LEN,
            got: bytes.len(),
        })?;
        Ok(KesSignature(arr))
    }

    /// The 448 signature bytes, as carried in a block header.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }

    /// Verifies the signature of `msg` at `period` under `pk`.
    pub fn verify(&self, period: u32, pk: &KesPublicKey, msg: &[u8]) -> Result<(), KesError> {
        if period >= MAX_PERIODS {
            return Err(KesError::PeriodOutOfRange(period));
        }
        let sig = Sum6KesSig::from_bytes(&self.0).map_err(|e| KesError::Verification(e.to_string()))?;
        let pk = PallasPk::from_bytes(&pk.0).map_err(|e| KesError::Verification(e.to_string()))?;
        sig.verify(period, &pk, msg)
            .map_err(|e| KesError::Verification(e.to_string()))
    }
}
