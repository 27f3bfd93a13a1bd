//! Local tx-submission's messages and their CBOR. A transaction travels as the hard-fork
//! combinator's `GenTx`: `[eraIndex, #6.24(bytes .cbor tx)]` (Conway = 6).
//!
//! ```text
//! msgSubmitTx = [0, [eraIndex, #6.24(bytes)]]
//! msgAcceptTx = [1]
//! msgRejectTx = [2, rejection]
//! msgDone     = [3]
//! ```

use minicbor::data::Tag;
use minicbor::Encoder;

use crate::protocols::codec::{cbor, finish, open, put_head, DecodeError};

/// The largest message a local client may send (a transaction of the largest size any
/// protocol parameters allow, with room to spare).
pub const MAX_MESSAGE_BYTES: usize = 2_500_000;

/// A local tx-submission message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `MsgSubmitTx`: the transaction's era index and its CBOR.
    SubmitTx(u8, Vec<u8>),
    /// `MsgAcceptTx`.
    AcceptTx,
    /// `MsgRejectTx`: the rejection's CBOR ([`rejection`](super::rejection)).
    RejectTx(Vec<u8>),
    /// `MsgDone`.
    Done,
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        match self {
            Message::SubmitTx(era, tx) => {
                put_head(&mut e, 2, 0);
                let _ = e
                    .array(2)
                    .and_then(|e| e.u8(*era))
                    .and_then(|e| e.tag(Tag::new(24)))
                    .and_then(|e| e.bytes(tx));
            }
            Message::AcceptTx => put_head(&mut e, 1, 1),
            Message::RejectTx(r) => {
                put_head(&mut e, 2, 2);
                e.writer_mut().extend_from_slice(r);
            }
            Message::Done => put_head(&mut e, 1, 3),
        }
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (mut d, n, tag) = open(bytes, MAX_MESSAGE_BYTES)?;
        let msg = match (tag, n) {
            (0, 2) => {
                if d.array().map_err(|e| cbor(&d, e))? != Some(2) {
                    return Err(DecodeError::Invalid("a transaction is [era, #6.24(bytes)]".into()));
                }
                let era = d.u8().map_err(|e| cbor(&d, e))?;
                let t = d.tag().map_err(|e| cbor(&d, e))?;
                if t != Tag::new(24) {
                    return Err(DecodeError::Invalid(format!("a transaction is tagged 24, found {t:?}")));
                }
                Message::SubmitTx(era, d.bytes().map_err(|e| cbor(&d, e))?.to_vec())
            }
            (1, 1) => Message::AcceptTx,
            (2, 2) => {
                let start = d.position();
                d.skip().map_err(|e| cbor(&d, e))?;
                Message::RejectTx(bytes[start..d.position()].to_vec())
            }
            (3, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown local-tx-submission message tag {tag} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
