//! Keep-alive's messages and their CBOR.
//!
//! ```text
//! msgKeepAlive         = [0, cookie: word16]
//! msgKeepAliveResponse = [1, cookie: word16]
//! msgDone              = [2]
//! ```

use minicbor::Encoder;

use crate::protocols::codec::{cbor, finish, open, DecodeError};

/// A keep-alive message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// `MsgKeepAlive`: the client's cookie.
    KeepAlive(u16),
    /// `MsgKeepAliveResponse`: the server's echo of it.
    Response(u16),
    /// `MsgDone`: the client ends the protocol.
    Done,
}

impl Message {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        // Encoding into a Vec cannot fail.
        let _ = match self {
            Message::KeepAlive(c) => e.array(2).and_then(|e| e.u8(0)).and_then(|e| e.u16(*c)),
            Message::Response(c) => e.array(2).and_then(|e| e.u8(1)).and_then(|e| e.u16(*c)),
            Message::Done => e.array(1).and_then(|e| e.u8(2)),
        };
        out
    }

    /// Decodes one message (keep-alive messages are a few bytes: anything above 64 is refused).
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (mut d, n, t) = open(bytes, 64)?;
        let m = match (t, n) {
            (0, 2) => Message::KeepAlive(d.u16().map_err(|e| cbor(&d, e))?),
            (1, 2) => Message::Response(d.u16().map_err(|e| cbor(&d, e))?),
            (2, 1) => Message::Done,
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown keep-alive message tag {t} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for m in [
            Message::KeepAlive(0),
            Message::KeepAlive(65535),
            Message::Response(7),
            Message::Done,
        ] {
            assert_eq!(Message::decode(&m.to_cbor()), Ok(m));
        }
        assert_eq!(Message::KeepAlive(513).to_cbor(), [0x82, 0x00, 0x19, 0x02, 0x01]);
        assert!(
            Message::decode(&[0x82, 0x00, 0x1a, 0x00, 0x01, 0x00, 0x00]).is_err(),
            "a cookie above 16 bits"
        );
        assert!(Message::decode(&[0x81, 0x05]).is_err());
    }
}
