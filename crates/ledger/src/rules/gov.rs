//! GOV (Conway `GOV`): proposals and votes, and the treasury value and donations a body may
//! carry. Proposals, votes, DReps and the committee are not yet in this ledger's state, so a
//! transaction carrying any of them is refused by name.

use pallas_primitives::conway::TransactionBody;

use crate::error::LedgerError;

/// Refuses voting procedures, proposal procedures, the treasury value and donations.
pub(super) fn refuse_governance(body: &TransactionBody<'_>) -> Result<(), LedgerError> {
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
    Ok(())
}
