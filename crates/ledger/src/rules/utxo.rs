//! UTXO (Conway `UTXO`, Babbage's `utxoTransition` with the Alonzo and Shelley checks it
//! reuses), in the reference's order: inputs disjoint from reference inputs, the validity
//! interval, a non-empty input set, the fee and the collateral (`feesOK`), every input known,
//! value preservation (minting and burning, deposits, refunds, withdrawals, donations), the
//! outputs' minimum coin, value size, Byron attributes and network, the withdrawals' and the
//! body's network, the size, the execution units and the number of collateral inputs. Every
//! failure is reported.

use std::collections::BTreeSet;

use pallas_addresses::Address;
use pallas_codec::minicbor;
use pallas_primitives::conway::{TransactionOutput, Value};

use super::tx_view::TxView;
use super::Balance;
use crate::address::{address_order, network_byte, reward_account_order};
use crate::error::{LedgerError, OutputBound};
use crate::params::{ExUnits, LedgerParams};
use crate::state::{LedgerState, TxIn, TxOut};
use crate::value::MultiValue;

/// The redeemers' total execution units.
pub(super) fn total_ex_units(tx: &TxView<'_>) -> ExUnits {
    super::utxow::declared_units(tx)
        .values()
        .fold(ExUnits::default(), |acc, u| acc.saturating_add(*u))
}

/// Whether the transaction carries redeemers.
pub(super) fn has_redeemers(tx: &TxView<'_>) -> bool {
    use pallas_primitives::conway::Redeemers;
    match tx.wits.redeemer.as_deref() {
        Some(Redeemers::List(l)) => !l.is_empty(),
        Some(Redeemers::Map(m)) => !m.is_empty(),
        None => false,
    }
}

/// The bytes of reference scripts the transaction's inputs and reference inputs carry, each
/// input once (`txNonDistinctRefScriptsSize`).
pub(super) fn ref_scripts_size(state: &LedgerState, tx: &TxView<'_>) -> u64 {
    super::bbody::ref_scripts_size_of(state, &tx.inputs.union(&tx.reference_inputs).copied().collect())
}

/// The minimum fee (`getMinFeeTxUtxo`): size, execution units and reference scripts.
pub(super) fn min_fee(state: &LedgerState, p: &LedgerParams, tx: &TxView<'_>) -> u64 {
    p.min_fee(tx.tx.size())
        .saturating_add(p.script_fee(total_ex_units(tx)))
        .saturating_add(p.ref_script_fee(ref_scripts_size(state, tx)))
}

/// The collateral balance: the collateral inputs' value less the collateral return's.
pub(super) fn collateral_balance(state: &LedgerState, tx: &TxView<'_>) -> MultiValue {
    let mut bal = MultiValue::default();
    for i in &tx.collateral {
        if let Some(o) = state.utxo.get(i) {
            bal.add_output(o);
        }
    }
    if let Some(r) = &tx.collateral_return {
        bal.sub_output(r);
    }
    bal
}

