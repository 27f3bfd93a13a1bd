//! The transaction vectors' Plutus V3 spend (scenario 00019: an always-succeeding V3 script at
//! an enterprise script address, key-locked collateral, redeemer and script integrity hash) as
//! a template: the same spend of any output like its own, with any collateral like its own,
//! re-signed — for benchmarks whose blocks carry scripts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use slotforge_crypto::ed25519::{Signer, SigningKey};
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{TxIn, TxOut};
use slotforge_praos::nonce::blake2b256;

const SCENARIO: &str = "scenarios/00019-pass-plutus-spend-fee-at-minimum-including-ex-units-cost.json";
const PARAMETERS: &str = "common/protocolParameters/preprod-conway-v10.json";

/// The spend and what it needs.
pub struct PlutusSpend {
    /// The Plutus V3 cost model its script integrity hash was made with.
    pub v3_cost_model: Vec<i64>,
    /// The script-locked output it spends (10 ADA at the script's enterprise address).
    pub locked: TxOut,
    /// The key-locked output its collateral is (5 ADA at the signer's enterprise address).
    pub collateral: TxOut,
    locked_in: TxIn,
    collateral_in: TxIn,
    body: Vec<u8>,
    witnesses: Vec<u8>,
    signature: [u8; 64],
    signer: SigningKey,
}

/// The transaction scenarios: under `SLOTFORGE_VECTORS`, else `../shared/vectors`.
fn vectors() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
        .join("ledger/transaction")
}

fn read(path: PathBuf) -> serde_json::Value {
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

fn replace(bytes: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(old.len())
        .position(|w| w == old)
        .expect("the bytes to replace");
    [&bytes[..at], new, &bytes[at + old.len()..]].concat()
}

impl PlutusSpend {
    /// Reads the scenario and its parameters from the shared vectors.
    pub fn load() -> Self {
        let scenario = read(vectors().join(SCENARIO));
        let params = read(vectors().join(PARAMETERS));
        let v3_cost_model = serde_json::from_value(params["plutusCostModels"]["plutusV3"].clone()).unwrap();
        let hex_field = |v: &serde_json::Value| hex::decode(v.as_str().unwrap()).unwrap();
        let utxo: BTreeMap<TxIn, TxOut> = scenario["initialState"]["utxo"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    TxIn::decode(&hex_field(&e["input"])).unwrap(),
                    TxOut::decode(&hex_field(&e["output"])).unwrap(),
                )
            })
            .collect();
        let tx = Transaction::decode(&hex_field(&scenario["transaction"])).unwrap();
        let locked_in = TxIn {
            tx: [0x11; 32],
            index: 0,
        };
        let collateral_in = TxIn {
            tx: [0x22; 32],
            index: 0,
        };
        let signer = SigningKey::from_bytes(&[0x42; 32]);
        PlutusSpend {
            v3_cost_model,
            locked: utxo[&locked_in].clone(),
            collateral: utxo[&collateral_in].clone(),
            locked_in,
            collateral_in,
            body: tx.body_bytes().to_vec(),
            witnesses: tx.witness_bytes().to_vec(),
            signature: signer.sign(&tx.id()).to_bytes(),
            signer,
        }
    }

    /// The spend of `input` (holding an output like [`Self::locked`]) with `collateral` (like
    /// [`Self::collateral`]); both at index 0 of their transactions.
    pub fn spend(&self, input: TxIn, collateral: TxIn) -> Transaction {
        assert_eq!((input.index, collateral.index), (0, 0), "the template's indexes");
        let body = replace(&self.body, &self.locked_in.tx, &input.tx);
        let body = replace(&body, &self.collateral_in.tx, &collateral.tx);
        let signature = self.signer.sign(&blake2b256(&[&body])).to_bytes();
        let witnesses = replace(&self.witnesses, &self.signature, &signature);
        Transaction::from_parts(body, witnesses, true, None).unwrap()
    }

    /// The script's address with a stake part of its own: outputs there are spent like
    /// [`Self::locked`] (the spend depends on the payment credential only).
    pub fn script_address(&self, stake: &[u8; 28]) -> Vec<u8> {
        let enterprise = &self.locked.address;
        // 0x70 | network: script payment, no stake part → 0x10 | network: script, key stake.
        let mut a = vec![0x10 | (enterprise[0] & 0x0f)];
        a.extend_from_slice(&enterprise[1..29]);
        a.extend_from_slice(stake);
        a
    }
}
