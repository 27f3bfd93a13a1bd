//! BFT block headers: the Praos header shape without VRF fields, KES or operational
//! certificate, signed by the leader's Ed25519 key. The format is specified in
//! `crates/enclave-api/proto/BFT_HEADER.md`.
//!
//! ```text
//! bft_header      = [bft_header_body, signature: bytes .size 64]
//! bft_header_body = [block_number: uint, slot: uint, prev_hash: bytes .size 32 / null,
//!                    issuer_vkey: bytes .size 32, block_body_size: uint,
//!                    block_body_hash: bytes .size 32, [major: uint, minor: uint]]
//! ```
//!
//! Decoding is as strict as for Praos headers, and a header keeps its exact bytes.

use minicbor::{Decoder, Encoder};
use slotforge_crypto::ed25519::{Signer, SigningKey, SIGNATURE_LENGTH};

use crate::header::{array_of, at_end, fixed, prev_hash, uint, HeaderDecodeError};
use crate::leader::bft_leader_index;

/// What a BFT leader signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftHeaderBody {
    /// The block's height: 0 for the first block after genesis, then the parent's plus one.
    pub block_number: u64,
    /// The absolute slot the block is made for.
    pub slot: u64,
    /// None for the first block after genesis.
    pub prev_hash: Option<[u8; 32]>,
    /// The leader's Ed25519 verification key, which must be the slot's round-robin leader.
    pub issuer_vkey: [u8; 32],
    /// The size of the block body in bytes, as encoded after the header.
    pub block_body_size: u64,
    /// blake2b-256 of the block body, computed as for a Praos block.
    pub block_body_hash: [u8; 32],
    /// The protocol version (major, minor) the leader's software runs.
    pub protocol_version: (u64, u64),
}

/// A signed BFT header with its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BftHeader {
    body: BftHeaderBody,
    signature: [u8; SIGNATURE_LENGTH],
    bytes: Vec<u8>,
    body_range: std::ops::Range<usize>,
}

/// Why a BFT header is not valid for its slot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BftHeaderError {
    /// The issuer key is not a usable Ed25519 public key (not canonical, not a point, or of small
    /// order).
    #[error("the issuer key is not a valid Ed25519 public key")]
    BadIssuerKey,
    /// The Ed25519 signature over the body's bytes does not verify.
    #[error("the Ed25519 signature does not verify")]
    BadSignature,
    /// The issuer is in the leader list but the slot belongs to another leader.
    #[error("slot {slot} belongs to leader #{expected} of {leaders}, not to the issuer")]
    WrongLeader {
        /// The header's slot.
        slot: u64,
        /// Index into the leader list of the slot's leader.
        expected: usize,
        /// How many leaders the epoch has.
        leaders: usize,
    },
    /// The issuer key is not in the epoch's leader list, or the list is empty.
    #[error("the issuer is not in the epoch's leader list")]
    UnknownIssuer,
    /// The slot is not in the epoch the header is validated against.
    #[error("slot {slot} is outside the epoch's slots {first_slot}..{end}")]
    OutsideEpoch {
        /// The header's slot.
        slot: u64,
        /// The epoch's first slot.
        first_slot: u64,
        /// The slot after the epoch's last one (exclusive bound).
        end: u64,
    },
}

impl BftHeaderBody {
    /// Decodes a body alone (what a node asks the enclave to sign).
    pub fn decode(input: &[u8]) -> Result<Self, HeaderDecodeError> {
        let mut d = Decoder::new(input);
        let body = Self::decode_from(&mut d)?;
        at_end(&d, input)?;
        Ok(body)
    }

    fn decode_from(d: &mut Decoder<'_>) -> Result<Self, HeaderDecodeError> {
        array_of(d, "BFT header body", 7)?;
        let block_number = uint(d, "block number")?;
        let slot = uint(d, "slot")?;
        let prev_hash = prev_hash(d)?;
        let issuer_vkey = fixed(d, "issuer key")?;
        let block_body_size = uint(d, "block body size")?;
        let block_body_hash = fixed(d, "block body hash")?;
        array_of(d, "protocol version", 2)?;
        let protocol_version = (uint(d, "protocol major")?, uint(d, "protocol minor")?);
        Ok(BftHeaderBody {
            block_number,
            slot,
            prev_hash,
            issuer_vkey,
            block_body_size,
            block_body_hash,
            protocol_version,
        })
    }

    /// The canonical CBOR encoding (what the leader signs).
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut e = Encoder::new(Vec::new());
        // Encoding into a Vec cannot fail.
        let _ = e
            .array(7)
            .and_then(|e| e.u64(self.block_number))
            .and_then(|e| e.u64(self.slot));
        let _ = match &self.prev_hash {
            Some(h) => e.bytes(h),
            None => e.null(),
        };
        let _ = e
            .bytes(&self.issuer_vkey)
            .and_then(|e| e.u64(self.block_body_size))
            .and_then(|e| e.bytes(&self.block_body_hash))
            .and_then(|e| e.array(2))
            .and_then(|e| e.u64(self.protocol_version.0))
            .and_then(|e| e.u64(self.protocol_version.1));
        e.into_writer()
    }
}

impl BftHeader {
    /// Decodes `[body, signature]`, keeping the exact bytes.
    pub fn decode(input: &[u8]) -> Result<Self, HeaderDecodeError> {
        let mut d = Decoder::new(input);
        array_of(&mut d, "BFT header", 2)?;
        let start = d.position();
        let body = BftHeaderBody::decode_from(&mut d)?;
        let body_range = start..d.position();
        let signature = fixed(&mut d, "Ed25519 signature")?;
        at_end(&d, input)?;
        Ok(BftHeader {
            body,
            signature,
            bytes: input.to_vec(),
            body_range,
        })
    }