/// Runs UTXO's checks.
pub(super) fn check(
    state: &LedgerState,
    p: &LedgerParams,
    slot: u64,
    tx: &TxView<'_>,
    balance: &Balance,
    failures: &mut Vec<LedgerError>,
) {
    let body = &tx.body;
    if (9..=10).contains(&p.protocol_version.0) {
        let both: Vec<TxIn> = tx.inputs.intersection(&tx.reference_inputs).copied().collect();
        if !both.is_empty() {
            failures.push(LedgerError::NonDisjointRefInputs(both));
        }
    }

    let (start, end) = (body.validity_interval_start, body.ttl);
    if start.is_some_and(|s| slot < s) || end.is_some_and(|e| slot >= e) {
        failures.push(LedgerError::OutsideValidityInterval { slot, start, end });
    }

    if body.inputs.is_empty() {
        failures.push(LedgerError::InputSetEmpty);
    }

    // feesOK: the fee, then the collateral when scripts run.
    let min = min_fee(state, p, tx);
    if body.fee < min {
        failures.push(LedgerError::FeeTooSmall { min, paid: body.fee });
    }
    if has_redeemers(tx) {
        check_collateral(state, p, tx, failures);
    }

    let missing: Vec<TxIn> = tx
        .inputs
        .iter()
        .chain(&tx.collateral)
        .chain(&tx.reference_inputs)
        .filter(|i| !state.utxo.contains_key(*i))
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        failures.push(LedgerError::BadInputs(missing));
    }

    check_value_preserved(state, tx, &tx.outputs, balance, failures);

    let all: Vec<(&TransactionOutput<'_>, &TxOut)> = body
        .outputs
        .iter()
        .zip(&tx.outputs)
        .chain(body.collateral_return.as_ref().zip(tx.collateral_return.as_ref()))
        .collect();
    // Each failure lists every output that breaks its bound, as the reference reports them.
    let too_small: Vec<OutputBound> = all
        .iter()
        .enumerate()
        .filter_map(|(index, (_, out))| {
            let min = p.min_utxo(out.cbor.len() as u64);
            (out.coin < min).then(|| OutputBound {
                index,
                output: out.reference_cbor(),
                actual: out.coin,
                bound: min,
            })
        })
        .collect();
    if !too_small.is_empty() {
        failures.push(LedgerError::OutputTooSmall(too_small));
    }
    let too_big: Vec<OutputBound> = all
        .iter()
        .enumerate()
        .filter_map(|(index, (o, out))| {
            let size = value_size(o);
            (size > p.max_value_size).then(|| OutputBound {
                index,
                output: out.reference_cbor(),
                actual: size,
                bound: p.max_value_size,
            })
        })
        .collect();
    if !too_big.is_empty() {
        // The reference lists them last output first (it prepends as it folds).
        failures.push(LedgerError::OutputTooBig(too_big.into_iter().rev().collect()));
    }
    let mut wrong_network: Vec<&[u8]> = Vec::new();
    let mut big_attributes: Vec<(usize, Vec<u8>)> = Vec::new();
    for (index, (_, out)) in all.iter().enumerate() {
        match Address::from_bytes(&out.address) {
            Ok(Address::Shelley(a)) => {
                if network_byte(a.network()) != p.network_id {
                    wrong_network.push(&out.address);
                }
            }
            Ok(Address::Byron(b)) => {
                // `OutputBootAddrAttrsTooBig`: a Byron address's attributes are at most 64 bytes.
                let payload = b.decode().ok();
                let attrs = payload
                    .as_ref()
                    .map(|p| minicbor::to_vec(&p.attributes).map_or(0, |v| v.len()));
                if attrs.is_none_or(|n| n > 64) {
                    big_attributes.push((index, out.reference_cbor()));
                }
                // A Byron address with a network magic is for a testnet, without one for mainnet.
                let testnet = payload.is_some_and(|p| {
                    p.attributes
                        .iter()
                        .any(|a| matches!(a, pallas_addresses::byron::AddrAttrProperty::NetworkTag(_)))
                });
                if u8::from(!testnet) != p.network_id {
                    wrong_network.push(&out.address);
                }
            }
            Ok(Address::Stake(_)) | Err(_) => failures.push(LedgerError::MalformedAddress {
                index,
                message: "not a Shelley payment address".into(),
            }),
        }
    }
    if !big_attributes.is_empty() {
        failures.push(LedgerError::OutputBootAddrAttrsTooBig(big_attributes));
    }
    if !wrong_network.is_empty() {
        wrong_network.sort_by_key(|a| address_order(a));
        wrong_network.dedup();
        failures.push(LedgerError::WrongNetwork {
            expected: p.network_id,
            addresses: wrong_network.into_iter().map(<[u8]>::to_vec).collect(),
        });
    }
    let mut wrong_withdrawals: Vec<Vec<u8>> = body
        .withdrawals
        .iter()
        .flat_map(|w| w.keys())
        .filter(|a| crate::address::reward_credential(a, p.network_id).is_err())
        .map(|a| a.to_vec())
        .collect();
    if !wrong_withdrawals.is_empty() {
        wrong_withdrawals.sort_by(|a, b| reward_account_order(a).cmp(&reward_account_order(b)));
        wrong_withdrawals.dedup();
        failures.push(LedgerError::WrongNetworkWithdrawal {
            expected: p.network_id,
            accounts: wrong_withdrawals,
        });
    }
    if let Some(n) = body.network_id {
        let found = u8::from(n);
        if found != p.network_id {
            failures.push(LedgerError::WrongNetworkInTxBody {
                found,
                expected: p.network_id,
            });
        }
    }
    let size = tx.tx.size();
    if size > p.max_tx_size {
        failures.push(LedgerError::MaxTxSize {
            size,
            max: p.max_tx_size,
        });
    }
    let used = total_ex_units(tx);
    if !used.within(p.max_tx_ex_units) {
        failures.push(LedgerError::ExUnitsTooBig {
            max: p.max_tx_ex_units,
            used,
        });
    }
    let count = tx.collateral.len() as u64;
    if count > p.max_collateral_inputs {
        failures.push(LedgerError::TooManyCollateralInputs {
            max: p.max_collateral_inputs,
            count,
        });
    }
}

