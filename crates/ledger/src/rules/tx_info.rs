//! What cardano-ledger's script-context translation refuses before any script runs — the
//! `CollectErrors` of UTXOS, whatever the transaction's flag (`collectPlutusScriptsWithContext`
//! with Conway's `toPlutusTxInfo`, `TxInfo.hs`): a language without a cost model, Conway's
//! fields and certificates in a V1 or V2 context (`guardConwayFeaturesForPlutusV1V2`,
//! `transTxCertV1V2`), votes and proposals as V1 or V2 purposes (`PlutusPurposeNotSupported`),
//! inline datums in a V1 context (`InlineDatumsNotSupported`) and Byron addresses in any
//! (`ByronTxOutInContext`).

use pallas_codec::minicbor;
use pallas_primitives::conway::{Certificate, RedeemerTag};

use super::tx_view::{Purpose, TxView};
use super::utxow::purpose_item;
use crate::error::{CollectError, ContextError, TxOutSource};
use crate::params::{Language, LedgerParams};
use crate::script::Script;
use crate::state::{gov_action_cbor, Datum, LedgerState, TxOut};

/// Why the arguments of `scripts` (in the reference's `scriptsNeeded` order) cannot be
/// assembled for `tx` on `state`, if so. As the reference's `merge` does once a script has
/// failed, the scripts after it are not looked at: there is one error (a missing redeemer, the
/// other kind the reference accumulates, is refused by UTXOW before UTXOS runs).
pub(super) fn collect_errors(
    state: &LedgerState,
    p: &LedgerParams,
    tx: &TxView<'_>,
    scripts: &[(Purpose, &Script)],
) -> Option<Vec<CollectError>> {
    // Each language's context is translated once (`mkTxInfoResult`).
    let mut translated: [Option<Result<(), ContextError>>; 3] = [None, None, None];
    for ((tag, index), script) in scripts {
        let Some(language) = script.language() else { continue };
        if !p.cost_models.contains_key(&language.key()) {
            return Some(vec![CollectError::NoCostModel(language)]);
        }
        let context = translated[usize::from(language.key())]
            .get_or_insert_with(|| tx_info(state, tx, scripts, language))
            .clone();
        // The script's own purpose (`transPlutusPurposeV1V2`), after its context.
        let purpose = match context {
            Err(e) => Err(e),
            Ok(()) if language != Language::V3 && matches!(tag, RedeemerTag::Vote | RedeemerTag::Propose) => Err(
                ContextError::PlutusPurposeNotSupported(purpose_item(tx, (*tag, *index))),
            ),
            Ok(()) => Ok(()),
        };
        if let Err(e) = purpose {
            return Some(vec![CollectError::BadTranslation(e)]);
        }
    }
    None
}

/// `toPlutusTxInfo` of `language`, in its order: Conway's fields (V1, V2), inputs, reference
/// inputs, outputs, certificates (V1, V2), redeemers' purposes (V2).
fn tx_info(
    state: &LedgerState,
    tx: &TxView<'_>,
    scripts: &[(Purpose, &Script)],
    language: Language,
) -> Result<(), ContextError> {
    let legacy = language != Language::V3;
    let body = &tx.body;
    if legacy {
        if let Some(votes) = body.voting_procedures.as_ref().filter(|v| !v.is_empty()) {
            return Err(ContextError::VotingProceduresFieldNotSupported(
                minicbor::to_vec(votes).unwrap_or_default(),
            ));
        }
        if let Some(proposals) = body.proposal_procedures.as_ref().filter(|p| !p.is_empty()) {
            return Err(ContextError::ProposalProceduresFieldNotSupported(
                gov_action_cbor::proposal_procedure_set(proposals.iter()),
            ));
        }
        if let Some(d) = body.donation.map(u64::from).filter(|d| *d != 0) {
            return Err(ContextError::TreasuryDonationFieldNotSupported(d));
        }
        if let Some(t) = body.treasury_value {
            return Err(ContextError::CurrentTreasuryFieldNotSupported(t));
        }
    }
    let v1 = language == Language::V1;
    let judge = |source: TxOutSource, o: &TxOut| {
        if v1 && matches!(o.datum, Some(Datum::Inline(_))) {
            Err(ContextError::InlineDatumsNotSupported(source))
        } else if is_byron(o) {
            Err(ContextError::ByronTxOutInContext(source))
        } else {
            Ok(())
        }
    };
    for i in tx.inputs.iter().chain(&tx.reference_inputs) {
        if let Some(o) = tx.resolve(state, i) {
            judge(TxOutSource::Input(*i), o)?;
        }
    }
    for (ix, o) in tx.outputs.iter().enumerate() {
        judge(TxOutSource::Output(ix as u64), o)?;
    }
    if legacy {
        let certificates = body.certificates.iter().flat_map(|c| c.iter());
        if let Some(c) = certificates.into_iter().find(|c| !in_v1_v2(c)) {
            return Err(ContextError::CertificateNotSupported(
                minicbor::to_vec(c).unwrap_or_default(),
            ));
        }
    }
    if language == Language::V2 {
        // The redeemers' purposes, in the redeemers' order (tag, then index); UTXOW has checked
        // they are the needed scripts' purposes.
        let mut purposes: Vec<Purpose> = scripts.iter().map(|(purpose, _)| *purpose).collect();
        purposes.sort_by_key(|(tag, index)| (super::tag_number(*tag), *index));
        if let Some(p) = purposes
            .into_iter()
            .find(|(t, _)| matches!(t, RedeemerTag::Vote | RedeemerTag::Propose))
        {
            return Err(ContextError::PlutusPurposeNotSupported(purpose_item(tx, p)));
        }
    }
    Ok(())
}

/// `transTxCertV1V2`: registration and deregistration (either form), stake delegation to a
/// pool, pool registration and retirement.
fn in_v1_v2(c: &Certificate) -> bool {
    matches!(
        c,
        Certificate::StakeRegistration(_)
            | Certificate::StakeDeregistration(_)
            | Certificate::StakeDelegation(..)
            | Certificate::PoolRegistration { .. }
            | Certificate::PoolRetirement(..)
            | Certificate::Reg(..)
            | Certificate::UnReg(..)
    )
}

fn is_byron(o: &TxOut) -> bool {
    o.address.first().is_some_and(|h| h >> 4 == 0b1000)
}
