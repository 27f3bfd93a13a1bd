//! Multi-asset values with signed quantities, for balancing: minting adds, burning subtracts,
//! and two values are equal when every non-zero quantity is (the reference's `MaryValue`).

use std::collections::BTreeMap;

use crate::state::TxOut;

/// Lovelace and native assets, signed, without zero entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiValue {
    /// Lovelace.
    pub coin: i128,
    /// Quantities by policy id and asset name; never zero.
    pub assets: BTreeMap<[u8; 28], BTreeMap<Vec<u8>, i128>>,
}

impl MultiValue {
    /// Adds `q` of an asset, dropping it when the sum is zero.
    pub fn add_asset(&mut self, policy: [u8; 28], name: Vec<u8>, q: i128) {
        let names = self.assets.entry(policy).or_default();
        let v = names.entry(name.clone()).or_insert(0);
        *v += q;
        if *v == 0 {
            names.remove(&name);
        }
        if names.is_empty() {
            self.assets.remove(&policy);
        }
    }

    /// Adds an output's value.
    pub fn add_output(&mut self, o: &TxOut) {
        self.coin += o.coin as i128;
        for (policy, names) in &o.assets {
            for (name, q) in names {
                self.add_asset(*policy, name.clone(), *q as i128);
            }
        }
    }

    /// Subtracts an output's value.
    pub fn sub_output(&mut self, o: &TxOut) {
        self.coin -= o.coin as i128;
        for (policy, names) in &o.assets {
            for (name, q) in names {
                self.add_asset(*policy, name.clone(), -(*q as i128));
            }
        }
    }

    /// Whether the value holds lovelace only.
    pub fn is_coin_only(&self) -> bool {
        self.assets.is_empty()
    }

    /// Empty when there are no assets, else " and N asset classes", for messages.
    pub fn describe_assets(&self) -> String {
        let n: usize = self.assets.values().map(BTreeMap::len).sum();
        if n == 0 {
            String::new()
        } else {
            format!(" and {n} asset classes")
        }
    }
}
