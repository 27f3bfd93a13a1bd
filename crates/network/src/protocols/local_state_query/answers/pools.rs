//! The stake pools' registrations (`queryPoolParameters`, `queryPoolState`).

use slotforge_ledger::state::{PoolId, PoolParams};
use slotforge_ledger::LedgerState;

use crate::protocols::codec::Enc;
use crate::protocols::ledger_cbor;

/// `Map PoolId PoolParams` of the registered pools asked for.
pub(super) fn stake_pool_params(e: &mut Enc<'_>, l: &LedgerState, ids: &[PoolId]) {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let pools: Vec<_> = ids
        .iter()
        .filter_map(|id| l.pools.get(id).map(|p| (id, &p.params)))
        .collect();
    ledger_cbor::map(e, &pools, |e, (id, p)| pool_params(e, id, p));
}

/// `QueryPoolStateResult`: `[{pool => params}, {pool => future params}, {pool => retiring
/// epoch}, {pool => deposit}]` of the pools asked for (all when `None`).
pub(super) fn pool_state(e: &mut Enc<'_>, l: &LedgerState, ids: Option<&[PoolId]>) {
    let pools: Vec<_> = l
        .pools
        .iter()
        .filter(|(id, _)| ids.is_none_or(|ids| ids.contains(id)))
        .collect();
    let _ = e.array(4);
    ledger_cbor::map(e, &pools, |e, (id, p)| pool_params(e, id, &p.params));
    let future: Vec<_> = pools
        .iter()
        .filter_map(|(id, p)| p.future.as_ref().map(|f| (*id, f)))
        .collect();
    ledger_cbor::map(e, &future, |e, (id, f)| pool_params(e, id, f));
    let retiring: Vec<_> = pools
        .iter()
        .filter_map(|(id, p)| p.retiring.map(|r| (*id, r)))
        .collect();
    ledger_cbor::map(e, &retiring, |e, (id, epoch)| {
        let _ = e.bytes(*id).and_then(|e| e.u64(*epoch));
    });
    ledger_cbor::map(e, &pools, |e, (id, p)| {
        let _ = e.bytes(*id).and_then(|e| e.u64(p.deposit));
    });
}

/// A pool id followed by its `PoolParams`: `[operator, vrf, pledge, cost, margin, reward
/// account, owners, relays, metadata / null]`.
fn pool_params(e: &mut Enc<'_>, id: &PoolId, p: &PoolParams) {
    let _ = e
        .bytes(id)
        .and_then(|e| e.array(9))
        .and_then(|e| e.bytes(id))
        .and_then(|e| e.bytes(&p.vrf_key_hash))
        .and_then(|e| e.u64(p.pledge))
        .and_then(|e| e.u64(p.cost));
    ledger_cbor::rational(e, p.margin);
    let _ = e.bytes(&p.reward_account);
    let mut owners = p.owners.clone();
    owners.sort();
    owners.dedup();
    ledger_cbor::set(e, &owners, |e, o| {
        let _ = e.bytes(o);
    });
    if p.relays.is_empty() {
        let _ = e.array(0);
    } else {
        e.writer_mut().extend_from_slice(&p.relays);
    }
    if p.metadata.is_empty() {
        let _ = e.null();
    } else {
        e.writer_mut().extend_from_slice(&p.metadata);
    }
}
