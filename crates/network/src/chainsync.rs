//! Chain-sync (node-to-node mini-protocol 2) messages and their CBOR: headers travel wrapped
//! as the hard-fork combinator wraps them, `[era, #6.24(bytes .cbor header)]` (Babbage = 5,
//! Conway = 6); a point is `[]` (origin) or `[slot, hash]`; a tip is `[point, block number]`.
//!
//! ```text
//! msgRequestNext       = [0]
//! msgAwaitReply        = [1]
//! msgRollForward       = [2, header, tip]
//! msgRollBackward      = [3, point, tip]
//! msgFindIntersect     = [4, [* point]]
//! msgIntersectFound    = [5, point, tip]
//! msgIntersectNotFound = [6, tip]
//! chainSyncMsgDone     = [7]
//! ```

use minicbor::data::{Tag, Type};
use minicbor::{Decoder, Encoder};

/// The mini-protocol number.
pub const PROTOCOL: u16 = 2;

/// The hard-fork combinator's era index of Babbage headers and blocks' headers.
pub const ERA_BABBAGE: u8 = 5;
/// The hard-fork combinator's era index of Conway headers.
pub const ERA_CONWAY: u8 = 6;

/// The largest chain-sync message accepted (the reference's `smallByteLimit`).
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// A point on a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    Origin,
    Specific { slot: u64, hash: [u8; 32] },
}

/// A chain's tip: its point and block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    pub point: Point,
    pub block_number: u64,
}

/// A header as chain-sync carries it: its era and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedHeader {
    pub era: u8,
    pub header: Vec<u8>,
}

/// A chain-sync message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    RequestNext,
    AwaitReply,
    RollForward(WrappedHeader, Tip),
    RollBackward(Point, Tip),
    FindIntersect(Vec<Point>),
    IntersectFound(Point, Tip),
    IntersectNotFound(Tip),
    Done,
}

/// Why chain-sync bytes are not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("chain-sync message of {0} bytes, more than the {MAX_MESSAGE_BYTES} allowed")]
    TooLarge(usize),
    #[error("malformed chain-sync CBOR at byte {offset}: {message}")]
    Cbor { offset: usize, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0} bytes after the chain-sync message")]
    TrailingBytes(usize),
}

pub(crate) fn cbor(d: &Decoder<'_>, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Cbor {
        offset: d.position(),
        message: e.to_string(),
    }
}

pub(crate) type Enc<'a> = Encoder<&'a mut Vec<u8>>;

// Encoding into a Vec cannot fail: the encoders' results are ignored for that reason.
pub(crate) fn put_point(e: &mut Enc<'_>, p: &Point) {
    let _ = match p {
        Point::Origin => e.array(0),
        Point::Specific { slot, hash } => e.array(2).and_then(|e| e.u64(*slot)).and_then(|e| e.bytes(hash)),
    };
}

fn put_tip(e: &mut Enc<'_>, t: &Tip) {
    let _ = e.array(2);
    put_point(e, &t.point);
    let _ = e.u64(t.block_number);
}

pub(crate) fn get_point(d: &mut Decoder<'_>) -> Result<Point, DecodeError> {
    match d.array().map_err(|e| cbor(d, e))? {
        Some(0) => Ok(Point::Origin),
        Some(2) => {
            let slot = d.u64().map_err(|e| cbor(d, e))?;
            let b = d.bytes().map_err(|e| cbor(d, e))?;
            let hash = b
                .try_into()
                .map_err(|_| DecodeError::Invalid(format!("a point's hash is 32 bytes, found {}", b.len())))?;
            Ok(Point::Specific { slot, hash })
        }
        other => Err(DecodeError::Invalid(format!(
            "a point is [] or [slot, hash], found an array of {other:?}"
        ))),
    }
}

fn get_tip(d: &mut Decoder<'_>) -> Result<Tip, DecodeError> {
    if d.array().map_err(|e| cbor(d, e))? != Some(2) {
        return Err(DecodeError::Invalid("a tip is [point, block number]".into()));
    }
    let point = get_point(d)?;
    let block_number = d.u64().map_err(|e| cbor(d, e))?;
    Ok(Tip { point, block_number })
}

