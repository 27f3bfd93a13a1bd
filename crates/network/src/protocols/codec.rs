//! What every mini-protocol's codec shares: the decode error, a message's frame (`[tag, …]`,
//! definite, within the state's size limit, nothing after it), and lists, which the reference
//! writes with indefinite length when they are not empty.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

/// Why bytes are not a message of a mini-protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// More bytes than the protocol state allows.
    #[error("a message of {size} bytes, more than the {limit} allowed")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The state's size limit.
        limit: usize,
    },
    /// Not well-formed CBOR, or not of the type the message has there.
    #[error("malformed CBOR at byte {offset}: {message}")]
    Cbor {
        /// Where the decoder stopped.
        offset: usize,
        /// The decoder's complaint.
        message: String,
    },
    /// Well-formed CBOR that is no message of the protocol (an unknown tag, a wrong shape).
    #[error("{0}")]
    Invalid(String),
    /// A whole message followed by more bytes.
    #[error("{0} bytes after the message")]
    TrailingBytes(usize),
}

pub(crate) fn cbor(d: &Decoder<'_>, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Cbor {
        offset: d.position(),
        message: e.to_string(),
    }
}

/// What messages are encoded into (writing into a Vec cannot fail, so encoders' results are
/// ignored).
pub(crate) type Enc<'a> = Encoder<&'a mut Vec<u8>>;

/// Opens a message of at most `limit` bytes: a decoder past its head, the head's (definite)
/// length and the message tag.
pub(crate) fn open(bytes: &[u8], limit: usize) -> Result<(Decoder<'_>, u64, u64), DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let mut d = Decoder::new(bytes);
    let n = d
        .array()
        .map_err(|e| cbor(&d, e))?
        .ok_or_else(|| DecodeError::Invalid("indefinite-length message".into()))?;
    let tag = d.u64().map_err(|e| cbor(&d, e))?;
    Ok((d, n, tag))
}

/// Fails unless the decoder consumed all of `bytes`.
pub(crate) fn finish(d: &Decoder<'_>, bytes: &[u8]) -> Result<(), DecodeError> {
    if d.position() != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - d.position()));
    }
    Ok(())
}

/// Reads a list written with definite or indefinite length.
pub(crate) fn get_list<'b, T>(
    d: &mut Decoder<'b>,
    mut get: impl FnMut(&mut Decoder<'b>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut out = Vec::new();
    match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Array => {
            let n = d.array().map_err(|e| cbor(d, e))?.unwrap_or(0);
            for _ in 0..n {
                out.push(get(d)?);
            }
        }
        Type::ArrayIndef => {
            d.array().map_err(|e| cbor(d, e))?;
            while d.datatype().map_err(|e| cbor(d, e))? != Type::Break {
                out.push(get(d)?);
            }
            d.skip().map_err(|e| cbor(d, e))?;
        }
        other => return Err(DecodeError::Invalid(format!("expected a list, found {other}"))),
    }
    Ok(out)
}

/// Writes a list as the reference does: `[]` when empty, indefinite otherwise.
pub(crate) fn put_list<T>(e: &mut Enc<'_>, items: &[T], mut put: impl FnMut(&mut Enc<'_>, &T)) {
    if items.is_empty() {
        let _ = e.array(0);
        return;
    }
    let _ = e.begin_array();
    for i in items {
        put(e, i);
    }
    let _ = e.end();
}

/// Writes a message's head: `[tag, …]` of `n` elements.
pub(crate) fn put_head(e: &mut Enc<'_>, n: u64, tag: u8) {
    let _ = e.array(n).and_then(|e| e.u8(tag));
}
