//! The answers to [`Query`]s from a slotforge ledger state, each written as cardano-node
//! writes it: the top-level results (`Ledger/Query.hs`), the hard-fork combinator's
//! (`HardFork/History`, `Serialisation/Common.hs` `encodeEitherMismatch`: an era query's
//! result is `[result]`, or the two eras' names when the query is for another era) and the
//! Conway ledger's (`Shelley/Ledger/Query.hs` `encodeShelleyResult`, cardano-ledger's
//! `EncCBOR` at protocol version 9: rationals tagged 30, sets tagged 258, ledger lists and maps
//! of more than 23 items written with indefinite length).
//!
//! A slotforge chain is Conway from its first slot; its era history presents the six earlier
//! eras as ending where they start, at slot 0, as cardano-testnet's networks do.

use std::collections::BTreeMap;

use minicbor::data::Tag;
use minicbor::Encoder;
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_ledger::state::{TxIn, TxOut};
use slotforge_ledger::{Credential, LedgerParams};

use super::queries::{EraQuery, Query, ERA_CONWAY, ERA_NAMES};
use crate::protocols::ledger_cbor;

mod governance;
mod pools;

use crate::protocols::codec::Enc;

/// `NodeToClientV_21`: GetGenesisConfig's protocol parameters carry their version as a list.
pub const V21: u64 = 32789;
/// `NodeToClientV_23`: the Praos state carries the previous epoch's nonce (cardano-node 10.7).
pub const V23: u64 = 32791;

/// The result of `query` on `state`, a state of the chain `cfg` describes, for a client that
/// negotiated node-to-client `version` (wire form, `n | 0x8000`).
pub fn answer(query: &Query, state: &ChainState, cfg: &ChainConfig, version: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out);
    match query {
        Query::SystemStart => system_start(&mut e, cfg.genesis.system_start_ms),
        Query::ChainBlockNo => {
            let _ = match state.tip {
                None => e.array(1).and_then(|e| e.u8(0)),
                Some(t) => e.array(2).and_then(|e| e.u8(1)).and_then(|e| e.u64(t.block_number)),
            };
        }
        Query::ChainPoint => point(&mut e, state),
        Query::CurrentEra => {
            let _ = e.u8(ERA_CONWAY);
        }
        Query::Interpreter => era_history(&mut e, state, cfg),
        Query::EraStart(_) => {
            // Every era starts at the origin: `Just (Bound 0 0 0)`.
            let _ = e.array(1);
            origin_bound(&mut e);
        }
        Query::IfCurrent(era, q) if *era == ERA_CONWAY => {
            let _ = e.array(1);
            era_answer(&mut e, q, state, cfg, version);
        }
        Query::IfCurrent(era, _) => {
            // `Left (MismatchEraInfo query-era ledger-era)`.
            let _ = e.array(2);
            for i in [*era, ERA_CONWAY] {
                let _ = e
                    .array(2)
                    .and_then(|e| e.u8(i))
                    .and_then(|e| e.str(ERA_NAMES[usize::from(i)]));
            }
        }
    }
    out
}

/// `SystemStart` as cardano-binary writes a `UTCTime`: `[year, dayOfYear, picosecondsOfDay]`.
fn system_start(e: &mut Enc<'_>, unix_ms: i64) {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, day_of_year) = year_and_day(days);
    let _ = e
        .array(3)
        .and_then(|e| e.i64(year))
        .and_then(|e| e.u16(day_of_year))
        .and_then(|e| e.u64(ms_of_day as u64 * 1_000_000_000));
}

/// The year and the day of the year (1-based) of a day counted from 1970-01-01.
fn year_and_day(mut days: i64) -> (i64, u16) {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = |y: i64| if leap(y) { 366 } else { 365 };
    let mut year = 1970;
    while days < 0 {
        year -= 1;
        days += len(year);
    }
    while days >= len(year) {
        days -= len(year);
        year += 1;
    }
    (year, days as u16 + 1)
}

fn point(e: &mut Enc<'_>, state: &ChainState) {
    let _ = match state.tip {
        None => e.array(0),
        Some(t) => e.array(2).and_then(|e| e.u64(t.slot)).and_then(|e| e.bytes(&t.hash)),
    };
}

