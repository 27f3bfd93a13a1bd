//! Conway transactions kept as their exact parts (body, witness set, validity flag, auxiliary
//! data), decoded with pallas-primitives when the ledger needs the fields.
//!
//! Decoding applies Conway's rules (`conway_decoding`) on top of pallas' decoders.
//!
//! A transaction's id is blake2b-256 of its body's exact bytes; its size (for fees and limits)
//! is that of `[body, witnesses, auxiliary_data / null]`, without the validity flag.

mod conway_decoding;

pub use conway_decoding::{nesting_within, MAX_NESTING};

use pallas_codec::minicbor;
use pallas_primitives::alonzo::AuxiliaryData;
use pallas_primitives::conway::{TransactionBody, WitnessSet};
use slotforge_praos::nonce::blake2b256;

/// A transaction id: blake2b-256 of the body's bytes.
pub type TxId = [u8; 32];

/// Why transaction bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxDecodeError {
    /// The bytes are not a definite 4-element array `[body, witnesses, bool, aux / null]` with
    /// nothing after it.
    #[error("a transaction is [body, witness set, is_valid, auxiliary data or null]: {0}")]
    Shape(String),
    /// The body does not decode as a Conway transaction body under Conway's rules; holds the
    /// reason.
    #[error("transaction body: {0}")]
    Body(String),
    /// The witness set does not decode under Conway's rules; holds the reason.
    #[error("witness set: {0}")]
    Witnesses(String),
    /// The auxiliary data does not decode; holds the reason.
    #[error("auxiliary data: {0}")]
    AuxiliaryData(String),
}

/// A transaction with its exact parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    id: TxId,
    body: Vec<u8>,
    witnesses: Vec<u8>,
    is_valid: bool,
    auxiliary_data: Option<Vec<u8>>,
}

impl Transaction {
    /// Builds a transaction from its parts, checking each decodes as its Conway type.
    pub fn from_parts(
        body: Vec<u8>,
        witnesses: Vec<u8>,
        is_valid: bool,
        auxiliary_data: Option<Vec<u8>>,
    ) -> Result<Self, TxDecodeError> {
        let tx = Transaction {
            id: blake2b256(&[&body]),
            body,
            witnesses,
            is_valid,
            auxiliary_data,
        };
        nesting_within(&tx.body, MAX_NESTING).map_err(TxDecodeError::Body)?;
        nesting_within(&tx.witnesses, MAX_NESTING).map_err(TxDecodeError::Witnesses)?;
        if let Some(a) = &tx.auxiliary_data {
            nesting_within(a, MAX_NESTING).map_err(TxDecodeError::AuxiliaryData)?;
        }
        conway_decoding::body(&tx.body).map_err(TxDecodeError::Body)?;
        tx.decoded_body()?;
        conway_decoding::witnesses(&tx.witnesses).map_err(TxDecodeError::Witnesses)?;
        tx.decoded_witnesses()?;
        if let Some(a) = &tx.auxiliary_data {
            conway_decoding::auxiliary_data(a).map_err(TxDecodeError::AuxiliaryData)?;
            exact::<AuxiliaryData>(a).map_err(TxDecodeError::AuxiliaryData)?;
        }
        Ok(tx)
    }

