//! Blocks in Cardano's Babbage/Conway format, kept as their exact bytes:
//! `[header, [tx_body…], [witness_set…], {index ⇒ auxiliary_data}, [invalid_index…]]`.
//!
//! The body hash is cardano-ledger's segregated-witness hash (`hashAlonzoTxSeq`): blake2b-256
//! of the concatenated blake2b-256 hashes of the four body parts' exact bytes. Nothing is ever
//! re-encoded: hashes and sizes are over the bytes as received or as built.

use std::ops::Range;

use minicbor::data::Type;
use minicbor::Decoder;
use slotforge_praos::bft::BftHeader;
use slotforge_praos::header::{Header, HeaderDecodeError};
use slotforge_praos::nonce::blake2b256;

use slotforge_ledger::tx::{Transaction, TxDecodeError};

/// A block header of either consensus a chain runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockHeader {
    /// A Praos header: Babbage/Conway, or Shelley–Alonzo (TPraos).
    Praos(Box<Header>),
    /// A BFT header, for chains run by round-robin leaders.
    Bft(Box<BftHeader>),
}

impl BlockHeader {
    /// Decodes a Praos (Babbage/Conway or Shelley–Alonzo) header, or else a BFT header.
    pub fn decode(bytes: &[u8]) -> Result<Self, HeaderDecodeError> {
        match Header::decode(bytes) {
            Ok(h) => Ok(BlockHeader::Praos(Box::new(h))),
            Err(praos) => BftHeader::decode(bytes)
                .map(|h| BlockHeader::Bft(Box::new(h)))
                .map_err(|_| praos),
        }
    }

    /// The absolute slot the block was made for.
    pub fn slot(&self) -> u64 {
        match self {
            BlockHeader::Praos(h) => h.body().slot,
            BlockHeader::Bft(h) => h.body().slot,
        }
    }

    /// The block's height: the parent's plus one, 0 for the first block after genesis.
    pub fn block_number(&self) -> u64 {
        match self {
            BlockHeader::Praos(h) => h.body().block_number,
            BlockHeader::Bft(h) => h.body().block_number,
        }
    }

    /// The parent block's hash, `None` for the first block after genesis.
    pub fn prev_hash(&self) -> Option<[u8; 32]> {
        match self {
            BlockHeader::Praos(h) => h.body().prev_hash,
            BlockHeader::Bft(h) => h.body().prev_hash,
        }
    }

    /// The issuer's Ed25519 verification key (a pool's cold key, or a BFT leader's key).
    pub fn issuer_vkey(&self) -> [u8; 32] {
        match self {
            BlockHeader::Praos(h) => h.body().issuer_vkey,
            BlockHeader::Bft(h) => h.body().issuer_vkey,
        }
    }

    /// The body size the header declares, in bytes.
    pub fn body_size(&self) -> u64 {
        match self {
            BlockHeader::Praos(h) => h.body().block_body_size,
            BlockHeader::Bft(h) => h.body().block_body_size,
        }
    }

    /// The body hash the header declares (see [`BlockBody::hash`]).
    pub fn body_hash(&self) -> [u8; 32] {
        match self {
            BlockHeader::Praos(h) => h.body().block_body_hash,
            BlockHeader::Bft(h) => h.body().block_body_hash,
        }
    }

    /// The protocol version (major, minor) the header declares.
    pub fn protocol_version(&self) -> (u64, u64) {
        match self {
            BlockHeader::Praos(h) => h.body().protocol_version,
            BlockHeader::Bft(h) => h.body().protocol_version,
        }
    }

    /// The size of the header's exact bytes.
    pub fn size(&self) -> usize {
        match self {
            BlockHeader::Praos(h) => h.size(),
            BlockHeader::Bft(h) => h.size(),
        }
    }

    /// blake2b-256 of the header's bytes: the block hash.
    pub fn hash(&self) -> [u8; 32] {
        match self {
            BlockHeader::Praos(h) => h.hash(),
            BlockHeader::Bft(h) => h.hash(),
        }
    }
}

