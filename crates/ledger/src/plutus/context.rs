//! The script context each script receives (Conway's `toPlutusTxInfo` and `toPlutusArgs`):
//! uplc's translation, mended where it departs from the reference.
//!
//! - **V1.** uplc refuses a transaction with reference inputs, or one spending an output that
//!   carries a reference script. Conway translates both: V1's `TxInfo` has no reference inputs
//!   and V1's `TxOut` no reference script (`transTxInInfoV1` only refuses inline datums and
//!   Byron addresses, which `rules::tx_info` has refused before). So the V1 context here is the
//!   V2 one without what V1 lacks.
//! - **V3.** uplc cannot translate the cost models of a parameter change (a `todo!`). They are
//!   translated here as `ToPlutusData CostModels` does — a map from each language's number to
//!   its list of integers, under key 18 of the changed parameters — wherever the proposal
//!   appears: the transaction's proposals, the proposing purposes of its redeemers and the
//!   script's own purpose.
//!
//! Each language's `TxInfo` is built once per transaction, not once per redeemer.

use pallas_primitives_uplc::conway::{CostModels, GovAction, MintedTx, ProposalProcedure, Redeemer};
use uplc::tx::script_context::{
    ResolvedInput, ScriptContext, ScriptPurpose, SlotConfig, TxInfo, TxInfoV1, TxInfoV2, TxInfoV3,
};
use uplc::tx::to_plutus_data::ToPlutusData;
use uplc::{KeyValuePairs, MaybeIndefArray, PlutusData};

use crate::error::LedgerError;
use crate::params::Language;

/// The changed parameters' key for cost models (`ppCostModels`' tag).
const COST_MODELS_KEY: u64 = 18;
/// `Proposing`'s constructor in V3's `ScriptPurpose` and `ScriptInfo`.
const PROPOSING: u64 = 5;
/// Where the redeemers and the proposals are in V3's `TxInfo`.
const TX_INFO_REDEEMERS: usize = 9;
const TX_INFO_PROPOSALS: usize = 13;

/// The contexts of one transaction's scripts, each language's `TxInfo` built on first use.
pub(super) struct ScriptContexts<'a> {
    tx: &'a MintedTx<'a>,
    utxos: &'a [ResolvedInput],
    slot_config: &'a SlotConfig,
    built: [Option<Built>; 3],
}

/// A language's `TxInfo`, with (V3) the cost models taken out of its proposals to be put back
/// in its data: (proposal index, the cost models' data).
struct Built {
    info: TxInfo,
    cost_models: Vec<(u64, PlutusData)>,
}

impl<'a> ScriptContexts<'a> {
    pub(super) fn new(tx: &'a MintedTx<'a>, utxos: &'a [ResolvedInput], slot_config: &'a SlotConfig) -> Self {
        ScriptContexts {
            tx,
            utxos,
            slot_config,
            built: [None, None, None],
        }
    }

    /// The context data of the script `redeemer` runs, in `language`; `datum` is the spent
    /// output's datum, if any (V3 carries it in the script's purpose).
    pub(super) fn data(
        &mut self,
        language: Language,
        redeemer: &Redeemer,
        datum: Option<&PlutusData>,
    ) -> Result<PlutusData, LedgerError> {
        let slot = &mut self.built[usize::from(language.key())];
        if slot.is_none() {
            *slot = Some(build(language, self.tx, self.utxos, self.slot_config)?);
        }
        let Some(built) = slot.as_ref() else {
            unreachable!("built above")
        };
        let context = built.info.clone().into_script_context(redeemer, datum).ok_or_else(|| {
            LedgerError::EvaluatorFailure(format!(
                "no script purpose for the {} redeemer {}",
                uplc::tx::redeemer_tag_to_string(&redeemer.tag),
                redeemer.index
            ))
        })?;
        let mut data = context.to_plutus_data();
        if matches!(context, ScriptContext::V3 { .. }) {
            restore_cost_models(&mut data, &built.cost_models);
        }
        Ok(data)
    }
}

