//! Operational certificates: the cold key's signature over (hot KES key, sequence number,
//! start KES period), in cardano-cli's CBOR `[[hot_vkey, n, period, sigma], cold_vkey]`.

use minicbor::{Decoder, Encoder};

use crate::ed25519::{Signer, SigningKey};
use crate::kes::KesPublicKey;

/// Why an operational certificate is malformed or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpCertError {
    /// The bytes are not `[[hot_vkey, n, period, sigma], cold_vkey]`; holds the reason.
    #[error("malformed operational certificate CBOR: {0}")]
    Cbor(String),
    /// The cold verification key is unusable (not canonical, not a point, or of small order).
    #[error("the cold key is not a valid Ed25519 public key")]
    ColdKey,
    /// The cold key's Ed25519 signature over the signable bytes does not verify.
    #[error("the cold key's signature over the certificate does not verify")]
    Signature,
}

/// An operational certificate with the cold verification key that issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationalCertificate {
    /// The hot KES verification key the certificate delegates to.
    pub hot_vkey: KesPublicKey,
    /// The issue number; the OCERT rule requires it to be at least the last one seen for the
    /// pool (and, under Praos, at most one more).
    pub sequence_number: u64,
    /// The first KES period (slot / slotsPerKESPeriod) from which the hot key may sign.
    pub kes_period: u64,
    /// The cold key's Ed25519 signature over [`OperationalCertificate::signable_bytes`].
    pub sigma: [u8; 64],
    /// The issuer's cold Ed25519 verification key (32 bytes).
    pub cold_vkey: [u8; 32],
}

fn cbor_err(e: impl std::fmt::Display) -> OpCertError {
    OpCertError::Cbor(e.to_string())
}

fn fixed<const N: usize>(d: &mut Decoder<'_>, what: &str) -> Result<[u8; N], OpCertError> {
    let b = d.bytes().map_err(cbor_err)?;
    b.try_into()
        .map_err(|_| OpCertError::Cbor(format!("{what} must be {N} bytes, got {}", b.len())))
}

fn expect_array(d: &mut Decoder<'_>, n: u64) -> Result<(), OpCertError> {
    match d.array().map_err(cbor_err)? {
        Some(len) if len == n => Ok(()),
        Some(len) => Err(OpCertError::Cbor(format!("expected an array of {n}, got {len}"))),
        None => Err(OpCertError::Cbor("indefinite-length array".into())),
    }
}

impl OperationalCertificate {
    /// The bytes the cold key signs: hot key ‖ sequence number ‖ KES period (u64 big-endian).
    pub fn signable_bytes(hot_vkey: &KesPublicKey, sequence_number: u64, kes_period: u64) -> [u8; 48] {
        let mut out = [0u8; 48];
        out[..32].copy_from_slice(hot_vkey.as_bytes());
        out[32..40].copy_from_slice(&sequence_number.to_be_bytes());
        out[40..].copy_from_slice(&kes_period.to_be_bytes());
        out
    }

    /// Issues a certificate: the cold key signs the hot key for `kes_period` onwards.
    pub fn issue(cold: &SigningKey, hot_vkey: KesPublicKey, sequence_number: u64, kes_period: u64) -> Self {
        let sigma = cold
            .sign(&Self::signable_bytes(&hot_vkey, sequence_number, kes_period))
            .to_bytes();
        OperationalCertificate {
            hot_vkey,
            sequence_number,
            kes_period,
            sigma,
            cold_vkey: cold.verifying_key().to_bytes(),
        }
    }

    /// Checks the cold key's signature.
    pub fn verify(&self) -> Result<(), OpCertError> {
        let msg = Self::signable_bytes(&self.hot_vkey, self.sequence_number, self.kes_period);
        crate::ed25519::verify(&self.cold_vkey, &msg, &self.sigma).map_err(|e| {
            if e.is_key_error() {
                OpCertError::ColdKey
            } else {
                OpCertError::Signature
            }
        })
    }

    /// Decodes cardano-cli's `[[hot_vkey, n, period, sigma], cold_vkey]`, rejecting anything
    /// else (indefinite lengths, wrong sizes, trailing bytes).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, OpCertError> {
        let mut d = Decoder::new(bytes);
        expect_array(&mut d, 2)?;
        expect_array(&mut d, 4)?;
        let hot_vkey = KesPublicKey(fixed::<32>(&mut d, "hot key")?);
        let sequence_number = d.u64().map_err(cbor_err)?;
        let kes_period = d.u64().map_err(cbor_err)?;
        let sigma = fixed::<64>(&mut d, "signature")?;
        let cold_vkey = fixed::<32>(&mut d, "cold key")?;
        if d.position() != bytes.len() {
            return Err(OpCertError::Cbor(format!(
                "{} trailing bytes",
                bytes.len() - d.position()
            )));
        }
        Ok(OperationalCertificate {
            hot_vkey,
            sequence_number,
            kes_period,
            sigma,
            cold_vkey,
        })
    }

    /// Encodes cardano-cli's `[[hot_vkey, n, period, sigma], cold_vkey]`, the inverse of
    /// [`Self::from_cbor`].
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = e
            .array(2)
            .and_then(|e| e.array(4))
            .and_then(|e| e.bytes(self.hot_vkey.as_bytes()))
            .and_then(|e| e.u64(self.sequence_number))
            .and_then(|e| e.u64(self.kes_period))
            .and_then(|e| e.bytes(&self.sigma))
            .and_then(|e| e.bytes(&self.cold_vkey));
        e.into_writer()
    }
}
