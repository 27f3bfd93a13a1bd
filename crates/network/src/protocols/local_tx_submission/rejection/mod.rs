//! A refused transaction's rejection, as cardano-node writes it: the hard-fork combinator's
//! `HardForkApplyTxErr` (`[[6, failures]]` for a Conway transaction the ledger refused, or the
//! two eras' names for a transaction of another era), the failures a list of Conway `LEDGER`
//! predicate failures, each nested as the rules nest (`ConwayUtxowFailure (UtxoFailure …)`,
//! `ConwayCertsFailure (CertFailure (DelegFailure …))`), with the tags and field orders of
//! cardano-ledger-conway 1.20's `EncCBOR` instances.
//!
//! Outputs are written as the reference writes them (the ledger hands them over so). What is
//! this node's own and not a failure of the reference (an output address the ledger cannot
//! read, the evaluator unable to build a context) is written as `ConwayMempoolFailure` with its
//! text, a failure the reference's decoders read like any other.

mod gov;
mod utxos;

use minicbor::Encoder;
use slotforge_ledger::address::reward_account_order;
use slotforge_ledger::value::MultiValue;
use slotforge_ledger::LedgerError;

use crate::protocols::local_state_query::queries::{ERA_CONWAY, ERA_NAMES};

use crate::protocols::codec::Enc;
use crate::protocols::ledger_cbor;

/// The rejection of a Conway transaction the ledger refused for `error`.
pub fn ledger_rejection(error: &LedgerError) -> Vec<u8> {
    // The withdrawals that do not drain their accounts are one failure, where the first is.
    let mut failures: Vec<Failure<'_>> = Vec::new();
    let mut withdrawals: Vec<(Vec<u8>, u64)> = Vec::new();
    for f in error.failures() {
        match f {
            LedgerError::IncorrectWithdrawal { account, requested, .. } if hex::decode(account).is_ok() => {
                if withdrawals.is_empty() {
                    failures.push(Failure::Withdrawals);
                }
                withdrawals.push((hex::decode(account).unwrap_or_default(), *requested));
            }
            other => failures.push(Failure::One(other)),
        }
    }
    // `Map RewardAccount Coin`, in the reference's account order.
    withdrawals.sort_by(|(a, _), (b, _)| reward_account_order(a).cmp(&reward_account_order(b)));
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out);
    let _ = e.array(1).and_then(|e| e.array(2)).and_then(|e| e.u8(ERA_CONWAY));
    ledger_cbor::list(&mut e, &failures, |e, f| match f {
        Failure::One(f) => ledger_failure(e, f),
        // `[2 (ConwayCertsFailure), [0 (WithdrawalsNotInRewardsCERTS), {account => coin}]]`.
        Failure::Withdrawals => {
            let _ = e
                .array(2)
                .and_then(|e| e.u8(2))
                .and_then(|e| e.array(2))
                .and_then(|e| e.u8(0));
            ledger_cbor::map(e, &withdrawals, |e, (account, coin)| {
                let _ = e.bytes(account).and_then(|e| e.u64(*coin));
            });
        }
    });
    out
}

/// One failure of a rejection.
enum Failure<'a> {
    /// A failure written on its own.
    One(&'a LedgerError),
    /// `WithdrawalsNotInRewardsCERTS`, every such withdrawal in it.
    Withdrawals,
}

/// The rejection of a Conway transaction refused before the ledger judged it (the mempool
/// holds it already, or is full): `ConwayMempoolFailure` with the reason.
pub fn mempool_rejection(reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out);
    let _ = e
        .array(1)
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(ERA_CONWAY))
        .and_then(|e| e.array(1));
    mempool_failure(&mut e, reason);
    out
}

/// The rejection of a transaction of another era: `[[txEra, name], [6, "Conway"]]`.
pub fn era_mismatch(tx_era: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out);
    let name = ERA_NAMES.get(usize::from(tx_era)).copied().unwrap_or("unknown");
    let _ = e
        .array(2)
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(tx_era))
        .and_then(|e| e.str(name))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(ERA_CONWAY))
        .and_then(|e| e.str(ERA_NAMES[usize::from(ERA_CONWAY)]));
    out
}

fn mempool_failure(e: &mut Enc<'_>, text: &str) {
    let _ = e.array(2).and_then(|e| e.u8(7)).and_then(|e| e.str(text));
}

/// Hex hashes as the byte strings they are; None when one is not hex.
fn hashes(hex_hashes: &[String]) -> Option<Vec<Vec<u8>>> {
    hex_hashes.iter().map(|h| hex::decode(h).ok()).collect()
}

/// `[1 (ConwayUtxowFailure), [tag, set of hashes]]`; the failure's text if a hash is not hex.
fn hash_set(e: &mut Enc<'_>, f: &LedgerError, tag: u8, hex_hashes: &[String]) {
    match hashes(hex_hashes) {
        Some(mut hs) => utxow(e, |e| {
            tagged(e, 2, tag);
            hs.sort();
            hs.dedup();
            ledger_cbor::set(e, &hs, |e, h| {
                let _ = e.bytes(h);
            });
        }),
        None => mempool_failure(e, &f.to_string()),
    }
}