fn build(language: Language, tx: &MintedTx, utxos: &[ResolvedInput], slot: &SlotConfig) -> Result<Built, LedgerError> {
    let untranslatable = |e: uplc::tx::error::Error| LedgerError::EvaluatorFailure(e.to_string());
    let built = match language {
        Language::V1 => Built {
            info: v1_from_v2(TxInfoV2::from_transaction(tx, utxos, slot).map_err(untranslatable)?),
            cost_models: Vec::new(),
        },
        Language::V2 => Built {
            info: TxInfoV2::from_transaction(tx, utxos, slot).map_err(untranslatable)?,
            cost_models: Vec::new(),
        },
        Language::V3 => {
            let mut info = TxInfoV3::from_transaction(tx, utxos, slot).map_err(untranslatable)?;
            let cost_models = match &mut info {
                TxInfo::V3(v3) => take_cost_models(v3),
                _ => Vec::new(),
            };
            Built { info, cost_models }
        }
    };
    Ok(built)
}

/// V2's `TxInfo` without what V1's lacks (reference inputs; the V1 data of an output leaves out
/// its reference script and any inline datum by itself).
fn v1_from_v2(info: TxInfo) -> TxInfo {
    let TxInfo::V2(v2) = info else { return info };
    TxInfo::V1(TxInfoV1 {
        inputs: v2.inputs,
        outputs: v2.outputs,
        fee: v2.fee,
        mint: v2.mint,
        certificates: v2.certificates,
        withdrawals: v2.withdrawals.into(),
        valid_range: v2.valid_range,
        signatories: v2.signatories,
        data: v2.data.into(),
        redeemers: v2.redeemers,
        id: v2.id,
    })
}

/// Takes the cost models out of every parameter change among the proposals (and the proposing
/// purposes of the redeemers), returning their data by proposal index.
fn take_cost_models(info: &mut TxInfoV3) -> Vec<(u64, PlutusData)> {
    let mut taken = Vec::new();
    for (index, proposal) in info.proposal_procedures.iter_mut().enumerate() {
        if let Some(models) = strip_cost_models(proposal) {
            taken.push((index as u64, cost_models_data(&models)));
        }
    }
    if !taken.is_empty() {
        let redeemers: Vec<_> = info
            .redeemers
            .iter()
            .cloned()
            .map(|(mut purpose, r)| {
                if let ScriptPurpose::Proposing(_, proposal) = &mut purpose {
                    strip_cost_models(proposal);
                }
                (purpose, r)
            })
            .collect();
        info.redeemers = KeyValuePairs::from(redeemers);
    }
    taken
}

fn strip_cost_models(proposal: &mut ProposalProcedure) -> Option<CostModels> {
    match &mut proposal.gov_action {
        GovAction::ParameterChange(_, update, _) => update.cost_models_for_script_languages.take(),
        _ => None,
    }
}

/// `ToPlutusData CostModels`: `Map` from each language's number, ascending, to `List` of `I`.
fn cost_models_data(models: &CostModels) -> PlutusData {
    let languages = [&models.plutus_v1, &models.plutus_v2, &models.plutus_v3];
    let entries = (0u64..)
        .zip(languages)
        .filter_map(|(number, model)| model.as_ref().map(|m| (number, m)))
        .map(|(number, model)| {
            let values = model.iter().map(|v| v.to_plutus_data()).collect();
            (
                number.to_plutus_data(),
                PlutusData::Array(MaybeIndefArray::Indef(values)),
            )
        })
        .collect::<Vec<_>>();
    PlutusData::Map(KeyValuePairs::Def(entries))
}

/// Puts each proposal's cost models back into a V3 context's data, in the three places the
/// proposal appears.
fn restore_cost_models(context: &mut PlutusData, taken: &[(u64, PlutusData)]) {
    for (index, models) in taken {
        let index_data = index.to_plutus_data();
        let is_this_proposal =
            |purpose: &PlutusData| constr_index(purpose) == Some(PROPOSING) && field(purpose, 0) == Some(&index_data);
        let Some(tx_info) = field_mut(context, 0) else { return };
        if let Some(PlutusData::Array(proposals)) = field_mut(tx_info, TX_INFO_PROPOSALS) {
            if let Some(p) = items_mut(proposals).get_mut(*index as usize) {
                insert_cost_models(p, models);
            }
        }
        if let Some(PlutusData::Map(redeemers)) = field_mut(tx_info, TX_INFO_REDEEMERS) {
            for (purpose, _) in pairs_mut(redeemers) {
                if is_this_proposal(purpose) {
                    if let Some(p) = field_mut(purpose, 1) {
                        insert_cost_models(p, models);
                    }
                }
            }
        }
        if let Some(purpose) = field_mut(context, 2) {
            if is_this_proposal(purpose) {
                if let Some(p) = field_mut(purpose, 1) {
                    insert_cost_models(p, models);
                }
            }
        }
    }
}