/// Babbage's collateral checks (`validateTotalCollateral`), in order: key-locked, ADA only,
/// enough, the declared total, and at least one input in the UTxO.
fn check_collateral(state: &LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let resolved: Vec<(&TxIn, &TxOut)> = tx
        .collateral
        .iter()
        .filter_map(|i| state.utxo.get(i).map(|o| (i, &**o)))
        .collect();
    let script_locked: Vec<(TxIn, Vec<u8>)> = resolved
        .iter()
        .filter(|(_, o)| crate::address::payment_script(&o.address).is_some())
        .map(|(i, o)| (**i, o.reference_cbor()))
        .collect();
    if !script_locked.is_empty() {
        failures.push(LedgerError::ScriptsNotPaid(script_locked));
    }
    let bal = collateral_balance(state, tx);
    if !bal.is_coin_only() {
        // What the reference reports (`validateCollateralContainsNonADA`): the inputs' value,
        // or the return's when the inputs hold ADA only.
        let mut inputs = MultiValue::default();
        for (_, o) in &resolved {
            inputs.add_output(o);
        }
        let reported = match &tx.collateral_return {
            Some(r) if inputs.is_coin_only() => {
                let mut v = MultiValue::default();
                v.add_output(r);
                v
            }
            _ => inputs,
        };
        failures.push(LedgerError::CollateralContainsNonAda(reported));
    }
    let required = (tx.body.fee as u128 * p.collateral_percentage as u128).div_ceil(100);
    if bal.coin * 100 < tx.body.fee as i128 * p.collateral_percentage as i128 {
        failures.push(LedgerError::InsufficientCollateral {
            balance: bal.coin,
            required: u64::try_from(required).unwrap_or(u64::MAX),
        });
    }
    if let Some(total) = tx.body.total_collateral {
        if bal.coin != total as i128 {
            failures.push(LedgerError::IncorrectTotalCollateral {
                balance: bal.coin,
                declared: total,
            });
        }
    }
    if resolved.is_empty() {
        failures.push(LedgerError::NoCollateralInputs);
    }
}

/// consumed = inputs + minted + withdrawals + refunds; produced = outputs + fee + deposits +
/// donation.
fn check_value_preserved(
    state: &LedgerState,
    tx: &TxView<'_>,
    outputs: &[TxOut],
    balance: &Balance,
    failures: &mut Vec<LedgerError>,
) {
    let mut consumed = MultiValue::default();
    for i in &tx.inputs {
        if let Some(o) = state.utxo.get(i) {
            consumed.add_output(o);
        }
    }
    // Minted assets are consumed, burnt ones produced (`getConsumedMaryValue`,
    // `getProducedMaryValue`), so each side is what the reference reports.
    let mut produced = MultiValue::default();
    for (policy, names) in tx.body.mint.iter().flat_map(|m| m.iter()) {
        for (name, q) in names.iter() {
            let q = i64::from(q) as i128;
            let side = if q > 0 { &mut consumed } else { &mut produced };
            side.add_asset(**policy, name.to_vec(), q.abs());
        }
    }
    consumed.coin += balance.withdrawn as i128 + balance.refunds as i128;
    for o in outputs {
        produced.add_output(o);
    }
    produced.coin +=
        tx.body.fee as i128 + balance.deposits as i128 + tx.body.donation.map_or(0, |d| u64::from(d) as i128);
    if consumed != produced {
        failures.push(LedgerError::ValueNotConserved {
            consumed: Box::new(consumed),
            produced: Box::new(produced),
        });
    }
}

/// The serialized size of an output's value.
fn value_size(o: &TransactionOutput<'_>) -> u64 {
    let mut buf = Vec::new();
    let _ = match o {
        TransactionOutput::Legacy(l) => minicbor::encode(&l.amount, &mut buf),
        TransactionOutput::PostAlonzo(p) => match &p.value {
            Value::Coin(_) | Value::Multiasset(..) => minicbor::encode(&p.value, &mut buf),
        },
    };
    buf.len() as u64
}
