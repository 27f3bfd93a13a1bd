//! The multiplexer's framing (ouroboros-network `network-mux`, `Network/Mux/Codec.hs`): each
//! segment (SDU) is an 8-byte big-endian header — transmission time (u32), mini-protocol number
//! with the direction in bit 15 (u16: set when the responder sends), payload length (u16) —
//! then the payload; and the reassembly of one mini-protocol's bytes into whole CBOR messages,
//! with a size limit (a message may span segments, a segment may hold several messages).

use minicbor::Decoder;

/// The largest payload a socket bearer sends in one segment (`SDUSize 12_288`).
pub const MAX_SDU_PAYLOAD: usize = 12_288;

/// The header's length.
pub const HEADER_BYTES: usize = 8;

/// Which side of a mini-protocol sent a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The side that opened the mini-protocol (bit 15 clear).
    Initiator,
    /// The other side (bit 15 set).
    Responder,
}

/// A segment's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SduHeader {
    /// The sender's clock, in microseconds modulo 2^32 (informative only).
    pub timestamp: u32,
    /// The mini-protocol the payload belongs to.
    pub protocol: u16,
    /// Which side of that mini-protocol sent it.
    pub direction: Direction,
    /// The payload's length in bytes (never 0).
    pub length: u16,
}

/// Why bytes could not be framed or reassembled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MuxError {
    /// A segment header announcing no payload (or an empty message to send).
    #[error("a segment with no payload")]
    EmptySegment,
    /// A mini-protocol number with bit 15 set, which the header keeps for the direction.
    #[error("mini-protocol number {0} does not fit in 15 bits")]
    ProtocolNumber(u16),
    /// More bytes pending without a whole message than the protocol state allows.
    #[error("a message of more than {limit} bytes in the current protocol state")]
    MessageTooLarge {
        /// The state's size limit.
        limit: usize,
    },
    /// Bytes that cannot begin a CBOR message.
    #[error("malformed CBOR at byte {offset} of a message: {message}")]
    Cbor {
        /// Where the decoder stopped.
        offset: usize,
        /// The decoder's complaint.
        message: String,
    },
}

impl SduHeader {
    /// The header's 8 bytes, as the reference lays them out.
    pub fn encode(&self) -> [u8; HEADER_BYTES] {
        let mut h = [0u8; HEADER_BYTES];
        h[..4].copy_from_slice(&self.timestamp.to_be_bytes());
        let mode = match self.direction {
            Direction::Initiator => 0,
            Direction::Responder => 0x8000,
        };
        h[4..6].copy_from_slice(&((self.protocol & 0x7fff) | mode).to_be_bytes());
        h[6..].copy_from_slice(&self.length.to_be_bytes());
        h
    }

    /// Reads a header; a segment with no payload is refused.
    pub fn decode(h: &[u8; HEADER_BYTES]) -> Result<Self, MuxError> {
        let num = u16::from_be_bytes([h[4], h[5]]);
        let length = u16::from_be_bytes([h[6], h[7]]);
        if length == 0 {
            return Err(MuxError::EmptySegment);
        }
        Ok(SduHeader {
            timestamp: u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
            protocol: num & 0x7fff,
            direction: if num & 0x8000 == 0 {
                Direction::Initiator
            } else {
                Direction::Responder
            },
            length,
        })
    }
}

/// Splits a message into segments (header and payload each) of at most [`MAX_SDU_PAYLOAD`].
pub fn segment(protocol: u16, direction: Direction, timestamp: u32, message: &[u8]) -> Result<Vec<Vec<u8>>, MuxError> {
    if protocol > 0x7fff {
        return Err(MuxError::ProtocolNumber(protocol));
    }
    if message.is_empty() {
        return Err(MuxError::EmptySegment);
    }
    Ok(message
        .chunks(MAX_SDU_PAYLOAD)
        .map(|chunk| {
            let h = SduHeader {
                timestamp,
                protocol,
                direction,
                length: chunk.len() as u16,
            };
            let mut s = Vec::with_capacity(HEADER_BYTES + chunk.len());
            s.extend_from_slice(&h.encode());
            s.extend_from_slice(chunk);
            s
        })
        .collect())
}

