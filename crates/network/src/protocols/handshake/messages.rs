//! The handshake's messages and their CBOR, and the version data both sides propose and agree
//! on — node-to-node's ([`VersionData`]) and node-to-client's ([`ClientVersionData`]), one
//! message layout for both.
//!
//! ```text
//! msgProposeVersions = [0, versionTable]
//! msgAcceptVersion   = [1, versionNumber, versionData]
//! msgRefuse          = [2, refuseReason]
//! msgQueryReply      = [3, versionTable]
//! versionTable       = { * versionNumber => versionData }   ; definite, ascending
//! nodeToNodeVersionData = [networkMagic: word32, initiatorOnlyDiffusionMode: bool,
//!                          peerSharing: 0..1, query: bool]           ; versions 13 to 15
//! nodeToClientVersionData = [networkMagic: word32, query: bool]      ; versions 32784 to 32791
//! refuseReason = [0, [* versionNumber]] / [1, versionNumber, tstr] / [2, versionNumber, tstr]
//! ```

use std::collections::BTreeMap;

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

use super::{CLIENT_VERSIONS, SUPPORTED_VERSIONS};

/// The version data of one kind of connection: how it is written, and how a responder
/// combines its own with an initiator's.
pub trait HandshakeData: std::fmt::Debug + Clone + Copy + PartialEq + Eq {
    /// The version numbers this kind of connection knows; others in a proposal are skipped.
    const VERSIONS: &'static [u64];
    /// Writes the data.
    fn encode(&self, e: &mut Encoder<&mut Vec<u8>>);
    /// Reads the data.
    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError>;
    /// The reference's `acceptableVersion`: the data both sides run with, or why not.
    fn agree(&self, remote: &Self) -> Result<Self, String>;
    /// Whether the data asks only for the responder's version table.
    fn query(&self) -> bool;
}

/// The largest handshake message the reference accepts (4 TCP segments of 1,440 bytes).
pub const MAX_MESSAGE_BYTES: usize = 5760;

/// A node's version data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionData {
    /// The network's magic number: both sides must have the same.
    pub network_magic: u32,
    /// This side runs only the initiator half of each protocol (it serves nothing).
    pub initiator_only: bool,
    /// This side takes part in peer sharing (slotforge does not).
    pub peer_sharing: bool,
    /// Asks the responder for its version table and nothing else.
    pub query: bool,
}

impl VersionData {
    /// What a block-producing node proposes: both directions, no peer sharing, no query.
    pub fn node(network_magic: u32) -> Self {
        VersionData {
            network_magic,
            initiator_only: false,
            peer_sharing: false,
            query: false,
        }
    }

    /// The reference's `acceptableVersion`: the magic must be equal; initiator-only if either
    /// side is; peer sharing only if both; query if either.
    pub fn agree(&self, remote: &VersionData) -> Result<VersionData, String> {
        if self.network_magic != remote.network_magic {
            return Err(format!(
                "version data mismatch: network magic {} /= {}",
                self.network_magic, remote.network_magic
            ));
        }
        Ok(VersionData {
            network_magic: self.network_magic,
            initiator_only: self.initiator_only || remote.initiator_only,
            peer_sharing: self.peer_sharing && remote.peer_sharing,
            query: self.query || remote.query,
        })
    }
}

/// A version table: version number → version data, in ascending order.
pub type VersionTable<D = VersionData> = BTreeMap<u64, D>;

/// Our table: every version the data's kind knows, with the same data.
pub fn version_table<D: HandshakeData>(data: D) -> VersionTable<D> {
    D::VERSIONS.iter().map(|v| (*v, data)).collect()
}

/// A local client's version data (node-to-client versions 16 to 23).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientVersionData {
    /// The network's magic number: both sides must have the same.
    pub network_magic: u32,
    /// Asks the node for its version table and nothing else.
    pub query: bool,
}

impl HandshakeData for ClientVersionData {
    const VERSIONS: &'static [u64] = &CLIENT_VERSIONS;

