//! GOV's failures as cardano-ledger-conway 1.20 writes them (`EncCBOR ConwayGovPredFailure`):
//! `[3 (ConwayGovFailure), [tag, fields…]]`, lists and sets in the order the ledger reports them,
//! which is the reference's.

use slotforge_ledger::error::GovFailure;

use super::{byte_set, raw, tagged};
use crate::protocols::codec::Enc;
use crate::protocols::ledger_cbor;

/// `[3, failure]`.
pub(super) fn gov_failure(e: &mut Enc<'_>, f: &GovFailure) {
    use GovFailure as G;
    let _ = e.array(2).and_then(|e| e.u8(3));
    match f {
        G::GovActionsDoNotExist(ids) => {
            tagged(e, 2, 0);
            ledger_cbor::list(e, ids, ledger_cbor::gov_action_id);
        }
        G::MalformedProposal(action) => {
            tagged(e, 2, 1);
            raw(e, action);
        }
        G::ProposalProcedureNetworkIdMismatch { account, expected } => {
            tagged(e, 3, 2);
            let _ = e.bytes(account).and_then(|e| e.u8(*expected));
        }
        G::TreasuryWithdrawalsNetworkIdMismatch { accounts, expected } => {
            tagged(e, 3, 3);
            byte_set(e, accounts);
            let _ = e.u8(*expected);
        }
        G::ProposalDepositIncorrect { supplied, expected } => {
            tagged(e, 3, 4);
            let _ = e.u64(*supplied).and_then(|e| e.u64(*expected));
        }
        G::DisallowedVoters(votes) => {
            tagged(e, 2, 5);
            ledger_cbor::list(e, votes, vote);
        }
        G::ConflictingCommitteeUpdate(members) => {
            tagged(e, 2, 6);
            ledger_cbor::set(e, members, ledger_cbor::credential);
        }
        G::ExpirationEpochTooSmall(members) => {
            tagged(e, 2, 7);
            ledger_cbor::map(e, members, |e, (c, epoch)| {
                ledger_cbor::credential(e, c);
                let _ = e.u64(*epoch);
            });
        }
        G::InvalidPrevGovActionId { proposal, .. } => {
            tagged(e, 2, 8);
            raw(e, proposal);
        }
        G::VotingOnExpiredGovAction(votes) => {
            tagged(e, 2, 9);
            ledger_cbor::list(e, votes, vote);
        }
        G::ProposalCantFollow {
            prev,
            supplied,
            expected,
        } => {
            // `StrictMaybe (GovPurposeId 'HardForkPurpose)`, then the mismatch's two versions.
            tagged(e, 4, 10);
            match prev {
                None => {
                    let _ = e.array(0);
                }
                Some(id) => {
                    let _ = e.array(1);
                    ledger_cbor::gov_action_id(e, id);
                }
            }
            for (major, minor) in [supplied, expected] {
                let _ = e.array(2).and_then(|e| e.u64(*major)).and_then(|e| e.u64(*minor));
            }
        }
        G::InvalidGuardrailsScriptHash { supplied, expected } => {
            tagged(e, 3, 11);
            for h in [supplied, expected] {
                let _ = match h {
                    None => e.array(0),
                    Some(h) => e.array(1).and_then(|e| e.bytes(h)),
                };
            }
        }
        G::VotersDoNotExist(voters) => {
            tagged(e, 2, 14);
            ledger_cbor::list(e, voters, ledger_cbor::voter);
        }
        G::ZeroTreasuryWithdrawals(action) => {
            tagged(e, 2, 15);
            raw(e, action);
        }
        G::ProposalReturnAccountDoesNotExist(account) => {
            tagged(e, 2, 16);
            let _ = e.bytes(account);
        }
        G::TreasuryWithdrawalReturnAccountsDoNotExist(accounts) => {
            tagged(e, 2, 17);
            ledger_cbor::list(e, accounts, |e, a| {
                let _ = e.bytes(a);
            });
        }
        G::UnelectedCommitteeVoters(hot) => {
            tagged(e, 2, 18);
            ledger_cbor::list(e, hot, ledger_cbor::credential);
        }
    }
}

/// A `(Voter, GovActionId)` pair.
fn vote(e: &mut Enc<'_>, (voter, id): &(slotforge_ledger::state::Voter, slotforge_ledger::state::GovActionId)) {
    let _ = e.array(2);
    ledger_cbor::voter(e, voter);
    ledger_cbor::gov_action_id(e, id);
}