/// `[1 (ConwayUtxowFailure), [0 (UtxoFailure), failure]]`, the failure written by `put`.
fn utxo(e: &mut Enc<'_>, put: impl FnOnce(&mut Enc<'_>)) {
    let _ = e
        .array(2)
        .and_then(|e| e.u8(1))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(0));
    put(e);
}

/// `[1 (ConwayUtxowFailure), [0 (UtxoFailure), [0 (UtxosFailure), failure]]]`.
fn utxos(e: &mut Enc<'_>, put: impl FnOnce(&mut Enc<'_>)) {
    utxo(e, |e| {
        tagged(e, 2, 0);
        put(e);
    });
}

/// `[1 (ConwayUtxowFailure), failure]`.
fn utxow(e: &mut Enc<'_>, put: impl FnOnce(&mut Enc<'_>)) {
    let _ = e.array(2).and_then(|e| e.u8(1));
    put(e);
}

/// `[2 (ConwayCertsFailure), [1 (CertFailure), [rule, failure]]]`: rule 1 DELEG, 2 POOL, 3 GOVCERT.
fn cert(e: &mut Enc<'_>, rule: u8, put: impl FnOnce(&mut Enc<'_>)) {
    let _ = e
        .array(2)
        .and_then(|e| e.u8(2))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(1))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u8(rule));
    put(e);
}

/// A `MaryValue`: the coin alone, or `[coin, {policy => {name => quantity}}]`.
fn value(e: &mut Enc<'_>, v: &MultiValue) {
    if v.assets.is_empty() {
        let _ = e.i128(v.coin);
        return;
    }
    let _ = e.array(2).and_then(|e| e.i128(v.coin));
    let policies: Vec<_> = v.assets.iter().collect();
    ledger_cbor::map(e, &policies, |e, (policy, names)| {
        let _ = e.bytes(&policy[..]);
        let names: Vec<_> = names.iter().collect();
        ledger_cbor::map(e, &names, |e, (name, q)| {
            let _ = e.bytes(name).and_then(|e| e.i128(**q));
        });
    });
}

/// A set of byte strings (hashes, addresses, reward accounts) in the order given.
fn byte_set<B: AsRef<[u8]>>(e: &mut Enc<'_>, items: &[B]) {
    ledger_cbor::set(e, items, |e, b| {
        let _ = e.bytes(b.as_ref());
    });
}

/// An item kept as its exact CBOR.
fn raw(e: &mut Enc<'_>, item: &[u8]) {
    e.writer_mut().extend_from_slice(item);
}

fn tagged(e: &mut Enc<'_>, n: u64, tag: u8) {
    let _ = e.array(n).and_then(|e| e.u8(tag));
}