    fn encode(&self, e: &mut Encoder<&mut Vec<u8>>) {
        let _ = e
            .array(2)
            .and_then(|e| e.u32(self.network_magic))
            .and_then(|e| e.bool(self.query));
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let n = definite_array(d)?;
        if n != 2 {
            return Err(DecodeError::Invalid(format!(
                "node-to-client version data has {n} elements, expected 2"
            )));
        }
        let network_magic = magic(d)?;
        let query = d.bool().map_err(|e| cbor(d, e))?;
        Ok(ClientVersionData { network_magic, query })
    }

    /// The magic must be equal; query if either side asks.
    fn agree(&self, remote: &Self) -> Result<Self, String> {
        if self.network_magic != remote.network_magic {
            return Err(format!(
                "version data mismatch: network magic {} /= {}",
                self.network_magic, remote.network_magic
            ));
        }
        Ok(ClientVersionData {
            network_magic: self.network_magic,
            query: self.query || remote.query,
        })
    }

    fn query(&self) -> bool {
        self.query
    }
}

fn magic(d: &mut Decoder<'_>) -> Result<u32, DecodeError> {
    let magic = d.u64().map_err(|e| cbor(d, e))?;
    u32::try_from(magic).map_err(|_| DecodeError::Invalid(format!("network magic {magic} is not a word32")))
}

/// Why a handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefuseReason {
    /// No common version; the responder's versions.
    VersionMismatch(Vec<u64>),
    /// The version data of this version could not be decoded; why.
    HandshakeDecodeError(u64, String),
    /// This version's data is not acceptable (another network magic); why.
    Refused(u64, String),
}

/// A handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<D = VersionData> {
    /// `MsgProposeVersions`: the initiator's versions, each with its data.
    Propose(VersionTable<D>),
    /// `MsgAcceptVersion`: the responder's choice, with the combined data.
    Accept(u64, D),
    /// `MsgRefuse`: no version is acceptable.
    Refuse(RefuseReason),
    /// `MsgQueryReply`: the responder's versions, to a proposal that only queries them.
    QueryReply(VersionTable<D>),
}

pub use crate::protocols::codec::DecodeError;
use crate::protocols::codec::{cbor, finish, open};

fn definite_array(d: &mut Decoder<'_>) -> Result<u64, DecodeError> {
    d.array()
        .map_err(|e| cbor(d, e))?
        .ok_or_else(|| DecodeError::Invalid("indefinite-length array".into()))
}

impl HandshakeData for VersionData {
    const VERSIONS: &'static [u64] = &SUPPORTED_VERSIONS;

    fn encode(&self, e: &mut Encoder<&mut Vec<u8>>) {
        // Writing into a Vec cannot fail.
        let _ = e
            .array(4)
            .and_then(|e| e.u32(self.network_magic))
            .and_then(|e| e.bool(self.initiator_only))
            .and_then(|e| e.u8(u8::from(self.peer_sharing)))
            .and_then(|e| e.bool(self.query));
    }

    fn decode(d: &mut Decoder<'_>) -> Result<Self, DecodeError> {
        let n = definite_array(d)?;
        if n != 4 {
            return Err(DecodeError::Invalid(format!(
                "version data has {n} elements, expected 4"
            )));
        }
        let network_magic = magic(d)?;
        let initiator_only = d.bool().map_err(|e| cbor(d, e))?;
        let peer_sharing = match d.u64().map_err(|e| cbor(d, e))? {
            0 => false,
            1 => true,
            n => return Err(DecodeError::Invalid(format!("peerSharing is out of bound: {n}"))),
        };
        let query = d.bool().map_err(|e| cbor(d, e))?;
        Ok(VersionData {
            network_magic,
            initiator_only,
            peer_sharing,
            query,
        })
    }

    fn agree(&self, remote: &Self) -> Result<Self, String> {
        VersionData::agree(self, remote)
    }

    fn query(&self) -> bool {
        self.query
    }
}

fn encode_table<D: HandshakeData>(e: &mut Encoder<&mut Vec<u8>>, t: &VersionTable<D>) {
    let _ = e.map(t.len() as u64);
    for (v, data) in t {
        let _ = e.u64(*v);
        data.encode(e);
    }
}

