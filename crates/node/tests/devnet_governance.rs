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

use live_devnet::{eventually, get, http, local_pparams, slotforge, LiveDevnet};
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
