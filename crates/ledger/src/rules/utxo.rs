//! UTXO (Conway `UTXO`, with Babbage's output checks): the inputs exist, the validity interval,
//! the size and the fee, each output's network, minimum coin and value size, the body's network
//! id, and value preservation; then the transaction's effect on the UTxO.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pallas_addresses::Address;
use pallas_codec::minicbor;
use pallas_primitives::conway::{TransactionBody, TransactionOutput, Value};

use crate::address::network_byte;
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Assets, LedgerState, TxIn, TxOut};
use crate::tx::Transaction;

/// The transaction's inputs as a set (the reference's `Set TxIn`; decoding already refuses a
/// repeated input), after checking that it spends at least one and that every spent or
/// referenced input is in the UTxO.
pub(super) fn resolve_inputs(state: &LedgerState, body: &TransactionBody<'_>) -> Result<BTreeSet<TxIn>, LedgerError> {
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
    Ok(inputs)
}

/// What the balance of a transaction takes beyond its inputs and outputs.
pub(super) struct Balance {
    /// Lovelace withdrawn from reward accounts.
    pub withdrawn: u64,
    /// Deposits paid by its certificates.
    pub deposits: u64,
    /// Deposits refunded by its certificates.
    pub refunds: u64,
}

/// Checks the validity interval, size, fee, outputs, network id and value preservation; returns
/// the outputs as the UTxO will hold them.
pub(super) fn check(
    state: &LedgerState,
    p: &LedgerParams,
    slot: u64,
    tx: &Transaction,
    body: &TransactionBody<'_>,
    inputs: &BTreeSet<TxIn>,
    balance: &Balance,
) -> Result<Vec<TxOut>, LedgerError> {
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
    for i in inputs {
        let o = &state.utxo[i];
        consumed += o.coin as u128;
        add_assets(&mut consumed_assets, &o.assets);
    }
    consumed += balance.withdrawn as u128 + balance.refunds as u128;
    let mut produced_assets = Assets::new();
    let mut produced = body.fee as u128 + balance.deposits as u128;
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
    Ok(outputs)
}

/// The transaction's effect: its inputs leave the UTxO, its outputs enter it, its fee goes to
/// the fee pot and the deposit pot moves by its certificates.
pub(super) fn apply_effects(
    state: &mut LedgerState,
    tx: &Transaction,
    fee: u64,
    inputs: &BTreeSet<TxIn>,
    outputs: Vec<TxOut>,
    balance: &Balance,
) {
    let id = tx.id();
    for i in inputs {
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
    state.fees = state.fees.saturating_add(fee);
    state.deposits = state
        .deposits
        .saturating_add(balance.deposits)
        .saturating_sub(balance.refunds);
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
