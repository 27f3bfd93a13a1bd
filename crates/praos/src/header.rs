//! Cardano block headers: Shelley–Alonzo (TPraos, two VRF certificates) and Babbage/Conway
//! (Praos, one), each with its operational certificate and KES signature.
//!
//! Decoding is strict — definite lengths only, exact array sizes, fixed-size keys and hashes,
//! no trailing bytes — and keeps the exact bytes of the header body, which the KES signature
//! covers. VRF certificate fields are kept as raw bytes; their lengths are checked by
//! validation (a wrong length is a VRF proof failure, as the reference validator reports it).

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};
use slotforge_crypto::kes::{KesSecretKey, KesSignature, SIGNATURE_LEN};

/// A VRF certificate: output (64 bytes when well-formed) and proof (80 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrfCert {
    /// The VRF output (beta), 64 bytes when well-formed; kept raw so a wrong length fails
    /// validation.
    pub output: Vec<u8>,
    /// The VRF proof, 80 bytes (Gamma ‖ c ‖ s) when well-formed; kept raw for the same reason.
    pub proof: Vec<u8>,
}

/// The VRF fields of a header body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderVrf {
    /// Babbage and Conway: one VRF result, from which leader and nonce values are derived.
    Praos(VrfCert),
    /// Shelley to Alonzo: separate nonce and leader certificates.
    TPraos {
        /// The certificate over the slot's nonce input (`mkSeed seedEta`), whose output feeds the
        /// evolving nonce.
        nonce: VrfCert,
        /// The certificate over the slot's leader input (`mkSeed seedL`), whose output is the
        /// leader
        /// value.
        leader: VrfCert,
    },
}

/// The operational certificate carried in a header (its cold key is the header's issuer key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderOpCert {
    /// The hot KES verification key the cold key certifies.
    pub hot_vkey: [u8; 32],
    /// The certificate's issue number, which OCERT compares with the last one seen for the pool.
    pub sequence_number: u64,
    /// The KES period (slot / slots per KES period) from which the hot key may sign.
    pub kes_period: u64,
    /// The cold key's Ed25519 signature over hot key ‖ sequence number ‖ KES period.
    pub sigma: [u8; 64],
}

/// A header body: what the KES key signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBody {
    /// The block's height: the parent's plus one, 0 for the first block after genesis.
    pub block_number: u64,
    /// The absolute slot the block was made for.
    pub slot: u64,
    /// None for the first block after genesis.
    pub prev_hash: Option<[u8; 32]>,
    /// The issuer's cold Ed25519 verification key (its blake2b-224 hash is the pool id).
    pub issuer_vkey: [u8; 32],
    /// The issuer's VRF verification key, checked against the one registered for the pool.
    pub vrf_vkey: [u8; 32],
    /// The VRF certificate(s): one for Praos (Babbage/Conway), two for TPraos (Shelley–Alonzo).
    pub vrf: HeaderVrf,
    /// The size of the block body in bytes, which BBODY checks against the actual body.
    pub block_body_size: u64,
    /// The block body hash (blake2b-256 over the body parts' hashes), which BBODY checks.
    pub block_body_hash: [u8; 32],
    /// The operational certificate delegating signing to the hot KES key.
    pub opcert: HeaderOpCert,
    /// The protocol version (major, minor) the issuer's software runs.
    pub protocol_version: (u64, u64),
}

/// A header with its exact bytes: the block hash and the KES signature cover those, not a
/// re-encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    body: HeaderBody,
    kes_signature: KesSignature,
    /// The whole header as received (or as made by [`Header::sign`]).
    bytes: Vec<u8>,
    /// Where the body lies within `bytes`.
    body_range: std::ops::Range<usize>,
}

/// Why header bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderDecodeError {
    /// The bytes are not well-formed CBOR, or an item has the wrong major type.
    #[error("malformed CBOR at byte {offset}: {message}")]
    Cbor {
        /// Position in the input, in bytes, where decoding failed.
        offset: usize,
        /// The decoder's message.
        message: String,
    },
    /// An array does not have the number of elements its place requires.
    #[error("{what}: expected an array of {expected}, found {found}")]
    ArrayLength {
        /// Which array, e.g. "header body".
        what: &'static str,
        /// The allowed element count(s), as text (e.g. "10 or 15").
        expected: String,
        /// The element count the input has.
        found: u64,
    },
    /// An indefinite-length array or byte string, which a header never has.
    #[error("{what}: indefinite-length encoding is not allowed")]
    Indefinite {
        /// Which item was indefinite.
        what: &'static str,
    },
    /// A fixed-size byte string (key, hash, signature) of the wrong size.
    #[error("{what}: expected {expected} bytes, found {found}")]
    ByteLength {
        /// Which field, e.g. "issuer key".
        what: &'static str,
        /// The size the field has, in bytes.
        expected: usize,
        /// The size the input has, in bytes.
        found: usize,
    },
    /// The input goes on after the header; holds how many bytes are left.
    #[error("{0} trailing bytes after the header")]
    TrailingBytes(usize),
}