    /// Signs `body` with the leader's key.
    pub fn sign(body: BftHeaderBody, key: &SigningKey) -> Self {
        let body_bytes = body.to_cbor();
        let signature = key.sign(&body_bytes).to_bytes();
        let mut e = Encoder::new(vec![0x82]);
        e.writer_mut().extend_from_slice(&body_bytes);
        let _ = e.bytes(&signature);
        BftHeader {
            body,
            signature,
            body_range: 1..1 + body_bytes.len(),
            bytes: e.into_writer(),
        }
    }

    /// The decoded body.
    pub fn body(&self) -> &BftHeaderBody {
        &self.body
    }

    /// The leader's 64-byte Ed25519 signature over [`body_bytes`](Self::body_bytes).
    pub fn signature(&self) -> &[u8; SIGNATURE_LENGTH] {
        &self.signature
    }

    /// The exact bytes the signature covers.
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

    /// Checks the header against the epoch's round-robin leader list: the slot is in the epoch,
    /// the issuer is the slot's leader, and the signature verifies.
    pub fn validate(&self, epoch: std::ops::Range<u64>, leaders: &[[u8; 32]]) -> Result<(), BftHeaderError> {
        let slot = self.body.slot;
        if !epoch.contains(&slot) {
            return Err(BftHeaderError::OutsideEpoch {
                slot,
                first_slot: epoch.start,
                end: epoch.end,
            });
        }
        let expected = bft_leader_index(slot - epoch.start, leaders.len()).ok_or(BftHeaderError::UnknownIssuer)?;
        if leaders[expected] != self.body.issuer_vkey {
            return Err(if leaders.contains(&self.body.issuer_vkey) {
                BftHeaderError::WrongLeader {
                    slot,
                    expected,
                    leaders: leaders.len(),
                }
            } else {
                BftHeaderError::UnknownIssuer
            });
        }
        slotforge_crypto::ed25519::verify(&self.body.issuer_vkey, self.body_bytes(), &self.signature).map_err(|e| {
            if e.is_key_error() {
                BftHeaderError::BadIssuerKey
            } else {
                BftHeaderError::BadSignature
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn body(slot: u64, key: &SigningKey) -> BftHeaderBody {
        BftHeaderBody {
            block_number: 9,
            slot,
            prev_hash: Some([3; 32]),
            issuer_vkey: key.verifying_key().to_bytes(),
            block_body_size: 1024,
            block_body_hash: [4; 32],
            protocol_version: (10, 0),
        }
    }

    #[test]
    fn round_robin_validation() {
        let keys: Vec<SigningKey> = (1..=3u8).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
        let leaders: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
        // Slot 100 + 4 is index 1 of 3.
        let epoch = 100..200;
        let h = BftHeader::sign(body(104, &keys[1]), &keys[1]);
        assert_eq!(h.validate(epoch.clone(), &leaders), Ok(()));
        let wrong = BftHeader::sign(body(105, &keys[1]), &keys[1]);
        assert_eq!(
            wrong.validate(epoch.clone(), &leaders),
            Err(BftHeaderError::WrongLeader {
                slot: 105,
                expected: 2,
                leaders: 3
            })
        );
        let outsider = SigningKey::from_bytes(&[9; 32]);
        let h = BftHeader::sign(body(104, &outsider), &outsider);
        assert_eq!(h.validate(epoch.clone(), &leaders), Err(BftHeaderError::UnknownIssuer));
        assert!(matches!(
            BftHeader::sign(body(99, &keys[0]), &keys[0]).validate(epoch.clone(), &leaders),
            Err(BftHeaderError::OutsideEpoch { .. })
        ));
        assert!(matches!(
            BftHeader::sign(body(200, &keys[0]), &keys[0]).validate(epoch.clone(), &leaders),
            Err(BftHeaderError::OutsideEpoch { .. })
        ));
        // A signature over other bytes fails.
        let mut bytes = BftHeader::sign(body(104, &keys[1]), &keys[1]).to_cbor();
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        assert_eq!(
            BftHeader::decode(&bytes).unwrap().validate(epoch.clone(), &leaders),
            Err(BftHeaderError::BadSignature)
        );
    }

    #[test]
    fn strict_decoding() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let h = BftHeader::sign(body(5, &key), &key).to_cbor();
        let mut trailing = h.clone();
        trailing.push(0);
        assert_eq!(BftHeader::decode(&trailing), Err(HeaderDecodeError::TrailingBytes(1)));
        // A Praos body (10 fields) is not a BFT body.
        assert!(matches!(
            BftHeaderBody::decode(&[0x8a]),
            Err(HeaderDecodeError::ArrayLength { .. })
        ));
        for cut in 0..h.len() {
            assert!(BftHeader::decode(&h[..cut]).is_err());
        }
    }

    proptest! {
        #[test]
        fn encoding_round_trips(block_number: u64, slot: u64, prev in proptest::option::of(any::<[u8; 32]>()),
                                size: u64, hash: [u8; 32], major: u64, minor: u64, seed: [u8; 32]) {
            let key = SigningKey::from_bytes(&seed);
            let body = BftHeaderBody {
                block_number, slot, prev_hash: prev, issuer_vkey: key.verifying_key().to_bytes(),
                block_body_size: size, block_body_hash: hash, protocol_version: (major, minor),
            };
            prop_assert_eq!(BftHeaderBody::decode(&body.to_cbor()).unwrap(), body.clone());
            let h = BftHeader::sign(body.clone(), &key);
            let back = BftHeader::decode(&h.to_cbor()).unwrap();
            prop_assert_eq!(back.body(), &body);
            prop_assert_eq!(back.body_bytes(), &body.to_cbor()[..]);
            prop_assert_eq!(back, h);
        }
    }
}