/// `Bound 0 0 0`: the origin, in picoseconds, slots and epochs.
fn origin_bound(e: &mut Enc<'_>) {
    let _ = e
        .array(3)
        .and_then(|e| e.u8(0))
        .and_then(|e| e.u8(0))
        .and_then(|e| e.u8(0));
}

/// `EraParams`: `[epochSize, slotLength (ms), [0, safeZone, [0]], genesisWindow]`.
fn era_params(e: &mut Enc<'_>, epoch_size: u64, slot_length_ms: u64, safe_zone: u64) {
    let _ = e
        .array(4)
        .and_then(|e| e.u64(epoch_size))
        .and_then(|e| e.u64(slot_length_ms))
        .and_then(|e| e.array(3))
        .and_then(|e| e.u8(0))
        .and_then(|e| e.u64(safe_zone))
        .and_then(|e| e.array(1))
        .and_then(|e| e.u8(0))
        .and_then(|e| e.u64(safe_zone));
}

/// The Shelley-based eras' safe zone, 3k/f slots (`computeStabilityWindow`), rounded up.
pub fn safe_zone(cfg: &ChainConfig) -> u64 {
    let f = cfg.genesis.shelley.active_slots_coeff;
    (3 * cfg.security_param() * f.den).div_ceil(f.num.max(1))
}

/// The era history (`Summary` of the seven eras, an indefinite list): the earlier eras end at
/// the origin; Conway's end is the first epoch boundary at least a safe zone after the slot
/// following the state's tip (`summarize`).
fn era_history(e: &mut Enc<'_>, state: &ChainState, cfg: &ChainConfig) {
    let k = cfg.security_param();
    let slot_ms = cfg.genesis.slot_length_ms();
    let epoch_length = cfg.genesis.shelley.epoch_length;
    let zone = safe_zone(cfg);
    let _ = e.begin_array();
    for era in 0..ERA_CONWAY {
        let _ = e.array(3);
        origin_bound(e);
        origin_bound(e);
        if era == 0 {
            era_params(e, 10 * k, slot_ms, 2 * k);
        } else {
            era_params(e, epoch_length, slot_ms, zone);
        }
    }
    let next = state.tip.map_or(0, |t| t.slot + 1);
    let end_slot = next + zone;
    let end_epoch = end_slot.div_ceil(epoch_length.max(1));
    let slot = end_epoch * epoch_length;
    let _ = e.array(3);
    origin_bound(e);
    let _ = e
        .array(3)
        .and_then(|e| e.u128(u128::from(slot) * u128::from(slot_ms) * 1_000_000_000))
        .and_then(|e| e.u64(slot))
        .and_then(|e| e.u64(end_epoch));
    era_params(e, epoch_length, slot_ms, zone);
    let _ = e.end();
}

