//! What a transaction's body deposits, refunds and withdraws, as the reference's `consumed` and
//! `produced` count it (`conwayTotalDepositsTxBody`, `conwayTotalRefundsTxCerts`, the
//! withdrawals' sum): from the body and the state before it, whatever the transaction's flag
//! and whether its certificates pass. Deposits are the parameters', never a certificate's own
//! field (DELEG, POOL and GOVCERT check those apart).

use std::collections::{BTreeMap, BTreeSet};

use pallas_primitives::conway::Certificate;

use super::tx_view::TxView;
use super::Balance;
use crate::params::LedgerParams;
use crate::state::{Credential, LedgerState};

/// The deposits, refunds and withdrawals of `tx` against `before`.
pub(super) fn of(before: &LedgerState, p: &LedgerParams, tx: &TxView<'_>) -> Balance {
    let withdrawn = tx
        .body
        .withdrawals
        .iter()
        .flat_map(|w| w.values())
        .fold(0u64, |acc, a| acc.saturating_add(*a));
    let mut deposits = 0u64;
    let mut refunds = 0u64;
    let add = |total: &mut u64, x: u64| *total = total.saturating_add(x);
    // Stake credentials and DReps registered earlier in this transaction, with their deposit.
    let mut registered: BTreeSet<Credential> = BTreeSet::new();
    let mut dreps: BTreeMap<Credential, u64> = BTreeMap::new();
    let mut new_pools = BTreeSet::new();
    for c in tx.body.certificates.iter().flat_map(|s| s.iter()) {
        match c {
            Certificate::StakeRegistration(c)
            | Certificate::Reg(c, _)
            | Certificate::StakeRegDeleg(c, _, _)
            | Certificate::VoteRegDeleg(c, _, _)
            | Certificate::StakeVoteRegDeleg(c, _, _, _) => {
                add(&mut deposits, p.key_deposit);
                registered.insert(Credential::from(c));
            }
            Certificate::StakeDeregistration(c) | Certificate::UnReg(c, _) => {
                let c = Credential::from(c);
                let paid = if registered.remove(&c) {
                    p.key_deposit
                } else {
                    before.accounts.get(&c).map_or(0, |a| a.deposit)
                };
                add(&mut refunds, paid);
            }
            // A new pool pays once; a re-registration pays nothing.
            Certificate::PoolRegistration { operator, .. }
                if !before.pools.contains_key(&**operator) && new_pools.insert(**operator) =>
            {
                add(&mut deposits, p.pool_deposit);
            }
            Certificate::RegDRepCert(c, d, _) => {
                add(&mut deposits, p.drep_deposit);
                dreps.insert(Credential::from(c), *d);
            }
            Certificate::UnRegDRepCert(c, _) => {
                let c = Credential::from(c);
                let paid = match dreps.remove(&c) {
                    Some(d) => d,
                    None => before.governance.dreps.get(&c).map_or(0, |d| d.deposit),
                };
                add(&mut refunds, paid);
            }
            _ => {}
        }
    }
    let proposals = tx.body.proposal_procedures.iter().flat_map(|s| s.iter()).count() as u64;
    add(&mut deposits, p.gov_action_deposit.saturating_mul(proposals));
    Balance {
        withdrawn,
        deposits,
        refunds,
    }
}