/// In a `ProposalProcedure`'s data (deposit, return address, `ParameterChange` (previous
/// action, changed parameters, guardrail)), the cost models' entry in key order.
fn insert_cost_models(proposal: &mut PlutusData, models: &PlutusData) {
    let Some(action) = field_mut(proposal, 2) else { return };
    let Some(PlutusData::Map(changed)) = field_mut(action, 1) else {
        return;
    };
    let entries = pairs_mut(changed);
    let key = COST_MODELS_KEY.to_plutus_data();
    let at = entries
        .iter()
        .position(|(k, _)| integer(k).is_some_and(|k| k > i128::from(COST_MODELS_KEY)))
        .unwrap_or(entries.len());
    entries.insert(at, (key, models.clone()));
}

fn integer(d: &PlutusData) -> Option<i128> {
    match d {
        PlutusData::BigInt(uplc::BigInt::Int(i)) => Some(i128::from(*i)),
        _ => None,
    }
}

fn constr_index(d: &PlutusData) -> Option<u64> {
    match d {
        PlutusData::Constr(c) => match c.tag {
            121..=127 => Some(c.tag - 121),
            1280..=1400 => Some(c.tag - 1280 + 7),
            _ => c.any_constructor,
        },
        _ => None,
    }
}

fn field(d: &PlutusData, i: usize) -> Option<&PlutusData> {
    match d {
        PlutusData::Constr(c) => c.fields.get(i),
        _ => None,
    }
}

fn field_mut(d: &mut PlutusData, i: usize) -> Option<&mut PlutusData> {
    match d {
        PlutusData::Constr(c) => items_mut(&mut c.fields).get_mut(i),
        _ => None,
    }
}

fn items_mut(a: &mut MaybeIndefArray<PlutusData>) -> &mut Vec<PlutusData> {
    match a {
        MaybeIndefArray::Def(v) | MaybeIndefArray::Indef(v) => v,
    }
}

