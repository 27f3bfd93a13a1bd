//! The UTxO: outputs by input, with an index by address that the rules keep in step.

use std::sync::Arc;

use imbl::OrdMap;
use pallas_codec::minicbor;
use serde::{Deserialize, Serialize};

use super::json::{hex32, hex_vec, pairs};
use super::LedgerState;
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
    /// The output's bytes as they appear in its transaction.
    #[serde(with = "hex_vec")]
    pub cbor: Vec<u8>,
}

impl LedgerState {
    /// Adds an output to the UTxO, and its input to its address's index.
    pub(crate) fn add_output(&mut self, input: TxIn, out: Arc<TxOut>) {
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
        cbor,
    }
}
