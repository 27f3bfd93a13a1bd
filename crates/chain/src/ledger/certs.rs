//! Certificates (Conway DELEG and POOL): stake credential registration and deregistration with
//! deposits, delegation to pools, pool registration, re-registration and retirement.
//! Governance certificates (DReps, committee, vote delegation) are refused as out of scope.

use std::collections::BTreeSet;

use pallas_primitives::conway::{Certificate, TransactionBody};
use pallas_primitives::StakeCredential;

use super::{Account, Credential, LedgerError, LedgerParams, LedgerState, PoolParams, PoolState};

/// What a transaction's certificates add to its balance.
#[derive(Debug, Default)]
pub(super) struct CertEffects {
    pub deposits: u64,
    pub refunds: u64,
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
            Certificate::PoolRegistration {
                operator,
                vrf_keyhash,
                pledge,
                cost,
                margin,
                reward_account,
                pool_owners,
                pool_metadata,
                ..
            } => {
                // Shelley POOL at protocol version 10, in its order: the reward account's
                // network, the metadata hash's size, the cost.
                let found = reward_account.first().map_or(0, |h| h & 0x0f);
                if found != p.network_id {
                    return Err(LedgerError::WrongNetworkPool {
                        expected: p.network_id,
                        found,
                        pool: **operator,
                    });
                }
                if let Some(m) = pool_metadata.as_ref() {
                    if m.hash.len() > 32 {
                        return Err(LedgerError::PoolMetadataHashTooBig {
                            pool: **operator,
                            size: m.hash.len(),
                        });
                    }
                }
                if *cost < p.min_pool_cost {
                    return Err(LedgerError::PoolCostTooLow {
                        cost: *cost,
                        min: p.min_pool_cost,
                    });
                }
                let params = PoolParams {
                    vrf_key_hash: **vrf_keyhash,
                    pledge: *pledge,
                    cost: *cost,
                    margin: (margin.numerator, margin.denominator),
                    reward_account: reward_account.to_vec(),
                    owners: pool_owners.iter().map(|o| **o).collect(),
                };
                required.insert(**operator);
                required.extend(params.owners.iter().copied());
                match state.pools.get_mut(&**operator) {
                    // Re-registration: new parameters from the next epoch, no deposit, and
                    // a pending retirement is cancelled.
                    Some(existing) => {
                        existing.future = Some(params);
                        existing.retiring = None;
                    }
                    None => {
                        state.pools.insert(
                            **operator,
                            PoolState {
                                params,
                                future: None,
                                retiring: None,
                                deposit: p.pool_deposit,
                            },
                        );
                        fx.deposits += p.pool_deposit;
                    }
                }
            }
            Certificate::PoolRetirement(pool, epoch) => {
                let current = state.epoch;
                let max = current.saturating_add(p.e_max);
                if *epoch <= current || *epoch > max {
                    return Err(LedgerError::RetirementEpoch {
                        epoch: *epoch,
                        current,
                        max,
                    });
                }
                let ps = state
                    .pools
                    .get_mut(&**pool)
                    .ok_or(LedgerError::PoolNotRegistered(**pool))?;
                ps.retiring = Some(*epoch);
                required.insert(**pool);
            }
            Certificate::VoteDeleg(..)
            | Certificate::StakeVoteDeleg(..)
            | Certificate::VoteRegDeleg(..)
            | Certificate::StakeVoteRegDeleg(..) => {
                return Err(LedgerError::Unsupported("governance: vote delegation certificates"))
            }
            Certificate::AuthCommitteeHot(..) | Certificate::ResignCommitteeCold(..) => {
                return Err(LedgerError::Unsupported("governance: committee certificates"))
            }
            Certificate::RegDRepCert(..) | Certificate::UnRegDRepCert(..) | Certificate::UpdateDRepCert(..) => {
                return Err(LedgerError::Unsupported("governance: DRep certificates"))
            }
        }
    }
    Ok(fx)
}