fn era_answer(e: &mut Enc<'_>, q: &EraQuery, state: &ChainState, cfg: &ChainConfig, version: u64) {
    let l = &state.ledger;
    match q {
        EraQuery::LedgerTip => point(e, state),
        EraQuery::EpochNo => {
            let _ = e.u64(l.epoch);
        }
        EraQuery::CurrentPParams => pparams(e, &l.params),
        EraQuery::UtxoByAddress(addresses) => {
            let mut found: BTreeMap<TxIn, &TxOut> = BTreeMap::new();
            for a in addresses {
                for i in l.utxo_by_address.get(a).into_iter().flatten() {
                    if let Some(o) = l.utxo.get(i) {
                        found.insert(*i, o);
                    }
                }
            }
            utxo(e, found.into_iter());
        }
        EraQuery::UtxoByTxIn(inputs) => {
            let mut found: BTreeMap<TxIn, &TxOut> = BTreeMap::new();
            for i in inputs {
                if let Some(o) = l.utxo.get(i) {
                    found.insert(*i, o);
                }
            }
            utxo(e, found.into_iter());
        }
        EraQuery::UtxoWhole => utxo(e, l.utxo.iter().map(|(i, o)| (*i, &**o))),
        EraQuery::Cbor(inner) => {
            let mut bytes = Vec::new();
            era_answer(&mut Encoder::new(&mut bytes), inner, state, cfg, version);
            let _ = e.tag(Tag::new(24)).and_then(|e| e.bytes(&bytes));
        }
        EraQuery::StakePools => {
            let _ = e.tag(Tag::new(258)).and_then(|e| e.array(l.pools.len() as u64));
            for id in l.pools.keys() {
                let _ = e.bytes(id);
            }
        }
        EraQuery::AccountState => {
            let _ = e
                .array(2)
                .and_then(|e| e.u64(l.treasury))
                .and_then(|e| e.u64(l.reserves));
        }
        EraQuery::StakeDistribution | EraQuery::StakeDistribution2 => {
            // Each pool's share of the circulating supply (`poolsByTotalStakeFraction`), from
            // the stake now; the stakes and the total stay active stake.
            let now = l.stake_distribution();
            let circulating = l.params.max_lovelace_supply.saturating_sub(l.reserves);
            let pools = now
                .pools
                .iter()
                .map(|(id, p)| (id, p.stake, p.vrf_key_hash, (p.stake, circulating)));
            pool_distr(e, pools, now.total.max(1), matches!(q, EraQuery::StakeDistribution));
        }
        EraQuery::PoolDistr(filter) | EraQuery::PoolDistr2(filter) => {
            // The current epoch's leader election (`nesPd`), filtered.
            let set = l.leader_distribution();
            let total = set.total.max(1);
            let pools = set
                .pools
                .iter()
                .filter(|(id, _)| filter.as_ref().is_none_or(|f| f.contains(id)))
                .map(|(id, p)| (id, p.stake, p.vrf_key_hash, (p.stake, total)));
            pool_distr(e, pools, total, matches!(q, EraQuery::PoolDistr(_)));
        }
        EraQuery::StakePoolParams(ids) => pools::stake_pool_params(e, l, ids),
        EraQuery::PoolState(ids) => pools::pool_state(e, l, ids.as_deref()),
        EraQuery::Constitution => {
            governance::constitution(e, &l.governance.constitution_anchor, l.governance.guardrail)
        }
        EraQuery::GovState => governance::gov_state(e, state, cfg),
        EraQuery::DRepState(creds) => governance::drep_state(e, l, creds),
        EraQuery::DRepStakeDistr(dreps) => governance::drep_stake_distr(e, l, dreps),
        EraQuery::CommitteeMembersState(cold, hot, statuses) => {
            governance::committee_members_state(e, l, cold, hot, statuses)
        }
        EraQuery::MaxMajorProtocolVersion => {
            let _ = e.u64(cfg.max_major_protocol_version);
        }
        EraQuery::GenesisConfig => genesis_config(e, cfg, version),
        EraQuery::DebugChainDepState => praos_state(e, state, version),
        EraQuery::StakeSnapshots(filter) => stake_snapshots(e, l, filter.as_deref()),
        EraQuery::FilteredDelegationsAndRewardAccounts(creds) => {
            let registered: Vec<_> = creds.iter().filter_map(|c| l.accounts.get(c).map(|a| (c, a))).collect();
            let delegated: Vec<_> = registered.iter().filter_map(|(c, a)| Some((*c, a.pool?))).collect();
            let _ = e.array(2);
            sorted_map(e, &delegated, |e, (c, pool)| {
                ledger_cbor::credential(e, c);
                let _ = e.bytes(pool);
            });
            sorted_map(e, &registered, |e, (c, a)| {
                ledger_cbor::credential(e, c);
                let _ = e.u64(a.rewards);
            });
        }
        EraQuery::StakeDelegDeposits(creds) => {
            let deposits: Vec<_> = creds
                .iter()
                .filter_map(|c| l.accounts.get(c).map(|a| (c, a.deposit)))
                .collect();
            sorted_map(e, &deposits, |e, (c, d)| {
                ledger_cbor::credential(e, c);
                let _ = e.u64(*d);
            });
        }
        EraQuery::FilteredVoteDelegatees(creds) => {
            let delegated: Vec<_> = creds
                .iter()
                .filter_map(|c| Some((c, l.accounts.get(c)?.drep?)))
                .collect();
            sorted_map(e, &delegated, |e, (c, d)| {
                ledger_cbor::credential(e, c);
                ledger_cbor::drep(e, d);
            });
        }
    }
}

