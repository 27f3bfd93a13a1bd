//! Local tx-monitor's messages and their CBOR. Transactions and their ids travel as the
//! hard-fork combinator's `GenTx` and `GenTxId`: `[eraIndex, #6.24(bytes)]` and
//! `[eraIndex, bytes .size 32]`.
//!
//! ```text
//! msgDone             = [0]
//! msgAcquire          = [1]            ; in state Idle
//! msgAwaitAcquire     = [1]            ; the same tag, in state Acquired
//! msgAcquired         = [2, slotNo]
//! msgRelease          = [3]
//! msgNextTx           = [5]
//! msgReplyNextTx      = [6] / [6, tx]
//! msgHasTx            = [7, txId]
//! msgReplyHasTx       = [8, bool]
//! msgGetSizes         = [9]
//! msgReplyGetSizes    = [10, [capacityInBytes, sizeInBytes, numberOfTxs]]
//! msgGetMeasures      = [11]
//! msgReplyGetMeasures = [12, txCount, { * tstr => [size, capacity] }]
//! ```

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use crate::protocols::codec::{cbor, finish, open, put_head, DecodeError};

/// The largest message a client sends (none carries more than a transaction id).
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// The mempool's sizes (`MempoolSizeAndCapacity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// The mempool's capacity, in bytes.
    pub capacity_bytes: u32,
    /// The bytes its transactions take.
    pub size_bytes: u32,
    /// How many transactions it holds.
    pub transactions: u32,
}

/// One measure of the mempool: what its transactions take, and its capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    /// The measure's name (`transaction_bytes`, `ex_units_memory`, …).
    pub name: String,
    /// What the transactions take.
    pub size: u64,
    /// The mempool's capacity.
    pub capacity: u64,
}

