//! Reading the transaction scenarios of `shared/vectors/ledger/transaction/` (layout and fields
//! in its README): the protocol parameters, the era history and the initial ledger state of a
//! scenario, as this ledger takes them. Shared by `tests/transaction_scenarios.rs` and
//! `benches/transactions.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use imbl::OrdMap;
use serde_json::Value;
use slotforge_ledger::params::{ExUnits, LedgerParams, Rational};
use slotforge_ledger::state::{
    Account, CommitteeAuthorization, Credential, DRep, DRepState, GovActionId, GovActionKind, GovPurpose, LedgerState,
    PoolParams, PoolState, Proposal, TxIn, TxOut,
};
use slotforge_ledger::tx::Transaction;

/// The scenarios' folder: `SLOTFORGE_LEDGER_SCENARIOS`, else the shared vectors'.
pub fn root() -> PathBuf {
    match std::env::var_os("SLOTFORGE_LEDGER_SCENARIOS") {
        Some(d) => PathBuf::from(d),
        None => std::env::var_os("SLOTFORGE_VECTORS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
            .join("ledger/transaction"),
    }
}

/// A scenario read: its JSON, the transaction (or why it does not decode), the parameters, the
/// slot and the state it is judged at.
pub struct Scenario {
    pub fixture: Value,
    pub tx: Result<Transaction, String>,
    pub params: LedgerParams,
    pub slot: u64,
    pub state: LedgerState,
}

/// Reads the scenario in `file`.
pub fn load(root: &Path, file: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
    let fixture: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let tx_bytes = hex::decode(fixture["transaction"].as_str().ok_or("no transaction")?).map_err(|e| e.to_string())?;
    let tx = Transaction::decode(&tx_bytes).map_err(|e| e.to_string());
    let params = params(&resolve(root, &fixture["protocolParameters"])?, &fixture)?;
    let era = resolve(root, &fixture["eraHistory"])?;
    let epoch_length = era["eras"][0]["params"]["epochSizeSlots"]
        .as_u64()
        .ok_or("no epochSizeSlots")?;
    let params = LedgerParams { epoch_length, ..params };
    let slot = fixture["point"]["slot"].as_u64().ok_or("no point.slot")?;
    let mut state = state(&fixture["initialState"], &params)?;
    state.epoch = params.epoch_of(slot);
    Ok(Scenario {
        fixture,
        tx,
        params,
        slot,
        state,
    })
}

/// A `{ "$ref": path, "$override": {...} }` document read and merged, or the inline value.
pub fn resolve(root: &Path, v: &Value) -> Result<Value, String> {
    let Some(path) = v.get("$ref").and_then(Value::as_str) else {
        return Ok(v.clone());
    };
    let text = std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    if let (Some(Value::Object(o)), Value::Object(d)) = (v.get("$override"), &mut doc) {
        for (k, x) in o {
            d.insert(k.clone(), x.clone());
        }
    }
    Ok(doc)
}

pub fn u64_at(v: &Value, k: &str) -> Result<u64, String> {
    v[k].as_u64()
        .ok_or_else(|| format!("protocol parameter {k} missing or not a u64"))
}

pub fn ratio(v: &Value) -> Result<Rational, String> {
    Ok((
        v["numerator"].as_u64().ok_or("ratio numerator")?,
        v["denominator"].as_u64().ok_or("ratio denominator")?,
    ))
}

pub fn ex_units(v: &Value) -> Result<ExUnits, String> {
    Ok(ExUnits {
        mem: v["memory"].as_u64().ok_or("ex units memory")?,
        steps: v["cpu"].as_u64().ok_or("ex units cpu")?,
    })
}

/// The scenario's protocol parameters as the ledger takes them.
pub fn params(p: &Value, fixture: &Value) -> Result<LedgerParams, String> {
    let network = fixture["network"].as_str().unwrap_or("preprod");
    let (network_id, system_start_ms) = match network {
        "mainnet" => (1, 1_506_203_091_000),
        "preprod" => (0, 1_654_041_600_000),
        "preview" => (0, 1_666_656_000_000),
        _ => (0, 0),
    };
    let mut cost_models = BTreeMap::new();
    for (k, lang) in [("plutusV1", 0u8), ("plutusV2", 1), ("plutusV3", 2)] {
        if let Some(a) = p["plutusCostModels"][k].as_array() {
            cost_models.insert(lang, a.iter().filter_map(Value::as_i64).collect());
        }
    }
    let prices = &p["scriptExecutionPrices"];
    Ok(LedgerParams {
        min_fee_a: u64_at(p, "minFeeCoefficient")?,
        min_fee_b: u64_at(p, "minFeeConstant")?,
        max_tx_size: u64_at(p, "maxTransactionSize")?,
        max_block_body_size: u64_at(p, "maxBlockBodySize")?,
        max_block_header_size: u64_at(p, "maxBlockHeaderSize")?,
        key_deposit: u64_at(p, "stakeCredentialDeposit")?,
        pool_deposit: u64_at(p, "stakePoolDeposit")?,
        min_pool_cost: u64_at(p, "minStakePoolCost")?,
        e_max: u64_at(p, "stakePoolRetirementEpochBound")?,
        coins_per_utxo_byte: u64_at(p, "minUtxoDepositCoefficient")?,
        max_value_size: u64_at(p, "maxValueSize")?,
        network_id,
        protocol_version: (u64_at(&p["version"], "major")?, u64_at(&p["version"], "minor")?),
        min_fee_ref_script_per_byte: ratio(&p["minFeeReferenceScripts"]["base"])?,
        max_ref_script_size_per_tx: p["maxReferenceScriptsSize"].as_u64().unwrap_or(200 * 1024),
        max_ref_script_size_per_block: 1024 * 1024,
        collateral_percentage: u64_at(p, "collateralPercentage")?,
        max_collateral_inputs: u64_at(p, "maxCollateralInputs")?,
        prices: (ratio(&prices["memory"])?, ratio(&prices["cpu"])?),
        max_tx_ex_units: ex_units(&p["maxExecutionUnitsPerTransaction"])?,
        max_block_ex_units: ex_units(&p["maxExecutionUnitsPerBlock"])?,
        cost_models,
        gov_action_lifetime: u64_at(p, "governanceActionLifetime")?,
        gov_action_deposit: u64_at(p, "governanceActionDeposit")?,
        drep_deposit: u64_at(p, "delegateRepresentativeDeposit")?,
        drep_activity: u64_at(p, "delegateRepresentativeMaxIdleTime")?,
        committee_min_size: u64_at(p, "constitutionalCommitteeMinSize")?,
        committee_max_term_length: u64_at(p, "constitutionalCommitteeMaxTermLength")?,
        epoch_length: 432_000,
        system_start_ms,
        slot_length_ms: 1000,
        // What only the epoch boundary reads (rewards, ratification): no scenario crosses one.
        ..LedgerParams::default()
    })
}

pub fn hex_field(v: &Value, what: &str) -> Result<Vec<u8>, String> {
    hex::decode(v.as_str().ok_or_else(|| format!("{what} is not a string"))?).map_err(|e| format!("{what}: {e}"))
}

/// A `StakeCredential`'s CBOR (`[0, keyhash]` or `[1, scripthash]`).
pub fn credential(v: &Value) -> Result<Credential, String> {
    let b = hex_field(v, "credential")?;
    // 82 00|01 58 1c <28 bytes>
    if b.len() != 32 || b[0] != 0x82 || b[2] != 0x58 || b[3] != 0x1c {
        return Err(format!("not a credential: {}", hex::encode(&b)));
    }
    let h: [u8; 28] = b[4..].try_into().map_err(|_| "credential hash")?;
    match b[1] {
        0 => Ok(Credential::Key(h)),
        1 => Ok(Credential::Script(h)),
        t => Err(format!("credential tag {t}")),
    }
}

/// A `DRep`'s CBOR: `[0, keyhash]`, `[1, scripthash]`, `[2]` or `[3]`.
pub fn drep(v: &Value) -> Result<DRep, String> {
    let b = hex_field(v, "drep")?;
    match b.as_slice() {
        [0x81, 0x02] => Ok(DRep::AlwaysAbstain),
        [0x81, 0x03] => Ok(DRep::AlwaysNoConfidence),
        _ => match credential(v)? {
            Credential::Key(h) => Ok(DRep::Key(h)),
            Credential::Script(h) => Ok(DRep::Script(h)),
        },
    }
}

pub fn hash28(v: &Value, what: &str) -> Result<[u8; 28], String> {
    hex_field(v, what)?
        .try_into()
        .map_err(|_| format!("{what} is not 28 bytes"))
}

pub fn action_id(v: &Value) -> Result<GovActionId, String> {
    Ok(GovActionId {
        tx: hex_field(&v["transactionId"], "transactionId")?
            .try_into()
            .map_err(|_| "transactionId is not 32 bytes")?,
        index: v["proposalIndex"].as_u64().ok_or("proposalIndex")? as u16,
    })
}

/// The lineage names of the scenarios: `ProtocolParameters`, `ProtocolParameters(security-group)`,
/// `HardFork(M.m)`, `ConstitutionalCommittee`, `Constitution`, `Information`,
/// `TreasuryWithdrawals`, `Orphan`.
pub fn kind(s: &str) -> Result<GovActionKind, String> {
    Ok(match s {
        "ProtocolParameters" => GovActionKind::ParameterChange { security_group: false },
        "ProtocolParameters(security-group)" => GovActionKind::ParameterChange { security_group: true },
        "ConstitutionalCommittee" => GovActionKind::UpdateCommittee { added: vec![] },
        "Constitution" => GovActionKind::NewConstitution,
        "Information" | "Orphan" => GovActionKind::Info,
        "TreasuryWithdrawals" => GovActionKind::TreasuryWithdrawals,
        other => {
            let v = other
                .strip_prefix("HardFork(")
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| format!("proposal kind {other}"))?;
            let (major, minor) = v.split_once('.').ok_or("hard fork version")?;
            GovActionKind::HardFork {
                major: major.parse().map_err(|_| "major")?,
                minor: minor.parse().map_err(|_| "minor")?,
            }
        }
    })
}

