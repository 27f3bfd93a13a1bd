//! CERTS and CERT (Conway): the withdrawals are drained first (CERTS' base case runs before
//! the first certificate, so a transaction may withdraw a balance and deregister the account),
//! then each certificate in order, routed by CERT to DELEG, POOL or GOVCERT.

use std::collections::BTreeSet;

use pallas_primitives::conway::{Certificate, TransactionBody};

use super::{deleg, govcert, pool};
use crate::address::reward_credential;
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Credential, LedgerState};

/// What a transaction's certificates add to its balance.
#[derive(Debug, Default)]
pub(super) struct CertEffects {
    pub deposits: u64,
    pub refunds: u64,
}

/// Drains the withdrawals: each must take its account's whole balance; returns the lovelace
/// withdrawn.
pub(super) fn drain_withdrawals(
    state: &mut LedgerState,
    p: &LedgerParams,
    body: &TransactionBody<'_>,
    required: &mut BTreeSet<[u8; 28]>,
) -> Result<u64, LedgerError> {
    let mut withdrawn = 0u64;
    for (account, amount) in body.withdrawals.iter().flat_map(|w| w.iter()) {
        let cred = reward_credential(account, p.network_id)?;
        let balance = state.accounts.get(&cred).map(|a| a.rewards);
        if balance != Some(*amount) {
            return Err(LedgerError::IncorrectWithdrawal {
                account: hex::encode(account.as_slice()),
                requested: *amount,
                balance,
            });
        }
        match cred {
            Credential::Key(h) => {
                required.insert(h);
            }
            Credential::Script(_) => return Err(LedgerError::Unsupported("withdrawals to script credentials")),
        }
        if let Some(a) = state.accounts.get_mut(&cred) {
            a.rewards = 0;
        }
        withdrawn = withdrawn.saturating_add(*amount);
    }
    Ok(withdrawn)
}

/// Applies `body`'s certificates in order, collecting the keys that must witness them.
pub(super) fn apply(
    state: &mut LedgerState,
    p: &LedgerParams,
    body: &TransactionBody<'_>,
    required: &mut BTreeSet<[u8; 28]>,
) -> Result<CertEffects, LedgerError> {
    let mut fx = CertEffects::default();
    for cert in body.certificates.iter().flat_map(|s| s.iter()) {
        match cert {
            Certificate::StakeRegistration(..)
            | Certificate::Reg(..)
            | Certificate::StakeDeregistration(..)
            | Certificate::UnReg(..)
            | Certificate::StakeDelegation(..)
            | Certificate::StakeRegDeleg(..) => deleg::apply(state, p, cert, required, &mut fx)?,
            Certificate::PoolRegistration { .. } | Certificate::PoolRetirement(..) => {
                pool::apply(state, p, cert, required, &mut fx)?
            }
            Certificate::VoteDeleg(..)
            | Certificate::StakeVoteDeleg(..)
            | Certificate::VoteRegDeleg(..)
            | Certificate::StakeVoteRegDeleg(..)
            | Certificate::AuthCommitteeHot(..)
            | Certificate::ResignCommitteeCold(..)
            | Certificate::RegDRepCert(..)
            | Certificate::UnRegDRepCert(..)
            | Certificate::UpdateDRepCert(..) => govcert::apply(cert)?,
        }
    }
    Ok(fx)
}
