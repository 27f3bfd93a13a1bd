//! DELEG (Conway `DELEG`): stake credential registration and deregistration with their
//! deposits, and delegation of stake to a pool and of votes to a DRep, alone or combined with
//! registration.

use pallas_primitives::conway::{Certificate, DRep as PallasDRep};

use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Account, Credential, DRep, LedgerState, PoolId};

/// Applies one stake certificate (CERT routes only those here); every failure of the
/// certificate is reported.
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, cert: &Certificate) -> Result<(), LedgerError> {
    let Some(DelegCert {
        credential: c,
        register: reg,
        pool,
        drep,
        unregister: unreg,
    }) = DelegCert::of(cert)
    else {
        return Ok(());
    };
    let c = Credential::from(c);
    let mut failures = Vec::new();

    if let Some(declared) = reg {
        // ConwayRegCert / ConwayRegDelegCert: the declared deposit, then not yet registered.
        if let Some(d) = declared {
            if d != p.key_deposit {
                failures.push(LedgerError::IncorrectDeposit {
                    expected: p.key_deposit,
                    declared: d,
                });
            }
        }
        if state.accounts.contains_key(&c) {
            failures.push(LedgerError::StakeAlreadyRegistered(c));
        }
        check_targets(state, pool, drep, &mut failures);
        if failures.is_empty() {
            let deposit = p.key_deposit;
            state.accounts.insert(
                c,
                Account {
                    deposit,
                    rewards: 0,
                    pool,
                    drep,
                },
            );
        }
    } else if let Some(declared) = unreg {
        // ConwayUnRegCert: registered, the declared refund is the deposit, no rewards left.
        match state.accounts.get(&c) {
            None => failures.push(LedgerError::StakeNotRegistered(c)),
            Some(a) => {
                if let Some(d) = declared {
                    if d != a.deposit {
                        failures.push(LedgerError::IncorrectRefund {
                            expected: a.deposit,
                            declared: d,
                        });
                    }
                }
                if a.rewards != 0 {
                    failures.push(LedgerError::NonZeroRewardBalance {
                        credential: c,
                        balance: a.rewards,
                    });
                }
            }
        }
        if failures.is_empty() {
            state.accounts.remove(&c);
        }
    } else {
        // ConwayDelegCert: registered, then the pool and DRep exist.
        if !state.accounts.contains_key(&c) {
            failures.push(LedgerError::StakeNotRegistered(c));
        }
        check_targets(state, pool, drep, &mut failures);
        if failures.is_empty() {
            if let Some(a) = state.accounts.get_mut(&c) {
                if pool.is_some() {
                    a.pool = pool;
                }
                if drep.is_some() {
                    a.drep = drep;
                }
            }
        }
    }
    LedgerError::from_failures(failures).map_or(Ok(()), Err)
}

/// What a stake certificate does.
struct DelegCert<'c> {
    credential: &'c pallas_primitives::StakeCredential,
    /// Registration, with the deposit a Conway certificate declares.
    register: Option<Option<u64>>,
    pool: Option<PoolId>,
    drep: Option<DRep>,
    /// Deregistration, with the refund a Conway certificate declares.
    unregister: Option<Option<u64>>,
}

impl<'c> DelegCert<'c> {
    fn of(cert: &'c Certificate) -> Option<Self> {
        let d = |credential, register, pool, drep, unregister| {
            Some(DelegCert {
                credential,
                register,
                pool,
                drep,
                unregister,
            })
        };
        match cert {
            Certificate::StakeRegistration(c) => d(c, Some(None), None, None, None),
            Certificate::Reg(c, dep) => d(c, Some(Some(*dep)), None, None, None),
            Certificate::StakeDeregistration(c) => d(c, None, None, None, Some(None)),
            Certificate::UnReg(c, r) => d(c, None, None, None, Some(Some(*r))),
            Certificate::StakeDelegation(c, pool) => d(c, None, Some(**pool), None, None),
            Certificate::VoteDeleg(c, dr) => d(c, None, None, Some(drep_of(dr)), None),
            Certificate::StakeVoteDeleg(c, pool, dr) => d(c, None, Some(**pool), Some(drep_of(dr)), None),
            Certificate::StakeRegDeleg(c, pool, dep) => d(c, Some(Some(*dep)), Some(**pool), None, None),
            Certificate::VoteRegDeleg(c, dr, dep) => d(c, Some(Some(*dep)), None, Some(drep_of(dr)), None),
            Certificate::StakeVoteRegDeleg(c, pool, dr, dep) => {
                d(c, Some(Some(*dep)), Some(**pool), Some(drep_of(dr)), None)
            }
            _ => None,
        }
    }
}

/// `DelegateeStakePoolNotRegisteredDELEG` and `DelegateeDRepNotRegisteredDELEG`.
fn check_targets(state: &LedgerState, pool: Option<PoolId>, drep: Option<DRep>, failures: &mut Vec<LedgerError>) {
    if let Some(pool) = pool {
        if !state.pools.contains_key(&pool) {
            failures.push(LedgerError::PoolNotRegistered(pool));
        }
    }
    if let Some(c) = drep.and_then(|d| d.credential()) {
        if !state.governance.dreps.contains_key(&c) {
            failures.push(LedgerError::DRepNotRegisteredDeleg(c));
        }
    }
}

/// The ledger's DRep from pallas'.
pub(super) fn drep_of(d: &PallasDRep) -> DRep {
    match d {
        PallasDRep::Key(h) => DRep::Key(**h),
        PallasDRep::Script(h) => DRep::Script(**h),
        PallasDRep::Abstain => DRep::AlwaysAbstain,
        PallasDRep::NoConfidence => DRep::AlwaysNoConfidence,
    }
}
