//! Phase-1 transaction rules and the transaction's effects on the state, in the reference's
//! order (Conway `LEDGER`: `CERTS`, withdrawals before certificates, then `UTXOW` witnesses,
//! then `UTXO`).
//! Certificates are in `certs`; each failure is its own `LedgerError` kind named after the
//! reference rule's predicate failure; the first failure is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pallas_addresses::{Address, Network, ShelleyDelegationPart, ShelleyPaymentPart, StakePayload};
use pallas_codec::minicbor;
use pallas_primitives::conway::{TransactionBody, TransactionOutput, Value};
use slotforge_praos::nonce::{blake2b224, blake2b256};

use super::certs::{self, CertEffects};
use super::{Assets, Credential, LedgerError, LedgerParams, LedgerState, TxIn, TxOut};
use crate::tx::Transaction;

/// Checks every rule for `tx` at `slot` and applies it to `state` (a scratch copy: on error
/// the caller drops it).
pub(super) fn apply(
    state: &mut LedgerState,
    p: &LedgerParams,
    slot: u64,
    tx: &Transaction,
    checks: Checks,
) -> Result<(), LedgerError> {
    if !tx.is_valid() {
        return Err(LedgerError::ValidationTagMismatch);
    }
    let body = tx.decoded_body()?;
    let wits = tx.decoded_witnesses()?;
    refuse_unsupported(&body, &wits)?;

    // Inputs first: the keys that must sign depend on what they spend.
    if body.inputs.is_empty() {
        return Err(LedgerError::InputSetEmpty);
    }
    // A set, as the reference's `Set TxIn` (decoding already refuses a repeated input).
    let inputs: BTreeSet<TxIn> = body
        .inputs
        .iter()
        .map(|i| TxIn {
            tx: *i.transaction_id,
            index: i.index,
        })
        .collect();
    let refs: Vec<TxIn> = body
        .reference_inputs
        .iter()
        .flat_map(|s| s.iter())
        .map(|i| TxIn {
            tx: *i.transaction_id,
            index: i.index,
        })
        .collect();
    let missing: Vec<TxIn> = inputs
        .iter()
        .chain(&refs)
        .filter(|i| !state.utxo.contains_key(*i))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(LedgerError::BadInputs(missing));
    }
    // Withdrawals and certificates: their deposits, refunds and required witnesses.
    let mut required: BTreeSet<[u8; 28]> = BTreeSet::new();
    for i in &inputs {
        let out = &state.utxo[i];
        match payment_key(&out.address) {
            Some(Ok(h)) => {
                required.insert(h);
            }
            Some(Err(())) => return Err(LedgerError::Unsupported("spending from a script address")),
            None => return Err(LedgerError::Unsupported("spending from a Byron address")),
        }
    }
    // Conway CERTS drains the withdrawals first (its base case runs before the first
    // certificate), so a transaction may withdraw a balance and deregister the account.
    let mut withdrawn = 0u64;
    for (account, amount) in body.withdrawals.iter().flat_map(|w| w.iter()) {
        let cred = reward_credential(account, p.network_id)?;
        let balance = state.accounts.get(&cred).map(|a| a.rewards);
        if balance != Some(*amount) {
            return Err(LedgerError::IncorrectWithdrawal {
                account: hex::encode(account.as_slice()),
                requested: *amount,
                balance,
            });
        }
        match cred {
            Credential::Key(h) => {
                required.insert(h);
            }
            Credential::Script(_) => return Err(LedgerError::Unsupported("withdrawals to script credentials")),
        }
        if let Some(a) = state.accounts.get_mut(&cred) {
            a.rewards = 0;
        }
        withdrawn = withdrawn.saturating_add(*amount);
    }
    let effects: CertEffects = certs::apply(state, p, &body, &mut required)?;
    for s in body.required_signers.iter().flat_map(|s| s.iter()) {
        required.insert(**s);
    }

    // UTXOW: signatures over the id, every required key, auxiliary data hash.
    if checks == Checks::Full {
        check_witnesses(&wits, &body, tx, &required)?;
    }
    let id = tx.id();

    // UTXO: validity interval, size, fee, outputs, value.
    let start = body.validity_interval_start;
    let end = body.ttl;
    if start.is_some_and(|s| slot < s) || end.is_some_and(|e| slot >= e) {
        return Err(LedgerError::OutsideValidityInterval { slot, start, end });
    }
    let size = tx.size();
    if size > p.max_tx_size {
        return Err(LedgerError::MaxTxSize {
            size,
            max: p.max_tx_size,
        });
    }
    let min = p.min_fee(size);
    if body.fee < min {
        return Err(LedgerError::FeeTooSmall { min, paid: body.fee });
    }

    // Outputs: network, min UTxO, value size.
    let mut outputs = Vec::with_capacity(body.outputs.len());
    for (index, o) in body.outputs.iter().enumerate() {
        let out = read_output(o, index)?;
        match Address::from_bytes(&out.address) {
            Ok(Address::Shelley(a)) => {
                if network_byte(a.network()) != p.network_id {
                    return Err(LedgerError::WrongNetwork {
                        index,
                        expected: p.network_id,
                    });
                }
            }
            Ok(Address::Byron(_)) => return Err(LedgerError::Unsupported("outputs to Byron addresses")),
            Ok(Address::Stake(_)) | Err(_) => {
                return Err(LedgerError::MalformedAddress {
                    index,
                    message: "not a Shelley payment address".into(),
                })
            }
        }
        let min = p.min_utxo(out.cbor.len() as u64);
        if out.coin < min {
            return Err(LedgerError::OutputTooSmall {
                index,
                coin: out.coin,
                min,
            });
        }
        let vsize = value_size(o);
        if vsize > p.max_value_size {
            return Err(LedgerError::OutputTooBig {
                index,
                size: vsize,
                max: p.max_value_size,
            });
        }
        outputs.push(out);
    }
    if let Some(n) = body.network_id {
        let found = u8::from(n);
        if found != p.network_id {
            return Err(LedgerError::WrongNetworkInTxBody {
                found,
                expected: p.network_id,
            });
        }
    }

    // Value preservation: inputs + withdrawals + refunds = outputs + fee + deposits.
    let mut consumed_assets = Assets::new();
    let mut consumed = 0u128;
    for i in &inputs {
        let o = &state.utxo[i];
        consumed += o.coin as u128;
        add_assets(&mut consumed_assets, &o.assets);
    }
    consumed += withdrawn as u128 + effects.refunds as u128;
    let mut produced_assets = Assets::new();
    let mut produced = body.fee as u128 + effects.deposits as u128;
    for o in &outputs {
        produced += o.coin as u128;
        add_assets(&mut produced_assets, &o.assets);
    }
    if consumed != produced || consumed_assets != produced_assets {
        let show = |a: &Assets| {
            if a.is_empty() {
                String::new()
            } else {
                format!(" and {} asset classes", a.values().map(BTreeMap::len).sum::<usize>())
            }
        };
        return Err(LedgerError::ValueNotConserved {
            consumed: consumed.min(u64::MAX as u128) as u64,
            produced: produced.min(u64::MAX as u128) as u64,
            consumed_assets: show(&consumed_assets),
            produced_assets: show(&produced_assets),
        });
    }

    // Effects.
    for i in &inputs {
        state.remove_output(i);
    }
    for (index, out) in outputs.into_iter().enumerate() {
        state.add_output(
            TxIn {
                tx: id,
                index: index as u64,
            },
            Arc::new(out),
        );
    }
    state.fees = state.fees.saturating_add(body.fee);
    state.deposits = state
        .deposits
        .saturating_add(effects.deposits)
        .saturating_sub(effects.refunds);
    Ok(())
}

