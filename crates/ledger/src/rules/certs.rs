//! CERTS and CERT (Conway): the withdrawals are checked and drained first (CERTS' base case
//! runs before the first certificate, so a transaction may withdraw a balance and deregister
//! the account), the DReps that vote are marked active, then each certificate in order, routed
//! by CERT to DELEG, POOL or GOVCERT.

use pallas_primitives::conway::{Certificate, Voter};

use super::tx_view::TxView;
use super::{deleg, govcert, pool};
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Credential, LedgerState};

/// Runs CERTS for `tx`: withdrawals, then every certificate; failures are collected.
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    drain_withdrawals(state, tx, failures);
    mark_voting_dreps_active(state, p, tx);
    for cert in tx.body.certificates.iter().flat_map(|s| s.iter()) {
        let result = match cert {
            Certificate::StakeRegistration(..)
            | Certificate::Reg(..)
            | Certificate::StakeDeregistration(..)
            | Certificate::UnReg(..)
            | Certificate::StakeDelegation(..)
            | Certificate::StakeRegDeleg(..)
            | Certificate::VoteDeleg(..)
            | Certificate::StakeVoteDeleg(..)
            | Certificate::VoteRegDeleg(..)
            | Certificate::StakeVoteRegDeleg(..) => deleg::apply(state, p, cert),
            Certificate::PoolRegistration { .. } | Certificate::PoolRetirement(..) => pool::apply(state, p, cert),
            Certificate::AuthCommitteeHot(..)
            | Certificate::ResignCommitteeCold(..)
            | Certificate::RegDRepCert(..)
            | Certificate::UnRegDRepCert(..)
            | Certificate::UpdateDRepCert(..) => govcert::apply(state, p, cert),
        };
        if let Err(e) = result {
            failures.extend(e.failures().iter().cloned());
        }
    }
}

/// CERTS' base case: every withdrawal must take its registered account's whole balance
/// (`WithdrawalsNotInRewardsCERTS`); then the balances are drained.
fn drain_withdrawals(state: &mut LedgerState, tx: &TxView<'_>, failures: &mut Vec<LedgerError>) {
    let mut wrong = Vec::new();
    for (account, cred, amount) in &tx.withdrawals {
        let has = state.accounts.get(cred).map(|a| a.rewards);
        if has != Some(*amount) {
            wrong.push(LedgerError::IncorrectWithdrawal {
                account: hex::encode(account),
                requested: *amount,
                balance: has,
            });
            continue;
        }
        if let Some(a) = state.accounts.get_mut(cred) {
            a.rewards = 0;
        }
    }
    failures.extend(wrong);
}

/// The DReps voting in this transaction count as active: their expiry moves to the current
/// epoch plus `dRepActivity`, less the dormant epochs (`updateVotingDRepExpiries`).
fn mark_voting_dreps_active(state: &mut LedgerState, p: &LedgerParams, tx: &TxView<'_>) {
    let epoch = state.epoch;
    // A transaction with proposals ends the dormant period: every DRep not yet expired has its
    // expiry pushed back by the dormant epochs, and the count restarts (`updateDormantDRepExpiry`).
    let dormant = state.governance.dormant_epochs;
    if tx.body.proposal_procedures.is_some() && dormant > 0 {
        let creds: Vec<Credential> = state.governance.dreps.keys().copied().collect();
        for c in creds {
            if let Some(d) = state.governance.dreps.get_mut(&c) {
                d.expiry = d.expiry_after_dormancy(epoch, dormant);
            }
        }
        state.governance.dormant_epochs = 0;
    }
    let expiry = super::govcert::drep_expiry(state, p);
    for v in tx.voters() {
        let c = match v {
            Voter::DRepKey(h) => Credential::Key(**h),
            Voter::DRepScript(h) => Credential::Script(**h),
            _ => continue,
        };
        if let Some(d) = state.governance.dreps.get_mut(&c) {
            d.expiry = expiry;
        }
    }
}