/// A ledger map keyed by credentials (deduplicated, in the reference's credential order).
fn sorted_map<V>(e: &mut Enc<'_>, items: &[(&Credential, V)], put: impl FnMut(&mut Enc<'_>, &&(&Credential, V))) {
    let mut order: Vec<&(&Credential, V)> = items.iter().collect();
    order.sort_by_key(|(k, _)| k.reference_order());
    order.dedup_by_key(|(k, _)| k.reference_order());
    ledger_cbor::map(e, &order, put);
}

/// A nonce: `[0]` (neutral) or `[1, hash]`.
fn put_nonce(e: &mut Enc<'_>, n: Option<[u8; 32]>) {
    let _ = match n {
        None => e.array(1).and_then(|e| e.u8(0)),
        Some(h) => e.array(2).and_then(|e| e.u8(1)).and_then(|e| e.bytes(&h)),
    };
}

/// The Praos state (`PraosState`, versioned `[0, state]`): the last slot, the operational
/// certificates' counters and the nonces — the previous epoch's nonce from node-to-client 23
/// (cardano-node 10.7) on.
fn praos_state(e: &mut Enc<'_>, state: &ChainState, version: u64) {
    let n = state.nonces.get();
    let nonce = |x: slotforge_praos::nonce::Nonce| match x {
        slotforge_praos::nonce::Nonce::Neutral => None,
        slotforge_praos::nonce::Nonce::Hash(h) => Some(h),
    };
    let with_previous = version >= V23;
    let _ = e
        .array(2)
        .and_then(|e| e.u8(0))
        .and_then(|e| e.array(if with_previous { 8 } else { 7 }));
    let _ = match state.tip {
        None => e.array(1).and_then(|e| e.u8(0)),
        Some(t) => e.array(2).and_then(|e| e.u8(1)).and_then(|e| e.u64(t.slot)),
    };
    let _ = e.map(state.opcert_counters.len() as u64);
    for (pool, counter) in state.opcert_counters.iter() {
        let _ = e.bytes(pool).and_then(|e| e.u64(*counter));
    }
    put_nonce(e, nonce(n.evolving));
    put_nonce(e, nonce(n.candidate));
    put_nonce(e, nonce(n.epoch));
    if with_previous {
        put_nonce(e, nonce(n.previous_epoch));
    }
    put_nonce(e, nonce(n.last_block));
    put_nonce(e, nonce(n.last_epoch_block));
}

/// The Shelley genesis as `CompactGenesis` (its initial funds and staking left out): 15
/// fields; its protocol parameters with their version as a list from node-to-client 21 on,
/// as two numbers before (`LegacyShelleyGenesis`).
fn genesis_config(e: &mut Enc<'_>, cfg: &ChainConfig, version: u64) {
    let g = &cfg.genesis.shelley;
    let p = &g.protocol_params;
    let f = slotforge_praos::ratio::Ratio::new(g.active_slots_coeff.num, g.active_slots_coeff.den);
    let _ = e.array(15);
    system_start(e, cfg.genesis.system_start_ms);
    let _ = e
        .u32(g.network_magic)
        .and_then(|e| e.u8(u8::from(g.network_id == "Mainnet")))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u64(f.num))
        .and_then(|e| e.u64(f.den))
        .and_then(|e| e.u64(g.security_param))
        .and_then(|e| e.u64(g.epoch_length))
        .and_then(|e| e.u64(g.slots_per_kes_period))
        .and_then(|e| e.u64(g.max_kes_evolutions))
        .and_then(|e| e.u64(cfg.genesis.slot_length_ms() * 1_000))
        .and_then(|e| e.u64(g.update_quorum))
        .and_then(|e| e.u64(g.max_lovelace_supply));
    let legacy = version < V21;
    let _ = e.array(if legacy { 18 } else { 17 });
    leading_params(
        e,
        [
            p.min_fee_a,
            p.min_fee_b,
            p.max_block_body_size,
            p.max_tx_size,
            p.max_block_header_size,
            p.key_deposit,
            p.pool_deposit,
            p.e_max,
            p.n_opt,
        ],
    );
    for r in [&p.a0, &p.rho, &p.tau, &p.decentralisation_param] {
        ledger_cbor::rational(e, (r.num, r.den));
    }
    // The extra entropy: none (neutral) since the Babbage rules ignore it.
    let _ = e.array(1).and_then(|e| e.u8(0));
    let (major, minor) = (p.protocol_version.major, p.protocol_version.minor);
    let _ = if legacy {
        e.u64(major).and_then(|e| e.u64(minor))
    } else {
        e.array(2).and_then(|e| e.u64(major)).and_then(|e| e.u64(minor))
    };
    let _ = e.u64(p.min_utxo_value).and_then(|e| e.u64(p.min_pool_cost));
    // The genesis delegations: {genesis key hash => [delegate key hash, VRF key hash]}.
    let mut delegs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = g
        .gen_delegs
        .iter()
        .filter_map(|(k, d)| {
            Some((
                hex::decode(k).ok()?,
                hex::decode(&d.delegate).ok()?,
                hex::decode(&d.vrf).ok()?,
            ))
        })
        .collect();
    delegs.sort();
    let _ = e.map(delegs.len() as u64);
    for (k, delegate, vrf) in &delegs {
        let _ = e
            .bytes(k)
            .and_then(|e| e.array(2))
            .and_then(|e| e.bytes(delegate))
            .and_then(|e| e.bytes(vrf));
    }
    // No initial funds, no staking: `[{}, {}]`.
    let _ = e
        .map(0)
        .and_then(|e| e.array(2))
        .and_then(|e| e.map(0))
        .and_then(|e| e.map(0));
}

