//! Local state query answers against the reference's own golden files (ouroboros-consensus
//! cardano 0.26, `golden/cardano/QueryVersion3/CardanoNodeToClientVersion17`, that is
//! node-to-client V_21, which cardano-node 10.6 writes byte for byte): the same values
//! encoded by slotforge give the same bytes.

use slotforge_chain::chain_state::ChainState;
use slotforge_chain::config::ChainConfig;
use slotforge_ledger::genesis::Genesis;
use slotforge_network::protocols::local_state_query::answers::{answer, V21, V23};
use slotforge_network::protocols::local_state_query::queries::{EraQuery, Query};

/// The genesis of the reference's golden `CompactGenesis` (its `testShelleyGenesis`):
/// 2020-05-14, magic 0 on the test network, f = 9/10, k = 10, 100-slot epochs of 2 s, KES
/// periods of 20 slots and 10 evolutions, quorum 5, the Shelley maximum supply, protocol
/// 2.0 with a 2,048-byte transaction maximum and nOpt 100.
fn golden_config() -> ChainConfig {
    let shelley = r#"{
        "systemStart": "2020-05-14T00:00:00Z", "networkMagic": 0, "networkId": "Testnet",
        "activeSlotsCoeff": 0.9, "securityParam": 10, "epochLength": 100,
        "slotsPerKESPeriod": 20, "maxKESEvolutions": 10, "slotLength": 2, "updateQuorum": 5,
        "maxLovelaceSupply": 45000000000000000,
        "protocolParams": {
            "minFeeA": 0, "minFeeB": 0, "maxBlockBodySize": 0, "maxTxSize": 2048,
            "maxBlockHeaderSize": 0, "keyDeposit": 0, "poolDeposit": 0, "eMax": 0, "nOpt": 100,
            "minPoolCost": 0, "minUTxOValue": 0, "protocolVersion": {"major": 2, "minor": 0},
            "decentralisationParam": 0, "a0": 0, "rho": 0, "tau": 0
        },
        "genDelegs": {}, "initialFunds": {}, "staking": {"pools": {}, "stake": {}}
    }"#;
    ChainConfig::new(Genesis::from_json(shelley.as_bytes(), None).unwrap(), None).unwrap()
}

fn conway(q: EraQuery) -> Query {
    Query::IfCurrent(6, q)
}

#[test]
fn the_genesis_configuration_is_the_reference_golden_at_v21() {
    let cfg = golden_config();
    let state = ChainState::genesis(&cfg).unwrap();
    let golden = "818f831907e4188700000082090a0a1864140a1a001e8480051b009fdf42f6e48000\
                  91000000190800000000001864d81e820001d81e820001d81e820001d81e82000181008202000000a0a082a0a0";
    let ours = answer(&conway(EraQuery::GenesisConfig), &state, &cfg, V21);
    assert_eq!(hex::encode(ours), golden);
    // Before V_21, the parameters are 18, the protocol version two numbers
    // (`LegacyShelleyGenesis`); nothing else changes.
    let legacy = answer(&conway(EraQuery::GenesisConfig), &state, &cfg, V21 - 1);
    let want = golden.replace("e4800091", "e4800092").replace("8100820200", "81000200");
    assert_eq!(hex::encode(legacy), want);
}

