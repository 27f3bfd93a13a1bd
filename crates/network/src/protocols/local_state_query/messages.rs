//! Local state query's messages and their CBOR. A query and its result travel as CBOR items
//! the [`queries`](super::queries) and [`answers`](super::answers) modules read and write.
//!
//! ```text
//! msgAcquire   = [0, point] / [8] (volatile tip) / [10] (immutable tip)
//! msgAcquired  = [1]
//! msgFailure   = [2, 0 (point too old) / 1 (point not on chain)]
//! msgQuery     = [3, query]
//! msgResult    = [4, result]
//! msgRelease   = [5]
//! msgReAcquire = [6, point] / [9] / [11]
//! msgDone      = [7]
//! ```

use minicbor::{Decoder, Encoder};

use crate::protocols::chainsync::messages::{get_point, put_point, Point};
use crate::protocols::codec::{cbor, finish, open, put_head, DecodeError};

/// The largest message a local client may send (a query naming many addresses or inputs).
pub const MAX_MESSAGE_BYTES: usize = 2_500_000;

/// Which ledger state to acquire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The state after a block of the selected chain (or the origin).
    Point(Point),
    /// The selected chain's tip.
    VolatileTip,
    /// The immutable tip: the newest block that can no longer be rolled back.
    ImmutableTip,
}

/// Why a state could not be acquired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcquireFailure {
    /// The point is on the chain but older than the states the node keeps (`AcquireFailurePointTooOld`).
    PointTooOld,
    /// The point is not on the selected chain (`AcquireFailurePointNotOnChain`).
    PointNotOnChain,
}

/// A local state query message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgAcquire`.
    Acquire(Target),
    /// `MsgAcquired`.
    Acquired,
    /// `MsgFailure`.
    Failure(AcquireFailure),
    /// `MsgQuery`: the query's CBOR.
    Query(Vec<u8>),
    /// `MsgResult`: the result's CBOR.
    Result(Vec<u8>),
    /// `MsgRelease`.
    Release,
    /// `MsgReAcquire`.
    ReAcquire(Target),
    /// `MsgDone`.
    Done,
}

fn put_target(e: &mut Encoder<&mut Vec<u8>>, t: &Target, tags: (u8, u8, u8)) {
    match t {
        Target::Point(p) => {
            put_head(e, 2, tags.0);
            put_point(e, p);
        }
        Target::VolatileTip => put_head(e, 1, tags.1),
        Target::ImmutableTip => put_head(e, 1, tags.2),
    }
}

/// The bytes of the next CBOR item.
fn item(d: &mut Decoder<'_>, bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let start = d.position();
    d.skip().map_err(|e| cbor(d, e))?;
    Ok(bytes[start..d.position()].to_vec())
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::Acquire(t) => put_target(&mut e, t, (0, 8, 10)),
            Message::Acquired => put_head(&mut e, 1, 1),
            Message::Failure(f) => {
                put_head(&mut e, 2, 2);
                let _ = e.u8(match f {
                    AcquireFailure::PointTooOld => 0,
                    AcquireFailure::PointNotOnChain => 1,
                });
            }
            Message::Query(q) => {
                put_head(&mut e, 2, 3);
                e.writer_mut().extend_from_slice(q);
            }
            Message::Result(r) => {
                put_head(&mut e, 2, 4);
                e.writer_mut().extend_from_slice(r);
            }
            Message::Release => put_head(&mut e, 1, 5),
            Message::ReAcquire(t) => put_target(&mut e, t, (6, 9, 11)),
            Message::Done => put_head(&mut e, 1, 7),
        }
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (mut d, n, tag) = open(bytes, MAX_MESSAGE_BYTES)?;
        let msg = match (tag, n) {
            (0, 2) => Message::Acquire(Target::Point(get_point(&mut d)?)),
            (8, 1) => Message::Acquire(Target::VolatileTip),
            (10, 1) => Message::Acquire(Target::ImmutableTip),
            (1, 1) => Message::Acquired,
            (2, 2) => Message::Failure(match d.u8().map_err(|e| cbor(&d, e))? {
                0 => AcquireFailure::PointTooOld,
                1 => AcquireFailure::PointNotOnChain,
                n => return Err(DecodeError::Invalid(format!("unknown acquire failure {n}"))),
            }),
            (3, 2) => Message::Query(item(&mut d, bytes)?),
            (4, 2) => Message::Result(item(&mut d, bytes)?),
            (5, 1) => Message::Release,
            (6, 2) => Message::ReAcquire(Target::Point(get_point(&mut d)?)),
            (9, 1) => Message::ReAcquire(Target::VolatileTip),
            (11, 1) => Message::ReAcquire(Target::ImmutableTip),
            (7, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown local-state-query message tag {tag} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