/// How much of a transaction to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Every rule.
    Full,
    /// Every rule that depends on the ledger state: for a transaction already fully checked.
    /// Witnesses and the auxiliary data hash depend only on the transaction's bytes and on the
    /// addresses its inputs name, which a given input always resolves to (cardano-ledger's
    /// `reapplyTx` skips them likewise).
    Reapply,
}

/// UTXOW: every signature verifies over the id, every required key signed, and the
/// auxiliary data hash matches.
fn check_witnesses(
    wits: &pallas_primitives::conway::WitnessSet<'_>,
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

/// Refuses what this ledger does not implement, naming the feature.
fn refuse_unsupported(
    body: &TransactionBody<'_>,
    wits: &pallas_primitives::conway::WitnessSet<'_>,
) -> Result<(), LedgerError> {
    let u = |f| Err(LedgerError::Unsupported(f));
    if body.voting_procedures.is_some() {
        return u("governance: voting procedures");
    }
    if body.proposal_procedures.is_some() {
        return u("governance: proposal procedures");
    }
    if body.treasury_value.is_some() || body.donation.is_some() {
        return u("governance: treasury value and donations");
    }
    if body.mint.is_some() {
        return u("minting (needs scripts)");
    }
    if body.collateral.is_some()
        || body.collateral_return.is_some()
        || body.total_collateral.is_some()
        || body.script_data_hash.is_some()
    {
        return u("Plutus scripts (collateral and script data)");
    }
    if wits.plutus_v1_script.is_some()
        || wits.plutus_v2_script.is_some()
        || wits.plutus_v3_script.is_some()
        || wits.plutus_data.is_some()
        || wits.redeemer.is_some()
    {
        return u("Plutus scripts");
    }
    if wits.native_script.is_some() {
        return u("native scripts");
    }
    if wits.bootstrap_witness.is_some() {
        return u("Byron bootstrap witnesses");
    }
    Ok(())
}

fn network_byte(n: Network) -> u8 {
    match n {
        Network::Testnet => 0,
        Network::Mainnet => 1,
        Network::Other(x) => x,
    }
}

/// The payment key hash of a Shelley address; Err for a script, None for Byron or malformed.
pub(super) fn payment_key(address: &[u8]) -> Option<Result<[u8; 28], ()>> {
    match Address::from_bytes(address).ok()? {
        Address::Shelley(a) => Some(match a.payment() {
            ShelleyPaymentPart::Key(h) => Ok(**h),
            ShelleyPaymentPart::Script(_) => Err(()),
        }),
        _ => None,
    }
}

/// The stake credential of a base address (pointer and enterprise addresses have none here).
pub(super) fn stake_credential(address: &[u8]) -> Option<Credential> {
    match Address::from_bytes(address).ok()? {
        Address::Shelley(a) => match a.delegation() {
            ShelleyDelegationPart::Key(h) => Some(Credential::Key(**h)),
            ShelleyDelegationPart::Script(h) => Some(Credential::Script(**h)),
            _ => None,
        },
        _ => None,
    }
}

/// The credential of a reward account, on this network.
pub(super) fn reward_credential(account: &[u8], network: u8) -> Result<Credential, LedgerError> {
    let wrong = || LedgerError::WrongNetworkWithdrawal(hex::encode(account));
    match Address::from_bytes(account) {
        Ok(Address::Stake(s)) => {
            if network_byte(s.network()) != network {
                return Err(wrong());
            }
            Ok(match s.payload() {
                StakePayload::Stake(h) => Credential::Key(**h),
                StakePayload::Script(h) => Credential::Script(**h),
            })
        }
        _ => Err(wrong()),
    }
}

fn read_output(o: &TransactionOutput<'_>, index: usize) -> Result<TxOut, LedgerError> {
    let (address, value, cbor) = match o {
        TransactionOutput::Legacy(l) => {
            let value = match &l.amount {
                pallas_primitives::alonzo::Value::Coin(c) => Value::Coin(*c),
                pallas_primitives::alonzo::Value::Multiasset(c, m) => {
                    let mut assets = BTreeMap::new();
                    for (policy, names) in m.iter() {
                        let mut inner = BTreeMap::new();
                        for (name, q) in names.iter() {
                            let q = pallas_primitives::PositiveCoin::try_from(*q).map_err(|_| {
                                LedgerError::MalformedAddress {
                                    index,
                                    message: "an asset quantity of zero".into(),
                                }
                            })?;
                            inner.insert(name.clone(), q);
                        }
                        assets.insert(*policy, inner);
                    }
                    Value::Multiasset(*c, assets)
                }
            };
            (l.address.to_vec(), value, l.raw_cbor().to_vec())
        }
        TransactionOutput::PostAlonzo(p) => {
            if p.script_ref.is_some() {
                return Err(LedgerError::Unsupported("reference scripts"));
            }
            (p.address.to_vec(), p.value.clone(), p.raw_cbor().to_vec())
        }
    };
    let (coin, assets) = match value {
        Value::Coin(c) => (c, Assets::new()),
        Value::Multiasset(c, m) => {
            let mut assets = Assets::new();
            for (policy, names) in m.iter() {
                let entry = assets.entry(**policy).or_default();
                for (name, q) in names.iter() {
                    entry.insert(name.to_vec(), u64::from(q));
                }
            }
            (c, assets)
        }
    };
    Ok(TxOut {
        address,
        coin,
        assets,
        cbor,
    })
}

/// The serialized size of an output's value.
fn value_size(o: &TransactionOutput<'_>) -> u64 {
    let mut buf = Vec::new();
    let _ = match o {
        TransactionOutput::Legacy(l) => minicbor::encode(&l.amount, &mut buf),
        TransactionOutput::PostAlonzo(p) => minicbor::encode(&p.value, &mut buf),
    };
    buf.len() as u64
}

fn add_assets(into: &mut Assets, from: &Assets) {
    for (policy, names) in from {
        let e = into.entry(*policy).or_default();
        for (name, q) in names {
            let v = e.entry(name.clone()).or_insert(0);
            *v = v.saturating_add(*q);
        }
    }
}