/// Why block bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockDecodeError {
    /// The bytes are not well-formed CBOR, or nest deeper than a transaction may.
    #[error("malformed block CBOR at byte {offset}: {message}")]
    Cbor {
        /// Position in the block's bytes, in bytes, where decoding failed (0 for the nesting
        /// check).
        offset: usize,
        /// The decoder's message.
        message: String,
    },
    /// The block, or one of its body parts, is not the array or map it must be; holds what was
    /// found.
    #[error("a block is a definite array of 5 elements, found {0}")]
    Shape(String),
    /// The header decodes neither as a Praos nor as a BFT header (the Praos error is kept).
    #[error("block header: {0}")]
    Header(#[from] HeaderDecodeError),
    /// The numbers of transaction bodies and witness sets differ; holds (bodies, witness sets).
    #[error("{0} transaction bodies but {1} witness sets")]
    WitnessCount(usize, usize),
    /// The auxiliary data map names a transaction the block does not have.
    #[error("auxiliary data for transaction {index}, but the block has {count} transactions")]
    AuxiliaryIndex {
        /// The index the map names.
        index: u64,
        /// How many transactions the block has.
        count: usize,
    },
    /// The auxiliary data map names one transaction twice; holds the index.
    #[error("auxiliary data for transaction {0} appears twice")]
    DuplicateAuxiliaryIndex(u64),
    /// The invalid-transactions list names one transaction twice; holds the index.
    #[error("invalid-transaction index {0} appears twice")]
    DuplicateInvalidIndex(u64),
    /// The invalid-transactions list names a transaction the block does not have.
    #[error("invalid-transaction index {index}, but the block has {count} transactions")]
    InvalidIndex {
        /// The index the list names.
        index: u64,
        /// How many transactions the block has.
        count: usize,
    },
    /// A transaction's parts do not decode under Conway's rules.
    #[error("transaction {index}: {error}")]
    Transaction {
        /// The transaction's position in the block, from 0.
        index: usize,
        /// Why it does not decode.
        error: TxDecodeError,
    },
    /// The input goes on after the block; holds how many bytes are left.
    #[error("{0} trailing bytes after the block")]
    TrailingBytes(usize),
}

/// The four parts of a block body as exact bytes, with the hash and size a header declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBody {
    /// `[tx_body…] [witness_set…] {index ⇒ aux} [invalid…]`, concatenated as in the block.
    bytes: Vec<u8>,
    /// Where each of the four parts lies in `bytes`.
    parts: [Range<usize>; 4],
    transactions: Vec<Transaction>,
}

impl BlockBody {
    /// The body of `transactions` (all phase-2 valid: the invalid list is empty).
    pub fn new(transactions: Vec<Transaction>) -> Self {
        let mut bodies = Vec::new();
        let mut wits = Vec::new();
        let mut aux = Vec::new();
        cbor_head(&mut bodies, 4, transactions.len() as u64);
        cbor_head(&mut wits, 4, transactions.len() as u64);
        let with_aux = transactions.iter().filter(|t| t.auxiliary_data().is_some()).count();
        cbor_head(&mut aux, 5, with_aux as u64);
        for (i, t) in transactions.iter().enumerate() {
            bodies.extend_from_slice(t.body_bytes());
            wits.extend_from_slice(t.witness_bytes());
            if let Some(a) = t.auxiliary_data() {
                cbor_head(&mut aux, 0, i as u64);
                aux.extend_from_slice(a);
            }
        }
        let invalid = [0x80u8];
        let mut bytes = Vec::with_capacity(bodies.len() + wits.len() + aux.len() + 1);
        let mut parts: [Range<usize>; 4] = Default::default();
        for (i, p) in [&bodies[..], &wits[..], &aux[..], &invalid[..]].into_iter().enumerate() {
            let start = bytes.len();
            bytes.extend_from_slice(p);
            parts[i] = start..bytes.len();
        }
        BlockBody {
            bytes,
            parts,
            transactions,
        }
    }

    /// The body with no transactions.
    pub fn empty() -> Self {
        Self::new(Vec::new())
    }

    /// blake2b-256 of the four parts' blake2b-256 hashes, concatenated.
    pub fn hash(&self) -> [u8; 32] {
        let mut cat = [0u8; 128];
        for (i, r) in self.parts.iter().enumerate() {
            cat[i * 32..(i + 1) * 32].copy_from_slice(&blake2b256(&[&self.bytes[r.clone()]]));
        }
        blake2b256(&[&cat])
    }

