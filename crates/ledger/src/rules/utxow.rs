//! UTXOW (Conway `UTXOW`, Babbage/Alonzo/Shelley's witness checks it reuses): the keys a
//! transaction's inputs need, every signature verified over the transaction id, every required
//! key present, and the auxiliary data hash.

use std::collections::BTreeSet;

use pallas_primitives::conway::{TransactionBody, WitnessSet};
use slotforge_praos::nonce::{blake2b224, blake2b256};

use crate::address::payment_key;
use crate::error::LedgerError;
use crate::state::{LedgerState, TxIn};
use crate::tx::Transaction;

/// The payment keys that must sign for spending `inputs` (`witsVKeyNeeded`'s inputs part).
pub(super) fn spending_keys(
    state: &LedgerState,
    inputs: &BTreeSet<TxIn>,
    required: &mut BTreeSet<[u8; 28]>,
) -> Result<(), LedgerError> {
    for i in inputs {
        let out = &state.utxo[i];
        match payment_key(&out.address) {
            Some(Ok(h)) => {
                required.insert(h);
            }
            Some(Err(())) => return Err(LedgerError::Unsupported("spending from a script address")),
            None => return Err(LedgerError::Unsupported("spending from a Byron address")),
        }
    }
    Ok(())
}

/// UTXOW: every signature verifies over the id, every required key signed, and the
/// auxiliary data hash matches.
pub(super) fn check_witnesses(
    wits: &WitnessSet<'_>,
    body: &TransactionBody<'_>,
    tx: &Transaction,
    required: &BTreeSet<[u8; 28]>,
) -> Result<(), LedgerError> {
    let id = tx.id();
    let mut signed = BTreeSet::new();
    for w in wits.vkeywitness.iter().flat_map(|s| s.iter()) {
        let vkey: [u8; 32] = w
            .vkey
            .as_slice()
            .try_into()
            .map_err(|_| LedgerError::InvalidWitness(hex::encode(w.vkey.as_slice())))?;
        let sig: [u8; 64] = w
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| LedgerError::InvalidWitness(hex::encode(vkey)))?;
        slotforge_crypto::ed25519::verify(&vkey, &id, &sig)
            .map_err(|_| LedgerError::InvalidWitness(hex::encode(vkey)))?;
        signed.insert(blake2b224(&vkey));
    }
    let missing: Vec<String> = required.difference(&signed).map(hex::encode).collect();
    if !missing.is_empty() {
        return Err(LedgerError::MissingVKeyWitnesses(missing));
    }
    match (body.auxiliary_data_hash, tx.auxiliary_data()) {
        (None, None) => {}
        (None, Some(_)) => return Err(LedgerError::MissingAuxiliaryDataHash),
        (Some(_), None) => return Err(LedgerError::MissingAuxiliaryData),
        (Some(h), Some(a)) => {
            if *h != blake2b256(&[a]) {
                return Err(LedgerError::AuxiliaryDataHashMismatch);
            }
        }
    }
    Ok(())
}
