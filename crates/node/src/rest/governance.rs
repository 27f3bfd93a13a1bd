//! `GET /api/v1/governance`: Conway governance on the selected chain's tip — the constitution,
//! the committee with its hot keys, the DReps with the stake delegated to them, the proposals
//! with their votes and what the last ratification decided for each, and the last enacted
//! action of each purpose.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use slotforge_ledger::state::{CommitteeAuthorization, DRep, GovActionId, GovPurpose, Vote};
use slotforge_ledger::{Credential, LedgerState};

use super::accounts::{credential_json as credential, drep_json};
use super::errors::{error, stopped};
use super::NodeApi;
use crate::bech32_ids::{address_bech32, pool_bech32};

/// The governance state (DRep stake summed on a blocking thread).
pub(super) async fn governance(State(api): State<NodeApi>) -> Response {
    let Some(ledger) = api.chain.query(|v| v.selection.tip_state().ledger.clone()).await else {
        return stopped();
    };
    match tokio::task::spawn_blocking(move || describe(&ledger)).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, format!("reading governance: {e}")),
    }
}

fn vote(v: &Vote) -> &'static str {
    match v {
        Vote::Yes => "yes",
        Vote::No => "no",
        Vote::Abstain => "abstain",
    }
}

fn describe(s: &LedgerState) -> Value {
    let g = &s.governance;
    // The stake ratification counts: UTxO, proposal deposits and rewards.
    let drep_stake = s.drep_distribution(&s.instant_stake(), &s.proposal_deposits());
    let drep_of = |c: &Credential| match c {
        Credential::Key(h) => DRep::Key(*h),
        Credential::Script(h) => DRep::Script(*h),
    };
    let voting_stake = |d: &DRep| g.ratification.drep_stake.get(d).copied().unwrap_or(0);
    let dreps: Vec<Value> = g
        .dreps
        .iter()
        .map(|(c, d)| {
            json!({
                "credential": credential(c),
                "deposit": d.deposit,
                "expiry": d.expiry,
                "stake": drep_stake.get(&drep_of(c)).copied().unwrap_or(0),
                "voting_stake": voting_stake(&drep_of(c)),
            })
        })
        .collect();
    let predefined: Vec<Value> = [DRep::AlwaysAbstain, DRep::AlwaysNoConfidence]
        .iter()
        .map(|d| {
            json!({
                "drep": drep_json(d),
                "stake": drep_stake.get(d).copied().unwrap_or(0),
                "voting_stake": voting_stake(d),
            })
        })
        .collect();
    let committee = g.committee.as_ref().map(|members| {
        let members: Vec<Value> = members
            .iter()
            .map(|(cold, expires)| {
                let (hot, resigned) = match g.committee_keys.get(cold) {
                    Some(CommitteeAuthorization::Hot(h)) => (Some(credential(h)), false),
                    Some(CommitteeAuthorization::Resigned) => (None, true),
                    None => (None, false),
                };
                json!({ "cold": credential(cold), "expires_after": expires, "hot": hot, "resigned": resigned })
            })
            .collect();
        let (n, d) = g.committee_threshold;
        json!({ "threshold": { "numerator": n, "denominator": d }, "members": members })
    });
    let ratified = |id: &GovActionId| {
        if g.ratification.enacted.contains(id) {
            "ratified"
        } else if g.ratification.expired.contains(id) {
            "expired"
        } else {
            "pending"
        }
    };
    let proposals: Vec<Value> = g
        .proposal_order
        .iter()
        .filter_map(|id| g.proposals.get(id).map(|p| (id, p)))
        .map(|(id, p)| {
            let votes = |m: Vec<(Value, &Vote)>| -> Vec<Value> {
                m.into_iter()
                    .map(|(voter, v)| json!({ "voter": voter, "vote": vote(v) }))
                    .collect()
            };
            json!({
                "id": id.to_string(),
                "action": p.kind.name(),
                "previous": p.prev.map(|i| i.to_string()),
                "deposit": p.deposit,
                "return_account": address_bech32(&p.return_account),
                "proposed_in": p.proposed_in,
                "expires_after": p.expires_after,
                "votes": {
                    "committee": votes(p.committee_votes.iter().map(|(c, v)| (credential(c), v)).collect()),
                    "dreps": votes(p.drep_votes.iter().map(|(c, v)| (credential(c), v)).collect()),
                    "pools": votes(p.pool_votes.iter().map(|(k, v)| (json!(pool_bech32(k)), v)).collect()),
                },
                "ratification": ratified(id),
            })
        })
        .collect();
    let root = |purpose| g.roots.get(&purpose).map(|i| i.to_string());
    json!({
        "epoch": s.epoch,
        "protocol_version": { "major": s.params.protocol_version.0, "minor": s.params.protocol_version.1 },
        "constitution": {
            "guardrail_script": g.guardrail.map(hex::encode),
            "anchor": anchor_json(&g.constitution_anchor),
        },
        "committee": committee,
        "dreps": dreps,
        "predefined_dreps": predefined,
        "proposals": proposals,
        "enacted": {
            "parameter_change": root(GovPurpose::ParameterChange),
            "hard_fork": root(GovPurpose::HardFork),
            "committee": root(GovPurpose::Committee),
            "constitution": root(GovPurpose::Constitution),
        },
        "dormant_epochs": g.dormant_epochs,
    })
}

/// An anchor kept as its CBOR `[url, hash]`, as `{url, data_hash}` (empty strings if unreadable).
fn anchor_json(cbor: &[u8]) -> Value {
    let mut d = pallas_codec::minicbor::Decoder::new(cbor);
    let url = d
        .array()
        .ok()
        .and_then(|_| d.str().ok())
        .unwrap_or_default()
        .to_string();
    let hash = d.bytes().map(hex::encode).unwrap_or_default();
    json!({ "url": url, "data_hash": hash })
}