/// A local tx-monitor message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgDone`.
    Done,
    /// `MsgAcquire` (in state Idle) or `MsgAwaitAcquire` (in state Acquired): the same bytes.
    Acquire,
    /// `MsgAcquired`: the slot the snapshot's transactions are valid in.
    Acquired(u64),
    /// `MsgRelease`.
    Release,
    /// `MsgNextTx`.
    NextTx,
    /// `MsgReplyNextTx`: the next transaction's era index and CBOR, or none.
    ReplyNextTx(Option<(u8, Vec<u8>)>),
    /// `MsgHasTx`: a transaction id's era index and the id.
    HasTx(u8, [u8; 32]),
    /// `MsgReplyHasTx`.
    ReplyHasTx(bool),
    /// `MsgGetSizes`.
    GetSizes,
    /// `MsgReplyGetSizes`.
    ReplyGetSizes(Sizes),
    /// `MsgGetMeasures`.
    GetMeasures,
    /// `MsgReplyGetMeasures`: the transactions counted, and each measure (in name order).
    ReplyGetMeasures(u32, Vec<Measure>),
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::Done => put_head(&mut e, 1, 0),
            Message::Acquire => put_head(&mut e, 1, 1),
            Message::Acquired(slot) => {
                put_head(&mut e, 2, 2);
                let _ = e.u64(*slot);
            }
            Message::Release => put_head(&mut e, 1, 3),
            Message::NextTx => put_head(&mut e, 1, 5),
            Message::ReplyNextTx(None) => put_head(&mut e, 1, 6),
            Message::ReplyNextTx(Some((era, tx))) => {
                put_head(&mut e, 2, 6);
                let _ = e
                    .array(2)
                    .and_then(|e| e.u8(*era))
                    .and_then(|e| e.tag(Tag::new(24)))
                    .and_then(|e| e.bytes(tx));
            }
            Message::HasTx(era, id) => {
                put_head(&mut e, 2, 7);
                let _ = e.array(2).and_then(|e| e.u8(*era)).and_then(|e| e.bytes(id));
            }
            Message::ReplyHasTx(b) => {
                put_head(&mut e, 2, 8);
                let _ = e.bool(*b);
            }
            Message::GetSizes => put_head(&mut e, 1, 9),
            Message::ReplyGetSizes(s) => {
                put_head(&mut e, 2, 10);
                let _ = e
                    .array(3)
                    .and_then(|e| e.u32(s.capacity_bytes))
                    .and_then(|e| e.u32(s.size_bytes))
                    .and_then(|e| e.u32(s.transactions));
            }
            Message::GetMeasures => put_head(&mut e, 1, 11),
            Message::ReplyGetMeasures(count, measures) => {
                put_head(&mut e, 3, 12);
                let _ = e.u32(*count).and_then(|e| e.map(measures.len() as u64));
                for m in measures {
                    let _ = e
                        .str(&m.name)
                        .and_then(|e| e.array(2))
                        .and_then(|e| e.u64(m.size))
                        .and_then(|e| e.u64(m.capacity));
                }
            }
        }
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (mut d, n, tag) = open(bytes, MAX_MESSAGE_BYTES)?;
        let d = &mut d;
        let msg = match (tag, n) {
            (0, 1) => Message::Done,
            (1, 1) => Message::Acquire,
            (2, 2) => Message::Acquired(d.u64().map_err(|e| cbor(d, e))?),
            (3, 1) => Message::Release,
            (5, 1) => Message::NextTx,
            (6, 1) => Message::ReplyNextTx(None),
            (6, 2) => {
                pair(d, "a transaction is [era, #6.24(bytes)]")?;
                let era = d.u8().map_err(|e| cbor(d, e))?;
                let t = d.tag().map_err(|e| cbor(d, e))?;
                if t != Tag::new(24) {
                    return Err(DecodeError::Invalid(format!("a transaction is tagged 24, found {t:?}")));
                }
                Message::ReplyNextTx(Some((era, d.bytes().map_err(|e| cbor(d, e))?.to_vec())))
            }
            (7, 2) => {
                pair(d, "a transaction id is [era, bytes]")?;
                let era = d.u8().map_err(|e| cbor(d, e))?;
                let b = d.bytes().map_err(|e| cbor(d, e))?;
                let id = b
                    .try_into()
                    .map_err(|_| DecodeError::Invalid(format!("a transaction id is 32 bytes, found {}", b.len())))?;
                Message::HasTx(era, id)
            }
            (8, 2) => Message::ReplyHasTx(d.bool().map_err(|e| cbor(d, e))?),
            (9, 1) => Message::GetSizes,
            (10, 2) => {
                if d.array().map_err(|e| cbor(d, e))? != Some(3) {
                    return Err(DecodeError::Invalid("sizes are [capacity, size, count]".into()));
                }
                Message::ReplyGetSizes(Sizes {
                    capacity_bytes: d.u32().map_err(|e| cbor(d, e))?,
                    size_bytes: d.u32().map_err(|e| cbor(d, e))?,
                    transactions: d.u32().map_err(|e| cbor(d, e))?,
                })
            }
            (11, 1) => Message::GetMeasures,
            (12, 3) => {
                let count = d.u32().map_err(|e| cbor(d, e))?;
                let m = d
                    .map()
                    .map_err(|e| cbor(d, e))?
                    .ok_or_else(|| DecodeError::Invalid("indefinite-length measures".into()))?;
                let mut measures = Vec::new();
                for _ in 0..m {
                    let name = d.str().map_err(|e| cbor(d, e))?.to_string();
                    pair(d, "a measure is [size, capacity]")?;
                    measures.push(Measure {
                        name,
                        size: d.u64().map_err(|e| cbor(d, e))?,
                        capacity: d.u64().map_err(|e| cbor(d, e))?,
                    });
                }
                Message::ReplyGetMeasures(count, measures)
            }
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown local-tx-monitor message tag {tag} of {n} elements"
                )))
            }
        };
        finish(d, bytes)?;
        Ok(msg)
    }
}

fn pair(d: &mut Decoder<'_>, what: &str) -> Result<(), DecodeError> {
    if d.array().map_err(|e| cbor(d, e))? != Some(2) {
        return Err(DecodeError::Invalid(what.into()));
    }
    Ok(())
}