/// The mark, set and go snapshots' stake of the pools asked for (all that any snapshot has
/// delegators of when `None`), and each snapshot's total (`StakeSnapshots`, plain CBOR).
fn stake_snapshots(e: &mut Enc<'_>, l: &slotforge_ledger::LedgerState, filter: Option<&[[u8; 28]]>) {
    let snaps = [&l.mark, &l.set, &l.go];
    let mut pools: Vec<[u8; 28]> = match filter {
        Some(f) => f.to_vec(),
        None => snaps.iter().flat_map(|s| s.pools.keys().copied()).collect(),
    };
    pools.sort();
    pools.dedup();
    let _ = e.array(4).and_then(|e| e.map(pools.len() as u64));
    for id in &pools {
        let _ = e.bytes(id).and_then(|e| e.array(3));
        for s in snaps {
            let _ = e.u64(s.pools.get(id).map_or(0, |p| p.stake));
        }
    }
    for s in snaps {
        let _ = e.u64(s.total);
    }
}

/// The ledger's `PoolDistr` (node-to-client 21 on): `[{pool => [share, stake, vrf]}, total]`;
/// `legacy`, consensus's own before 21: `{pool => [share, vrf]}`.
fn pool_distr<'p>(
    e: &mut Enc<'_>,
    pools: impl Iterator<Item = (&'p [u8; 28], u64, [u8; 32], (u64, u64))>,
    total: u64,
    legacy: bool,
) {
    let pools: Vec<_> = pools.collect();
    if !legacy {
        let _ = e.array(2);
    }
    ledger_cbor::map(e, &pools, |e, (id, stake, vrf, share)| {
        let _ = e.bytes(*id).and_then(|e| e.array(if legacy { 2 } else { 3 }));
        ledger_cbor::rational(e, if share.1 == 0 { (0, 1) } else { *share });
        if !legacy {
            let _ = e.u64(*stake);
        }
        let _ = e.bytes(vrf);
    });
    if !legacy {
        let _ = e.u64(total);
    }
}

/// A UTxO: `{[txId, index] => output}`, each output as the reference writes it.
fn utxo<'o>(e: &mut Enc<'_>, outputs: impl Iterator<Item = (TxIn, &'o TxOut)>) {
    let entries: Vec<(TxIn, &TxOut)> = outputs.collect();
    ledger_cbor::map(e, &entries, |e, (i, o)| {
        ledger_cbor::tx_in(e, i);
        e.writer_mut().extend_from_slice(&o.reference_cbor());
    });
}

