//! Chain-sync's messages and their CBOR: node-to-node, headers travel wrapped as the hard-fork
//! combinator wraps them, `[era, #6.24(bytes .cbor header)]` (Babbage = 5, Conway = 6);
//! node-to-client, whole blocks as the node stores them, `#6.24(bytes .cbor [blockTag, block])`
//! (Conway = 7); a point is `[]` (origin) or `[slot, hash]`; a tip is `[point, block number]`.
//!
//! ```text
//! msgRequestNext       = [0]
//! msgAwaitReply        = [1]
//! msgRollForward       = [2, header / block, tip]
//! msgRollBackward      = [3, point, tip]
//! msgFindIntersect     = [4, [* point]]
//! msgIntersectFound    = [5, point, tip]
//! msgIntersectNotFound = [6, tip]
//! chainSyncMsgDone     = [7]
//! ```

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use crate::protocols::codec::{cbor, finish, get_list, open, put_head, Enc};

/// The hard-fork combinator's era index of Babbage headers and blocks' headers.
pub const ERA_BABBAGE: u8 = 5;
/// The hard-fork combinator's era index of Conway headers.
pub const ERA_CONWAY: u8 = 6;

/// The largest chain-sync message accepted (the reference's `smallByteLimit`).
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// A point on a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    /// Before the first block.
    Origin,
    /// A block: its slot and its hash.
    Specific {
        /// The block's slot.
        slot: u64,
        /// The block's hash (of its header).
        hash: [u8; 32],
    },
}

/// A chain's tip: its point and block number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// The tip's point.
    pub point: Point,
    /// The tip's block number (0 at the origin).
    pub block_number: u64,
}

/// A header as chain-sync carries it: its era and its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedHeader {
    /// The hard-fork combinator's era index ([`ERA_BABBAGE`], [`ERA_CONWAY`]).
    pub era: u8,
    /// The header's CBOR.
    pub header: Vec<u8>,
}

/// A chain-sync message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgRequestNext`: the client asks for the next update.
    RequestNext,
    /// `MsgAwaitReply`: the client is at the tip; the update comes when the chain moves.
    AwaitReply,
    /// `MsgRollForward`: the next header, and the server's tip.
    RollForward(WrappedHeader, Tip),
    /// `MsgRollForward` of node-to-client chain-sync: the next block as `[blockTag, block]`
    /// bytes (block-fetch's wrapping), and the server's tip.
    RollForwardBlock(Vec<u8>, Tip),
    /// `MsgRollBackward`: the client is to roll back to the point.
    RollBackward(Point, Tip),
    /// `MsgFindIntersect`: points of the client's chain, the preferred first.
    FindIntersect(Vec<Point>),
    /// `MsgIntersectFound`: the first of the points that is on the server's chain.
    IntersectFound(Point, Tip),
    /// `MsgIntersectNotFound`: none of them is.
    IntersectNotFound(Tip),
    /// `MsgDone`: the client ends the protocol.
    Done,
}

pub use crate::protocols::codec::DecodeError;

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
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::RequestNext => put_head(&mut e, 1, 0),
            Message::AwaitReply => put_head(&mut e, 1, 1),
            Message::RollForward(h, t) => {
                put_head(&mut e, 3, 2);
                let _ = e
                    .array(2)
                    .and_then(|e| e.u8(h.era))
                    .and_then(|e| e.tag(Tag::new(24)))
                    .and_then(|e| e.bytes(&h.header));
                put_tip(&mut e, t);
            }
            Message::RollForwardBlock(b, t) => {
                put_head(&mut e, 3, 2);
                let _ = e.tag(Tag::new(24)).and_then(|e| e.bytes(b));
                put_tip(&mut e, t);
            }
            Message::RollBackward(p, t) => {
                put_head(&mut e, 3, 3);
                put_point(&mut e, p);
                put_tip(&mut e, t);
            }
            Message::FindIntersect(ps) => {
                put_head(&mut e, 2, 4);
                let _ = e.array(ps.len() as u64);
                for p in ps {
                    put_point(&mut e, p);
                }
            }
            Message::IntersectFound(p, t) => {
                put_head(&mut e, 3, 5);
                put_point(&mut e, p);
                put_tip(&mut e, t);
            }
            Message::IntersectNotFound(t) => {
                put_head(&mut e, 2, 6);
                put_tip(&mut e, t);
            }
            Message::Done => put_head(&mut e, 1, 7),
        }
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (mut d, n, t) = open(bytes, MAX_MESSAGE_BYTES)?;
        let msg = match (t, n) {
            (0, 1) => Message::RequestNext,
            (1, 1) => Message::AwaitReply,
            (2, 3) if d.datatype().map_err(|e| cbor(&d, e))? == minicbor::data::Type::Tag => {
                let tag = d.tag().map_err(|e| cbor(&d, e))?;
                if tag != Tag::new(24) {
                    return Err(DecodeError::Invalid(format!("a block is tagged 24, found {tag:?}")));
                }
                let block = d.bytes().map_err(|e| cbor(&d, e))?.to_vec();
                Message::RollForwardBlock(block, get_tip(&mut d)?)
            }
            (2, 3) => Message::RollForward(get_header(&mut d)?, get_tip(&mut d)?),
            (3, 3) => Message::RollBackward(get_point(&mut d)?, get_tip(&mut d)?),
            // The reference writes a non-empty list with indefinite length: both are read.
            (4, 2) => Message::FindIntersect(get_list(&mut d, get_point)?),
            (5, 3) => Message::IntersectFound(get_point(&mut d)?, get_tip(&mut d)?),
            (6, 2) => Message::IntersectNotFound(get_tip(&mut d)?),
            (7, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown chain-sync message tag {t} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
