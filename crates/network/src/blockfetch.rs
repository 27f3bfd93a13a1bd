//! Block-fetch (node-to-node mini-protocol 3): its messages, their CBOR, and the server's
//! state machine. A block travels as `#6.24(bytes .cbor [era, block])`, the hard-fork
//! combinator's wrapping (Babbage blocks are era 6, Conway blocks era 7).
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

use crate::chainsync::{get_point, put_point, Point};
use crate::codec::{cbor, finish, open, put_head, DecodeError};

/// The mini-protocol number.
pub const PROTOCOL: u16 = 3;

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
    RequestRange(Point, Point),
    ClientDone,
    StartBatch,
    NoBlocks,
    /// The CBOR of `[era, block]`.
    Block(Vec<u8>),
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

/// What the server reads of the node's blocks.
pub trait BlockSource {
    /// The points from `from` to `to` inclusive, in chain order, when `to` descends from
    /// `from` through blocks the node has (on the selected chain or a fork it keeps); None
    /// otherwise.
    fn range(&self, from: &Point, to: &Point) -> Option<Vec<Point>>;
}

/// The server's answer to a range request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Send `MsgNoBlocks`.
    NoBlocks,
    /// Send `MsgStartBatch`, each block in turn (`MsgBlock`, read from the store as it is
    /// sent, so a long range does not sit in memory), then `MsgBatchDone`.
    Batch(Vec<Point>),
}

/// Where the protocol is, as the server sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Idle,
    Done,
}

/// A client that broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("block-fetch protocol violation: {message:?} in state {state:?}")]
pub struct ProtocolError {
    pub state: State,
    pub message: Box<Message>,
}

/// One client's block-fetch server.
#[derive(Debug)]
pub struct BlockFetchServer {
    state: State,
}

impl Default for BlockFetchServer {
    fn default() -> Self {
        BlockFetchServer { state: State::Idle }
    }
}

impl BlockFetchServer {
    pub fn state(&self) -> State {
        self.state
    }

    /// Handles a message from the client. `None`: the client is done.
    pub fn on_message(&mut self, msg: Message, blocks: &impl BlockSource) -> Result<Option<Reply>, ProtocolError> {
        match (self.state, msg) {
            (State::Idle, Message::RequestRange(from, to)) => Ok(Some(match blocks.range(&from, &to) {
                Some(points) if !points.is_empty() => Reply::Batch(points),
                _ => Reply::NoBlocks,
            })),
            (State::Idle, Message::ClientDone) => {
                self.state = State::Done;
                Ok(None)
            }
            (state, message) => Err(ProtocolError {
                state,
                message: Box::new(message),
            }),
        }
    }
}
