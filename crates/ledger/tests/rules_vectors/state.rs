//! A vector's `NewEpochState` as this ledger's state, and its `pparams/` file as parameters.
//! Field positions follow cardano-ledger's encoders (Conway era): see the comments.

use std::sync::Arc;

use pallas_codec::minicbor;
use pallas_primitives::conway::ProposalProcedure;
use slotforge_ledger::genesis::{DRepVotingThresholds, PoolVotingThresholds, Threshold};
use slotforge_ledger::params::{ExUnits, LedgerParams};
use slotforge_ledger::state::{
    CommitteeAuthorization, DRep, DRepState, GovActionId, GovPurpose, Proposal, TxIn, TxOut, Vote,
};
use slotforge_ledger::{Account, Credential, LedgerState, PoolParams, PoolState};

use super::cbor::{Node, Value};
use super::Config;

type Resolve<'a> = dyn Fn(&[u8; 32]) -> Result<Vec<u8>, String> + 'a;

fn credential(n: &Node) -> Result<Credential, String> {
    let f = n.fields(2)?;
    match f[0].uint()? {
        0 => Ok(Credential::Key(f[1].hash()?)),
        1 => Ok(Credential::Script(f[1].hash()?)),
        t => Err(format!("credential tag {t}")),
    }
}

fn drep(n: &Node) -> Result<DRep, String> {
    let f = n.array()?;
    match (f.first().map(Node::uint).transpose()?, f.len()) {
        (Some(0), 2) => Ok(DRep::Key(f[1].hash()?)),
        (Some(1), 2) => Ok(DRep::Script(f[1].hash()?)),
        (Some(2), 1) => Ok(DRep::AlwaysAbstain),
        (Some(3), 1) => Ok(DRep::AlwaysNoConfidence),
        _ => Err(format!("not a DRep at byte {}", n.span.start)),
    }
}

fn vote(n: &Node) -> Result<Vote, String> {
    match n.uint()? {
        0 => Ok(Vote::No),
        1 => Ok(Vote::Yes),
        2 => Ok(Vote::Abstain),
        v => Err(format!("vote {v}")),
    }
}

fn action_id(n: &Node) -> Result<GovActionId, String> {
    let f = n.fields(2)?;
    Ok(GovActionId {
        tx: f[0].hash()?,
        index: u16::try_from(f[1].uint()?).map_err(|e| e.to_string())?,
    })
}

/// `PoolParams`: [operator, vrf, pledge, cost, margin, reward account, owners, relays, metadata].
fn pool_params(n: &Node, doc: &[u8]) -> Result<PoolParams, String> {
    let f = n.fields(9)?;
    // Relays and metadata as the ledger keeps them: re-encoded as a registration's are.
    let relays: Vec<pallas_primitives::conway::Relay> =
        minicbor::decode(f[7].raw(doc)).map_err(|e| format!("relays: {e}"))?;
    let metadata: Option<pallas_primitives::conway::PoolMetadata> = match f[8].value {
        Value::Null => None,
        _ => Some(minicbor::decode(f[8].raw(doc)).map_err(|e| format!("pool metadata: {e}"))?),
    };
    Ok(PoolParams {
        vrf_key_hash: f[1].hash()?,
        pledge: f[2].uint()?,
        cost: f[3].uint()?,
        margin: f[4].rational()?,
        reward_account: f[5].bytes()?.to_vec(),
        owners: f[6].array()?.iter().map(Node::hash).collect::<Result<_, _>>()?,
        relays: minicbor::to_vec(&relays).map_err(|e| e.to_string())?,
        metadata: metadata
            .map(|m| minicbor::to_vec(&m))
            .transpose()
            .map_err(|e| e.to_string())?
            .unwrap_or_default(),
    })
}

/// Blocks made by pool: `{pool id: count}`.
fn blocks(n: &Node) -> Result<imbl::OrdMap<[u8; 28], u64>, String> {
    n.map()?.iter().map(|(k, v)| Ok((k.hash()?, v.uint()?))).collect()
}