#[test]
fn empty_protocol_parameters_are_the_reference_golden() {
    let cfg = golden_config();
    let mut state = ChainState::genesis(&cfg).unwrap();
    // The golden's `emptyPParams` with a 2,048-byte transaction maximum, nOpt 100, protocol
    // version 9.0, collateral 150 % of at most 5 inputs; every other value zero or empty.
    let mut p = (*state.ledger.params).clone();
    for v in [
        &mut p.min_fee_a,
        &mut p.min_fee_b,
        &mut p.max_block_body_size,
        &mut p.max_block_header_size,
        &mut p.key_deposit,
        &mut p.pool_deposit,
        &mut p.e_max,
        &mut p.min_pool_cost,
        &mut p.coins_per_utxo_byte,
        &mut p.max_value_size,
        &mut p.committee_min_size,
        &mut p.committee_max_term_length,
        &mut p.gov_action_lifetime,
        &mut p.gov_action_deposit,
        &mut p.drep_deposit,
        &mut p.drep_activity,
    ] {
        *v = 0;
    }
    p.max_tx_size = 2048;
    p.n_opt = 100;
    p.protocol_version = (9, 0);
    p.collateral_percentage = 150;
    p.max_collateral_inputs = 5;
    let zero = (0, 1);
    (p.a0, p.rho, p.tau, p.min_fee_ref_script_per_byte, p.prices) = (zero, zero, zero, zero, (zero, zero));
    p.max_tx_ex_units = Default::default();
    p.max_block_ex_units = Default::default();
    p.cost_models.clear();
    let t = slotforge_ledger::genesis::Threshold(zero);
    p.pool_voting_thresholds = slotforge_ledger::genesis::PoolVotingThresholds {
        motion_no_confidence: t,
        committee_normal: t,
        committee_no_confidence: t,
        hard_fork_initiation: t,
        pp_security_group: t,
    };
    p.drep_voting_thresholds = slotforge_ledger::genesis::DRepVotingThresholds {
        motion_no_confidence: t,
        committee_normal: t,
        committee_no_confidence: t,
        update_to_constitution: t,
        hard_fork_initiation: t,
        pp_network_group: t,
        pp_economic_group: t,
        pp_technical_group: t,
        pp_gov_group: t,
        treasury_withdrawal: t,
    };
    state.ledger.params = std::sync::Arc::new(p);
    let ours = answer(&conway(EraQuery::CurrentPParams), &state, &cfg, V23);
    assert_eq!(
        hex::encode(ours),
        "81981f000000190800000000001864d81e820001d81e820001d81e8200018209000000a082d81e820001\
         d81e8200018200008200000018960585d81e820001d81e820001d81e820001d81e820001d81e820001\
         8ad81e820001d81e820001d81e820001d81e820001d81e820001d81e820001d81e820001d81e820001\
         d81e820001d81e820001000000000000d81e820001"
    );
}

#[test]
fn epoch_and_ledger_tip_are_the_reference_goldens() {
    let cfg = golden_config();
    let mut state = ChainState::genesis(&cfg).unwrap();
    state.ledger.epoch = 10;
    assert_eq!(
        hex::encode(answer(&conway(EraQuery::EpochNo), &state, &cfg, V23)),
        "810a"
    );
    let hash = hex::decode("f74dd0c8c413dc372153599cc7ad9fba9e644797d7660ff670ec3b039eb7f6dc").unwrap();
    state.tip = Some(slotforge_chain::chain_state::Point {
        hash: hash.try_into().unwrap(),
        slot: 9,
        block_number: 0,
    });
    assert_eq!(
        hex::encode(answer(&conway(EraQuery::LedgerTip), &state, &cfg, V23)),
        "8182095820f74dd0c8c413dc372153599cc7ad9fba9e644797d7660ff670ec3b039eb7f6dc"
    );
}

#[test]
fn the_praos_state_gains_the_previous_epoch_nonce_at_v23() {
    let cfg = golden_config();
    let state = ChainState::genesis(&cfg).unwrap();
    for (version, fields) in [(V21, 7), (V23, 8)] {
        let bytes = answer(&conway(EraQuery::DebugChainDepState), &state, &cfg, version);
        let mut d = minicbor::Decoder::new(&bytes);
        assert_eq!(d.array().unwrap(), Some(1));
        assert_eq!(d.array().unwrap(), Some(2));
        assert_eq!(d.u8().unwrap(), 0, "version 0 of the encoding");
        assert_eq!(d.array().unwrap(), Some(fields));
        assert_eq!(d.array().unwrap(), Some(1), "at the origin");
    }
}
