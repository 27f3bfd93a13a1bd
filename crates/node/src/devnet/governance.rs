//! `devnet gov` and `devnet withdraw`: Conway governance on a devnet with the keys it holds —
//! DReps it creates, the pools' cold keys, the committee members' cold and hot keys of its
//! genesis, the pool owners' stake keys — each step one transaction the faucet pays for,
//! submitted over REST and judged by the ledger like any other.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use serde_json::Value;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::key_file::KeyKind;
use slotforge_devnet::txbuilder::{key_hash, Action, Cert, ParamChanges, Proposal, TxBuilder, Voter};
use slotforge_ledger::address::reward_address;
use slotforge_ledger::state::{DRep, GovActionId, Vote};
use slotforge_ledger::Credential;

use super::cli::{GovCommand, ProposeAction, VoteArg};
use super::layout::{Devnet, DevnetNode};
use super::wallet::{any_rest, faucet_pays, ledger_params, signing_key};
use crate::bech32_ids::{address_bech32, parse_address, parse_stake_address};
use crate::http_client;
use crate::keys_cmd;

/// Runs one `devnet gov` subcommand.
pub(super) async fn run(cmd: GovCommand) -> anyhow::Result<()> {
    match cmd {
        GovCommand::Status(d) => status(&Devnet::load(&d.dir)?).await,
        GovCommand::RegisterDrep { dir, name } => register_drep(&Devnet::load(&dir.dir)?, &name).await,
        GovCommand::DelegateVote { dir, pool, drep } => delegate_vote(&Devnet::load(&dir.dir)?, &pool, &drep).await,
        GovCommand::AuthorizeCommittee(d) => authorize_committee(&Devnet::load(&d.dir)?).await,
        GovCommand::Propose { dir, return_to, action } => propose(&Devnet::load(&dir.dir)?, &return_to, action).await,
        GovCommand::Vote { dir, action, vote, by } => cast_votes(&Devnet::load(&dir.dir)?, &action, vote, &by).await,
    }
}

/// A devnet DRep's folder.
fn drep_dir(devnet: &Devnet, name: &str) -> PathBuf {
    devnet.dir.join("dreps").join(name)
}

/// The DReps this devnet made, by name, with their signing keys.
fn dreps(devnet: &Devnet) -> anyhow::Result<Vec<(String, SigningKey)>> {
    let mut names: Vec<String> = match std::fs::read_dir(devnet.dir.join("dreps")) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            // `.NAME.pending`: a registration not (yet) accepted.
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let key = signing_key(&drep_dir(devnet, &n).join("drep.skey"), KeyKind::DRepSigning)?;
            Ok((n, key))
        })
        .collect()
}

/// The committee members of the devnet's genesis (`member-1`, …): (name, cold key, hot key).
fn committee(devnet: &Devnet) -> anyhow::Result<Vec<(String, SigningKey, SigningKey)>> {
    let dir = devnet.dir.join("committee");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("{}: this devnet's genesis names no committee", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with("member-"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let m = dir.join(&n);
            let cold = signing_key(&m.join("cold.skey"), KeyKind::CommitteeColdSigning)?;
            let hot = signing_key(&m.join("hot.skey"), KeyKind::CommitteeHotSigning)?;
            Ok((n, cold, hot))
        })
        .collect()
}

fn node<'a>(devnet: &'a Devnet, name: &str) -> anyhow::Result<&'a DevnetNode> {
    devnet.nodes.iter().find(|n| n.name == name).ok_or_else(|| {
        let names: Vec<&str> = devnet.nodes.iter().map(|n| n.name.as_str()).collect();
        anyhow!("{name:?} is not a pool of this devnet (it has {})", names.join(", "))
    })
}

fn pool_cold_key(node: &DevnetNode) -> anyhow::Result<SigningKey> {
    let path = node
        .keys
        .cold_skey
        .as_ref()
        .ok_or_else(|| anyhow!("{} has no pool (a BFT devnet's nodes cannot vote as pools)", node.name))?;
    signing_key(path, KeyKind::ColdSigning)
}

/// A pool owner's stake key and reward account.
fn owner_account(node: &DevnetNode) -> anyhow::Result<(SigningKey, Vec<u8>)> {
    let key = signing_key(&node.owner_stake_key, KeyKind::StakeSigning)?;
    let account = reward_address(0, &Credential::Key(key_hash(&key)));
    Ok((key, account))
}

