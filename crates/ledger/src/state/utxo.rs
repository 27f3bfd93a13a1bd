//! The UTxO: outputs by input, with an index by address that the rules keep in step.

use std::sync::Arc;

use imbl::OrdMap;
use pallas_codec::minicbor;
use pallas_primitives::conway::{DatumOption, ScriptRef, TransactionOutput, Value};
use serde::{Deserialize, Serialize};

use super::json::{hex32, hex_vec, pairs};
use super::LedgerState;
use crate::params::Language;
use crate::script::Script;
use crate::tx::TxId;

/// A reference to a transaction output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TxIn {
    /// The id of the transaction that made the output: blake2b-256 of its body.
    #[serde(with = "hex32")]
    pub tx: TxId,
    /// The output's position in that transaction's outputs, from 0.
    pub index: u64,
}

impl std::fmt::Display for TxIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", hex::encode(self.tx), self.index)
    }
}

impl TxIn {
    /// Decodes a `transaction_input` (`[id, index]`).
    pub fn decode(bytes: &[u8]) -> Result<TxIn, String> {
        let i: pallas_primitives::TransactionInput = minicbor::decode(bytes).map_err(|e| e.to_string())?;
        Ok(TxIn {
            tx: *i.transaction_id,
            index: i.index,
        })
    }
}

/// The datum an output carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Datum {
    /// The hash of a datum the spender supplies.
    Hash(#[serde(with = "hex32")] [u8; 32]),
    /// The datum itself, its CBOR as written.
    Inline(#[serde(with = "hex_vec")] Vec<u8>),
}

/// Native assets by policy id and asset name.
pub type Assets = std::collections::BTreeMap<[u8; 28], std::collections::BTreeMap<Vec<u8>, u64>>;

/// An unspent output: its exact CBOR and what the ledger reads of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOut {
    /// The address's raw bytes (header byte, then credentials).
    #[serde(with = "hex_vec")]
    pub address: Vec<u8>,
    /// The lovelace the output holds.
    pub coin: u64,
    /// The native assets the output holds, by policy id and asset name.
    #[serde(with = "pairs")]
    pub assets: Assets,
    /// The datum (hash or inline), if any.
    #[serde(default)]
    pub datum: Option<Datum>,
    /// The reference script, if any.
    #[serde(default)]
    pub script_ref: Option<Script>,
    /// The output's bytes as they appear in its transaction.
    #[serde(with = "hex_vec")]
    pub cbor: Vec<u8>,
}

impl TxOut {
    /// Decodes an output from its CBOR (legacy or post-Alonzo form).
    pub fn decode(bytes: &[u8]) -> Result<TxOut, String> {
        let o: TransactionOutput<'_> = minicbor::decode(bytes).map_err(|e| e.to_string())?;
        Ok(TxOut::from_output(&o, bytes.to_vec()))
    }

