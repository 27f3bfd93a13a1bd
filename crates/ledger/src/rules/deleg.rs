//! DELEG (Conway `DELEG`): stake credential registration and deregistration with their
//! deposits, and delegation to a pool.

use std::collections::BTreeSet;

use pallas_primitives::conway::Certificate;
use pallas_primitives::StakeCredential;

use super::certs::CertEffects;
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{Account, Credential, LedgerState};

/// Applies one stake certificate (the CERT rule routes only those here).
pub(super) fn apply(
    state: &mut LedgerState,
    p: &LedgerParams,
    cert: &Certificate,
    required: &mut BTreeSet<[u8; 28]>,
    fx: &mut CertEffects,
) -> Result<(), LedgerError> {
    match cert {
        // Shelley's registration carries no deposit field and needs no witness.
        Certificate::StakeRegistration(c) => {
            register(state, credential(c), p.key_deposit)?;
            fx.deposits += p.key_deposit;
        }
        Certificate::Reg(c, d) => {
            let c = credential(c);
            check_deposit(p, *d)?;
            witness(&c, required)?;
            register(state, c, *d)?;
            fx.deposits += d;
        }
        Certificate::StakeDeregistration(c) => {
            let c = credential(c);
            witness(&c, required)?;
            fx.refunds += deregister(state, c, None)?;
        }
        Certificate::UnReg(c, d) => {
            let c = credential(c);
            witness(&c, required)?;
            fx.refunds += deregister(state, c, Some(*d))?;
        }
        Certificate::StakeDelegation(c, pool) => {
            let c = credential(c);
            witness(&c, required)?;
            delegate(state, c, **pool)?;
        }
        Certificate::StakeRegDeleg(c, pool, d) => {
            let c = credential(c);
            check_deposit(p, *d)?;
            witness(&c, required)?;
            register(state, c, *d)?;
            delegate(state, c, **pool)?;
            fx.deposits += d;
        }
        // POOL's and GOVCERT's certificates are routed elsewhere by CERT.
        _ => {}
    }
    Ok(())
}

fn credential(c: &StakeCredential) -> Credential {
    match c {
        StakeCredential::AddrKeyhash(h) => Credential::Key(**h),
        StakeCredential::ScriptHash(h) => Credential::Script(**h),
    }
}

/// The key that must witness an action on `c`.
fn witness(c: &Credential, required: &mut BTreeSet<[u8; 28]>) -> Result<(), LedgerError> {
    match c {
        Credential::Key(h) => {
            required.insert(*h);
            Ok(())
        }
        Credential::Script(_) => Err(LedgerError::Unsupported("certificates for script credentials")),
    }
}

fn register(state: &mut LedgerState, c: Credential, deposit: u64) -> Result<(), LedgerError> {
    if state.accounts.contains_key(&c) {
        return Err(LedgerError::StakeAlreadyRegistered(c));
    }
    state.accounts.insert(
        c,
        Account {
            deposit,
            rewards: 0,
            pool: None,
        },
    );
    Ok(())
}

/// Removes a registration; returns the deposit to refund.
fn deregister(state: &mut LedgerState, c: Credential, declared: Option<u64>) -> Result<u64, LedgerError> {
    let a = state.accounts.get(&c).ok_or(LedgerError::StakeNotRegistered(c))?;
    if let Some(d) = declared {
        if d != a.deposit {
            return Err(LedgerError::IncorrectRefund {
                expected: a.deposit,
                declared: d,
            });
        }
    }
    if a.rewards != 0 {
        return Err(LedgerError::NonZeroRewardBalance {
            credential: c,
            balance: a.rewards,
        });
    }
    let deposit = a.deposit;
    state.accounts.remove(&c);
    Ok(deposit)
}

fn delegate(state: &mut LedgerState, c: Credential, pool: [u8; 28]) -> Result<(), LedgerError> {
    if !state.pools.contains_key(&pool) {
        return Err(LedgerError::PoolNotRegistered(pool));
    }
    let a = state.accounts.get_mut(&c).ok_or(LedgerError::StakeNotRegistered(c))?;
    a.pool = Some(pool);
    Ok(())
}

fn check_deposit(p: &LedgerParams, declared: u64) -> Result<(), LedgerError> {
    if declared != p.key_deposit {
        return Err(LedgerError::IncorrectDeposit {
            expected: p.key_deposit,
            declared,
        });
    }
    Ok(())
}
