//! A governance action as cardano-ledger writes it in its state (`EncCBOR (GovAction era)` at
//! protocol version 9 and later), so what the node serves of a proposal is the reference's
//! bytes rather than the submitter's or another library's: rationals tagged 30 and reduced,
//! lists, sets and maps of more than 23 items with indefinite length, maps and sets in the
//! reference's key order (script credentials before key credentials, reward accounts by
//! network then credential), protocol parameter updates as a definite map by tag.

use pallas_codec::minicbor::data::Tag;
use pallas_codec::minicbor::Encoder;
use pallas_primitives::conway::{
    CostModels, DRepVotingThresholds, GovAction, GovActionId, PoolVotingThresholds, ProposalProcedure,
    ProtocolParamUpdate,
};
use pallas_primitives::{RationalNumber, StakeCredential};
use slotforge_praos::ratio::Ratio;

use crate::address::reward_account_order;
use crate::cbor_lengths::{self, end, list_head, map_head, Enc};

/// A proposal procedure as the reference writes it: `[deposit, return account, action,
/// anchor]`.
pub fn proposal_procedure(p: &ProposalProcedure) -> Vec<u8> {
    let mut out = Vec::new();
    let e = &mut Encoder::new(&mut out);
    let _ = e
        .array(4)
        .and_then(|e| e.u64(p.deposit))
        .and_then(|e| e.bytes(p.reward_account.as_ref()));
    e.writer_mut().extend_from_slice(&gov_action(&p.gov_action));
    let _ = e
        .array(2)
        .and_then(|e| e.str(&p.anchor.url))
        .and_then(|e| e.bytes(p.anchor.content_hash.as_ref()));
    out
}

/// A transaction's proposals as the reference writes its `OSet`: `#6.258([proposal])`.
pub fn proposal_procedure_set<'p>(ps: impl ExactSizeIterator<Item = &'p ProposalProcedure>) -> Vec<u8> {
    [vec![0xd9, 0x01, 0x02], cbor_lengths::list(ps.map(proposal_procedure))].concat()
}

/// The action's CBOR as the reference's ledger state holds it.
pub fn gov_action(a: &GovAction) -> Vec<u8> {
    let mut out = Vec::new();
    let e = &mut Encoder::new(&mut out);
    match a {
        GovAction::ParameterChange(prev, update, policy) => {
            let _ = e.array(4).and_then(|e| e.u8(0));
            purpose_id(e, prev.as_ref());
            pparams_update(e, update);
            null_or_hash(e, policy.as_ref().map(|h| h.as_ref()));
        }
        GovAction::HardForkInitiation(prev, (major, minor)) => {
            let _ = e.array(3).and_then(|e| e.u8(1));
            purpose_id(e, prev.as_ref());
            let _ = e.array(2).and_then(|e| e.u64(*major)).and_then(|e| e.u64(*minor));
        }
        GovAction::TreasuryWithdrawals(withdrawals, policy) => {
            let _ = e.array(3).and_then(|e| e.u8(2));
            // `Map RewardAccount Coin`: by network, then credential (scripts first).
            let mut ws: Vec<(&[u8], u64)> = withdrawals.iter().map(|(a, c)| (a.as_ref(), *c)).collect();
            ws.sort_by(|(a, _), (b, _)| reward_account_order(a).cmp(&reward_account_order(b)));
            map_head(e, ws.len());
            for (account, coin) in &ws {
                let _ = e.bytes(account).and_then(|e| e.u64(*coin));
            }
            end(e, ws.len());
            null_or_hash(e, policy.as_ref().map(|h| h.as_ref()));
        }
        GovAction::NoConfidence(prev) => {
            let _ = e.array(2).and_then(|e| e.u8(3));
            purpose_id(e, prev.as_ref());
        }
        GovAction::UpdateCommittee(prev, removed, added, threshold) => {
            let _ = e.array(5).and_then(|e| e.u8(4));
            purpose_id(e, prev.as_ref());
            let mut removed: Vec<&StakeCredential> = removed.iter().collect();
            removed.sort_by_key(|c| credential_order(c));
            removed.dedup();
            let _ = e.tag(Tag::new(258));
            list_head(e, removed.len());
            for c in &removed {
                credential(e, c);
            }
            end(e, removed.len());
            let mut added: Vec<(&StakeCredential, u64)> = added.iter().map(|(c, x)| (c, *x)).collect();
            added.sort_by_key(|(c, _)| credential_order(c));
            map_head(e, added.len());
            for (c, epoch) in &added {
                credential(e, c);
                let _ = e.u64(*epoch);
            }
            end(e, added.len());
            rational(e, threshold);
        }
        GovAction::NewConstitution(prev, constitution) => {
            let _ = e.array(3).and_then(|e| e.u8(5));
            purpose_id(e, prev.as_ref());
            let a = &constitution.anchor;
            let _ = e
                .array(2)
                .and_then(|e| e.array(2))
                .and_then(|e| e.str(&a.url))
                .and_then(|e| e.bytes(a.content_hash.as_ref()));
            null_or_hash(e, constitution.guardrail_script.as_ref().map(|h| h.as_ref()));
        }
        GovAction::Information => {
            let _ = e.array(1).and_then(|e| e.u8(6));
        }
    }
    out
}

