//! ENACT (Conway `Enact.hs`): what a ratified action changes in the enact state — the
//! parameters (`applyPPUpdates`), the protocol version, treasury withdrawals to pay, the
//! committee, the constitution — and the last enacted action of its purpose.

use std::sync::Arc;

use pallas_primitives::conway::{GovAction, ProtocolParamUpdate};
use pallas_primitives::RationalNumber;

use crate::genesis::Threshold;
use crate::params::{Language, LedgerParams, Rational};
use crate::state::{Credential, EnactState, GovActionId, GovPurpose};

/// Enacts `action` (proposal `id`) on `es`.
pub(crate) fn enact(es: &mut EnactState, id: GovActionId, action: &GovAction) {
    match action {
        GovAction::ParameterChange(_, update, _) => {
            es.params = Arc::new(apply_update(&es.params, update));
            es.roots.insert(GovPurpose::ParameterChange, id);
        }
        GovAction::HardForkInitiation(_, (major, minor)) => {
            let mut p = (*es.params).clone();
            p.protocol_version = (*major, *minor);
            es.params = Arc::new(p);
            es.roots.insert(GovPurpose::HardFork, id);
        }
        GovAction::TreasuryWithdrawals(withdrawals, _) => {
            for (account, amount) in withdrawals {
                if let Some(c) = crate::address::account_credential(account) {
                    let e = es.withdrawals.entry(c).or_insert(0);
                    *e = e.saturating_add(*amount);
                }
                es.treasury = es.treasury.saturating_sub(*amount);
            }
        }
        GovAction::NoConfidence(_) => {
            es.committee = None;
            es.roots.insert(GovPurpose::Committee, id);
        }
        GovAction::UpdateCommittee(_, removed, added, threshold) => {
            let mut members = es.committee.clone().unwrap_or_default();
            if es.committee.is_some() {
                for c in removed.iter() {
                    members.remove(&Credential::from(c));
                }
            }
            // The new terms win over the old ones.
            for (c, term) in added {
                members.insert(Credential::from(c), *term);
            }
            es.committee = Some(members);
            es.committee_threshold = rational(threshold);
            es.roots.insert(GovPurpose::Committee, id);
        }
        GovAction::NewConstitution(_, constitution) => {
            es.guardrail = constitution.guardrail_script.map(|h| *h);
            es.constitution_anchor = pallas_codec::minicbor::to_vec(&constitution.anchor).unwrap_or_default();
            es.roots.insert(GovPurpose::Constitution, id);
        }
        GovAction::Information => {}
    }
}

fn rational(r: &RationalNumber) -> Rational {
    (r.numerator, r.denominator)
}

fn threshold(r: &RationalNumber) -> Threshold {
    Threshold(rational(r))
}

/// `applyPPUpdates`: the parameters with every field the update sets replaced; cost models
/// are replaced language by language (`updateCostModels`).
pub(crate) fn apply_update(p: &LedgerParams, u: &ProtocolParamUpdate) -> LedgerParams {
    let mut p = p.clone();
    let set = |field: &mut u64, v: Option<u64>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut p.min_fee_a, u.minfee_a);
    set(&mut p.min_fee_b, u.minfee_b);
    set(&mut p.max_block_body_size, u.max_block_body_size);
    set(&mut p.max_tx_size, u.max_transaction_size);
    set(&mut p.max_block_header_size, u.max_block_header_size);
    set(&mut p.key_deposit, u.key_deposit);
    set(&mut p.pool_deposit, u.pool_deposit);
    set(&mut p.e_max, u.maximum_epoch);
    set(&mut p.n_opt, u.desired_number_of_stake_pools);
    set(&mut p.min_pool_cost, u.min_pool_cost);
    set(&mut p.coins_per_utxo_byte, u.ada_per_utxo_byte);
    set(&mut p.max_value_size, u.max_value_size);
    set(&mut p.collateral_percentage, u.collateral_percentage);
    set(&mut p.max_collateral_inputs, u.max_collateral_inputs);
    set(&mut p.committee_min_size, u.min_committee_size);
    set(&mut p.committee_max_term_length, u.committee_term_limit);
    set(&mut p.gov_action_lifetime, u.governance_action_validity_period);
    set(&mut p.gov_action_deposit, u.governance_action_deposit);
    set(&mut p.drep_deposit, u.drep_deposit);
    set(&mut p.drep_activity, u.drep_inactivity_period);
    if let Some(r) = &u.pool_pledge_influence {
        p.a0 = rational(r);
    }
    if let Some(r) = &u.expansion_rate {
        p.rho = rational(r);
    }
    if let Some(r) = &u.treasury_growth_rate {
        p.tau = rational(r);
    }
    if let Some(r) = &u.minfee_refscript_cost_per_byte {
        p.min_fee_ref_script_per_byte = rational(r);
    }
    if let Some(prices) = &u.execution_costs {
        p.prices = (rational(&prices.mem_price), rational(&prices.step_price));
    }
    if let Some(e) = &u.max_tx_ex_units {
        p.max_tx_ex_units = crate::params::ExUnits {
            mem: e.mem,
            steps: e.steps,
        };
    }
    if let Some(e) = &u.max_block_ex_units {
        p.max_block_ex_units = crate::params::ExUnits {
            mem: e.mem,
            steps: e.steps,
        };
    }
    if let Some(models) = &u.cost_models_for_script_languages {
        let known = [
            (Language::V1, &models.plutus_v1),
            (Language::V2, &models.plutus_v2),
            (Language::V3, &models.plutus_v3),
        ];
        for (language, model) in known {
            if let Some(m) = model {
                p.cost_models.insert(language.key(), m.clone());
            }
        }
        for (language, m) in &models.unknown {
            if let Ok(key) = u8::try_from(*language) {
                p.cost_models.insert(key, m.clone());
            }
        }
    }
    if let Some(t) = &u.pool_voting_thresholds {
        let v = &mut p.pool_voting_thresholds;
        v.motion_no_confidence = threshold(&t.motion_no_confidence);
        v.committee_normal = threshold(&t.committee_normal);
        v.committee_no_confidence = threshold(&t.committee_no_confidence);
        v.hard_fork_initiation = threshold(&t.hard_fork_initiation);
        v.pp_security_group = threshold(&t.security_voting_threshold);
    }
    if let Some(t) = &u.drep_voting_thresholds {
        let v = &mut p.drep_voting_thresholds;
        v.motion_no_confidence = threshold(&t.motion_no_confidence);
        v.committee_normal = threshold(&t.committee_normal);
        v.committee_no_confidence = threshold(&t.committee_no_confidence);
        v.update_to_constitution = threshold(&t.update_constitution);
        v.hard_fork_initiation = threshold(&t.hard_fork_initiation);
        v.pp_network_group = threshold(&t.pp_network_group);
        v.pp_economic_group = threshold(&t.pp_economic_group);
        v.pp_technical_group = threshold(&t.pp_technical_group);
        v.pp_gov_group = threshold(&t.pp_governance_group);
        v.treasury_withdrawal = threshold(&t.treasury_withdrawal);
    }
    p
}
