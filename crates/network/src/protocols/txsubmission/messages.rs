//! Tx-submission2's messages and their CBOR. The server (the side that pulls transactions)
//! speaks first after `MsgInit`. Transaction ids travel as `[era, bytes]` and transactions as
//! `[era, #6.24(bytes)]` (Conway = 6); non-empty lists are written with indefinite length, as
//! the reference writes them, and read in either form.
//!
//! ```text
//! msgInit         = [6]
//! msgRequestTxIds = [0, blocking: bool, ack: word16, req: word16]
//! msgReplyTxIds   = [1, [* [txid, size: word32]]]
//! msgRequestTxs   = [2, [* txid]]
//! msgReplyTxs     = [3, [* tx]]
//! msgDone         = [4]
//! ```

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use crate::protocols::codec::{cbor, finish, get_list, open, put_head, put_list, DecodeError, Enc};

/// The hard-fork combinator's era index of Conway transactions and their ids.
pub const ERA_CONWAY: u16 = 6;

/// A transaction id with its era.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EraTxId {
    /// The hard-fork combinator's era index ([`ERA_CONWAY`]).
    pub era: u16,
    /// The transaction's id (the hash of its body).
    pub id: Vec<u8>,
}

/// A transaction's bytes with its era.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EraTx {
    /// The hard-fork combinator's era index ([`ERA_CONWAY`]).
    pub era: u16,
    /// The transaction's CBOR.
    pub tx: Vec<u8>,
}

/// A tx-submission2 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgInit`: the client's first message; the server then has agency.
    Init,
    /// `MsgRequestTxIds`: the server acknowledges ids and asks for more.
    RequestTxIds {
        /// Whether the client is to wait until it has an id to announce (allowed only when
        /// nothing is outstanding).
        blocking: bool,
        /// How many of the oldest outstanding ids the server is done with.
        ack: u16,
        /// How many ids it asks for at most.
        req: u16,
    },
    /// `MsgReplyTxIds`: ids announced, each with the transaction's size in bytes.
    ReplyTxIds(Vec<(EraTxId, u32)>),
    /// `MsgRequestTxs`: the announced transactions the server wants.
    RequestTxs(Vec<EraTxId>),
    /// `MsgReplyTxs`: those the client still has.
    ReplyTxs(Vec<EraTx>),
    /// `MsgDone`: the client ends the protocol (only in answer to a blocking request).
    Done,
}

fn put_id(e: &mut Enc<'_>, id: &EraTxId) {
    let _ = e.array(2).and_then(|e| e.u16(id.era)).and_then(|e| e.bytes(&id.id));
}

fn get_id(d: &mut Decoder<'_>) -> Result<EraTxId, DecodeError> {
    if d.array().map_err(|e| cbor(d, e))? != Some(2) {
        return Err(DecodeError::Invalid("a transaction id is [era, bytes]".into()));
    }
    let era = d.u16().map_err(|e| cbor(d, e))?;
    let id = d.bytes().map_err(|e| cbor(d, e))?.to_vec();
    Ok(EraTxId { era, id })
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::Init => put_head(&mut e, 1, 6),
            Message::RequestTxIds { blocking, ack, req } => {
                put_head(&mut e, 4, 0);
                let _ = e.bool(*blocking).and_then(|e| e.u16(*ack)).and_then(|e| e.u16(*req));
            }
            Message::ReplyTxIds(ids) => {
                put_head(&mut e, 2, 1);
                put_list(&mut e, ids, |e, (id, size)| {
                    let _ = e.array(2);
                    put_id(e, id);
                    let _ = e.u32(*size);
                });
            }
            Message::RequestTxs(ids) => {
                put_head(&mut e, 2, 2);
                put_list(&mut e, ids, put_id);
            }
            Message::ReplyTxs(txs) => {
                put_head(&mut e, 2, 3);
                put_list(&mut e, txs, |e, t| {
                    let _ = e
                        .array(2)
                        .and_then(|e| e.u16(t.era))
                        .and_then(|e| e.tag(Tag::new(24)))
                        .and_then(|e| e.bytes(&t.tx));
                });
            }
            Message::Done => put_head(&mut e, 1, 4),
        }
        out
    }

    /// Decodes one message of at most `limit` bytes.
    pub fn decode(bytes: &[u8], limit: usize) -> Result<Message, DecodeError> {
        let (mut d, n, t) = open(bytes, limit)?;
        let msg = match (t, n) {
            (6, 1) => Message::Init,
            (0, 4) => Message::RequestTxIds {
                blocking: d.bool().map_err(|e| cbor(&d, e))?,
                ack: d.u16().map_err(|e| cbor(&d, e))?,
                req: d.u16().map_err(|e| cbor(&d, e))?,
            },
            (1, 2) => Message::ReplyTxIds(get_list(&mut d, |d| {
                if d.array().map_err(|e| cbor(d, e))? != Some(2) {
                    return Err(DecodeError::Invalid("a reply entry is [txid, size]".into()));
                }
                let id = get_id(d)?;
                let size = d.u32().map_err(|e| cbor(d, e))?;
                Ok((id, size))
            })?),
            (2, 2) => Message::RequestTxs(get_list(&mut d, get_id)?),
            (3, 2) => Message::ReplyTxs(get_list(&mut d, |d| {
                if d.array().map_err(|e| cbor(d, e))? != Some(2) {
                    return Err(DecodeError::Invalid("a transaction is [era, #6.24(bytes)]".into()));
                }
                let era = d.u16().map_err(|e| cbor(d, e))?;
                let tag = d.tag().map_err(|e| cbor(d, e))?;
                if tag != Tag::new(24) {
                    return Err(DecodeError::Invalid(format!(
                        "a transaction is tagged 24, found {tag:?}"
                    )));
                }
                Ok(EraTx {
                    era,
                    tx: d.bytes().map_err(|e| cbor(d, e))?.to_vec(),
                })
            })?),
            (4, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown tx-submission message tag {t} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