fn ledger_failure(e: &mut Enc<'_>, f: &LedgerError) {
    use LedgerError as E;
    match f {
        E::InputSetEmpty => utxo(e, |e| tagged(e, 1, 4)),
        E::BadInputs(ins) => utxo(e, |e| {
            tagged(e, 2, 1);
            let mut ins = ins.clone();
            ins.sort();
            ledger_cbor::set(e, &ins, ledger_cbor::tx_in);
        }),
        E::OutsideValidityInterval { slot, start, end } => utxo(e, |e| {
            tagged(e, 3, 2);
            let _ = e.array(2);
            for bound in [start, end] {
                let _ = match bound {
                    None => e.array(0),
                    Some(s) => e.array(1).and_then(|e| e.u64(*s)),
                };
            }
            let _ = e.u64(*slot);
        }),
        E::MaxTxSize { size, max } => utxo(e, |e| {
            tagged(e, 3, 3);
            let _ = e.u64(*size).and_then(|e| e.u64(*max));
        }),
        E::FeeTooSmall { min, paid } => utxo(e, |e| {
            tagged(e, 3, 5);
            let _ = e.u64(*min).and_then(|e| e.u64(*paid));
        }),
        E::ValueNotConserved { consumed, produced } => utxo(e, |e| {
            tagged(e, 3, 6);
            value(e, consumed);
            value(e, produced);
        }),
        E::WrongNetwork { expected, addresses } => utxo(e, |e| {
            tagged(e, 3, 7);
            let _ = e.u8(*expected);
            byte_set(e, addresses);
        }),
        E::WrongNetworkWithdrawal { expected, accounts } => utxo(e, |e| {
            tagged(e, 3, 8);
            let _ = e.u8(*expected);
            byte_set(e, accounts);
        }),
        E::OutputBootAddrAttrsTooBig(outputs) => utxo(e, |e| {
            tagged(e, 2, 10);
            ledger_cbor::list(e, outputs, |e, (_, out)| raw(e, out));
        }),
        // `[(size, maxValueSize, output)]`.
        E::OutputTooBig(outputs) => utxo(e, |e| {
            tagged(e, 2, 11);
            ledger_cbor::list(e, outputs, |e, o| {
                let _ = e.array(3).and_then(|e| e.u64(o.actual)).and_then(|e| e.u64(o.bound));
                raw(e, &o.output);
            });
        }),
        // The UTxO of the script-locked collateral: `{input => output}`.
        E::ScriptsNotPaid(entries) => utxo(e, |e| {
            tagged(e, 2, 13);
            let mut entries: Vec<_> = entries.iter().collect();
            entries.sort_by_key(|(i, _)| *i);
            ledger_cbor::map(e, &entries, |e, (i, out)| {
                ledger_cbor::tx_in(e, i);
                raw(e, out);
            });
        }),
        E::CollateralContainsNonAda(balance) => utxo(e, |e| {
            tagged(e, 2, 15);
            value(e, balance);
        }),
        // `[(output, minimum)]`.
        E::OutputTooSmall(outputs) => utxo(e, |e| {
            tagged(e, 2, 21);
            ledger_cbor::list(e, outputs, |e, o| {
                let _ = e.array(2);
                raw(e, &o.output);
                let _ = e.u64(o.bound);
            });
        }),
        E::InvalidWitness(keys) => utxow(e, |e| {
            tagged(e, 2, 1);
            ledger_cbor::list(e, keys, |e, k| {
                let _ = e.bytes(k);
            });
        }),
        E::MissingAuxiliaryDataHash(h) => utxow(e, |e| {
            tagged(e, 2, 5);
            let _ = e.bytes(h);
        }),
        E::MissingAuxiliaryData(h) => utxow(e, |e| {
            tagged(e, 2, 6);
            let _ = e.bytes(h);
        }),
        E::AuxiliaryDataHashMismatch { supplied, expected } => utxow(e, |e| {
            tagged(e, 3, 7);
            let _ = e.bytes(supplied).and_then(|e| e.bytes(expected));
        }),
        E::InvalidMetadata => utxow(e, |e| tagged(e, 1, 8)),
        E::MissingRequiredDatums { missing, received } => utxow(e, |e| {
            tagged(e, 3, 11);
            byte_set(e, missing);
            byte_set(e, received);
        }),
        E::NotAllowedSupplementalDatums { unallowed, acceptable } => utxow(e, |e| {
            tagged(e, 3, 12);
            byte_set(e, unallowed);
            byte_set(e, acceptable);
        }),
        // `[(PlutusPurpose AsItem, ScriptHash)]`.
        E::MissingRedeemers(missing) => utxow(e, |e| {
            tagged(e, 2, 10);
            ledger_cbor::list(e, missing, |e, m| {
                let _ = e.array(2);
                raw(e, &m.item);
                let _ = e.bytes(&m.script);
            });
        }),
        // Each `PlutusPurpose AsIx`: `[tag, index]`.
        E::ExtraRedeemers(purposes) => utxow(e, |e| {
            tagged(e, 2, 15);
            ledger_cbor::list(e, purposes, |e, (tag, index)| {
                let _ = e.array(2).and_then(|e| e.u8(*tag)).and_then(|e| e.u32(*index));
            });
        }),
        E::WrongNetworkInTxBody { found, expected } => utxo(e, |e| {
            tagged(e, 3, 16);
            let _ = e.u8(*expected).and_then(|e| e.u8(*found));
        }),
        E::InsufficientCollateral { balance, required } => utxo(e, |e| {
            tagged(e, 3, 12);
            let _ = e.i128(*balance).and_then(|e| e.u64(*required));
        }),
        E::ExUnitsTooBig { max, used } => utxo(e, |e| {
            tagged(e, 3, 14);
            for u in [max, used] {
                let _ = e.array(2).and_then(|e| e.u64(u.mem)).and_then(|e| e.u64(u.steps));
            }
        }),
        E::TooManyCollateralInputs { max, count } => utxo(e, |e| {
            tagged(e, 3, 18);
            let _ = e.u64(*max).and_then(|e| e.u64(*count));
        }),
        E::NoCollateralInputs => utxo(e, |e| tagged(e, 1, 19)),
        E::IncorrectTotalCollateral { balance, declared } => utxo(e, |e| {
            tagged(e, 3, 20);
            let _ = e.i128(*balance).and_then(|e| e.u64(*declared));
        }),
        E::NonDisjointRefInputs(ins) => utxo(e, |e| {
            tagged(e, 2, 22);
            ledger_cbor::list(e, ins, ledger_cbor::tx_in);
        }),
        E::MissingVKeyWitnesses(hs) => match hashes(hs) {
            Some(mut hs) => utxow(e, |e| {
                tagged(e, 2, 2);
                hs.sort();
                hs.dedup();
                ledger_cbor::set(e, &hs, |e, h| {
                    let _ = e.bytes(h);
                });
            }),
            None => mempool_failure(e, &f.to_string()),
        },
        E::MissingScriptWitnesses(hs) => hash_set(e, f, 3, hs),
        E::ScriptWitnessNotValidating(hs) => hash_set(e, f, 4, hs),
        E::ExtraneousScriptWitnesses(hs) => hash_set(e, f, 9, hs),
        E::MalformedScriptWitnesses(hs) => hash_set(e, f, 16, hs),
        E::MalformedReferenceScripts(hs) => hash_set(e, f, 17, hs),
        E::UnspendableUTxONoDatumHash(ins) => utxow(e, |e| {
            tagged(e, 2, 14);
            let mut ins = ins.clone();
            ins.sort();
            ledger_cbor::set(e, &ins, ledger_cbor::tx_in);
        }),
        E::PPViewHashesDontMatch { declared, computed } => {
            match (hashes(declared.as_slice()), hashes(computed.as_slice())) {
                (Some(declared), Some(computed)) => utxow(e, |e| {
                    // `Mismatch supplied expected`, each a `StrictMaybe` hash.
                    tagged(e, 3, 13);
                    for h in [declared, computed] {
                        ledger_cbor::list(e, &h, |e, h| {
                            let _ = e.bytes(h);
                        });
                    }
                }),
                _ => mempool_failure(e, &f.to_string()),
            }
        }
        // At protocol version 10 a wrong deposit and a wrong refund are both
        // `IncorrectDepositDELEG` with the coin the certificate declares.
        E::IncorrectDeposit { declared, .. } | E::IncorrectRefund { declared, .. } => cert(e, 1, |e| {
            tagged(e, 2, 1);
            let _ = e.u64(*declared);
        }),
        E::NonZeroRewardBalance { balance, .. } => cert(e, 1, |e| {
            tagged(e, 2, 4);
            let _ = e.u64(*balance);
        }),
        E::RetirementEpoch { epoch, current, max } => cert(e, 2, |e| {
            // The epoch must be greater than the current one and at most `max`.
            tagged(e, 4, 1);
            let _ = e.u64(*current).and_then(|e| e.u64(*epoch)).and_then(|e| e.u64(*max));
        }),
        E::WrongNetworkPool { expected, found, pool } => cert(e, 2, |e| {
            tagged(e, 4, 4);
            let _ = e.u8(*expected).and_then(|e| e.u8(*found)).and_then(|e| e.bytes(pool));
        }),
        E::PoolMetadataHashTooBig { pool, size } => cert(e, 2, |e| {
            tagged(e, 3, 5);
            let _ = e.bytes(pool).and_then(|e| e.u64(*size as u64));
        }),
        E::StakeAlreadyRegistered(c) => cert(e, 1, |e| {
            tagged(e, 2, 2);
            ledger_cbor::credential(e, c);
        }),
        E::StakeNotRegistered(c) => cert(e, 1, |e| {
            tagged(e, 2, 3);
            ledger_cbor::credential(e, c);
        }),
        E::DRepNotRegisteredDeleg(c) => cert(e, 1, |e| {
            tagged(e, 2, 5);
            ledger_cbor::credential(e, c);
        }),
        E::PoolNotRegistered(pool) => cert(e, 1, |e| {
            tagged(e, 2, 6);
            let _ = e.bytes(pool);
        }),
        E::PoolNotRegisteredOnKey(pool) => cert(e, 2, |e| {
            tagged(e, 2, 0);
            let _ = e.bytes(pool);
        }),
        E::PoolCostTooLow { cost, min } => cert(e, 2, |e| {
            tagged(e, 3, 3);
            let _ = e.u64(*cost).and_then(|e| e.u64(*min));
        }),
        E::DRepAlreadyRegistered(c) => cert(e, 3, |e| {
            tagged(e, 2, 0);
            ledger_cbor::credential(e, c);
        }),
        E::DRepNotRegistered(c) => cert(e, 3, |e| {
            tagged(e, 2, 1);
            ledger_cbor::credential(e, c);
        }),
        E::DRepIncorrectDeposit { expected, declared } => cert(e, 3, |e| {
            tagged(e, 3, 2);
            let _ = e.u64(*declared).and_then(|e| e.u64(*expected));
        }),
        E::DRepIncorrectRefund { expected, declared } => cert(e, 3, |e| {
            tagged(e, 3, 4);
            let _ = e.u64(*declared).and_then(|e| e.u64(*expected));
        }),
        E::CommitteeHasPreviouslyResigned(c) => cert(e, 3, |e| {
            tagged(e, 2, 3);
            ledger_cbor::credential(e, c);
        }),
        E::CommitteeIsUnknown(c) => cert(e, 3, |e| {
            tagged(e, 2, 5);
            ledger_cbor::credential(e, c);
        }),
        E::WdrlNotDelegatedToDRep(hs) => match hashes(hs) {
            Some(hs) => {
                tagged(e, 2, 4);
                ledger_cbor::list(e, &hs, |e, h| {
                    let _ = e.bytes(h);
                });
            }
            None => mempool_failure(e, &f.to_string()),
        },
        E::TreasuryValueMismatch { actual, declared } => {
            tagged(e, 3, 5);
            let _ = e.u64(*actual).and_then(|e| e.u64(*declared));
        }
        E::TxRefScriptsSizeTooBig { size, max } => {
            tagged(e, 3, 6);
            let _ = e.u64(*size).and_then(|e| e.u64(*max));
        }
        // `[0, isValid, description]`.
        E::ValidationTagMismatch { is_valid, failures } => utxos(e, |e| {
            tagged(e, 3, 0);
            let _ = e.bool(*is_valid);
            utxos::tag_mismatch(e, failures);
        }),
        // `[1, [collectError]]`.
        E::CollectErrors(errors) => utxos(e, |e| {
            tagged(e, 2, 1);
            ledger_cbor::list(e, errors, utxos::collect_error);
        }),
        E::Gov(g) => gov::gov_failure(e, g),
        other => mempool_failure(e, &other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slotforge_ledger::state::TxIn;

    #[test]
    fn a_delegation_to_an_unregistered_pool_is_written_as_the_reference_golden_file() {
        // ouroboros-consensus-cardano 0.26, golden `ApplyTxErr_Conway`:
        // `81 82 06 81 82 02 82 01 82 01 82 06 581c<kh>`.
        let kh = [0x11u8; 28];
        let r = ledger_rejection(&LedgerError::PoolNotRegistered(kh));
        assert_eq!(
            hex::encode(r),
            format!("818206818202820182018206581c{}", hex::encode(kh))
        );
    }

    #[test]
    fn bad_inputs_nest_under_utxow_and_utxo_as_a_tagged_set() {
        let i = TxIn { tx: [7; 32], index: 1 };
        let r = ledger_rejection(&LedgerError::BadInputs(vec![i]));
        // [[6, [[1, [0, [1, 258([[txid, 1]])]]]]]]
        assert_eq!(
            hex::encode(r),
            format!("81820681820182008201d9010281825820{}01", hex::encode([7u8; 32]))
        );
    }

    #[test]
    fn several_failures_are_listed_in_order() {
        let r = ledger_rejection(&LedgerError::Failures(vec![
            LedgerError::InputSetEmpty,
            LedgerError::FeeTooSmall { min: 10, paid: 2 },
        ]));
        // [[6, [[1,[0,[4]]], [1,[0,[5, 10, 2]]]]]]
        assert_eq!(hex::encode(r), "818206828201820081048201820083050a02");
    }

    /// The rejection as pallas-network's client decodes it (its decoders were written from
    /// cardano-node's own rejections), shown as pallas names it.
    fn as_pallas_reads_it(error: &LedgerError) -> String {
        use pallas_network::miniprotocols::localtxsubmission::TxValidationError;
        let bytes = ledger_rejection(error);
        let r: TxValidationError = pallas_codec::minicbor::decode(&bytes)
            .unwrap_or_else(|e| panic!("pallas decodes {}: {e}", hex::encode(&bytes)));
        format!("{r:?}")
    }

    #[test]
    fn certificate_and_witness_failures_are_written_with_their_fields() {
        let pool = [0x22u8; 28];
        let h = "ab".repeat(28);
        let cases: Vec<(LedgerError, Vec<&str>)> = vec![
            (
                LedgerError::RetirementEpoch { epoch: 40, current: 7, max: 25 },
                // Pallas reads each bound as `Mismatch(supplied, expected)`.
                vec!["StakePoolRetirementWrongEpochPOOL(Mismatch(EpochNo(40), EpochNo(7)), Mismatch(EpochNo(40), EpochNo(25)))"],
            ),
            (
                LedgerError::WrongNetworkPool { expected: 0, found: 1, pool },
                vec!["WrongNetworkPOOL(Mismatch(Mainnet, Testnet)"],
            ),
            (
                LedgerError::PoolMetadataHashTooBig { pool, size: 40 },
                vec!["PoolMedataHashTooBig", "40"],
            ),
            (
                LedgerError::IncorrectDeposit { expected: 2_000_000, declared: 5 },
                vec!["IncorrectDepositDELEG", "5"],
            ),
            (
                LedgerError::IncorrectRefund { expected: 2_000_000, declared: 6 },
                vec!["IncorrectDepositDELEG", "6"],
            ),
            (
                LedgerError::NonZeroRewardBalance { credential: slotforge_ledger::Credential::Key([1; 28]), balance: 77 },
                vec!["StakeKeyHasNonZeroRewardAccountBalanceDELEG", "77"],
            ),
            (
                LedgerError::IncorrectWithdrawal { account: format!("e0{}", "11".repeat(28)), requested: 9, balance: Some(3) },
                vec!["WithdrawalsNotInRewardsCERTS", "9"],
            ),
            (
                LedgerError::DRepIncorrectRefund { expected: 500, declared: 8 },
                vec!["DRepIncorrectRefund", "500", "8"],
            ),
            (
                LedgerError::MissingScriptWitnesses(vec![h.clone()]),
                vec!["MissingScriptWitnessesUTXOW"],
            ),
            (
                LedgerError::ExtraneousScriptWitnesses(vec![h.clone()]),
                vec!["ExtraneousScriptWitnessesUTXOW"],
            ),
            (
                LedgerError::ScriptWitnessNotValidating(vec![h.clone()]),
                vec!["ScriptWitnessNotValidatingUTXOW"],
            ),
            (
                LedgerError::MalformedScriptWitnesses(vec![h.clone()]),
                vec!["MalformedScriptWitnesses"],
            ),
            (
                LedgerError::MalformedReferenceScripts(vec![h.clone()]),
                vec!["MalformedReferenceScripts"],
            ),
            (
                LedgerError::UnspendableUTxONoDatumHash(vec![TxIn { tx: [3; 32], index: 4 }]),
                vec!["UnspendableUTxONoDatumHash"],
            ),
            (
                LedgerError::PPViewHashesDontMatch { declared: None, computed: Some("cd".repeat(32)) },
                vec!["PPViewHashesDontMatch"],
            ),
        ];
        for (error, words) in cases {
            let text = as_pallas_reads_it(&error);
            assert!(!text.contains("MempoolFailure"), "{error}: {text}");
            for w in words {
                assert!(text.contains(w), "{error}: {w} not in {text}");
            }
        }
    }

    /// The rejection decoded by pallas-network and encoded again by it: the same bytes, so
    /// every field is where its model of the reference's failures expects it.
    fn pallas_round_trip(error: &LedgerError) -> String {
        use pallas_network::miniprotocols::localtxsubmission::TxValidationError;
        let bytes = ledger_rejection(error);
        let r: TxValidationError = pallas_codec::minicbor::decode(&bytes)
            .unwrap_or_else(|e| panic!("pallas decodes {}: {e}", hex::encode(&bytes)));
        let again = pallas_codec::minicbor::to_vec(&r).expect("pallas encodes");
        // Pallas writes the era's failures without the one-item list around them.
        assert_eq!(hex::encode(again), hex::encode(&bytes[1..]), "{error}: {r:?}");
        format!("{r:?}")
    }

    #[test]
    fn governance_failures_are_written_as_the_reference_writes_them() {
        use slotforge_ledger::error::GovFailure as G;
        use slotforge_ledger::state::{GovActionId, Voter};
        use slotforge_ledger::Credential;
        let id = GovActionId { tx: [5; 32], index: 2 };
        let drep = Voter::DRep(Credential::Script([6; 28]));
        let pool = Voter::Pool([8; 28]);
        let account = [vec![0xe0], vec![9; 28]].concat();
        let script_account = [vec![0xf0], vec![4; 28]].concat();
        // `InfoAction` and `TreasuryWithdrawals {account: 0} null` as the ledger writes them.
        let info = vec![0x81, 0x06];
        let withdrawals = [hex::decode("8302a1581d").unwrap(), account.clone(), vec![0x00, 0xf6]].concat();
        // `[deposit, return account, action, [url, hash]]`.
        let proposal = [
            hex::decode("841a000f4240581d").unwrap(),
            account.clone(),
            info.clone(),
            hex::decode("8261615820").unwrap(),
            vec![3; 32],
        ]
        .concat();
        let cases: Vec<(G, &str)> = vec![
            (G::GovActionsDoNotExist(vec![id, id]), "GovActionsDoNotExist"),
            (G::MalformedProposal(info.clone()), "MalformedProposal(InfoAction)"),
            (
                G::ProposalProcedureNetworkIdMismatch {
                    account: account.clone(),
                    expected: 1,
                },
                "ProposalProcedureNetworkIdMismatch",
            ),
            (
                G::TreasuryWithdrawalsNetworkIdMismatch {
                    accounts: vec![script_account.clone(), account.clone()],
                    expected: 1,
                },
                "TreasuryWithdrawalsNetworkIdMismatch",
            ),
            (
                G::ProposalDepositIncorrect {
                    supplied: 5,
                    expected: 100_000,
                },
                "ProposalDepositIncorrect(DisplayCoin(MajorByte(5)), DisplayCoin(U32(100000)))",
            ),
            (G::DisallowedVoters(vec![(drep, id), (pool, id)]), "DisallowedVoters"),
            (
                G::ConflictingCommitteeUpdate(vec![Credential::Script([1; 28]), Credential::Key([1; 28])]),
                "ConflictingCommitteeUpdate",
            ),
            (
                G::InvalidPrevGovActionId {
                    prev: None,
                    proposal: proposal.clone(),
                },
                "InvalidPrevGovActionId",
            ),
            (
                G::VotingOnExpiredGovAction(vec![(drep, id)]),
                "VotingOnExpiredGovAction",
            ),
            (
                G::ProposalCantFollow {
                    prev: Some(id),
                    supplied: (12, 0),
                    expected: (10, 0),
                },
                "ProposalCantFollow",
            ),
            (
                G::InvalidGuardrailsScriptHash {
                    supplied: Some([7; 28]),
                    expected: None,
                },
                "InvalidPolicyHash",
            ),
            (G::VotersDoNotExist(vec![drep, pool]), "VotersDoNotExist"),
            (
                G::ZeroTreasuryWithdrawals(withdrawals.clone()),
                "ZeroTreasuryWithdrawals",
            ),
            (
                G::ProposalReturnAccountDoesNotExist(account.clone()),
                "ProposalReturnAccountDoesNotExist",
            ),
            (
                G::TreasuryWithdrawalReturnAccountsDoNotExist(vec![account.clone()]),
                "TreasuryWithdrawalReturnAccountsDoNotExist",
            ),
        ];
        for (failure, name) in cases {
            let text = pallas_round_trip(&LedgerError::Gov(failure.clone()));
            assert!(text.contains(&format!("GovFailure({name}")), "{failure}: {text}");
        }
        // Pallas reads a credential-keyed map but writes each key inside a list of its own.
        let too_small = G::ExpirationEpochTooSmall(vec![(Credential::Key([2; 28]), 3)]);
        let text = as_pallas_reads_it(&LedgerError::Gov(too_small));
        assert!(
            text.contains("ExpirationEpochTooSmall(OHashMap([(AddrKeyhash("),
            "{text}"
        );
        assert!(text.contains("EpochNo(3))"), "{text}");
        // `UnelectedCommitteeVoters` (tag 18) is newer than pallas' model: its bytes.
        let r = ledger_rejection(&LedgerError::Gov(G::UnelectedCommitteeVoters(vec![Credential::Key(
            [1; 28],
        )])));
        assert_eq!(hex::encode(r), format!("8182068182038212818200581c{}", "01".repeat(28)));
    }

    #[test]
    fn output_value_witness_and_datum_failures_are_written_with_their_fields() {
        use slotforge_ledger::error::OutputBound;
        let out = hex::decode("82581d60")
            .unwrap()
            .into_iter()
            .chain([1u8; 28])
            .chain([0x01])
            .collect::<Vec<u8>>();
        let address = out[2..31].to_vec();
        let mut tokens = MultiValue {
            coin: 5,
            ..Default::default()
        };
        tokens.add_asset([2; 28], b"coin".to_vec(), 7);
        let bound = |actual, bound| OutputBound {
            index: 0,
            output: out.clone(),
            actual,
            bound,
        };
        let cases: Vec<(LedgerError, &str)> = vec![
            (
                LedgerError::ValueNotConserved {
                    consumed: Box::new(tokens.clone()),
                    produced: Box::new(MultiValue {
                        coin: 5,
                        ..Default::default()
                    }),
                },
                "ValueNotConservedUTxO",
            ),
            (
                LedgerError::WrongNetwork {
                    expected: 0,
                    addresses: vec![address.clone()],
                },
                "WrongNetwork(",
            ),
            (
                LedgerError::WrongNetworkWithdrawal {
                    expected: 0,
                    accounts: vec![address.clone()],
                },
                "WrongNetworkWithdrawal",
            ),
            (
                LedgerError::OutputTooSmall(vec![bound(1, 900_000)]),
                "BabbageOutputTooSmallUTxO",
            ),
            (LedgerError::OutputTooBig(vec![bound(6000, 5000)]), "OutputTooBigUTxO"),
            (
                LedgerError::OutputBootAddrAttrsTooBig(vec![(0, out.clone())]),
                "OutputBootAddrAttrsTooBig",
            ),
            (
                LedgerError::CollateralContainsNonAda(tokens.clone()),
                "CollateralContainsNonADA",
            ),
            (LedgerError::InvalidWitness(vec![vec![4; 32]]), "InvalidWitnessesUTXOW"),
            (
                LedgerError::MissingAuxiliaryDataHash([5; 32]),
                "MissingTxBodyMetadataHash",
            ),
            (LedgerError::MissingAuxiliaryData([5; 32]), "MissingTxMetadata"),
            (
                LedgerError::AuxiliaryDataHashMismatch {
                    supplied: [5; 32],
                    expected: [6; 32],
                },
                "ConflictingMetadataHash",
            ),
            (LedgerError::InvalidMetadata, "InvalidMetadata"),
            (
                LedgerError::MissingRequiredDatums {
                    missing: vec![[7; 32]],
                    received: vec![[8; 32]],
                },
                "MissingRequiredDatums",
            ),
            (
                LedgerError::NotAllowedSupplementalDatums {
                    unallowed: vec![[7; 32]],
                    acceptable: vec![],
                },
                "NotAllowedSupplementalDatums",
            ),
        ];
        for (error, name) in cases {
            let text = pallas_round_trip(&error);
            assert!(text.contains(name), "{error}: {name} not in {text}");
        }
        let spend = slotforge_ledger::error::MissingRedeemer {
            tag: 0,
            index: 0,
            item: [hex::decode("8200825820").unwrap(), vec![3; 32], vec![0x01]].concat(),
            script: [9; 28],
        };
        let text = as_pallas_reads_it(&LedgerError::MissingRedeemers(vec![spend]));
        assert!(
            text.contains("MissingRedeemers(Array([(Spending(TransactionInput"),
            "{text}"
        );
        assert!(text.contains("index: 1 }), Hash<28>(\"0909"), "{text}");
        // Pallas reads these two but writes them otherwise than it reads them (each purpose and
        // each UTxO key inside a list of its own), so they are not encoded again.
        let text = as_pallas_reads_it(&LedgerError::ExtraRedeemers(vec![(0, 1), (1, 0)]));
        assert!(
            text.contains("ExtraRedeemers(Array([Spending(1), Minting(0)])"),
            "{text}"
        );
        let i = TxIn { tx: [3; 32], index: 1 };
        let text = as_pallas_reads_it(&LedgerError::ScriptsNotPaid(vec![(i, out.clone())]));
        assert!(
            text.contains("ScriptsNotPaidUTxO(Utxo(OHashMap([(TransactionInput"),
            "{text}"
        );
        assert!(text.contains("index: 1 }, Legacy("), "{text}");
    }

    #[test]
    fn script_failures_and_collect_errors_are_written_as_utxos_failures() {
        use slotforge_ledger::error::{CollectError, ContextError, ScriptFailure, TxOutSource};
        use slotforge_ledger::params::Language;
        let failed = LedgerError::ValidationTagMismatch {
            is_valid: true,
            failures: vec![ScriptFailure {
                message: "the script called error".into(),
                context: vec![0x80],
            }],
        };
        let text = pallas_round_trip(&failed);
        assert!(
            text.contains("UtxosFailure(ValidationTagMismatch(true, FailedUnexpectedly([PlutusFailure(\"the script called error\""),
            "{text}"
        );
        // The script with its context travels in base64, as the reference's `B64.encode`.
        let bytes = ledger_rejection(&failed);
        assert!(bytes.ends_with(b"\x44gA=="), "{}", hex::encode(&bytes));
        let passed = LedgerError::ValidationTagMismatch {
            is_valid: false,
            failures: Vec::new(),
        };
        let text = pallas_round_trip(&passed);
        assert!(
            text.contains("ValidationTagMismatch(false, PassedUnexpectedly)"),
            "{text}"
        );

        let i = TxIn { tx: [3; 32], index: 1 };
        let cert = hex::decode("83078200581c")
            .unwrap()
            .into_iter()
            .chain([1; 28])
            .chain([0x00])
            .collect();
        let cases: Vec<(CollectError, &str)> = vec![
            (CollectError::NoCostModel(Language::V2), "NoCostModel(PlutusV2)"),
            (
                CollectError::BadTranslation(ContextError::ByronTxOutInContext(TxOutSource::Input(i))),
                "BadTranslation(BabbageContextError(ByronTxOutInContext(Input(TransactionInput",
            ),
            (
                CollectError::BadTranslation(ContextError::InlineDatumsNotSupported(TxOutSource::Output(2))),
                "BadTranslation(BabbageContextError(InlineDatumsNotSupported(Output(2))",
            ),
            (
                CollectError::BadTranslation(ContextError::CertificateNotSupported(cert)),
                "BadTranslation(CertificateNotSupported(Deleg(Reg(AddrKeyhash(",
            ),
            (
                CollectError::BadTranslation(ContextError::CurrentTreasuryFieldNotSupported(7)),
                "BadTranslation(CurrentTreasuryFieldNotSupported(",
            ),
            (
                CollectError::BadTranslation(ContextError::TreasuryDonationFieldNotSupported(9)),
                "BadTranslation(TreasuryDonationFieldNotSupported(",
            ),
        ];
        for (error, name) in cases {
            let text = pallas_round_trip(&LedgerError::CollectErrors(vec![error.clone()]));
            assert!(
                text.contains(&format!("UtxosFailure(CollectErrors(Array([{name}")),
                "{error}: {text}"
            );
        }
        // `[[6, [[1, [0, [0, [1, [[2, 1]]]]]]]]]`.
        let r = ledger_rejection(&LedgerError::CollectErrors(vec![CollectError::NoCostModel(
            Language::V2,
        )]));
        assert_eq!(hex::encode(r), "8182068182018200820082018182 0201".replace(' ', ""));
    }

    #[test]
    fn withdrawals_that_do_not_drain_their_accounts_are_one_failure_in_the_reference_order() {
        let wrong = |account: String, requested| LedgerError::IncorrectWithdrawal {
            account,
            requested,
            balance: None,
        };
        let key = format!("e0{}", "11".repeat(28));
        let script = format!("f0{}", "22".repeat(28));
        let r = ledger_rejection(&LedgerError::Failures(vec![
            wrong(key.clone(), 5),
            LedgerError::InputSetEmpty,
            wrong(script.clone(), 7),
        ]));
        // [[6, [[2, [0, {script: 7, key: 5}]], [1, [0, [4]]]]]]
        assert_eq!(
            hex::encode(r),
            format!("8182068282028200a2581d{script}07581d{key}05820182008104")
        );
    }

    #[test]
    fn another_eras_transaction_names_both_eras() {
        // Golden `ApplyTxErr_WrongEraShelley` shape: `82 8200 65"Byron" 8201 67"Shelley"`.
        let r = era_mismatch(5);
        assert_eq!(hex::encode(r), "8282056742616262616765820666436f6e776179");
    }
}