pub(crate) fn cbor_err(d: &Decoder<'_>, e: impl std::fmt::Display) -> HeaderDecodeError {
    HeaderDecodeError::Cbor {
        offset: d.position(),
        message: e.to_string(),
    }
}

pub(crate) fn array(d: &mut Decoder<'_>, what: &'static str) -> Result<u64, HeaderDecodeError> {
    match d.datatype().map_err(|e| cbor_err(d, e))? {
        Type::ArrayIndef => return Err(HeaderDecodeError::Indefinite { what }),
        Type::Array => {}
        other => return Err(cbor_err(d, format!("{what}: expected an array, found {other}"))),
    }
    d.array()
        .map_err(|e| cbor_err(d, e))?
        .ok_or(HeaderDecodeError::Indefinite { what })
}

pub(crate) fn array_of(d: &mut Decoder<'_>, what: &'static str, n: u64) -> Result<(), HeaderDecodeError> {
    let found = array(d, what)?;
    if found != n {
        return Err(HeaderDecodeError::ArrayLength {
            what,
            expected: n.to_string(),
            found,
        });
    }
    Ok(())
}

pub(crate) fn bytes<'b>(d: &mut Decoder<'b>, what: &'static str) -> Result<&'b [u8], HeaderDecodeError> {
    match d.datatype().map_err(|e| cbor_err(d, e))? {
        Type::BytesIndef => Err(HeaderDecodeError::Indefinite { what }),
        Type::Bytes => d.bytes().map_err(|e| cbor_err(d, e)),
        other => Err(cbor_err(d, format!("{what}: expected bytes, found {other}"))),
    }
}

pub(crate) fn fixed<const N: usize>(d: &mut Decoder<'_>, what: &'static str) -> Result<[u8; N], HeaderDecodeError> {
    let b = bytes(d, what)?;
    b.try_into().map_err(|_| HeaderDecodeError::ByteLength {
        what,
        expected: N,
        found: b.len(),
    })
}

pub(crate) fn uint(d: &mut Decoder<'_>, what: &'static str) -> Result<u64, HeaderDecodeError> {
    match d.datatype().map_err(|e| cbor_err(d, e))? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => d.u64().map_err(|e| cbor_err(d, e)),
        other => Err(cbor_err(
            d,
            format!("{what}: expected an unsigned integer, found {other}"),
        )),
    }
}

/// The previous block's hash, or null for the first block after genesis.
pub(crate) fn prev_hash(d: &mut Decoder<'_>) -> Result<Option<[u8; 32]>, HeaderDecodeError> {
    if d.datatype().map_err(|e| cbor_err(d, e))? == Type::Null {
        d.skip().map_err(|e| cbor_err(d, e))?;
        Ok(None)
    } else {
        Ok(Some(fixed(d, "previous hash")?))
    }
}

/// Fails unless the decoder consumed all of `input`.
pub(crate) fn at_end(d: &Decoder<'_>, input: &[u8]) -> Result<(), HeaderDecodeError> {
    if d.position() != input.len() {
        return Err(HeaderDecodeError::TrailingBytes(input.len() - d.position()));
    }
    Ok(())
}

fn vrf_cert(d: &mut Decoder<'_>, what: &'static str) -> Result<VrfCert, HeaderDecodeError> {
    array_of(d, what, 2)?;
    Ok(VrfCert {
        output: bytes(d, what)?.to_vec(),
        proof: bytes(d, what)?.to_vec(),
    })
}

fn opcert(d: &mut Decoder<'_>) -> Result<HeaderOpCert, HeaderDecodeError> {
    Ok(HeaderOpCert {
        hot_vkey: fixed(d, "opcert hot key")?,
        sequence_number: uint(d, "opcert sequence number")?,
        kes_period: uint(d, "opcert KES period")?,
        sigma: fixed(d, "opcert signature")?,
    })
}