/// The nine whole numbers every era's protocol parameters start with, Shelley's to Conway's:
/// the fees, the size limits, the deposits, eMax and nOpt.
fn leading_params(e: &mut Enc<'_>, values: [u64; 9]) {
    for v in values {
        let _ = e.u64(v);
    }
}

/// Conway's `PParams`: the 31 fields in `eraPParams` order.
fn pparams(e: &mut Enc<'_>, p: &LedgerParams) {
    let _ = e.array(31);
    leading_params(
        e,
        [
            p.min_fee_a,
            p.min_fee_b,
            p.max_block_body_size,
            p.max_tx_size,
            p.max_block_header_size,
            p.key_deposit,
            p.pool_deposit,
            p.e_max,
            p.n_opt,
        ],
    );
    ledger_cbor::rational(e, p.a0);
    ledger_cbor::rational(e, p.rho);
    ledger_cbor::rational(e, p.tau);
    let _ = e
        .array(2)
        .and_then(|e| e.u64(p.protocol_version.0))
        .and_then(|e| e.u64(p.protocol_version.1))
        .and_then(|e| e.u64(p.min_pool_cost))
        .and_then(|e| e.u64(p.coins_per_utxo_byte))
        .and_then(|e| e.map(p.cost_models.len() as u64));
    for (language, model) in &p.cost_models {
        let _ = e.u8(*language);
        ledger_cbor::list(e, model, |e, v| {
            let _ = e.i64(*v);
        });
    }
    let _ = e.array(2);
    ledger_cbor::rational(e, p.prices.0);
    ledger_cbor::rational(e, p.prices.1);
    for u in [p.max_tx_ex_units, p.max_block_ex_units] {
        let _ = e.array(2).and_then(|e| e.u64(u.mem)).and_then(|e| e.u64(u.steps));
    }
    let _ = e
        .u64(p.max_value_size)
        .and_then(|e| e.u64(p.collateral_percentage))
        .and_then(|e| e.u64(p.max_collateral_inputs));
    let pv = &p.pool_voting_thresholds;
    let _ = e.array(5);
    for t in [
        &pv.motion_no_confidence,
        &pv.committee_normal,
        &pv.committee_no_confidence,
        &pv.hard_fork_initiation,
        &pv.pp_security_group,
    ] {
        ledger_cbor::rational(e, t.0);
    }
    let dv = &p.drep_voting_thresholds;
    let _ = e.array(10);
    for t in [
        &dv.motion_no_confidence,
        &dv.committee_normal,
        &dv.committee_no_confidence,
        &dv.update_to_constitution,
        &dv.hard_fork_initiation,
        &dv.pp_network_group,
        &dv.pp_economic_group,
        &dv.pp_technical_group,
        &dv.pp_gov_group,
        &dv.treasury_withdrawal,
    ] {
        ledger_cbor::rational(e, t.0);
    }
    for v in [
        p.committee_min_size,
        p.committee_max_term_length,
        p.gov_action_lifetime,
        p.gov_action_deposit,
        p.drep_deposit,
        p.drep_activity,
    ] {
        let _ = e.u64(v);
    }
    ledger_cbor::rational(e, p.min_fee_ref_script_per_byte);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_start_is_written_as_cardano_binary_writes_utc_time() {
        // Mainnet, 2017-09-23T21:44:51Z: `83 19 07e1 19 010a 1b 0116253fec1c3000`.
        let mut out = Vec::new();
        system_start(&mut Encoder::new(&mut out), 1_506_203_091_000);
        assert_eq!(hex::encode(out), "831907e119010a1b0116253fec1c3000");
        // Preprod, 2022-06-01T00:00:00Z: `83 19 07e6 18 98 00`.
        let mut out = Vec::new();
        system_start(&mut Encoder::new(&mut out), 1_654_041_600_000);
        assert_eq!(hex::encode(out), "831907e6189800");
    }

    #[test]
    fn days_fall_in_their_year() {
        assert_eq!(year_and_day(0), (1970, 1));
        assert_eq!(year_and_day(365), (1971, 1));
        assert_eq!(year_and_day(-1), (1969, 365));
        // 2000 is a leap year: 2000-12-31 is its 366th day.
        assert_eq!(year_and_day(11_322), (2000, 366));
    }
}
