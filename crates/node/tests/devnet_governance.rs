//! A devnet governs itself, with real processes: `slotforge devnet gov` registers DReps,
//! delegates the pool owners' votes, authorises the genesis committee's hot keys, proposes a
//! hard fork (10.0 → 10.1), a smaller maximum transaction size and a treasury withdrawal, and
//! DReps, pools and committee members vote on them. Then, on every node: the hard fork is
//! ratified and raises the ledger's protocol version (`/api/v1/epochs/{e}`), which delays the
//! others by an epoch as the reference's RATIFY does; a transaction the old maximum allowed is
//! refused with `MaxTxSizeUTxO` once the new one is enacted; the withdrawal pays exactly its
//! amount to a fresh account; a pool owner withdraws its rewards; the nodes agree on every
//! epoch's ledger facts and keep producing.

mod live_devnet;

use std::time::Duration;

use live_devnet::{eventually, get, http, local_pparams, node_to_client, slotforge, LiveDevnet};
use pallas_codec::minicbor;
use pallas_codec::utils::AnyCbor;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localtxsubmission::SMaybe;
use pallas_network::miniprotocols::Point;
use serde_json::Value;
use slotforge_crypto::ed25519::SigningKey;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_devnet::txbuilder::{key_hash, Cert, TxBuilder};
use slotforge_ledger::address::reward_address;
use slotforge_ledger::{Credential, TxIn};

const EPOCH: u64 = 60;
const OLD_MAX_TX_SIZE: u64 = 16_384;
const NEW_MAX_TX_SIZE: u64 = 4_096;
const WITHDRAWAL: u64 = 1_234_000_000;

fn gov(devnet: &LiveDevnet, args: &[&str]) -> String {
    let mut all = vec!["devnet", "gov", args[0], "--dir", devnet.path()];
    all.extend_from_slice(&args[1..]);
    let (ok, out, err) = slotforge(&all);
    assert!(ok, "devnet gov {args:?}: {err}\n{}", devnet.logs_tail());
    out.trim().to_string()
}

fn governance(rest: &str) -> Value {
    get(&format!("{rest}/api/v1/governance"))
}

/// The faucet's key and its outputs after the mempool's transactions.
fn faucet(devnet: &LiveDevnet, rest: &str) -> (SigningKey, String, Vec<(TxIn, u64)>) {
    let f = &devnet.desc["faucet"];
    let key = key_file::read_key_file(
        std::path::Path::new(f["signing_key"].as_str().unwrap()),
        KeyKind::PaymentSigning,
        key_file::parse_ed25519_signing_key,
    )
    .unwrap();
    let address = f["address"].as_str().unwrap().to_string();
    let u = get(&format!("{rest}/api/v1/utxos?address={address}&include_mempool=true"));
    let utxos = u["utxos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let tx: [u8; 32] = hex::decode(o["tx_id"].as_str().unwrap()).unwrap().try_into().unwrap();
            (
                TxIn {
                    tx,
                    index: o["index"].as_u64().unwrap(),
                },
                o["lovelace"].as_u64().unwrap(),
            )
        })
        .collect();
    (key, address, utxos)
}