    /// What the ledger reads of a decoded output whose exact bytes are `cbor`.
    pub fn from_output(o: &TransactionOutput<'_>, cbor: Vec<u8>) -> TxOut {
        let (address, value, datum, script_ref) = match o {
            TransactionOutput::Legacy(l) => {
                let value = match &l.amount {
                    pallas_primitives::alonzo::Value::Coin(c) => (*c, Assets::new()),
                    pallas_primitives::alonzo::Value::Multiasset(c, m) => {
                        let mut assets = Assets::new();
                        for (policy, names) in m.iter() {
                            let e = assets.entry(**policy).or_default();
                            for (name, q) in names.iter() {
                                e.insert(name.to_vec(), *q);
                            }
                        }
                        (*c, assets)
                    }
                };
                (l.address.to_vec(), value, l.datum_hash.map(|h| Datum::Hash(*h)), None)
            }
            TransactionOutput::PostAlonzo(p) => {
                let value = match &p.value {
                    Value::Coin(c) => (*c, Assets::new()),
                    Value::Multiasset(c, m) => {
                        let mut assets = Assets::new();
                        for (policy, names) in m.iter() {
                            let e = assets.entry(**policy).or_default();
                            for (name, q) in names.iter() {
                                e.insert(name.to_vec(), u64::from(q));
                            }
                        }
                        (*c, assets)
                    }
                };
                let datum = p.datum_option.as_ref().map(|d| match &**d {
                    DatumOption::Hash(h) => Datum::Hash(**h),
                    DatumOption::Data(w) => Datum::Inline(w.0.raw_cbor().to_vec()),
                });
                let script = p.script_ref.as_ref().map(|r| match &r.0 {
                    ScriptRef::NativeScript(n) => Script::Native(n.raw_cbor().to_vec()),
                    ScriptRef::PlutusV1Script(s) => Script::Plutus(Language::V1, s.0.to_vec()),
                    ScriptRef::PlutusV2Script(s) => Script::Plutus(Language::V2, s.0.to_vec()),
                    ScriptRef::PlutusV3Script(s) => Script::Plutus(Language::V3, s.0.to_vec()),
                });
                (p.address.to_vec(), value, datum, script)
            }
        };
        TxOut {
            address,
            coin: value.0,
            assets: value.1,
            datum,
            script_ref,
            cbor,
        }
    }
}

impl LedgerState {
    /// Adds an output to the UTxO, and its input to its address's index.
    pub fn add_output(&mut self, input: TxIn, out: Arc<TxOut>) {
        self.utxo_by_address
            .entry(out.address.clone())
            .or_default()
            .insert(input);
        self.utxo.insert(input, out);
    }

    /// Removes an output from the UTxO and from its address's index.
    pub(crate) fn remove_output(&mut self, input: &TxIn) {
        if let Some(out) = self.utxo.remove(input) {
            if let Some(set) = self.utxo_by_address.get_mut(&out.address) {
                set.remove(input);
                if set.is_empty() {
                    self.utxo_by_address.remove(&out.address);
                }
            }
        }
    }

    /// Rebuilds the address index from the UTxO (after reading a state back).
    pub fn reindex(&mut self) {
        let mut index: OrdMap<Vec<u8>, imbl::OrdSet<TxIn>> = OrdMap::new();
        for (i, o) in self.utxo.iter() {
            index.entry(o.address.clone()).or_default().insert(*i);
        }
        self.utxo_by_address = index;
    }

    /// The outputs at `address`, in input order, after the input `after` (exclusive).
    pub fn utxos_at<'a>(
        &'a self,
        address: &[u8],
        after: Option<TxIn>,
    ) -> impl Iterator<Item = (TxIn, &'a Arc<TxOut>)> + 'a {
        use std::ops::Bound;
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.utxo_by_address
            .get(address)
            .into_iter()
            .flat_map(move |set| set.range((from, Bound::Unbounded)))
            .filter_map(|i| self.utxo.get(i).map(|o| (*i, o)))
    }
}

/// The UTxO entry of a genesis address: the pseudo transaction id is blake2b-256 of the
/// address bytes, index 0 (cardano-ledger's `initialFundsPseudoTxIn`).
pub fn genesis_txin(address: &[u8]) -> TxIn {
    TxIn {
        tx: slotforge_praos::nonce::blake2b256(&[address]),
        index: 0,
    }
}

pub(super) fn genesis_output(address: &[u8], coin: u64) -> TxOut {
    // [address, coin] — a legacy-shaped output, as genesis outputs are.
    let mut cbor = Vec::with_capacity(address.len() + 12);
    let mut e = minicbor::Encoder::new(&mut cbor);
    // Writing to a Vec cannot fail.
    let _ = e.array(2).and_then(|e| e.bytes(address)).and_then(|e| e.u64(coin));
    TxOut {
        address: address.to_vec(),
        coin,
        assets: Assets::new(),
        datum: None,
        script_ref: None,
        cbor,
    }
}