async fn governance(rest: &str) -> anyhow::Result<Value> {
    http_client::get_ok(&format!("{rest}/api/v1/governance")).await
}

async fn register_drep(devnet: &Devnet, name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        bail!("{name:?}: a DRep's name is letters, digits, '-' and '_'");
    }
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let dir = drep_dir(devnet, name);
    if dir.exists() {
        bail!("{} exists: this devnet already has a DRep {name:?}", dir.display());
    }
    // The keys wait in a hidden folder (which `dreps` skips) until the node accepts the
    // registration: a refused one leaves no DRep behind, and the command can be run again.
    let staging = devnet.dir.join("dreps").join(format!(".{name}.pending"));
    let _ = std::fs::remove_dir_all(&staging);
    crate::private_dir::create_private_dir(&staging)?;
    let registered = async {
        let key = keys_cmd::ed25519_pair(
            &staging.join("drep.skey"),
            &staging.join("drep.vkey"),
            (KeyKind::DRepSigning, KeyKind::DRepVerification),
        )?;
        let tx = TxBuilder::new().cert(Cert::RegisterDRep {
            drep: key_hash(&key),
            deposit: params.drep_deposit,
        });
        let id = faucet_pays(devnet, &rest, &params, tx, &[&key]).await?;
        anyhow::Ok((key, id))
    }
    .await;
    let (key, id) = match registered {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    std::fs::rename(&staging, &dir).with_context(|| {
        format!(
            "DRep {name} is registered, but its keys could not be moved from {} to {}",
            staging.display(),
            dir.display()
        )
    })?;
    println!(
        "DRep {name} ({}) registered with a deposit of {} lovelace in transaction {id}",
        hex::encode(key_hash(&key)),
        params.drep_deposit
    );
    Ok(())
}

async fn delegate_vote(devnet: &Devnet, pool: &str, drep: &str) -> anyhow::Result<()> {
    let (stake_key, _) = owner_account(node(devnet, pool)?)?;
    let target = match drep {
        "abstain" => DRep::AlwaysAbstain,
        "no-confidence" => DRep::AlwaysNoConfidence,
        name => {
            let path = drep_dir(devnet, name).join("drep.skey");
            if !path.exists() {
                bail!("this devnet has no DRep {name:?} (make one with `slotforge devnet gov register-drep {name}`)");
            }
            DRep::Key(key_hash(&signing_key(&path, KeyKind::DRepSigning)?))
        }
    };
    let tx = TxBuilder::new().cert(Cert::DelegateVote {
        stake: key_hash(&stake_key),
        drep: target,
    });
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let id = faucet_pays(devnet, &rest, &params, tx, &[&stake_key]).await?;
    println!("{pool}'s owner delegates its vote to {drep} in transaction {id}");
    Ok(())
}

async fn authorize_committee(devnet: &Devnet) -> anyhow::Result<()> {
    let members = committee(devnet)?;
    let mut tx = TxBuilder::new();
    for (_, cold, hot) in &members {
        tx = tx.cert(Cert::AuthorizeCommitteeHot {
            cold: key_hash(cold),
            hot: key_hash(hot),
        });
    }
    let colds: Vec<&SigningKey> = members.iter().map(|(_, c, _)| c).collect();
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let id = faucet_pays(devnet, &rest, &params, tx, &colds).await?;
    println!(
        "{} committee members' hot keys authorised in transaction {id}",
        members.len()
    );
    Ok(())
}

/// The last enacted action of a purpose (`/api/v1/governance`'s `enacted`), which a new
/// proposal of that purpose must name.
fn enacted(g: &Value, purpose: &str) -> anyhow::Result<Option<GovActionId>> {
    g["enacted"][purpose].as_str().map(parse_action_id).transpose()
}