/// A `PParamsUpdate`: a definite map of the parameters it sets, by tag.
fn pparams_update(e: &mut Enc<'_>, u: &ProtocolParamUpdate) {
    enum V<'a> {
        Int(u64),
        Ratio(&'a RationalNumber),
        Prices(&'a RationalNumber, &'a RationalNumber),
        Units(u64, u64),
        Models(&'a CostModels),
        Pool(&'a PoolVotingThresholds),
        DRep(&'a DRepVotingThresholds),
    }
    let int = |x: &Option<u64>| x.map(V::Int);
    let fields: [(u8, Option<V<'_>>); 30] = [
        (0, int(&u.minfee_a)),
        (1, int(&u.minfee_b)),
        (2, int(&u.max_block_body_size)),
        (3, int(&u.max_transaction_size)),
        (4, int(&u.max_block_header_size)),
        (5, int(&u.key_deposit)),
        (6, int(&u.pool_deposit)),
        (7, int(&u.maximum_epoch)),
        (8, int(&u.desired_number_of_stake_pools)),
        (9, u.pool_pledge_influence.as_ref().map(V::Ratio)),
        (10, u.expansion_rate.as_ref().map(V::Ratio)),
        (11, u.treasury_growth_rate.as_ref().map(V::Ratio)),
        (16, int(&u.min_pool_cost)),
        (17, int(&u.ada_per_utxo_byte)),
        (18, u.cost_models_for_script_languages.as_ref().map(V::Models)),
        (
            19,
            u.execution_costs
                .as_ref()
                .map(|p| V::Prices(&p.mem_price, &p.step_price)),
        ),
        (20, u.max_tx_ex_units.as_ref().map(|x| V::Units(x.mem, x.steps))),
        (21, u.max_block_ex_units.as_ref().map(|x| V::Units(x.mem, x.steps))),
        (22, int(&u.max_value_size)),
        (23, int(&u.collateral_percentage)),
        (24, int(&u.max_collateral_inputs)),
        (25, u.pool_voting_thresholds.as_ref().map(V::Pool)),
        (26, u.drep_voting_thresholds.as_ref().map(V::DRep)),
        (27, int(&u.min_committee_size)),
        (28, int(&u.committee_term_limit)),
        (29, int(&u.governance_action_validity_period)),
        (30, int(&u.governance_action_deposit)),
        (31, int(&u.drep_deposit)),
        (32, int(&u.drep_inactivity_period)),
        (33, u.minfee_refscript_cost_per_byte.as_ref().map(V::Ratio)),
    ];
    let set: Vec<(u8, V<'_>)> = fields.into_iter().filter_map(|(t, v)| Some((t, v?))).collect();
    let _ = e.map(set.len() as u64);
    for (tag, v) in &set {
        let _ = e.u8(*tag);
        match v {
            V::Int(x) => {
                let _ = e.u64(*x);
            }
            V::Ratio(r) => rational(e, r),
            V::Prices(mem, steps) => {
                let _ = e.array(2);
                rational(e, mem);
                rational(e, steps);
            }
            V::Units(mem, steps) => {
                let _ = e.array(2).and_then(|e| e.u64(*mem)).and_then(|e| e.u64(*steps));
            }
            V::Models(m) => cost_models(e, m),
            V::Pool(t) => {
                let _ = e.array(5);
                for r in [
                    &t.motion_no_confidence,
                    &t.committee_normal,
                    &t.committee_no_confidence,
                    &t.hard_fork_initiation,
                    &t.security_voting_threshold,
                ] {
                    rational(e, r);
                }
            }
            V::DRep(t) => {
                let _ = e.array(10);
                for r in [
                    &t.motion_no_confidence,
                    &t.committee_normal,
                    &t.committee_no_confidence,
                    &t.update_constitution,
                    &t.hard_fork_initiation,
                    &t.pp_network_group,
                    &t.pp_economic_group,
                    &t.pp_technical_group,
                    &t.pp_governance_group,
                    &t.treasury_withdrawal,
                ] {
                    rational(e, r);
                }
            }
        }
    }
}

/// `CostModels` (`flattenCostModels`): `{language => [parameter]}`, the unknown languages
/// included.
fn cost_models(e: &mut Enc<'_>, m: &CostModels) {
    let mut all: Vec<(u64, &Vec<i64>)> = m.unknown.iter().map(|(l, v)| (*l, v)).collect();
    for (l, v) in [(0, &m.plutus_v1), (1, &m.plutus_v2), (2, &m.plutus_v3)] {
        if let Some(v) = v {
            all.push((l, v));
        }
    }
    all.sort_by_key(|(l, _)| *l);
    all.dedup_by_key(|(l, _)| *l);
    map_head(e, all.len());
    for (l, v) in &all {
        let _ = e.u64(*l);
        list_head(e, v.len());
        for x in v.iter() {
            let _ = e.i64(*x);
        }
        end(e, v.len());
    }
    end(e, all.len());
}

/// `StrictMaybe GovPurposeId` written `encodeNullStrictMaybe`: null or `[txId, index]`.
fn purpose_id(e: &mut Enc<'_>, id: Option<&GovActionId>) {
    let _ = match id {
        None => e.null(),
        Some(id) => e
            .array(2)
            .and_then(|e| e.bytes(id.transaction_id.as_ref()))
            .and_then(|e| e.u32(id.action_index)),
    };
}

fn null_or_hash(e: &mut Enc<'_>, h: Option<&[u8]>) {
    let _ = match h {
        None => e.null(),
        Some(h) => e.bytes(h),
    };
}

/// `[0, keyHash]` or `[1, scriptHash]`.
fn credential(e: &mut Enc<'_>, c: &StakeCredential) {
    let (tag, h) = match c {
        StakeCredential::AddrKeyhash(h) => (0, h),
        StakeCredential::ScriptHash(h) => (1, h),
    };
    let _ = e.array(2).and_then(|e| e.u8(tag)).and_then(|e| e.bytes(h.as_ref()));
}

/// The reference's credential order: `ScriptHashObj` before `KeyHashObj`.
fn credential_order(c: &StakeCredential) -> (u8, Vec<u8>) {
    match c {
        StakeCredential::ScriptHash(h) => (0, h.to_vec()),
        StakeCredential::AddrKeyhash(h) => (1, h.to_vec()),
    }
}

/// A bounded rational: `#6.30([n, d])`, reduced.
fn rational(e: &mut Enc<'_>, r: &RationalNumber) {
    let r = Ratio::new(r.numerator, r.denominator);
    let _ = e
        .tag(Tag::new(30))
        .and_then(|e| e.array(2))
        .and_then(|e| e.u64(r.num))
        .and_then(|e| e.u64(r.den));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_models_past_23_values_are_indefinite_and_rationals_reduced() {
        // As submitted: {0: 44, 10: 30([6, 2000]), 18: {2: [24 values, definite]}}.
        let mut submitted = hex::decode("a300182c0ad81e820619 07d0 12a1029818".replace(' ', "")).unwrap();
        submitted.extend(0..24u8);
        let update: ProtocolParamUpdate = pallas_codec::minicbor::decode(&submitted).expect("an update");
        let bytes = gov_action(&GovAction::ParameterChange(None, Box::new(update), None));
        // [0, null, {0: 44, 10: 30([3, 1000]), 18: {2: [_ 0, 1, ..., 23]}}, null]
        let mut want = hex::decode("8400f6a300182c0ad81e82031903e812a1029f").unwrap();
        want.extend(0..24u8);
        want.extend([0xff, 0xf6]);
        assert_eq!(hex::encode(bytes), hex::encode(want));
    }

    #[test]
    fn a_proposal_procedure_is_deposit_account_action_and_anchor() {
        let account = [vec![0xe0], vec![9; 28]].concat();
        let bytes = [
            hex::decode("841a000f4240581d").unwrap(),
            account,
            vec![0x81, 0x06],
            hex::decode("8261615820").unwrap(),
            vec![3; 32],
        ]
        .concat();
        let p: ProposalProcedure = pallas_codec::minicbor::decode(&bytes).expect("a proposal");
        assert_eq!(hex::encode(proposal_procedure(&p)), hex::encode(bytes));
    }
}