fn get_header(d: &mut Decoder<'_>) -> Result<WrappedHeader, DecodeError> {
    if d.array().map_err(|e| cbor(d, e))? != Some(2) {
        return Err(DecodeError::Invalid("a header is [era, #6.24(bytes)]".into()));
    }
    let era = d.u8().map_err(|e| cbor(d, e))?;
    if era == 0 {
        return Err(DecodeError::Invalid("Byron headers are not supported".into()));
    }
    let tag = d.tag().map_err(|e| cbor(d, e))?;
    if tag != Tag::new(24) {
        return Err(DecodeError::Invalid(format!(
            "a wrapped header is tagged 24, found {tag:?}"
        )));
    }
    let header = d.bytes().map_err(|e| cbor(d, e))?.to_vec();
    Ok(WrappedHeader { era, header })
}

impl Message {
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        let tag = |e: &mut Enc<'_>, n: u64, t: u8| {
            let _ = e.array(n).and_then(|e| e.u8(t));
        };
        match self {
            Message::RequestNext => tag(&mut e, 1, 0),
            Message::AwaitReply => tag(&mut e, 1, 1),
            Message::RollForward(h, t) => {
                tag(&mut e, 3, 2);
                let _ = e
                    .array(2)
                    .and_then(|e| e.u8(h.era))
                    .and_then(|e| e.tag(Tag::new(24)))
                    .and_then(|e| e.bytes(&h.header));
                put_tip(&mut e, t);
            }
            Message::RollBackward(p, t) => {
                tag(&mut e, 3, 3);
                put_point(&mut e, p);
                put_tip(&mut e, t);
            }
            Message::FindIntersect(ps) => {
                tag(&mut e, 2, 4);
                let _ = e.array(ps.len() as u64);
                for p in ps {
                    put_point(&mut e, p);
                }
            }
            Message::IntersectFound(p, t) => {
                tag(&mut e, 3, 5);
                put_point(&mut e, p);
                put_tip(&mut e, t);
            }
            Message::IntersectNotFound(t) => {
                tag(&mut e, 2, 6);
                put_tip(&mut e, t);
            }
            Message::Done => tag(&mut e, 1, 7),
        }
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(DecodeError::TooLarge(bytes.len()));
        }
        let mut d = Decoder::new(bytes);
        let n = d
            .array()
            .map_err(|e| cbor(&d, e))?
            .ok_or_else(|| DecodeError::Invalid("indefinite-length message".into()))?;
        let t = d.u64().map_err(|e| cbor(&d, e))?;
        let msg = match (t, n) {
            (0, 1) => Message::RequestNext,
            (1, 1) => Message::AwaitReply,
            (2, 3) => Message::RollForward(get_header(&mut d)?, get_tip(&mut d)?),
            (3, 3) => Message::RollBackward(get_point(&mut d)?, get_tip(&mut d)?),
            (4, 2) => {
                // The reference writes a non-empty list with indefinite length: read both.
                let mut ps = Vec::new();
                match d.datatype().map_err(|e| cbor(&d, e))? {
                    Type::Array => {
                        let k = d.array().map_err(|e| cbor(&d, e))?.unwrap_or(0);
                        for _ in 0..k {
                            ps.push(get_point(&mut d)?);
                        }
                    }
                    Type::ArrayIndef => {
                        d.array().map_err(|e| cbor(&d, e))?;
                        while d.datatype().map_err(|e| cbor(&d, e))? != Type::Break {
                            ps.push(get_point(&mut d)?);
                        }
                        d.skip().map_err(|e| cbor(&d, e))?;
                    }
                    other => return Err(DecodeError::Invalid(format!("points are a list, found {other}"))),
                }
                Message::FindIntersect(ps)
            }
            (5, 3) => Message::IntersectFound(get_point(&mut d)?, get_tip(&mut d)?),
            (6, 2) => Message::IntersectNotFound(get_tip(&mut d)?),
            (7, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown chain-sync message tag {t} of {n} elements"
                )))
            }
        };
        if d.position() != bytes.len() {
            return Err(DecodeError::TrailingBytes(bytes.len() - d.position()));
        }
        Ok(msg)
    }
}