/// One mini-protocol's incoming bytes, cut into whole CBOR messages.
#[derive(Debug, Default)]
pub struct MessageBuffer {
    buf: Vec<u8>,
}

impl MessageBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes received and not yet part of a whole message.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Appends a segment's payload.
    pub fn push(&mut self, payload: &[u8]) {
        self.buf.extend_from_slice(payload);
    }

    /// The next whole message, if its bytes have all arrived; an error if they cannot be one
    /// (malformed CBOR), or if more than `limit` bytes are pending without a whole message
    /// (the state's size limit).
    pub fn next_message(&mut self, limit: usize) -> Result<Option<Vec<u8>>, MuxError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let mut d = Decoder::new(&self.buf);
        match d.skip() {
            Ok(()) => {
                let n = d.position();
                if n > limit {
                    return Err(MuxError::MessageTooLarge { limit });
                }
                let rest = self.buf.split_off(n);
                Ok(Some(std::mem::replace(&mut self.buf, rest)))
            }
            Err(e) if e.is_end_of_input() => {
                if self.buf.len() > limit {
                    return Err(MuxError::MessageTooLarge { limit });
                }
                Ok(None)
            }
            Err(e) => Err(MuxError::Cbor {
                offset: d.position(),
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_matches_the_reference_layout() {
        // Chain-sync (2) from the responder, 300 bytes, at time 0x01020304.
        let h = SduHeader {
            timestamp: 0x0102_0304,
            protocol: 2,
            direction: Direction::Responder,
            length: 300,
        };
        assert_eq!(h.encode(), [1, 2, 3, 4, 0x80, 0x02, 0x01, 0x2c]);
        assert_eq!(SduHeader::decode(&h.encode()), Ok(h));
        let init = SduHeader {
            direction: Direction::Initiator,
            ..h
        };
        assert_eq!(init.encode()[4..6], [0x00, 0x02]);
        assert_eq!(
            SduHeader::decode(&[0, 0, 0, 0, 0, 2, 0, 0]),
            Err(MuxError::EmptySegment)
        );
    }

    #[test]
    fn messages_split_into_segments_and_come_back_whole() {
        let big: Vec<u8> = {
            // A CBOR byte string of 30,000 bytes: three segments.
            let mut v = vec![0x59, 0x75, 0x30];
            v.extend((0..30_000u32).map(|i| i as u8));
            v
        };
        let small = vec![0x82, 0x01, 0x02];
        let segs = segment(3, Direction::Initiator, 7, &big).unwrap();
        assert_eq!(segs.len(), 3);
        assert!(segs.iter().all(|s| s.len() <= HEADER_BYTES + MAX_SDU_PAYLOAD));
        let mut b = MessageBuffer::new();
        for s in &segs {
            let h = SduHeader::decode(s[..8].try_into().unwrap()).unwrap();
            assert_eq!(
                (h.protocol, h.direction, h.length as usize),
                (3, Direction::Initiator, s.len() - 8)
            );
            assert_eq!(b.next_message(65_536).unwrap(), None);
            b.push(&s[8..]);
        }
        b.push(&small);
        assert_eq!(b.next_message(65_536).unwrap(), Some(big));
        assert_eq!(b.next_message(65_536).unwrap(), Some(small));
        assert_eq!(b.next_message(65_536).unwrap(), None);
        assert!(segment(0x8000, Direction::Initiator, 0, &[1]).is_err());
    }

    #[test]
    fn limits_and_garbage_are_errors() {
        let mut b = MessageBuffer::new();
        b.push(&[0x59, 0xff, 0xff]); // a 65,535-byte string announced
        b.push(&[0; 100]);
        assert_eq!(b.next_message(50), Err(MuxError::MessageTooLarge { limit: 50 }));
        let mut g = MessageBuffer::new();
        g.push(&[0x1c, 0x00]); // a reserved additional information value
        assert!(matches!(g.next_message(1000), Err(MuxError::Cbor { .. })));
    }
}
