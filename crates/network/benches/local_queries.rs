//! Local state query answers on a ledger of 100,000 stake accounts, 1,000 pools and 1,000
//! DReps (the synthetic `boundary_fixture` state): what each costs the node, the answer's
//! encoding included, the socket excluded.
//!
//!   cargo bench -p slotforge-network --bench local_queries

#[path = "../../chain/tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use slotforge_network::protocols::local_state_query::answers::{answer, V23};
use slotforge_network::protocols::local_state_query::queries::{EraQuery, Query};

fn queries(c: &mut Criterion) {
    let net = common::Devnet::new(3, 3, (1, 2), 100);
    let mut state = net.genesis_state();
    state.ledger = slotforge_ledger::boundary_fixture::state(100_000, 1_000);
    state.ledger.reindex();
    let cfg = &net.cfg;
    let pool = *state.ledger.pools.keys().next().unwrap();
    let address = state.ledger.utxo.values().next().unwrap().address.clone();
    let mut group = c.benchmark_group("local state query (100,000 accounts, 1,000 pools)");
    group.sample_size(10);
    let cases = [
        ("GetSystemStart", Query::SystemStart),
        ("GetInterpreter (era history)", Query::Interpreter),
        ("GetCurrentPParams", Query::IfCurrent(6, EraQuery::CurrentPParams)),
        ("GetGenesisConfig", Query::IfCurrent(6, EraQuery::GenesisConfig)),
        (
            "GetCBOR DebugChainDepState",
            Query::IfCurrent(6, EraQuery::Cbor(Box::new(EraQuery::DebugChainDepState))),
        ),
        (
            "GetStakeSnapshots (one pool)",
            Query::IfCurrent(6, EraQuery::StakeSnapshots(Some(vec![pool]))),
        ),
        (
            "GetPoolDistr2 (all pools)",
            Query::IfCurrent(6, EraQuery::PoolDistr2(None)),
        ),
        (
            "GetUTxOByAddress (one address)",
            Query::IfCurrent(6, EraQuery::UtxoByAddress(vec![address.clone()])),
        ),
        (
            "GetStakeDistribution2 (the stake now)",
            Query::IfCurrent(6, EraQuery::StakeDistribution2),
        ),
        (
            "GetStakePoolParams (one pool)",
            Query::IfCurrent(6, EraQuery::StakePoolParams(vec![pool])),
        ),
        (
            "GetPoolState (all pools)",
            Query::IfCurrent(6, EraQuery::PoolState(None)),
        ),
        (
            "GetDRepState (all 1,000 DReps)",
            Query::IfCurrent(6, EraQuery::DRepState(vec![])),
        ),
        (
            "GetDRepStakeDistr (all DReps)",
            Query::IfCurrent(6, EraQuery::DRepStakeDistr(vec![])),
        ),
        (
            "GetCommitteeMembersState",
            Query::IfCurrent(6, EraQuery::CommitteeMembersState(vec![], vec![], vec![])),
        ),
        ("GetGovState", Query::IfCurrent(6, EraQuery::GovState)),
    ];
    for (name, q) in cases {
        group.bench_function(name, |b| b.iter(|| answer(&q, &state, cfg, V23)));
    }
    group.finish();
}

criterion_group!(benches, queries);
criterion_main!(benches);
