//! POOL (Shelley `POOL`, as Conway runs it at protocol version 10): pool registration,
//! re-registration and retirement.

use pallas_primitives::conway::Certificate;

use crate::cbor_lengths;
use crate::error::LedgerError;
use crate::params::LedgerParams;
use crate::state::{LedgerState, PoolParams, PoolState};

/// Applies one pool certificate (the CERT rule routes only those here).
pub(super) fn apply(state: &mut LedgerState, p: &LedgerParams, cert: &Certificate) -> Result<(), LedgerError> {
    match cert {
        Certificate::PoolRegistration {
            operator,
            vrf_keyhash,
            pledge,
            cost,
            margin,
            reward_account,
            pool_owners,
            pool_metadata,
            relays,
        } => {
            // Shelley POOL at protocol version 10, in its order: the reward account's
            // network, the metadata hash's size, the cost; each failure reported (`?!`).
            let mut failures = Vec::new();
            let found = reward_account.first().map_or(0, |h| h & 0x0f);
            if found != p.network_id {
                failures.push(LedgerError::WrongNetworkPool {
                    expected: p.network_id,
                    found,
                    pool: **operator,
                });
            }
            if let Some(m) = pool_metadata.as_ref() {
                if m.hash.len() > 32 {
                    failures.push(LedgerError::PoolMetadataHashTooBig {
                        pool: **operator,
                        size: m.hash.len(),
                    });
                }
            }
            if *cost < p.min_pool_cost {
                failures.push(LedgerError::PoolCostTooLow {
                    cost: *cost,
                    min: p.min_pool_cost,
                });
            }
            if let Some(e) = LedgerError::from_failures(failures) {
                return Err(e);
            }
            let params = PoolParams {
                vrf_key_hash: **vrf_keyhash,
                pledge: *pledge,
                cost: *cost,
                margin: (margin.numerator, margin.denominator),
                reward_account: reward_account.to_vec(),
                owners: pool_owners.iter().map(|o| **o).collect(),
                relays: cbor_lengths::list(
                    relays
                        .iter()
                        .map(|r| pallas_codec::minicbor::to_vec(r).unwrap_or_default()),
                ),
                metadata: pool_metadata
                    .as_ref()
                    .and_then(|m| pallas_codec::minicbor::to_vec(m).ok())
                    .unwrap_or_default(),
            };
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
                }
            }
        }
        Certificate::PoolRetirement(pool, epoch) => {
            // Both checks are reported together, registration first.
            let mut failures = Vec::new();
            if !state.pools.contains_key(&**pool) {
                failures.push(LedgerError::PoolNotRegisteredOnKey(**pool));
            }
            let current = state.epoch;
            let max = current.saturating_add(p.e_max);
            if *epoch <= current || *epoch > max {
                failures.push(LedgerError::RetirementEpoch {
                    epoch: *epoch,
                    current,
                    max,
                });
            }
            if let Some(e) = LedgerError::from_failures(failures) {
                return Err(e);
            }
            if let Some(ps) = state.pools.get_mut(&**pool) {
                ps.retiring = Some(*epoch);
            }
        }
        // DELEG's and GOVCERT's certificates are routed elsewhere by CERT.
        _ => {}
    }
    Ok(())
}
