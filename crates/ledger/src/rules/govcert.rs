//! GOVCERT (Conway `GOVCERT`): DRep registration, update and retirement, committee hot-key
//! authorisation and resignation, and (with DELEG) vote delegation. DReps and the committee
//! are not yet in this ledger's state, so these certificates are refused by name.

use pallas_primitives::conway::Certificate;

use crate::error::LedgerError;

/// Refuses a governance certificate, naming what it is.
pub(super) fn apply(cert: &Certificate) -> Result<(), LedgerError> {
    match cert {
        Certificate::VoteDeleg(..)
        | Certificate::StakeVoteDeleg(..)
        | Certificate::VoteRegDeleg(..)
        | Certificate::StakeVoteRegDeleg(..) => {
            Err(LedgerError::Unsupported("governance: vote delegation certificates"))
        }
        Certificate::AuthCommitteeHot(..) | Certificate::ResignCommitteeCold(..) => {
            Err(LedgerError::Unsupported("governance: committee certificates"))
        }
        Certificate::RegDRepCert(..) | Certificate::UnRegDRepCert(..) | Certificate::UpdateDRepCert(..) => {
            Err(LedgerError::Unsupported("governance: DRep certificates"))
        }
        _ => Ok(()),
    }
}