    /// Decodes a whole transaction as submitted: `[body, witnesses, is_valid, aux / null]`.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxDecodeError> {
        use minicbor::data::Type;
        let shape = |e: minicbor::decode::Error| TxDecodeError::Shape(e.to_string());
        let mut d = minicbor::Decoder::new(bytes);
        match d.array().map_err(shape)? {
            Some(4) => {}
            other => return Err(TxDecodeError::Shape(format!("expected 4 elements, found {other:?}"))),
        }
        let item = |d: &mut minicbor::Decoder<'_>| -> Result<Vec<u8>, TxDecodeError> {
            let start = d.position();
            d.skip().map_err(shape)?;
            Ok(bytes[start..d.position()].to_vec())
        };
        let body = item(&mut d)?;
        let witnesses = item(&mut d)?;
        let is_valid = d.bool().map_err(shape)?;
        let aux = if d.datatype().map_err(shape)? == Type::Null {
            d.skip().map_err(shape)?;
            None
        } else {
            Some(item(&mut d)?)
        };
        if d.position() != bytes.len() {
            return Err(TxDecodeError::Shape(format!(
                "{} trailing bytes",
                bytes.len() - d.position()
            )));
        }
        Self::from_parts(body, witnesses, is_valid, aux)
    }

    /// The whole transaction's CBOR.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size() as usize + 1);
        out.push(0x84);
        out.extend_from_slice(&self.body);
        out.extend_from_slice(&self.witnesses);
        out.push(if self.is_valid { 0xf5 } else { 0xf4 });
        match &self.auxiliary_data {
            Some(a) => out.extend_from_slice(a),
            None => out.push(0xf6),
        }
        out
    }

    /// The transaction id: blake2b-256 of the body's exact bytes.
    pub fn id(&self) -> TxId {
        self.id
    }

    /// The size fees and the size limit count: the transaction serialized without its
    /// validity flag (cardano-ledger's `sizeTxF`), one byte less than [`to_cbor`](Self::to_cbor).
    pub fn size(&self) -> u64 {
        (1 + self.body.len() + self.witnesses.len() + self.auxiliary_data.as_ref().map_or(1, Vec::len)) as u64
    }

    /// blake2b-256 of the whole transaction's exact bytes (body, witnesses, validity flag and
    /// auxiliary data): the only identity under which earlier checks of it may be reused.
    pub fn bytes_hash(&self) -> [u8; 32] {
        blake2b256(&[&self.to_cbor()])
    }

    /// The body's exact bytes, as received: what the id hashes and the witnesses sign.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The witness set's exact bytes, as received.
    pub fn witness_bytes(&self) -> &[u8] {
        &self.witnesses
    }

    /// The auxiliary data's exact bytes, `None` when the transaction carries null.
    pub fn auxiliary_data(&self) -> Option<&[u8]> {
        self.auxiliary_data.as_deref()
    }

    /// The phase-2 validity flag: false when the submitter says a Plutus script fails, and the
    /// transaction then only forfeits its collateral.
    pub fn is_valid(&self) -> bool {
        self.is_valid
    }

    /// The execution units its redeemers declare, summed (0 when it carries none); a repeated
    /// purpose counts once, its last redeemer, as decoding keeps it.
    pub fn declared_ex_units(&self) -> crate::params::ExUnits {
        self.decoded_witnesses()
            .map(|w| {
                redeemer_units(&w)
                    .values()
                    .fold(Default::default(), |acc: crate::params::ExUnits, u| {
                        acc.saturating_add(*u)
                    })
            })
            .unwrap_or_default()
    }

    /// The body, decoded.
    pub fn decoded_body(&self) -> Result<TransactionBody<'_>, TxDecodeError> {
        exact(&self.body).map_err(TxDecodeError::Body)
    }

    /// The outputs the transaction creates, in order, each with its exact bytes.
    pub fn outputs(&self) -> Result<Vec<crate::state::TxOut>, TxDecodeError> {
        let body = self.decoded_body()?;
        Ok(body
            .outputs
            .iter()
            .map(|o| crate::state::TxOut::from_output(o, crate::rules::tx_view::raw_output(o)))
            .collect())
    }

    /// The witness set, decoded.
    pub fn decoded_witnesses(&self) -> Result<WitnessSet<'_>, TxDecodeError> {
        exact(&self.witnesses).map_err(TxDecodeError::Witnesses)
    }
}

/// Decodes `bytes` as one `T` with nothing left over.
fn exact<'b, T: minicbor::Decode<'b, ()>>(bytes: &'b [u8]) -> Result<T, String> {
    let mut d = minicbor::Decoder::new(bytes);
    let v = d.decode().map_err(|e| e.to_string())?;
    if d.position() != bytes.len() {
        return Err(format!("{} trailing bytes", bytes.len() - d.position()));
    }
    Ok(v)
}

/// The units each redeemer declares, by (tag number, index); a repeated purpose keeps the last.
pub(crate) fn redeemer_units(w: &WitnessSet<'_>) -> std::collections::BTreeMap<(u8, u32), crate::params::ExUnits> {
    use pallas_primitives::conway::Redeemers;
    let units = |u: &pallas_primitives::conway::ExUnits| crate::params::ExUnits {
        mem: u.mem,
        steps: u.steps,
    };
    match w.redeemer.as_deref() {
        Some(Redeemers::List(l)) => l
            .iter()
            .map(|r| ((crate::rules::tag_number(r.tag), r.index), units(&r.ex_units)))
            .collect(),
        Some(Redeemers::Map(m)) => m
            .iter()
            .map(|(k, v)| ((crate::rules::tag_number(k.tag), k.index), units(&v.ex_units)))
            .collect(),
        None => Default::default(),
    }
}