/// Decodes a version table: definite, keys strictly ascending; versions we do not know are
/// skipped with their data, whatever its shape (as the reference does).
fn decode_table<D: HandshakeData>(d: &mut Decoder<'_>) -> Result<VersionTable<D>, DecodeError> {
    let n = match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Map => d
            .map()
            .map_err(|e| cbor(d, e))?
            .ok_or_else(|| DecodeError::Invalid("indefinite-length version table".into()))?,
        other => return Err(DecodeError::Invalid(format!("a version table is a map, found {other}"))),
    };
    let mut table = VersionTable::new();
    let mut last = None;
    for _ in 0..n {
        let v = d.u64().map_err(|e| cbor(d, e))?;
        if !D::VERSIONS.contains(&v) {
            d.skip().map_err(|e| cbor(d, e))?;
            continue;
        }
        if last.is_some_and(|l| v <= l) {
            return Err(DecodeError::Invalid("unordered version".into()));
        }
        last = Some(v);
        table.insert(v, D::decode(d)?);
    }
    Ok(table)
}

impl<D: HandshakeData> Message<D> {
    /// The message's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out);
        let _ = match self {
            Message::Propose(t) => {
                let _ = e.array(2).and_then(|e| e.u8(0));
                encode_table(&mut e, t);
                Ok(&mut e)
            }
            Message::Accept(v, data) => {
                let _ = e.array(3).and_then(|e| e.u8(1)).and_then(|e| e.u64(*v));
                data.encode(&mut e);
                Ok(&mut e)
            }
            Message::Refuse(r) => {
                let _ = e.array(2).and_then(|e| e.u8(2));
                match r {
                    RefuseReason::VersionMismatch(vs) => {
                        let _ = e.array(2).and_then(|e| e.u8(0)).and_then(|e| e.array(vs.len() as u64));
                        for v in vs {
                            let _ = e.u64(*v);
                        }
                        Ok(&mut e)
                    }
                    RefuseReason::HandshakeDecodeError(v, t) => e
                        .array(3)
                        .and_then(|e| e.u8(1))
                        .and_then(|e| e.u64(*v))
                        .and_then(|e| e.str(t)),
                    RefuseReason::Refused(v, t) => e
                        .array(3)
                        .and_then(|e| e.u8(2))
                        .and_then(|e| e.u64(*v))
                        .and_then(|e| e.str(t)),
                }
            }
            Message::QueryReply(t) => {
                let _ = e.array(2).and_then(|e| e.u8(3));
                encode_table(&mut e, t);
                Ok(&mut e)
            }
        };
        out
    }

    /// Decodes one message, refusing anything above [`MAX_MESSAGE_BYTES`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (mut d, n, tag) = open(bytes, MAX_MESSAGE_BYTES)?;
        let msg = match (tag, n) {
            (0, 2) => Message::Propose(decode_table(&mut d)?),
            (1, 3) => {
                let v = d.u64().map_err(|e| cbor(&d, e))?;
                if !D::VERSIONS.contains(&v) {
                    return Err(DecodeError::Invalid(format!("accepted version {v} was not proposed")));
                }
                Message::Accept(v, D::decode(&mut d)?)
            }
            (2, 2) => {
                let m = definite_array(&mut d)?;
                let reason = d.u64().map_err(|e| cbor(&d, e))?;
                Message::Refuse(match (reason, m) {
                    (0, 2) => {
                        let k = definite_array(&mut d)?;
                        let mut vs = Vec::with_capacity(k.min(64) as usize);
                        for _ in 0..k {
                            vs.push(d.u64().map_err(|e| cbor(&d, e))?);
                        }
                        RefuseReason::VersionMismatch(vs)
                    }
                    (1, 3) | (2, 3) => {
                        let v = d.u64().map_err(|e| cbor(&d, e))?;
                        let t = d.str().map_err(|e| cbor(&d, e))?.to_string();
                        if reason == 1 {
                            RefuseReason::HandshakeDecodeError(v, t)
                        } else {
                            RefuseReason::Refused(v, t)
                        }
                    }
                    _ => {
                        return Err(DecodeError::Invalid(format!(
                            "unknown refuse reason {reason} of {m} elements"
                        )))
                    }
                })
            }
            (3, 2) => Message::QueryReply(decode_table(&mut d)?),
            _ => {
                return Err(DecodeError::Invalid(format!(
                    "unknown handshake message tag {tag} of {n} elements"
                )))
            }
        };
        finish(&d, bytes)?;
        Ok(msg)
    }
}