/// The ledger state and parameters of a `NewEpochState`
/// (`[epoch, blocks before, blocks now, EpochState, reward update, pool distribution, AVVM]`).
/// The stake snapshots are left empty (the vectors' pools never make blocks, so no reward
/// reads them), and so is the DRep pulser's ratification: its enact state is the one of the
/// test's set-up, before the test changed the parameters (its parameter hashes are often not
/// even in `pparams/`), and no vector starts with a proposal it could have ratified.
pub fn ledger_state(
    doc: &[u8],
    nes: &Node,
    config: &Config,
    resolve: &Resolve<'_>,
) -> Result<(LedgerState, LedgerParams), String> {
    let nes = nes.fields(7)?;
    let mut s = LedgerState {
        epoch: nes[0].uint()?,
        blocks_previous: blocks(&nes[1])?,
        blocks_current: blocks(&nes[2])?,
        ..LedgerState::default()
    };
    // EpochState: [[treasury, reserves], LedgerState, SnapShots, NonMyopic].
    let es = nes[3].fields(4)?;
    let pots = es[0].fields(2)?;
    s.treasury = pots[0].uint()?;
    s.reserves = pots[1].uint()?;
    // SnapShots: [mark, set, go, fee].
    s.fee_snapshot = es[2].fields(4)?[3].uint()?;
    // LedgerState: [CertState [VState, PState, DState], UTxOState].
    let ls = es[1].fields(2)?;
    let cert = ls[0].fields(3)?;

    // VState: [DReps, committee hot keys, dormant epochs].
    let v = cert[0].fields(3)?;
    for (c, d) in v[0].map()? {
        // DRepState: [expiry, anchor, deposit, delegators].
        let d = d.fields(4)?;
        let anchor = d[1].strict_maybe()?.map(|a| a.raw(doc).to_vec()).unwrap_or_default();
        s.governance.dreps.insert(
            credential(c)?,
            DRepState {
                deposit: d[2].uint()?,
                expiry: d[0].uint()?,
                anchor,
            },
        );
    }
    for (cold, auth) in v[1].map()? {
        let f = auth.array()?;
        let a = match f.first().map(Node::uint).transpose()? {
            Some(0) => CommitteeAuthorization::Hot(credential(&f[1])?),
            // `CommitteeMemberResigned (StrictMaybe Anchor)`.
            Some(1) => {
                if let Some(anchor) = f.get(1).map(Node::strict_maybe).transpose()?.flatten() {
                    let anchor = anchor.raw(doc).to_vec();
                    s.governance.resignation_anchors.insert(credential(cold)?, anchor);
                }
                CommitteeAuthorization::Resigned
            }
            _ => return Err("committee authorization".into()),
        };
        s.governance.committee_keys.insert(credential(cold)?, a);
    }
    s.governance.dormant_epochs = v[2].uint()?;

    // PState: [params, future params, retiring, deposits].
    let ps = cert[1].fields(4)?;
    let deposits: Vec<([u8; 28], u64)> = ps[3]
        .map()?
        .iter()
        .map(|(k, v)| Ok((k.hash()?, v.uint()?)))
        .collect::<Result<_, String>>()?;
    for (id, p) in ps[0].map()? {
        let id: [u8; 28] = id.hash()?;
        s.pools.insert(
            id,
            PoolState {
                params: pool_params(p, doc)?,
                future: None,
                retiring: None,
                deposit: deposits.iter().find(|(k, _)| *k == id).map_or(0, |(_, d)| *d),
            },
        );
    }
    for (id, p) in ps[1].map()? {
        if let Some(pool) = s.pools.get_mut(&id.hash::<28>()?) {
            pool.future = Some(pool_params(p, doc)?);
        }
    }
    for (id, e) in ps[2].map()? {
        if let Some(pool) = s.pools.get_mut(&id.hash::<28>()?) {
            pool.retiring = Some(e.uint()?);
        }
    }

    // DState: [UMap [elements, pointers], future genesis delegations, genesis delegations, MIR].
    let ds = cert[2].fields(4)?;
    let umap = ds[0].fields(2)?;
    for (c, e) in umap[0].map()? {
        // UMElem: [rewards and deposit, pointers, pool, DRep].
        let e = e.fields(4)?;
        let Some(rd) = e[0].strict_maybe()? else { continue };
        let rd = rd.fields(2)?;
        s.accounts.insert(
            credential(c)?,
            Account {
                rewards: rd[0].uint()?,
                deposit: rd[1].uint()?,
                pool: e[2].strict_maybe()?.map(Node::hash).transpose()?,
                drep: e[3].strict_maybe()?.map(drep).transpose()?,
            },
        );
    }

    // UTxOState: [UTxO, deposited, fees, GovState, instant stake, donation].
    let us = ls[1].fields(6)?;
    for (i, o) in us[0].map()? {
        let i = i.fields(2)?;
        let input = TxIn {
            tx: i[0].hash()?,
            index: i[1].uint()?,
        };
        s.add_output(input, Arc::new(TxOut::decode(o.raw(doc))?));
    }
    s.deposits = us[1].uint()?;
    s.fees = us[2].uint()?;
    s.donations = us[5].uint()?;

    // ConwayGovState: [proposals, committee, constitution, current pparams, previous pparams,
    // future pparams, DRep pulser].
    let gs = us[3].fields(7)?;
    let proposals = gs[0].fields(2)?;
    let purposes = [
        GovPurpose::ParameterChange,
        GovPurpose::HardFork,
        GovPurpose::Committee,
        GovPurpose::Constitution,
    ];
    for (purpose, root) in purposes.into_iter().zip(proposals[0].fields(4)?) {
        if let Some(id) = root.strict_maybe()? {
            s.governance.roots.insert(purpose, action_id(id)?);
        }
    }
    for g in proposals[1].array()? {
        // GovActionState: [id, committee votes, DRep votes, pool votes, procedure, proposed in,
        // expires after].
        let g = g.fields(7)?;
        let procedure: ProposalProcedure =
            minicbor::decode(g[4].raw(doc)).map_err(|e| format!("proposal procedure: {e}"))?;
        let mut p = Proposal::new(&procedure, g[5].uint()?, g[6].uint()?);
        // The ledger writes the action as the reference does, byte for byte.
        let theirs = g[4].fields(4)?[2].raw(doc);
        if p.action != theirs {
            return Err(format!(
                "the proposal's action re-encodes as {}, the reference's is {}",
                hex::encode(&p.action),
                hex::encode(theirs)
            ));
        }
        for (k, v) in g[1].map()? {
            p.committee_votes.insert(credential(k)?, vote(v)?);
        }
        for (k, v) in g[2].map()? {
            p.drep_votes.insert(credential(k)?, vote(v)?);
        }
        for (k, v) in g[3].map()? {
            p.pool_votes.insert(k.hash()?, vote(v)?);
        }
        s.governance.add_proposal(action_id(&g[0])?, p);
    }
    if let Some(c) = gs[1].strict_maybe()? {
        let c = c.fields(2)?;
        let members = c[0]
            .map()?
            .iter()
            .map(|(k, v)| Ok((credential(k)?, v.uint()?)))
            .collect::<Result<_, String>>()?;
        s.governance.committee = Some(members);
        s.governance.committee_threshold = c[1].rational()?;
    }
    s.governance.guardrail = gs[2].fields(2)?[1].nullable().map(Node::hash).transpose()?;
    s.governance.constitution_anchor = gs[2].fields(2)?[0].raw(doc).to_vec();
    let previous = params(&resolve(&gs[4].hash()?)?, config)?;
    let current = params(&resolve(&gs[3].hash()?)?, config)?;
    s.prev_params = Arc::new(previous);
    s.params = Arc::new(current.clone());
    Ok((s, current))
}

