//! `conway-genesis.json` in cardano-node's format: mainnet's file is read, what it sets reaches
//! the parameters and the genesis state, and the devnet's form reads back as written.

mod common;

use slotforge_ledger::genesis::{ConwayGenesis, Threshold};
use slotforge_ledger::params::{Language, LedgerParams};
use slotforge_ledger::{Credential, LedgerState};

fn mainnet() -> ConwayGenesis {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mainnet-conway-genesis.json");
    ConwayGenesis::from_json(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn mainnet_conway_genesis_reaches_the_parameters_and_the_state() {
    let c = mainnet();
    assert_eq!(c.drep_voting_thresholds.committee_no_confidence, Threshold((3, 5)));
    assert_eq!(c.pool_voting_thresholds.pp_security_group, Threshold((51, 100)));
    assert_eq!(c.committee.threshold, Threshold((2, 3)));
    let guardrail: [u8; 28] = hex::decode("fa24fb305126805cf2164c161d852a0e7330cf988f1fe558cf7d4a64")
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(c.guardrail().unwrap(), Some(guardrail));

    let keys = common::Pool::new(0);
    let g = common::genesis(&[&keys], 10, (1, 2), 100).with_conway(c);
    let p = LedgerParams::from_genesis(&g);
    assert_eq!(p.cost_models[&Language::V3.key()].len(), 251);
    assert_eq!(
        (p.gov_action_deposit, p.drep_deposit, p.drep_activity),
        (100_000_000_000, 500_000_000, 20)
    );
    assert_eq!(
        (p.committee_min_size, p.committee_max_term_length, p.gov_action_lifetime),
        (7, 146, 6)
    );

    let state = LedgerState::genesis(&g).unwrap();
    let members = state.governance.committee.as_ref().unwrap();
    assert_eq!(members.len(), 7);
    assert!(members.values().all(|term| *term == 580));
    assert!(members.keys().all(|c| matches!(c, Credential::Script(_))));
    assert_eq!(state.governance.guardrail, Some(guardrail));

    // The chain checkpoints the state as JSON: the committee (credential keys) reads back.
    let json = serde_json::to_string(&state).expect("the state writes as JSON");
    let mut back: LedgerState = serde_json::from_str(&json).expect("and reads back");
    back.reindex();
    assert_eq!(back, state);
}

#[test]
fn conway_genesis_reads_back_as_written() {
    let c = mainnet();
    let again = ConwayGenesis::from_json(&c.to_json().unwrap()).unwrap();
    assert_eq!(again, c);
}

#[test]
fn malformed_conway_genesis_is_refused_with_the_field() {
    let mut v: serde_json::Value =
        serde_json::from_str(&String::from_utf8(mainnet().to_json().unwrap()).unwrap()).unwrap();
    v["committee"]["members"] = serde_json::json!({ "keyHash-zz": 10 });
    let err = ConwayGenesis::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("committee member"), "{err}");
    let mut v2 = v.clone();
    v2["committee"]["members"] = serde_json::json!({});
    v2["dRepVotingThresholds"]["ppGovGroup"] = serde_json::json!(1.5);
    let err = ConwayGenesis::from_json(v2.to_string().as_bytes()).unwrap_err();
    assert!(err.to_string().contains("threshold"), "{err}");
}

/// An Alonzo file whose prices, limits or cost models cannot be read refuses the genesis and
/// names the field; absent fields take mainnet's values.
#[test]
fn unreadable_alonzo_fields_refuse_the_genesis() {
    use slotforge_ledger::genesis::{AlonzoGenesis, Genesis};
    let keys = common::Pool::new(0);
    let g = common::genesis(&[&keys], 10, (1, 2), 100);
    let with = |edit: &dyn Fn(&mut AlonzoGenesis)| {
        let mut a = AlonzoGenesis::default();
        edit(&mut a);
        Genesis::from_parts(g.shelley.clone(), a, g.shelley_hash)
    };
    type Edit<'a> = &'a dyn Fn(&mut AlonzoGenesis);
    let cases: [(Edit, &str); 4] = [
        (
            &|a| a.cost_models = serde_json::json!({"PlutusV1": [1, "two", 3]}),
            "costModels.PlutusV1",
        ),
        (
            &|a| a.cost_models = serde_json::json!({"PlutusV2": 7}),
            "costModels.PlutusV2",
        ),
        (
            &|a| a.execution_prices = serde_json::json!({"prMem": "cheap"}),
            "executionPrices.prMem",
        ),
        (
            &|a| a.max_tx_ex_units = serde_json::json!({"exUnitsMem": -1}),
            "maxTxExUnits.exUnitsMem",
        ),
    ];
    for (edit, field) in cases {
        let err = with(edit).expect_err(field).to_string();
        assert!(err.contains(field), "{err} names {field}");
    }
    let absent = with(&|a| {
        a.execution_prices = serde_json::Value::Null;
        a.max_tx_ex_units = serde_json::json!({});
    })
    .unwrap();
    let p = LedgerParams::from_genesis(&absent);
    assert_eq!(p.max_tx_ex_units, LedgerParams::default().max_tx_ex_units);
    assert_eq!(
        (p.max_tx_ex_units.mem, p.max_block_ex_units.mem),
        (16_500_000, 72_000_000)
    );
}