async fn propose(devnet: &Devnet, return_to: &str, action: ProposeAction) -> anyhow::Result<()> {
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let g = governance(&rest).await?;
    let (_, return_account) = owner_account(node(devnet, return_to)?)?;
    let action = match action {
        ProposeAction::ParameterChange {
            max_tx_size,
            max_block_body_size,
            min_fee_a,
            min_fee_b,
        } => {
            let changes = ParamChanges {
                max_tx_size,
                max_block_body_size,
                min_fee_a,
                min_fee_b,
            };
            if changes == ParamChanges::default() {
                bail!("a parameter change names at least one parameter (--max-tx-size, …)");
            }
            Action::ParameterChange {
                previous: enacted(&g, "parameter_change")?,
                changes,
            }
        }
        ProposeAction::TreasuryWithdrawal { to, lovelace } => {
            let to = if to.starts_with("pool-") {
                owner_account(node(devnet, &to)?)?.1
            } else {
                parse_stake_address(&to).map_err(anyhow::Error::msg)?
            };
            Action::TreasuryWithdrawal { to, lovelace }
        }
        ProposeAction::HardFork { version } => Action::HardFork {
            previous: enacted(&g, "hard_fork")?,
            version,
        },
        ProposeAction::Info => Action::Info,
    };
    let tx = TxBuilder {
        proposals: vec![Proposal {
            deposit: params.gov_action_deposit,
            return_account,
            action,
        }],
        ..TxBuilder::new()
    };
    let id = faucet_pays(devnet, &rest, &params, tx, &[]).await?;
    println!("{id}#0");
    Ok(())
}

/// `tx-id#index` as an action id.
fn parse_action_id(text: &str) -> anyhow::Result<GovActionId> {
    let bad = || anyhow!("{text:?} is not an action id (tx-id#index, as `devnet gov propose` prints it)");
    let (tx, index) = text.split_once('#').ok_or_else(bad)?;
    Ok(GovActionId {
        tx: hex::decode(tx).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)?,
        index: index.parse().map_err(|_| bad())?,
    })
}