    /// The sum of the four parts' serialized sizes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// The four parts, concatenated as they follow the header in a block.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The block's transactions in order, each with its phase-2 validity flag from the invalid
    /// list.
    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Decodes the four body parts from `d`, whose input is `input`.
    fn decode_from(d: &mut Decoder<'_>, input: &[u8]) -> Result<Self, BlockDecodeError> {
        let start = d.position();
        let mut parts: [Range<usize>; 4] = Default::default();
        let bodies = definite_array(d, "transaction bodies")?;
        let mut body_ranges = Vec::with_capacity(bodies.min(4096) as usize);
        for _ in 0..bodies {
            body_ranges.push(skip(d)?);
        }
        parts[0] = start..d.position();
        let wits = definite_array(d, "witness sets")?;
        if wits != bodies {
            return Err(BlockDecodeError::WitnessCount(bodies as usize, wits as usize));
        }
        let mut wit_ranges = Vec::with_capacity(body_ranges.len());
        for _ in 0..wits {
            wit_ranges.push(skip(d)?);
        }
        parts[1] = parts[0].end..d.position();
        let n = body_ranges.len();
        let mut aux: Vec<Option<Range<usize>>> = vec![None; n];
        let entries = match d.datatype().map_err(|e| cbor(d, e))? {
            Type::Map => d.map().map_err(|e| cbor(d, e))?.unwrap_or(0),
            other => return Err(BlockDecodeError::Shape(format!("auxiliary data: a map, found {other}"))),
        };
        for _ in 0..entries {
            let index = d.u64().map_err(|e| cbor(d, e))?;
            let slot = usize::try_from(index)
                .ok()
                .filter(|i| *i < n)
                .ok_or(BlockDecodeError::AuxiliaryIndex { index, count: n })?;
            if aux[slot].is_some() {
                return Err(BlockDecodeError::DuplicateAuxiliaryIndex(index));
            }
            aux[slot] = Some(skip(d)?);
        }
        parts[2] = parts[1].end..d.position();
        let invalid = definite_array(d, "invalid transactions")?;
        let mut invalid_set = vec![false; n];
        for _ in 0..invalid {
            let index = d.u64().map_err(|e| cbor(d, e))?;
            let slot = usize::try_from(index)
                .ok()
                .filter(|i| *i < n)
                .ok_or(BlockDecodeError::InvalidIndex { index, count: n })?;
            if invalid_set[slot] {
                return Err(BlockDecodeError::DuplicateInvalidIndex(index));
            }
            invalid_set[slot] = true;
        }
        parts[3] = parts[2].end..d.position();
        let mut transactions = Vec::with_capacity(n);
        for i in 0..n {
            let tx = Transaction::from_parts(
                input[body_ranges[i].clone()].to_vec(),
                input[wit_ranges[i].clone()].to_vec(),
                !invalid_set[i],
                aux[i].clone().map(|r| input[r].to_vec()),
            )
            .map_err(|error| BlockDecodeError::Transaction { index: i, error })?;
            transactions.push(tx);
        }
        let shift = |r: &Range<usize>| r.start - start..r.end - start;
        Ok(BlockBody {
            bytes: input[start..d.position()].to_vec(),
            parts: [shift(&parts[0]), shift(&parts[1]), shift(&parts[2]), shift(&parts[3])],
            transactions,
        })
    }
}

/// A block: header and body, each kept as its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    header: BlockHeader,
    header_bytes: Vec<u8>,
    body: BlockBody,
    hash: [u8; 32],
}

impl Block {
    /// Decodes a block, keeping every part's bytes.
    pub fn decode(input: &[u8]) -> Result<Self, BlockDecodeError> {
        // A transaction's parts lie two levels down (the block's array, then the part's).
        slotforge_ledger::tx::nesting_within(input, slotforge_ledger::tx::MAX_NESTING + 2)
            .map_err(|message| BlockDecodeError::Cbor { offset: 0, message })?;
        let mut d = Decoder::new(input);
        let n = definite_array(&mut d, "block")?;
        if n != 5 {
            return Err(BlockDecodeError::Shape(format!("{n} elements")));
        }
        let h = skip(&mut d)?;
        let header_bytes = input[h].to_vec();
        let header = BlockHeader::decode(&header_bytes)?;
        let body = BlockBody::decode_from(&mut d, input)?;
        if d.position() != input.len() {
            return Err(BlockDecodeError::TrailingBytes(input.len() - d.position()));
        }
        Ok(Block {
            hash: header.hash(),
            header,
            header_bytes,
            body,
        })
    }

