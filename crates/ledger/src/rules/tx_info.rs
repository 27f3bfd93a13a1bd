//! What cardano-ledger's script-context translation (`toPlutusTxInfo`, Conway's `TxInfo.hs`)
//! refuses before any script runs — a `CollectErrors` failure of UTXOS, whatever the
//! transaction's flag: Conway's fields and certificates in a V1 or V2 context
//! (`guardConwayFeaturesForPlutusV1V2`, `transTxCertV1V2`), V1 or V2 scripts for voting or
//! proposing (`PlutusPurposeNotSupported`), inline datums in a V1 context
//! (`InlineDatumsNotSupported`) and Byron addresses in any (`ByronTxOutInContext`).

use pallas_primitives::conway::{Certificate, RedeemerTag};

use super::tx_view::{Purpose, TxView};
use crate::params::Language;
use crate::script::Script;
use crate::state::{Datum, LedgerState, TxOut};

/// Why the contexts of `scripts` cannot be built for `tx` on `state`, if so.
pub(super) fn untranslatable(state: &LedgerState, tx: &TxView<'_>, scripts: &[(Purpose, &Script)]) -> Option<String> {
    let languages: Vec<Language> = scripts.iter().filter_map(|(_, s)| s.language()).collect();
    let v1 = languages.contains(&Language::V1);
    let v1_v2 = v1 || languages.contains(&Language::V2);
    if v1_v2 {
        let body = &tx.body;
        if body.voting_procedures.as_ref().is_some_and(|v| !v.is_empty()) {
            return Some("VotingProceduresFieldNotSupported".into());
        }
        if body.proposal_procedures.as_ref().is_some_and(|p| !p.is_empty()) {
            return Some("ProposalProceduresFieldNotSupported".into());
        }
        if body.donation.is_some_and(|d| u64::from(d) != 0) {
            return Some("TreasuryDonationFieldNotSupported".into());
        }
        if let Some(t) = body.treasury_value {
            return Some(format!("CurrentTreasuryFieldNotSupported {t}"));
        }
        let certificates = body.certificates.iter().flat_map(|c| c.iter());
        if let Some(c) = certificates.into_iter().find(|c| !in_v1_v2(c)) {
            return Some(format!("CertificateNotSupported {c:?}"));
        }
        let purposes = scripts
            .iter()
            .filter(|(_, s)| matches!(s.language(), Some(Language::V1 | Language::V2)));
        if let Some(((tag, ix), _)) = purposes
            .into_iter()
            .find(|((t, _), _)| matches!(t, RedeemerTag::Vote | RedeemerTag::Propose))
        {
            return Some(format!("PlutusPurposeNotSupported {tag:?} {ix}"));
        }
    }
    let resolved = tx
        .inputs
        .iter()
        .chain(&tx.reference_inputs)
        .filter_map(|i| tx.resolve(state, i));
    for o in resolved.chain(&tx.outputs) {
        if v1 && matches!(o.datum, Some(Datum::Inline(_))) {
            return Some(format!("InlineDatumsNotSupported {}", hex::encode(&o.address)));
        }
        if is_byron(o) {
            return Some(format!("ByronTxOutInContext {}", hex::encode(&o.address)));
        }
    }
    None
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
