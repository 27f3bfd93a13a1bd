//! Block-fetch's messages and their CBOR. A block travels as `#6.24(bytes .cbor [era, block])`,
//! the hard-fork combinator's wrapping (Babbage blocks are era 6, Conway blocks era 7).
//!
//! ```text
//! msgRequestRange = [0, point, point]
//! msgClientDone   = [1]
//! msgStartBatch   = [2]
//! msgNoBlocks     = [3]
//! msgBlock        = [4, #6.24(bytes .cbor [era, block])]
//! msgBatchDone    = [5]
//! ```

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use crate::protocols::chainsync::messages::{get_point, put_point, Point};
use crate::protocols::codec::{cbor, finish, open, put_head, DecodeError};

/// The hard-fork combinator's era index of a Babbage block.
pub const BLOCK_ERA_BABBAGE: u8 = 6;
/// The hard-fork combinator's era index of a Conway block.
pub const BLOCK_ERA_CONWAY: u8 = 7;

/// The largest block-fetch message accepted while blocks stream (the reference's
/// `largeByteLimit`); other states allow 65,535 bytes.
pub const MAX_BLOCK_MESSAGE_BYTES: usize = 2_500_000;

/// A block-fetch message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgRequestRange`: the blocks from the first point to the second, both included.
    RequestRange(Point, Point),
    /// `MsgClientDone`: the client asks for nothing more.
    ClientDone,
    /// `MsgStartBatch`: the range's blocks follow.
    StartBatch,
    /// `MsgNoBlocks`: the server has none of the range.
    NoBlocks,
    /// `MsgBlock`: the CBOR of `[era, block]`.
    Block(Vec<u8>),
    /// `MsgBatchDone`: the range's last block was sent.
    BatchDone,
}

/// `[era, block]` as a block message carries it.
pub fn wrap_block(era: u8, block: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.len() + 3);
    out.push(0x82);
    let _ = Encoder::new(&mut out).u8(era);
    out.extend_from_slice(block);
    out
}

/// The era and the block's exact bytes of a wrapped block.
pub fn unwrap_block(wrapped: &[u8]) -> Result<(u8, &[u8]), DecodeError> {
    let mut d = Decoder::new(wrapped);
    if d.array().map_err(|e| cbor(&d, e))? != Some(2) {
        return Err(DecodeError::Invalid("a wrapped block is [era, block]".into()));
    }
    let era = d.u8().map_err(|e| cbor(&d, e))?;
    let start = d.position();
    d.skip().map_err(|e| cbor(&d, e))?;
    if d.position() != wrapped.len() {
        return Err(DecodeError::TrailingBytes(wrapped.len() - d.position()));
    }
    Ok((era, &wrapped[start..]))
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::RequestRange(from, to) => {
                put_head(&mut e, 3, 0);
                put_point(&mut e, from);
                put_point(&mut e, to);
            }
            Message::ClientDone => put_head(&mut e, 1, 1),
            Message::StartBatch => put_head(&mut e, 1, 2),
            Message::NoBlocks => put_head(&mut e, 1, 3),
            Message::Block(b) => {
                put_head(&mut e, 2, 4);
                let _ = e.tag(Tag::new(24)).and_then(|e| e.bytes(b));
            }
            Message::BatchDone => put_head(&mut e, 1, 5),
        }
        out
    }

    /// Decodes one message of at most `limit` bytes.
    pub fn decode(bytes: &[u8], limit: usize) -> Result<Message, DecodeError> {
        let (mut d, n, t) = open(bytes, limit)?;
        let msg = match (t, n) {
            (0, 3) => Message::RequestRange(get_point(&mut d)?, get_point(&mut d)?),
            (1, 1) => Message::ClientDone,
            (2, 1) => Message::StartBatch,
            (3, 1) => Message::NoBlocks,
            (4, 2) => {
                let tag = d.tag().map_err(|e| cbor(&d, e))?;
                if tag != Tag::new(24) {
                    return Err(DecodeError::Invalid(format!("a block is tagged 24, found {tag:?}")));
                }
                Message::Block(d.bytes().map_err(|e| cbor(&d, e))?.to_vec())
            }
            (5, 1) => Message::BatchDone,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown block-fetch message tag {t} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