impl HeaderBody {
    /// Decodes a header body (10 fields: Babbage/Conway; 15: Shelley–Alonzo).
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderDecodeError> {
        let mut d = Decoder::new(bytes);
        let body = Self::decode_from(&mut d)?;
        at_end(&d, bytes)?;
        Ok(body)
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, HeaderDecodeError> {
        let n = array(d, "header body")?;
        if n != 10 && n != 15 {
            return Err(HeaderDecodeError::ArrayLength {
                what: "header body",
                expected: "10 or 15".into(),
                found: n,
            });
        }
        let block_number = uint(d, "block number")?;
        let slot = uint(d, "slot")?;
        let prev_hash = prev_hash(d)?;
        let issuer_vkey = fixed(d, "issuer key")?;
        let vrf_vkey = fixed(d, "VRF key")?;
        // Babbage/Conway nest the opcert and the protocol version in arrays; Shelley–Alonzo
        // has two VRF certificates and flat fields.
        let praos = n == 10;
        let vrf = if praos {
            HeaderVrf::Praos(vrf_cert(d, "VRF result")?)
        } else {
            HeaderVrf::TPraos {
                nonce: vrf_cert(d, "nonce VRF")?,
                leader: vrf_cert(d, "leader VRF")?,
            }
        };
        let block_body_size = uint(d, "block body size")?;
        let block_body_hash = fixed(d, "block body hash")?;
        if praos {
            array_of(d, "operational certificate", 4)?;
        }
        let opcert = opcert(d)?;
        if praos {
            array_of(d, "protocol version", 2)?;
        }
        let protocol_version = (uint(d, "protocol major")?, uint(d, "protocol minor")?);
        Ok(HeaderBody {
            block_number,
            slot,
            prev_hash,
            issuer_vkey,
            vrf_vkey,
            vrf,
            block_body_size,
            block_body_hash,
            opcert,
            protocol_version,
        })
    }

    /// The canonical CBOR encoding (what a producer signs).
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Encoding into a Vec cannot fail; the results are ignored for that reason.
        let praos = matches!(self.vrf, HeaderVrf::Praos(_));
        let _ = e.array(if praos { 10 } else { 15 });
        let _ = e.u64(self.block_number).and_then(|e| e.u64(self.slot));
        let _ = match &self.prev_hash {
            Some(h) => e.bytes(h),
            None => e.null(),
        };
        let _ = e.bytes(&self.issuer_vkey).and_then(|e| e.bytes(&self.vrf_vkey));
        let cert = |e: &mut Encoder<Vec<u8>>, c: &VrfCert| {
            let _ = e
                .array(2)
                .and_then(|e| e.bytes(&c.output))
                .and_then(|e| e.bytes(&c.proof));
        };
        match &self.vrf {
            HeaderVrf::Praos(c) => cert(&mut e, c),
            HeaderVrf::TPraos { nonce, leader } => {
                cert(&mut e, nonce);
                cert(&mut e, leader);
            }
        }
        let _ = e.u64(self.block_body_size).and_then(|e| e.bytes(&self.block_body_hash));
        if praos {
            let _ = e.array(4);
        }
        let oc = &self.opcert;
        let _ = e
            .bytes(&oc.hot_vkey)
            .and_then(|e| e.u64(oc.sequence_number))
            .and_then(|e| e.u64(oc.kes_period))
            .and_then(|e| e.bytes(&oc.sigma));
        if praos {
            let _ = e.array(2);
        }
        let _ = e
            .u64(self.protocol_version.0)
            .and_then(|e| e.u64(self.protocol_version.1));
        e.into_writer()
    }
}

impl Header {
    /// Decodes `[header_body, kes_signature]`, keeping the body's bytes.
    pub fn decode(input: &[u8]) -> Result<Self, HeaderDecodeError> {
        let mut d = Decoder::new(input);
        array_of(&mut d, "header", 2)?;
        let start = d.position();
        let body = HeaderBody::decode_from(&mut d)?;
        let body_range = start..d.position();
        let sig = bytes(&mut d, "KES signature")?;
        let kes_signature = KesSignature::from_bytes(sig).map_err(|_| HeaderDecodeError::ByteLength {
            what: "KES signature",
            expected: SIGNATURE_LEN,
            found: sig.len(),
        })?;
        at_end(&d, input)?;
        Ok(Header {
            body,
            kes_signature,
            bytes: input.to_vec(),
            body_range,
        })
    }

    /// The decoded body.
    pub fn body(&self) -> &HeaderBody {
        &self.body
    }

    /// The KES signature over [`body_bytes`](Self::body_bytes).
    pub fn kes_signature(&self) -> &KesSignature {
        &self.kes_signature
    }

    /// The exact bytes of the body, which the KES signature covers.
    pub fn body_bytes(&self) -> &[u8] {
        &self.bytes[self.body_range.clone()]
    }

    /// The header's CBOR, exactly as received or signed.
    pub fn to_cbor(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The size of the header's bytes.
    pub fn size(&self) -> usize {
        self.bytes.len()
    }

    /// blake2b-256 of the header's bytes: the block hash.
    pub fn hash(&self) -> [u8; 32] {
        crate::nonce::blake2b256(&[&self.bytes])
    }

    /// Signs `body` with a KES key already at the right relative period (the slot's KES
    /// period minus the opcert's start period).
    pub fn sign(body: HeaderBody, kes: &KesSecretKey) -> Header {
        let body_bytes = body.to_cbor();
        let kes_signature = kes.sign(&body_bytes);
        let mut bytes = Vec::with_capacity(body_bytes.len() + SIGNATURE_LEN + 4);
        bytes.push(0x82); // array(2)
        bytes.extend_from_slice(&body_bytes);
        bytes.extend_from_slice(&[0x59, (SIGNATURE_LEN >> 8) as u8, SIGNATURE_LEN as u8]);
        bytes.extend_from_slice(kes_signature.as_bytes());
        Header {
            body,
            kes_signature,
            body_range: 1..1 + body_bytes.len(),
            bytes,
        }
    }
}