/// A Conway `PParams` array of 31 fields, with the vector's network constants.
pub fn params(bytes: &[u8], config: &Config) -> Result<LedgerParams, String> {
    let doc = super::cbor::parse(bytes)?;
    let f = doc.fields(31)?;
    let units = |n: &Node| -> Result<ExUnits, String> {
        let u = n.fields(2)?;
        Ok(ExUnits {
            mem: u[0].uint()?,
            steps: u[1].uint()?,
        })
    };
    let version = f[12].fields(2)?;
    let prices = f[16].fields(2)?;
    let thresholds = |n: &Node, count: usize| -> Result<Vec<Threshold>, String> {
        n.fields(count)?.iter().map(|t| Ok(Threshold(t.rational()?))).collect()
    };
    let pools = thresholds(&f[22], 5)?;
    let dreps = thresholds(&f[23], 10)?;
    let mut cost_models = std::collections::BTreeMap::new();
    for (language, model) in f[15].map()? {
        let values = model
            .array()?
            .iter()
            .map(|v| match v.value {
                Value::Int(i) => i64::try_from(i).map_err(|e| e.to_string()),
                _ => Err("a cost model holds a non-integer".to_string()),
            })
            .collect::<Result<_, _>>()?;
        cost_models.insert(u8::try_from(language.uint()?).map_err(|e| e.to_string())?, values);
    }
    Ok(LedgerParams {
        min_fee_a: f[0].uint()?,
        min_fee_b: f[1].uint()?,
        max_block_body_size: f[2].uint()?,
        max_tx_size: f[3].uint()?,
        max_block_header_size: f[4].uint()?,
        key_deposit: f[5].uint()?,
        pool_deposit: f[6].uint()?,
        e_max: f[7].uint()?,
        protocol_version: (version[0].uint()?, version[1].uint()?),
        min_pool_cost: f[13].uint()?,
        coins_per_utxo_byte: f[14].uint()?,
        cost_models,
        prices: (prices[0].rational()?, prices[1].rational()?),
        max_tx_ex_units: units(&f[17])?,
        max_block_ex_units: units(&f[18])?,
        max_value_size: f[19].uint()?,
        collateral_percentage: f[20].uint()?,
        max_collateral_inputs: f[21].uint()?,
        committee_min_size: f[24].uint()?,
        committee_max_term_length: f[25].uint()?,
        gov_action_lifetime: f[26].uint()?,
        gov_action_deposit: f[27].uint()?,
        drep_deposit: f[28].uint()?,
        drep_activity: f[29].uint()?,
        min_fee_ref_script_per_byte: f[30].rational()?,
        n_opt: f[8].uint()?,
        a0: f[9].rational()?,
        rho: f[10].rational()?,
        tau: f[11].rational()?,
        pool_voting_thresholds: PoolVotingThresholds {
            motion_no_confidence: pools[0],
            committee_normal: pools[1],
            committee_no_confidence: pools[2],
            hard_fork_initiation: pools[3],
            pp_security_group: pools[4],
        },
        drep_voting_thresholds: DRepVotingThresholds {
            motion_no_confidence: dreps[0],
            committee_normal: dreps[1],
            committee_no_confidence: dreps[2],
            update_to_constitution: dreps[3],
            hard_fork_initiation: dreps[4],
            pp_network_group: dreps[5],
            pp_economic_group: dreps[6],
            pp_technical_group: dreps[7],
            pp_gov_group: dreps[8],
            treasury_withdrawal: dreps[9],
        },
        max_lovelace_supply: config.max_supply,
        active_slot_coeff: config.active_slots,
        network_id: config.network_id,
        epoch_length: config.epoch_length,
        system_start_ms: config.system_start_ms,
        slot_length_ms: 1000,
        ..LedgerParams::default()
    })
}