async fn cast_votes(devnet: &Devnet, action: &str, vote: VoteArg, by: &[String]) -> anyhow::Result<()> {
    let id = parse_action_id(action)?;
    let rest = any_rest(devnet).await?;
    let params = ledger_params(&rest).await?;
    let g = governance(&rest).await?;
    let in_flight = |p: &Value| p["id"].as_str().and_then(|s| parse_action_id(s).ok()) == Some(id);
    if !g["proposals"].as_array().is_some_and(|ps| ps.iter().any(in_flight)) {
        bail!("{id} is not a proposal in flight on the chain's tip (see `slotforge devnet gov status`)");
    }
    let vote = match vote {
        VoteArg::Yes => Vote::Yes,
        VoteArg::No => Vote::No,
        VoteArg::Abstain => Vote::Abstain,
    };
    let authorised: Vec<String> = g["committee"]["members"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter_map(|m| m["hot"]["key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut voters: Vec<(String, Voter, SigningKey)> = Vec::new();
    for who in by {
        let found = voters_named(devnet, who, &authorised)?;
        if found.is_empty() {
            bail!("{who:?}: no such voter in this devnet (dreps, pools, committee, a DRep's name, pool-N or member-N)");
        }
        for v in found {
            if !voters.iter().any(|(n, _, _)| *n == v.0) {
                voters.push(v);
            }
        }
    }
    let tx = TxBuilder {
        votes: voters.iter().map(|(_, v, _)| (*v, id, vote)).collect(),
        ..TxBuilder::new()
    };
    let keys: Vec<&SigningKey> = voters.iter().map(|(_, _, k)| k).collect();
    let tx_id = faucet_pays(devnet, &rest, &params, tx, &keys).await?;
    let names: Vec<&str> = voters.iter().map(|(n, _, _)| n.as_str()).collect();
    println!("{} voted {vote:?} on {id} in transaction {tx_id}", names.join(", "));
    Ok(())
}

/// The voters `who` names (`dreps`, `pools`, `committee`, a DRep's name, pool-N or
/// member-N) with their keys; committee members must have authorised hot keys (`authorised`
/// holds their hashes).
fn voters_named(devnet: &Devnet, who: &str, authorised: &[String]) -> anyhow::Result<Vec<(String, Voter, SigningKey)>> {
    let mut found = Vec::new();
    if who == "committee" || who.starts_with("member-") {
        for (name, _, hot) in committee(devnet)? {
            if who == "committee" || who == name {
                if !authorised.contains(&hex::encode(key_hash(&hot))) {
                    bail!("{name}'s hot key is not authorised yet: run `slotforge devnet gov authorize-committee`");
                }
                found.push((name, Voter::Committee(Credential::Key(key_hash(&hot))), hot));
            }
        }
    } else if who == "pools" || who.starts_with("pool-") {
        for n in devnet.nodes.iter().filter(|n| who == "pools" || who == n.name) {
            let cold = pool_cold_key(n)?;
            found.push((n.name.clone(), Voter::Pool(key_hash(&cold)), cold));
        }
    } else {
        for (name, key) in dreps(devnet)? {
            if who == "dreps" || who == name {
                found.push((name, Voter::DRep(Credential::Key(key_hash(&key))), key));
            }
        }
    }
    Ok(found)
}

/// `devnet withdraw pool-N`: the owner's whole reward balance to the owner's address.
pub(super) async fn withdraw(dir: &Path, pool: &str) -> anyhow::Result<()> {
    let devnet = Devnet::load(dir)?;
    let n = node(&devnet, pool)?;
    let (stake_key, account) = owner_account(n)?;
    let rest = any_rest(&devnet).await?;
    let params = ledger_params(&rest).await?;
    let stake_address = address_bech32(&account);
    let a = http_client::get_ok(&format!("{rest}/api/v1/accounts/{stake_address}")).await?;
    let rewards = a["rewards"].as_u64().unwrap_or(0);
    if rewards == 0 {
        bail!("{stake_address} has no rewards yet (a pool's first rewards arrive two epochs after it makes blocks)");
    }
    if a["drep"].is_null() {
        bail!(
            "{stake_address} has not delegated its vote, and Conway refuses its withdrawals until it does: \
             `slotforge devnet gov delegate-vote {pool} <DRep name|abstain|no-confidence>`"
        );
    }
    let to = parse_address(&n.owner.address).map_err(anyhow::Error::msg)?;
    let tx = TxBuilder {
        withdrawals: vec![(account, rewards)],
        ..TxBuilder::new()
    }
    .output(to, rewards);
    let id = faucet_pays(&devnet, &rest, &params, tx, &[&stake_key])
        .await
        .with_context(|| format!("withdrawing {rewards} lovelace of rewards to {}", n.owner.address))?;
    println!(
        "withdrew {rewards} lovelace from {stake_address} to {} in transaction {id}",
        n.owner.address
    );
    Ok(())
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

async fn status(devnet: &Devnet) -> anyhow::Result<()> {
    let rest = any_rest(devnet).await?;
    let g = governance(&rest).await?;
    let pots = http_client::get_ok(&format!("{rest}/api/v1/pots")).await?;
    let pv = &g["protocol_version"];
    println!(
        "epoch {}: protocol version {}.{}, treasury {} lovelace",
        g["epoch"], pv["major"], pv["minor"], pots["treasury"]
    );
    let members = &g["committee"]["members"];
    let hot = members
        .as_array()
        .map_or(0, |ms| ms.iter().filter(|m| !m["hot"].is_null()).count());
    println!("committee: {} members, {hot} with hot keys", count(members));
    let names: Vec<(String, String)> = dreps(devnet)?
        .into_iter()
        .map(|(n, k)| (hex::encode(key_hash(&k)), n))
        .collect();
    for d in g["dreps"].as_array().into_iter().flatten() {
        let key = d["credential"]["key"].as_str().unwrap_or_default();
        let name = names.iter().find(|(h, _)| h == key).map_or(key, |(_, n)| n.as_str());
        println!(
            "DRep {name}: {} lovelace delegated, active until epoch {}",
            d["stake"], d["expiry"]
        );
    }
    for p in g["proposals"].as_array().into_iter().flatten() {
        let tally = |body: &str| {
            let votes = p["votes"][body].as_array().cloned().unwrap_or_default();
            let n = |v: &str| votes.iter().filter(|x| x["vote"] == v).count();
            format!("{body} {}/{}/{}", n("yes"), n("no"), n("abstain"))
        };
        println!(
            "{} {}: {}, {}, {} (yes/no/abstain); {}, expires after epoch {}",
            p["id"].as_str().unwrap_or_default(),
            p["action"].as_str().unwrap_or_default(),
            tally("dreps"),
            tally("pools"),
            tally("committee"),
            p["ratification"].as_str().unwrap_or_default(),
            p["expires_after"]
        );
    }
    if count(&g["proposals"]) == 0 {
        println!("no proposals in flight");
    }
    Ok(())
}