/// Submits a transaction the faucet pays (a generous fixed fee, change back to it), with
/// `tx`'s certificates signed by `extra`; returns (HTTP status, body).
fn submit_from_faucet(
    devnet: &LiveDevnet,
    rest: &str,
    tx: TxBuilder,
    extra: &[&SigningKey],
    spend: u64,
) -> (u16, Value) {
    let (key, address, utxos) = faucet(devnet, rest);
    let total: u64 = utxos.iter().map(|(_, c)| c).sum();
    let fee = 2_000_000;
    let mut tx = tx.fee(fee);
    for (i, _) in &utxos {
        tx = tx.input(*i);
    }
    let address = bech32::decode(&address).unwrap().1;
    let tx = tx.output(address, total - fee - spend);
    let mut signers = vec![&key];
    signers.extend_from_slice(extra);
    let signed = tx.sign(&signers);
    let (status, body) = http(
        "POST",
        &format!("{rest}/api/submit/tx"),
        Some("application/cbor"),
        &signed.to_cbor(),
    )
    .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// A transaction of about 5.4 kB (metadata of 80 × 64 bytes): under the old maximum, over the new.
fn large_transaction() -> TxBuilder {
    let mut meta = vec![0xa1, 0x01, 0x98, 80];
    for i in 0..80u8 {
        meta.extend_from_slice(&[0x58, 64]);
        meta.extend_from_slice(&[i; 64]);
    }
    TxBuilder {
        auxiliary_data: Some(meta),
        ..TxBuilder::new()
    }
}

fn wait_in_block(rest: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    eventually(Duration::from_secs(30), what, || {
        let g = governance(rest);
        f(&g).then_some(g)
    })
}

/// The first epoch whose ledger facts satisfy `f`, waiting for it (at most `epochs` epochs).
fn first_epoch_where(devnet: &LiveDevnet, rest: &str, epochs: u64, what: &str, f: impl Fn(&Value) -> bool) -> u64 {
    let within = Duration::from_millis(devnet.slot_ms() * EPOCH * epochs);
    eventually(within, what, || {
        let now = devnet.current_epoch();
        (0..=now).find(|e| {
            let (status, body) = http("GET", &format!("{rest}/api/v1/epochs/{e}"), None, &[]).unwrap();
            status == 200 && {
                let v: Value = serde_json::from_slice(&body).unwrap();
                !v["ledger"].is_null() && f(&v["ledger"])
            }
        })
    })
}

/// A credential of the REST API (`{"key": hex}` or `{"script": hex}`) as pallas names it.
fn stake_addr(c: &Value) -> q::StakeAddr {
    let (kind, hash) = match (c["key"].as_str(), c["script"].as_str()) {
        (Some(h), _) => (0u8, h),
        (_, Some(h)) => (1u8, h),
        _ => panic!("a credential: {c}"),
    };
    q::StakeAddr::from((kind, hex::decode(hash).unwrap().into()))
}

/// A Conway ledger query written by hand: `[0, [0, [6, query]]]`.
fn conway(query: &[u8]) -> AnyCbor {
    let mut b = vec![0x82, 0x00, 0x82, 0x00, 0x82, 0x06];
    b.extend_from_slice(query);
    minicbor::decode(&b).unwrap()
}

/// What cardano-cli's `query drep-state --all-dreps`, `committee-state`, `constitution`,
/// `gov-state` and `drep-stake-distribution --all-dreps` ask a node's socket, each answer
/// decoded by pallas-network's types, against `/api/v1/governance` at the same tip; returns how
/// many proposals the last ratification enacted and how many DReps it counted stake for.
fn governance_queries_agree_with_rest(devnet: &LiveDevnet, rest: &str) -> (usize, usize) {
    let socket = devnet.nodes()[0]["socket"].as_str().unwrap().to_string();
    let magic = devnet.desc["network_magic"].as_u64().unwrap();
    eventually(Duration::from_secs(60), "a quiet moment to compare governance", || {
        let tip = get(&format!("{rest}/api/v1/tip"));
        let g = governance(rest);
        fn none<T: Ord>() -> q::TaggedSet<T> {
            q::TaggedSet::new(Default::default())
        }
        let (point, dreps, committee, constitution, gov, distr) = node_to_client(&socket, magic, async |c| {
            let sq = c.statequery();
            sq.acquire(None).await.unwrap();
            let point = q::get_chain_point(sq).await.unwrap();
            let dreps = q::get_drep_state(sq, 6, none()).await.unwrap();
            let committee = q::get_committee_members_state(sq, 6, none(), none(), none())
                .await
                .unwrap();
            let constitution = q::get_constitution(sq, 6).await.unwrap();
            let gov = sq.query_any(conway(&[0x81, 0x18, 24])).await.unwrap();
            let distr = q::get_drep_stake_distr(sq, 6, none()).await.unwrap();
            (point, dreps, committee, constitution, gov, distr)
        });
        let Point::Specific(slot, hash) = point else {
            return None;
        };
        let same_tip = |t: &Value| t["slot"].as_u64() == Some(slot) && t["hash"] == hex::encode(&hash);
        if !same_tip(&tip) || !same_tip(&get(&format!("{rest}/api/v1/tip"))) {
            return None;
        }
        // DReps: who, deposit, expiry (with the dormant epochs added back unless already past).
        let dormant = g["dormant_epochs"].as_u64().unwrap();
        let epoch = g["epoch"].as_u64().unwrap();
        let expiry = |x: u64| if x + dormant >= epoch { x + dormant } else { x };
        let rest_dreps = g["dreps"].as_array().unwrap();
        assert_eq!(dreps.len(), rest_dreps.len(), "{dreps:?}");
        for d in rest_dreps {
            let state = &dreps[&stake_addr(&d["credential"])];
            assert_eq!(Some(state.expiry), d["expiry"].as_u64().map(expiry));
            assert_eq!(Some(u64::from(state.deposit)), d["deposit"].as_u64());
        }
        let delegators: usize = dreps.values().map(|d| d.delegs.0.len()).sum();
        assert_eq!(delegators, 3, "the three owners delegate their votes");
        // The stake the last ratification counted.
        let voting: Vec<(q::DRep, u64)> = rest_dreps
            .iter()
            .map(|d| {
                let h = d["credential"]["key"].as_str().unwrap();
                (
                    q::DRep::KeyHash(hex::decode(h).unwrap().into()),
                    d["voting_stake"].as_u64().unwrap(),
                )
            })
            .filter(|(_, s)| *s > 0)
            .collect();
        let distr: Vec<(q::DRep, u64)> = distr
            .into_iter()
            .map(|(d, c)| (d, u64::from(c)))
            .filter(|(_, s)| *s > 0)
            .collect();
        assert_eq!(distr, voting);
        // The committee: every member, its hot key, its term, the quorum.
        let members = g["committee"]["members"].as_array().unwrap();
        assert_eq!(committee.committee.len(), members.len());
        for m in members {
            let state = &committee.committee[&stake_addr(&m["cold"])];
            assert_eq!(
                state.hot_cred_auth_status,
                q::HotCredAuthStatus::MemberAuthorized(stake_addr(&m["hot"]))
            );
            assert_eq!(state.status, q::MemberStatus::Active);
            assert_eq!(state.expiration, SMaybe::Some(m["expires_after"].as_u64().unwrap()));
        }
        assert_eq!(committee.epoch, g["epoch"].as_u64().unwrap());
        let threshold = &g["committee"]["threshold"];
        let SMaybe::Some(t) = &committee.threshold else {
            panic!("a committee has a quorum")
        };
        assert_eq!(
            (Some(t.numerator), Some(t.denominator)),
            (threshold["numerator"].as_u64(), threshold["denominator"].as_u64())
        );
        // The constitution.
        let c = &g["constitution"];
        assert_eq!(constitution.anchor.url, c["anchor"]["url"].as_str().unwrap());
        assert_eq!(
            hex::encode(&*constitution.anchor.data_hash),
            c["anchor"]["data_hash"].as_str().unwrap()
        );
        assert_eq!(
            constitution.script.map(hex::encode),
            c["guardrail_script"].as_str().map(String::from)
        );
        // The governance state: the proposals with their votes, the committee, the parameters,
        // and what the last ratification decided.
        let gov = minicbor::to_vec(&gov).unwrap();
        let mut d = minicbor::Decoder::new(&gov);
        assert_eq!(d.array().unwrap(), Some(1), "a current-era result");
        assert_eq!(d.array().unwrap(), Some(7), "ConwayGovState");
        let (_roots, proposals): (q::GovRelation, Vec<q::GovActionState>) = d.decode().unwrap();
        let rest_proposals = g["proposals"].as_array().unwrap();
        assert_eq!(proposals.len(), rest_proposals.len());
        for (p, r) in proposals.iter().zip(rest_proposals) {
            let id = format!("{}#{}", hex::encode(*p.id.tx_id), p.id.gov_action_ix);
            assert_eq!(id, r["id"].as_str().unwrap());
            let count = |who: &str| r["votes"][who].as_array().unwrap().len();
            assert_eq!(
                (p.committee_votes.len(), p.drep_votes.len(), p.stake_pool_votes.len()),
                (count("committee"), count("dreps"), count("pools"))
            );
            assert_eq!(Some(u64::from(p.proposal_procedure.deposit)), r["deposit"].as_u64());
            assert_eq!(Some(p.expires_after), r["expires_after"].as_u64());
        }
        let gov_committee: SMaybe<q::Committee> = d.decode().unwrap();
        let SMaybe::Some(gov_committee) = gov_committee else {
            panic!("a committee")
        };
        assert_eq!(gov_committee.members.len(), members.len());
        let _: q::Constitution = d.decode().unwrap();
        let current: q::ProtocolParam = d.decode().unwrap();
        assert_eq!(
            current.protocol_version,
            Some((
                g["protocol_version"]["major"].as_u64().unwrap(),
                g["protocol_version"]["minor"].as_u64().unwrap()
            ))
        );
        let _previous: q::ProtocolParam = d.decode().unwrap();
        d.skip().unwrap(); // the future parameters (pallas reads them as an update, not whole)
        assert_eq!(d.array().unwrap(), Some(2), "DRComplete");
        d.skip().unwrap();
        let ratify: q::RatifyState = d.decode().unwrap();
        let decided = |what: &str| -> Vec<String> {
            let mut ids: Vec<String> = rest_proposals
                .iter()
                .filter(|p| p["ratification"] == what)
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            ids
        };
        let id = |i: &q::GovActionId| format!("{}#{}", hex::encode(*i.tx_id), i.gov_action_ix);
        let mut enacted: Vec<String> = ratify.enacted.iter().map(|s| id(&s.id)).collect();
        enacted.sort();
        assert_eq!(enacted, decided("ratified"));
        let expired: Vec<String> = ratify.expired.0.iter().map(id).collect();
        assert_eq!(expired, decided("expired"));
        Some((enacted.len(), distr.len()))
    })
}

#[test]
fn a_devnet_governs_itself_through_dreps_pools_and_its_committee() {
    let devnet = LiveDevnet::up(&[
        "--pools",
        "3",
        "--slot-length",
        "0.2",
        "--epoch-length",
        &EPOCH.to_string(),
        "--k",
        "5",
        "--f",
        "1/2",
    ]);
    let rest = devnet.rest(0);
    devnet.wait_for_epoch(0, 5);

    // Before any change: a 5.4 kB transaction is within the genesis maximum.
    let (status, body) = submit_from_faucet(&devnet, &rest, large_transaction(), &[], 0);
    assert_eq!(status, 202, "{body}");

    // A fresh stake account, registered, to receive the treasury withdrawal.
    let fresh = SigningKey::from_bytes(&[7u8; 32]);
    let fresh_account = reward_address(0, &Credential::Key(key_hash(&fresh)));
    let fresh_address =
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("stake_test").unwrap(), &fresh_account).unwrap();
    let key_deposit = get(&format!("{rest}/api/v1/epochs/0"))["ledger"]["parameters"]["key_deposit"]
        .as_u64()
        .unwrap();
    let register = TxBuilder::new().cert(Cert::Register {
        stake: key_hash(&fresh),
        deposit: key_deposit,
    });
    let (status, body) = submit_from_faucet(&devnet, &rest, register, &[&fresh], key_deposit);
    assert_eq!(status, 202, "{body}");

    // DReps (alice gets every owner's vote; bob none), the committee's hot keys.
    gov(&devnet, &["register-drep", "alice"]);
    gov(&devnet, &["register-drep", "bob"]);
    for pool in ["pool-1", "pool-2", "pool-3"] {
        gov(&devnet, &["delegate-vote", pool, "alice"]);
    }
    gov(&devnet, &["authorize-committee"]);
    wait_in_block(&rest, "the DReps and the committee's hot keys", |g| {
        g["dreps"].as_array().unwrap().len() == 2
            && g["committee"]["members"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| !m["hot"].is_null())
    });
    eventually(Duration::from_secs(30), "the fresh account registered", || {
        let (status, _) = http("GET", &format!("{rest}/api/v1/accounts/{fresh_address}"), None, &[]).unwrap();
        (status == 200).then_some(())
    });
    // A vote for a DRep that does not exist is a clear error, and nothing is submitted.
    let (ok, _, err) = slotforge(&[
        "devnet",
        "gov",
        "delegate-vote",
        "--dir",
        devnet.path(),
        "pool-1",
        "carol",
    ]);
    assert!(!ok && err.contains("no DRep \"carol\""), "{err}");

    // Three proposals, in one epoch.
    let max_tx = NEW_MAX_TX_SIZE.to_string();
    let hard_fork = gov(&devnet, &["propose", "hard-fork", "--version", "10.1"]);
    let parameters = gov(&devnet, &["propose", "parameter-change", "--max-tx-size", &max_tx]);
    let withdrawal = gov(
        &devnet,
        &[
            "propose",
            "treasury-withdrawal",
            "--to",
            &fresh_address,
            "--lovelace",
            &WITHDRAWAL.to_string(),
        ],
    );
    let ids = [hard_fork.clone(), parameters.clone(), withdrawal.clone()];
    wait_in_block(&rest, "the proposals", |g| {
        ids.iter().all(|id| {
            g["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == id.as_str())
        })
    });
    // Pools vote on the hard fork and on the security-group parameter; not on withdrawals.
    gov(
        &devnet,
        &[
            "vote",
            &hard_fork,
            "yes",
            "--by",
            "dreps",
            "--by",
            "pools",
            "--by",
            "committee",
        ],
    );
    gov(
        &devnet,
        &[
            "vote",
            &parameters,
            "yes",
            "--by",
            "alice",
            "--by",
            "pools",
            "--by",
            "committee",
        ],
    );
    gov(
        &devnet,
        &["vote", &withdrawal, "yes", "--by", "alice", "--by", "committee"],
    );
    gov(&devnet, &["vote", &withdrawal, "no", "--by", "bob"]);
    let g = wait_in_block(&rest, "the votes", |g| {
        g["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["votes"]["committee"].as_array().unwrap().len() == 3)
    });
    let proposal = |id: &str| {
        g["proposals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(proposal(&hard_fork)["votes"]["pools"].as_array().unwrap().len(), 3);
    assert_eq!(proposal(&hard_fork)["votes"]["dreps"].as_array().unwrap().len(), 2);
    assert_eq!(proposal(&withdrawal)["votes"]["pools"].as_array().unwrap().len(), 0);
    // A pool may not vote on a treasury withdrawal: the ledger refuses it (DisallowedVoters).
    let (ok, _, err) = slotforge(&[
        "devnet",
        "gov",
        "vote",
        "--dir",
        devnet.path(),
        &withdrawal,
        "yes",
        "--by",
        "pool-1",
    ]);
    assert!(!ok && err.contains("DisallowedVoters"), "{err}");
    let status_text = gov(&devnet, &["status"]);
    assert!(status_text.contains("protocol version 10.0"), "{status_text}");
    assert!(status_text.contains("DRep alice"), "{status_text}");
    governance_queries_agree_with_rest(&devnet, &rest);
    // Once the hard fork is ratified (and until it is enacted), gov-state's ratify state says so.
    eventually(
        Duration::from_millis(devnet.slot_ms() * EPOCH * 3),
        "the hard fork ratified",
        || {
            governance(&rest)["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == hard_fork.as_str() && p["ratification"] == "ratified")
                .then_some(())
        },
    );
    let (enacted, counted) = governance_queries_agree_with_rest(&devnet, &rest);
    assert!(
        enacted > 0 && counted > 0,
        "{enacted} enacted, {counted} DReps with stake"
    );

    // The hard fork first: ratified at one boundary, enacted at the next (10.1).
    let fork_epoch = first_epoch_where(&devnet, &rest, 6, "protocol version 10.1", |l| {
        l["protocol_version"]["minor"] == 1
    });
    let before = get(&format!("{rest}/api/v1/epochs/{}", fork_epoch - 1));
    assert!(
        before["ledger"]["ratified"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == hard_fork.as_str() && r["action"] == "hard_fork_initiation"),
        "{before}"
    );
    assert_eq!(before["ledger"]["protocol_version"]["minor"], 0);
    // The hard fork delayed the others: they are enacted (at least) an epoch later.
    let params_epoch = first_epoch_where(&devnet, &rest, 4, "the new maximum transaction size", |l| {
        l["parameters"]["max_tx_size"] == NEW_MAX_TX_SIZE
    });
    assert!(params_epoch > fork_epoch, "{params_epoch} after {fork_epoch}");
    governance_queries_agree_with_rest(&devnet, &rest);
    let before = get(&format!("{rest}/api/v1/epochs/{}", params_epoch - 1));
    assert_eq!(before["ledger"]["parameters"]["max_tx_size"], OLD_MAX_TX_SIZE);
    let ratified: Vec<&str> = before["ledger"]["ratified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ratified.contains(&parameters.as_str()), "{ratified:?}");

    // Once enacted, the node serves the new maximum (wallets read it there), and the
    // transaction the old maximum allowed is refused.
    devnet.wait_for_epoch(params_epoch, 2);
    let current = get(&format!("{rest}/api/v1/protocol-parameters"));
    assert!(current["epoch"].as_u64().unwrap() >= params_epoch, "{current}");
    assert_eq!(current["parameters"]["max_tx_size"], NEW_MAX_TX_SIZE);
    // Tools on the node-to-client socket (cardano-cli's `query protocol-parameters`, pallas)
    // see the hard fork and the new maximum too.
    let socket = devnet.nodes()[1]["socket"].as_str().unwrap().to_string();
    let local = local_pparams(&socket, devnet.desc["network_magic"].as_u64().unwrap());
    assert_eq!(local.protocol_version, Some((10, 1)));
    assert_eq!(local.max_transaction_size, Some(NEW_MAX_TX_SIZE));
    let (status, body) = submit_from_faucet(&devnet, &rest, large_transaction(), &[], 0);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["predicate"] == "MaxTxSizeUTxO"),
        "{body}"
    );

    // The withdrawal paid exactly its amount to the fresh account (it earns no rewards).
    eventually(Duration::from_secs(60), "the treasury withdrawal paid", || {
        let a = get(&format!("{rest}/api/v1/accounts/{fresh_address}"));
        (a["rewards"] == WITHDRAWAL).then_some(())
    });

    // Rewards reached the owners; one withdraws them (its vote is delegated, as Conway requires).
    let owner = devnet.nodes()[0]["owner"]["address"].as_str().unwrap().to_string();
    let (ok, out, err) = devnet.cmd("withdraw", &["pool-1"]);
    assert!(ok, "withdraw: {err}");
    let withdrawn: u64 = out
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    assert!(withdrawn > 0, "{out}");
    eventually(
        Duration::from_secs(30),
        "the withdrawn rewards at the owner's address",
        || {
            let u = get(&format!("{rest}/api/v1/utxos?address={owner}"));
            u["utxos"]
                .as_array()
                .unwrap()
                .iter()
                .any(|o| o["lovelace"] == withdrawn)
                .then_some(())
        },
    );

    // Every node agrees on what the ledger made of each epoch, and stake grew with rewards.
    let last = devnet.current_epoch();
    for e in 0..last {
        let facts: Vec<Value> = (0..3)
            .map(|i| get(&format!("{}/api/v1/epochs/{e}", devnet.rest(i)))["ledger"].clone())
            .collect();
        assert!(facts.iter().all(|f| *f == facts[0]), "epoch {e}: {facts:?}");
    }
    let stake = |e: u64| {
        get(&format!("{rest}/api/v1/epochs/{e}"))["total_stake"]
            .as_u64()
            .unwrap()
    };
    assert!(
        stake(last) > stake(1),
        "rewards add to the stake leaders are elected by"
    );
    let tip = |i: usize| {
        get(&format!("{}/api/v1/tip", devnet.rest(i)))["block_number"]
            .as_u64()
            .unwrap()
    };
    let now = tip(0);
    eventually(Duration::from_secs(30), "the chain moving on after the fork", || {
        (0..3).all(|i| tip(i) > now).then_some(())
    });
}
