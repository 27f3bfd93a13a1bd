//! The UTxO: outputs by input, with an index by address that the rules keep in step.

use std::sync::Arc;

use imbl::OrdMap;
use pallas_codec::minicbor;
use pallas_primitives::conway::{DatumOption, ScriptRef, TransactionOutput, Value};
use serde::{Deserialize, Serialize};

use super::json::{hex32, hex_vec, pairs};
use super::LedgerState;
use crate::cbor_lengths::{end, map_head, Enc};
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

    /// The output as cardano-ledger writes it (Babbage's `EncCBOR`), whatever form it was made
    /// in: `[address, value]` without datum or script, `[address, value, datumHash]` with a
    /// datum hash alone, else `{0: address, 1: value, 2: datum, 3: #6.24(script)}`; the value
    /// the coin alone without assets.
    pub fn reference_cbor(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let e = &mut minicbor::Encoder::new(&mut out);
        let value = |e: &mut Enc<'_>| {
            if self.assets.is_empty() {
                let _ = e.u64(self.coin);
                return;
            }
            let _ = e.array(2).and_then(|e| e.u64(self.coin));
            map_head(e, self.assets.len());
            for (policy, names) in &self.assets {
                let _ = e.bytes(policy);
                map_head(e, names.len());
                for (name, q) in names {
                    let _ = e.bytes(name).and_then(|e| e.u64(*q));
                }
                end(e, names.len());
            }
            end(e, self.assets.len());
        };
        match (&self.datum, &self.script_ref) {
            (None, None) => {
                let _ = e.array(2).and_then(|e| e.bytes(&self.address));
                value(e);
            }
            (Some(Datum::Hash(h)), None) => {
                let _ = e.array(3).and_then(|e| e.bytes(&self.address));
                value(e);
                let _ = e.bytes(h);
            }
            (datum, script) => {
                let n = 2 + u64::from(datum.is_some()) + u64::from(script.is_some());
                let _ = e
                    .map(n)
                    .and_then(|e| e.u8(0))
                    .and_then(|e| e.bytes(&self.address))
                    .and_then(|e| e.u8(1));
                value(e);
                match datum {
                    Some(Datum::Hash(h)) => {
                        let _ = e
                            .u8(2)
                            .and_then(|e| e.array(2))
                            .and_then(|e| e.u8(0))
                            .and_then(|e| e.bytes(h));
                    }
                    Some(Datum::Inline(d)) => {
                        let _ = e
                            .u8(2)
                            .and_then(|e| e.array(2))
                            .and_then(|e| e.u8(1))
                            .and_then(|e| e.tag(minicbor::data::Tag::new(24)))
                            .and_then(|e| e.bytes(d));
                    }
                    None => {}
                }
                if let Some(s) = script {
                    // `#6.24` of `[0, native]` or `[language + 1, bytes]`.
                    let mut inner = Vec::new();
                    let i = &mut minicbor::Encoder::new(&mut inner);
                    let _ = match s {
                        Script::Native(n) => {
                            let _ = i.array(2).and_then(|i| i.u8(0));
                            i.writer_mut().extend_from_slice(n);
                            Ok(&mut *i)
                        }
                        Script::Plutus(l, b) => i.array(2).and_then(|i| i.u8(l.key() + 1)).and_then(|i| i.bytes(b)),
                    };
                    let _ = e
                        .u8(3)
                        .and_then(|e| e.tag(minicbor::data::Tag::new(24)))
                        .and_then(|e| e.bytes(&inner));
                }
            }
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn out(cbor: &str) -> TxOut {
        TxOut::decode(&hex::decode(cbor).unwrap()).unwrap()
    }

    /// The fields the output carries, whatever its bytes.
    fn fields(o: &TxOut) -> (Vec<u8>, u64, Assets, Option<Datum>, Option<Script>) {
        (
            o.address.clone(),
            o.coin,
            o.assets.clone(),
            o.datum.clone(),
            o.script_ref.clone(),
        )
    }

    #[test]
    fn outputs_are_written_in_the_form_the_reference_writes() {
        let address = format!("581d60{}", "11".repeat(28));
        let cases = [
            // Map form, no datum or script: the reference writes the legacy pair.
            (format!("a200{address}011a000f4240"), format!("82{address}1a000f4240")),
            // Map form with a datum hash alone: the legacy triple.
            (
                format!("a300{address}01050282005820{}", "22".repeat(32)),
                format!("83{address}055820{}", "22".repeat(32)),
            ),
            // Legacy form with assets stays as it is.
            (
                format!("82{address}8201a1581c{}a14161 01", "33".repeat(28)).replace(' ', ""),
                format!("82{address}8201a1581c{}a1416101", "33".repeat(28)),
            ),
            // An inline datum and a reference script: the map, the script under `#6.24`.
            (
                format!("a400{address}0102028201d8184107 03d81847820344 01020304").replace(' ', ""),
                format!("a400{address}0102028201d8184107 03d81847820344 01020304").replace(' ', ""),
            ),
        ];
        for (made, reference) in cases {
            let o = out(&made);
            assert_eq!(hex::encode(o.reference_cbor()), reference, "{made}");
            assert_eq!(fields(&out(&reference)), fields(&o), "{made}");
        }
    }
}