/// The scenario's initial state.
pub fn state(s: &Value, p: &LedgerParams) -> Result<LedgerState, String> {
    let mut state = LedgerState::default();
    let empty = vec![];
    let list = |k: &str| s[k].as_array().unwrap_or(&empty).clone();
    for e in list("utxo") {
        let input = hex_field(&e["input"], "utxo input")?;
        let out = hex_field(&e["output"], "utxo output")?;
        let input = TxIn::decode(&input).map_err(|e| format!("utxo input: {e}"))?;
        let out = TxOut::decode(&out).map_err(|e| format!("utxo output: {e}"))?;
        state.add_output(input, Arc::new(out));
    }
    for pool in list("pools") {
        let id = hash28(&pool, "pool id")?;
        let params = PoolParams {
            vrf_key_hash: [0; 32],
            pledge: 0,
            cost: p.min_pool_cost,
            margin: (0, 1),
            reward_account: vec![],
            owners: vec![],
            relays: Vec::new(),
            metadata: Vec::new(),
        };
        let pool = PoolState {
            params,
            future: None,
            retiring: None,
            deposit: p.pool_deposit,
        };
        state.deposits += pool.deposit;
        state.pools.insert(id, pool);
    }
    for a in list("accounts") {
        let account = Account {
            deposit: a["deposit"].as_u64().ok_or("account deposit")?,
            rewards: a["rewards"].as_u64().unwrap_or(0),
            pool: match a.get("pool") {
                Some(x) if !x.is_null() => Some(hash28(&x["id"], "account pool")?),
                _ => None,
            },
            drep: match a.get("drep") {
                Some(x) if !x.is_null() => Some(drep(&x["id"])?),
                _ => None,
            },
        };
        state.deposits += account.deposit;
        state.accounts.insert(credential(&a["credential"])?, account);
    }
    let g = &mut state.governance;
    for d in list("dreps") {
        let deposit = d["deposit"].as_u64().ok_or("drep deposit")?;
        state.deposits += deposit;
        g.dreps.insert(
            credential(&d["credential"])?,
            DRepState {
                deposit,
                expiry: d["validUntil"].as_u64().ok_or("drep validUntil")?,
                anchor: vec![],
            },
        );
    }
    let mut members = OrdMap::new();
    // A member "holding no term" is, in the reference's state, a cold key that only a pending
    // committee update names: it is seeded as such a proposal.
    let mut candidates = Vec::new();
    for m in list("committee") {
        let cold = credential(&m["coldCredential"])?;
        match m.get("validUntil").and_then(Value::as_u64) {
            Some(until) => {
                members.insert(cold, until);
            }
            None => candidates.push(cold),
        }
        match m.get("status") {
            Some(Value::String(x)) if x == "resigned" => {
                g.committee_keys.insert(cold, CommitteeAuthorization::Resigned);
            }
            Some(Value::String(_)) => {
                g.committee_keys
                    .insert(cold, CommitteeAuthorization::Hot(credential(&m["status"])?));
            }
            _ => {}
        }
    }
    g.committee = Some(members);
    if !candidates.is_empty() {
        g.add_proposal(
            GovActionId {
                tx: [0xff; 32],
                index: u16::MAX,
            },
            Proposal {
                kind: GovActionKind::UpdateCommittee { added: candidates },
                prev: None,
                deposit: 0,
                return_account: vec![],
                proposed_in: 0,
                expires_after: 0,
                action: vec![],
                anchor: vec![],
                committee_votes: OrdMap::new(),
                drep_votes: OrdMap::new(),
                pool_votes: OrdMap::new(),
            },
        );
    }
    for pr in list("proposals") {
        let id = action_id(&pr[0])?;
        let kind = kind(pr[1].as_str().ok_or("proposal kind")?)?;
        let expires_after = pr[2].as_u64().ok_or("proposal validUntil")?;
        g.add_proposal(
            id,
            Proposal {
                kind,
                prev: None,
                deposit: 0,
                return_account: vec![],
                proposed_in: expires_after.saturating_sub(p.gov_action_lifetime),
                expires_after,
                action: vec![],
                anchor: vec![],
                committee_votes: OrdMap::new(),
                drep_votes: OrdMap::new(),
                pool_votes: OrdMap::new(),
            },
        );
    }
    let roots = &s["proposalsRoots"];
    for (k, purpose) in [
        ("protocolParameters", GovPurpose::ParameterChange),
        ("hardFork", GovPurpose::HardFork),
        ("constitutionalCommittee", GovPurpose::Committee),
        ("constitution", GovPurpose::Constitution),
    ] {
        if let Some(v) = roots.get(k).filter(|v| !v.is_null()) {
            g.roots.insert(purpose, action_id(v)?);
        }
    }
    if let Some(h) = s.get("guardrailScript").filter(|v| !v.is_null()) {
        g.guardrail = Some(hash28(h, "guardrailScript")?);
    }
    g.dormant_epochs = s["governanceActivity"]["consecutiveDormantEpochs"]
        .as_u64()
        .unwrap_or(0);
    state.treasury = s["pots"]["treasury"].as_u64().unwrap_or(0);
    state.reserves = s["pots"]["reserves"].as_u64().unwrap_or(0);
    state.reindex();
    Ok(state)
}