    /// Assembles a block from a signed header's bytes and a body.
    pub fn assemble(header_bytes: &[u8], body: BlockBody) -> Result<Self, BlockDecodeError> {
        let header = BlockHeader::decode(header_bytes)?;
        Ok(Block {
            hash: header.hash(),
            header,
            header_bytes: header_bytes.to_vec(),
            body,
        })
    }

    /// The block's CBOR: `[header, bodies, witnesses, aux, invalid]`.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.header_bytes.len() + self.body.bytes.len());
        out.push(0x85);
        out.extend_from_slice(&self.header_bytes);
        out.extend_from_slice(&self.body.bytes);
        out
    }

    /// The decoded header.
    pub fn header(&self) -> &BlockHeader {
        &self.header
    }

    /// The header's exact bytes.
    pub fn header_bytes(&self) -> &[u8] {
        &self.header_bytes
    }

    /// The body: its four parts' exact bytes and the transactions decoded from them.
    pub fn body(&self) -> &BlockBody {
        &self.body
    }

    /// blake2b-256 of the header's bytes.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The absolute slot the block was made for.
    pub fn slot(&self) -> u64 {
        self.header.slot()
    }

    /// The block's height: 0 for the first block after genesis.
    pub fn block_number(&self) -> u64 {
        self.header.block_number()
    }

    /// The parent block's hash, `None` for the first block after genesis.
    pub fn prev_hash(&self) -> Option<[u8; 32]> {
        self.header.prev_hash()
    }
}

/// The header's bytes within a block's bytes (`[header, …]`), found without decoding the rest:
/// what chain-sync serves of a stored block. None when the bytes are not a block's array.
pub fn header_bytes_of(block: &[u8]) -> Option<&[u8]> {
    let mut d = Decoder::new(block);
    d.array().ok()?;
    let start = d.position();
    d.skip().ok()?;
    block.get(start..d.position())
}

fn cbor(d: &Decoder<'_>, e: impl std::fmt::Display) -> BlockDecodeError {
    BlockDecodeError::Cbor {
        offset: d.position(),
        message: e.to_string(),
    }
}

fn definite_array(d: &mut Decoder<'_>, what: &str) -> Result<u64, BlockDecodeError> {
    match d.datatype().map_err(|e| cbor(d, e))? {
        Type::Array => d
            .array()
            .map_err(|e| cbor(d, e))?
            .ok_or_else(|| BlockDecodeError::Shape(format!("{what}: indefinite array"))),
        other => Err(BlockDecodeError::Shape(format!(
            "{what}: expected an array, found {other}"
        ))),
    }
}

/// Skips one data item, returning its byte range.
fn skip(d: &mut Decoder<'_>) -> Result<Range<usize>, BlockDecodeError> {
    let start = d.position();
    d.skip().map_err(|e| cbor(d, e))?;
    Ok(start..d.position())
}

/// Writes a CBOR head of major type `major` with argument `n` (shortest form).
pub(crate) fn cbor_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_body_hash_is_the_ledgers() {
        let b = BlockBody::empty();
        assert_eq!(b.bytes(), [0x80, 0x80, 0xa0, 0x80]);
        assert_eq!(b.size(), 4);
        assert_eq!(
            hex::encode(b.hash()),
            "29571d16f081709b3c48651860077bebf9340abb3fc7133443c54f1f5a5edcf1"
        );
    }

    #[test]
    fn cbor_heads_are_shortest() {
        for (n, want) in [
            (0u64, "80"),
            (23, "97"),
            (24, "9818"),
            (256, "990100"),
            (70000, "9a00011170"),
        ] {
            let mut v = Vec::new();
            cbor_head(&mut v, 4, n);
            assert_eq!(hex::encode(v), want);
        }
    }
}