fn pairs_mut(m: &mut KeyValuePairs<PlutusData, PlutusData>) -> &mut Vec<(PlutusData, PlutusData)> {
    match m {
        KeyValuePairs::Def(v) | KeyValuePairs::Indef(v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pallas_codec::minicbor;
    use pallas_primitives_uplc::conway::{ExUnits, RedeemerTag};
    use pallas_primitives_uplc::Hash;
    use uplc::tx::script_context::{get_mint_info, TimeRange};
    use uplc::Fragment;

    /// A proposal as CBOR: a parameter change of `minFeeA` (key 0), the cost models (18) of V1
    /// and V3 when `with_cost_models`, and `maxValueSize` (22).
    fn proposal(with_cost_models: bool) -> ProposalProcedure {
        let mut out = Vec::new();
        let mut e = minicbor::Encoder::new(&mut out);
        let mut reward_account = vec![0xe0];
        reward_account.extend([7; 28]);
        e.array(4).unwrap().u64(1_000).unwrap().bytes(&reward_account).unwrap();
        e.array(4).unwrap().u8(0).unwrap().null().unwrap();
        e.map(if with_cost_models { 3 } else { 2 })
            .unwrap()
            .u8(0)
            .unwrap()
            .u64(44)
            .unwrap();
        if with_cost_models {
            e.u8(18).unwrap().map(2).unwrap();
            e.u8(0).unwrap().array(2).unwrap().i64(1).unwrap().i64(-2).unwrap();
            e.u8(2).unwrap().array(1).unwrap().i64(3).unwrap();
        }
        e.u8(22).unwrap().u64(5_000).unwrap();
        e.null().unwrap();
        e.array(2)
            .unwrap()
            .str("https://example.org")
            .unwrap()
            .bytes(&[0; 32])
            .unwrap();
        ProposalProcedure::decode_fragment(&out).expect("a proposal")
    }

    fn int(i: i64) -> PlutusData {
        i.to_plutus_data()
    }

    /// `ToPlutusData CostModels` of the proposal's cost models, written out.
    fn expected_cost_models() -> PlutusData {
        PlutusData::Map(KeyValuePairs::Def(vec![
            (int(0), PlutusData::Array(MaybeIndefArray::Indef(vec![int(1), int(-2)]))),
            (int(2), PlutusData::Array(MaybeIndefArray::Indef(vec![int(3)]))),
        ]))
    }

    /// The changed parameters' map inside a proposal's data.
    fn changed_parameters(proposal: &PlutusData) -> Vec<(PlutusData, PlutusData)> {
        match field(proposal, 2).and_then(|action| field(action, 1)) {
            Some(PlutusData::Map(m)) => m.iter().cloned().collect(),
            other => panic!("not a parameter change: {other:?}"),
        }
    }

    #[test]
    fn cost_models_go_back_under_key_18_in_key_order() {
        let mut p = proposal(true);
        let models = strip_cost_models(&mut p).expect("cost models");
        assert_eq!(cost_models_data(&models), expected_cost_models());
        let mut data = p.to_plutus_data();
        insert_cost_models(&mut data, &cost_models_data(&models));
        let changed = changed_parameters(&data);
        let keys: Vec<_> = changed.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, [int(0), int(18), int(22)]);
        assert_eq!(changed[1].1, expected_cost_models());
        // Everything else is uplc's translation of the same proposal.
        let without = proposal(false).to_plutus_data();
        assert_eq!(field(&data, 0), field(&without, 0));
        assert_eq!(field(&data, 1), field(&without, 1));
    }

    #[test]
    fn a_proposal_with_cost_models_is_whole_wherever_the_v3_context_has_it() {
        let plain = proposal(false);
        let with = proposal(true);
        let redeemer = Redeemer {
            tag: RedeemerTag::Propose,
            index: 1,
            data: int(0),
            ex_units: ExUnits { mem: 1, steps: 1 },
        };
        let mut info = TxInfoV3 {
            inputs: vec![],
            reference_inputs: vec![],
            outputs: vec![],
            fee: 0,
            mint: get_mint_info(&None),
            certificates: vec![],
            withdrawals: KeyValuePairs::from(vec![]),
            valid_range: TimeRange {
                lower_bound: None,
                upper_bound: None,
            },
            signatories: vec![],
            redeemers: KeyValuePairs::from(vec![(ScriptPurpose::Proposing(1, with.clone()), redeemer.clone())]),
            data: KeyValuePairs::from(vec![]),
            id: Hash::new([1; 32]),
            votes: KeyValuePairs::from(vec![]),
            proposal_procedures: vec![plain.clone(), with],
            current_treasury_amount: None,
            treasury_donation: None,
        };
        let taken = take_cost_models(&mut info);
        assert_eq!(taken.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1]);
        let context = TxInfo::V3(info)
            .into_script_context(&redeemer, None)
            .expect("a purpose");
        let mut data = context.to_plutus_data();
        restore_cost_models(&mut data, &taken);

        let whole = |d: &PlutusData| {
            changed_parameters(d)
                .iter()
                .any(|(k, v)| *k == int(18) && *v == expected_cost_models())
        };
        let tx_info = field(&data, 0).expect("tx info");
        let Some(PlutusData::Array(proposals)) = field(tx_info, TX_INFO_PROPOSALS) else {
            panic!("proposals")
        };
        assert!(whole(&proposals[1]), "in the transaction's proposals");
        assert_eq!(proposals[0], plain.to_plutus_data(), "the other proposal is untouched");
        let Some(PlutusData::Map(redeemers)) = field(tx_info, TX_INFO_REDEEMERS) else {
            panic!("redeemers")
        };
        assert!(
            whole(field(&redeemers[0].0, 1).expect("purpose")),
            "in the redeemers' purposes"
        );
        assert!(
            whole(field(field(&data, 2).expect("script info"), 1).expect("procedure")),
            "in the script's purpose"
        );
    }
}
