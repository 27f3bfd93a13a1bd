//! The whole system as a user runs it: `slotforge devnet up` starts three pools (one
//! `slotforge-enclave` and one `slotforge node` each, real processes on loopback), and the test
//! drives it only through the CLI and the REST APIs for more than three epochs: a payment
//! submitted over REST lands; a pool is added with a real registration transaction and forges
//! from the epoch the stake snapshots allow; an enclave is killed (its pool misses slots with
//! "enclave unreachable", then forges again) and a node is killed (it restarts and catches
//! up). Then: every pool forged, every node holds the same chain below the immutable tip, slot
//! battles happened and were resolved alike, and every pool's schedule equals a recomputation
//! from `/api/v1/epochs/{e}` with its VRF key.

mod live_devnet;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use live_devnet::{eventually, get, http, node_to_client, slotforge, LiveDevnet};
use serde_json::Value;
use slotforge_crypto::key_file::{self, KeyKind};
use slotforge_leadership::rest::openapi_conforms;
use slotforge_praos::leader::{ActiveSlotCoeff, LeaderThreshold, VrfVariant};
use slotforge_praos::nonce::Nonce;

const EPOCH: u64 = 60;

/// Every leader slot in a node's log: (slot, status, reason, block hash).
fn schedule(rest: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{rest}/api/v1/leadership/schedule?limit=1000&cursor={c}"),
            None => format!("{rest}/api/v1/leadership/schedule?limit=1000"),
        };
        let page = get(&url);
        out.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

/// The node's blocks from slot 0: (slot, hash, issuer, selected, immutable).
fn blocks(rest: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut from = 0;
    loop {
        let page = get(&format!("{rest}/api/v1/blocks?from_slot={from}&limit=1000"));
        let list = page["blocks"].as_array().unwrap().clone();
        let n = list.len();
        for b in list {
            if !out.iter().any(|o| o["hash"] == b["hash"]) {
                out.push(b);
            }
        }
        if n < 1000 {
            return out;
        }
        from = out.last().unwrap()["slot"].as_u64().unwrap();
    }
}

fn selected_chain(rest: &str) -> Vec<Value> {
    blocks(rest).into_iter().filter(|b| b["selected"] == true).collect()
}

/// The slots a pool leads in an epoch, recomputed from the node's published parameters and
/// the pool's VRF key.
fn recompute(epoch_params: &Value, pool_id_hex: &str, vrf_skey: &str) -> BTreeSet<u64> {
    let vrf = key_file::read_key_file(
        std::path::Path::new(vrf_skey),
        KeyKind::VrfSigning,
        key_file::parse_vrf_signing_key,
    )
    .unwrap();
    let nonce = match epoch_params["nonce"].as_str() {
        Some(h) => Nonce::from_hex(h).unwrap(),
        None => Nonce::Neutral,
    };
    let (num, den) = epoch_params["active_slot_coeff"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap();
    let f = ActiveSlotCoeff::new(num.parse().unwrap(), den.parse().unwrap()).unwrap();
    let total = epoch_params["total_stake"].as_u64().unwrap();
    let Some(stake) = epoch_params["stake"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["pool_id_hex"] == pool_id_hex)
        .map(|s| s["stake"].as_u64().unwrap())
    else {
        return BTreeSet::new();
    };
    let threshold = LeaderThreshold::new(stake, total, f).unwrap();
    let first = epoch_params["first_slot"].as_u64().unwrap();
    let len = epoch_params["length"].as_u64().unwrap();
    (first..first + len)
        .filter(|&slot| {
            let out = vrf.output(&VrfVariant::CPraos.leader_input(slot, &nonce));
            threshold.is_leader_exact(&VrfVariant::CPraos.leader_value(&out))
        })
        .collect()
}

fn pool_hex(bech32_id: &str) -> String {
    let (_, bytes) = bech32::decode(bech32_id).unwrap();
    hex::encode(bytes)
}

/// `slotforge leaderlog --socket` on node 0's socket gives exactly the schedule recomputed from
/// `/api/v1/epochs/{e}`, for the current epoch and, once its nonce is fixed, the next.
fn check_leaderlog_socket(devnet: &LiveDevnet, rest: &str) {
    let node = &devnet.nodes()[0];
    let socket = node["socket"].as_str().unwrap();
    let pool_bech32 = node["leader_id"].as_str().unwrap();
    let vrf_skey = node["keys"]["vrf_skey"].as_str().unwrap();
    let magic = devnet.desc["network_magic"].to_string();
    for which in ["--current", "--next"] {
        eventually(Duration::from_secs(120), &format!("leaderlog --socket {which}"), || {
            let before = get(&format!("{rest}/api/v1/tip"))["epoch"].as_u64().unwrap();
            let (ok, out, err) = slotforge(&[
                "leaderlog",
                "--socket",
                socket,
                "--testnet-magic",
                &magic,
                "--pool-id",
                pool_bech32,
                "--vrf-skey",
                vrf_skey,
                which,
            ]);
            let after = get(&format!("{rest}/api/v1/tip"))["epoch"].as_u64().unwrap();
            if !ok {
                // Before the stability window the next epoch's nonce is not fixed, and before
                // the safe zone reaches it, nor is its time: both are refused, not guessed.
                assert!(
                    which == "--next"
                        && (out.contains("not fixed yet") || out.contains("beyond the node's era history")),
                    "{out}{err}"
                );
                return None;
            }
            let log: Value = serde_json::from_str(&out).unwrap();
            let epoch = log["epoch"].as_u64().unwrap();
            let want_epoch = before + u64::from(which == "--next");
            if before != after || epoch != want_epoch {
                return None;
            }
            let params = get(&format!("{rest}/api/v1/epochs/{epoch}"));
            // Announced once the nonce is fixed.
            params.get("nonce")?;
            let slots: BTreeSet<u64> = log["assignedSlots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["slot"].as_u64().unwrap())
                .collect();
            let pool = pool_hex(pool_bech32);
            assert_eq!(
                slots,
                recompute(&params, &pool, vrf_skey),
                "leaderlog --socket {which}, epoch {epoch}"
            );
            assert!(!slots.is_empty(), "a third of the stake leads some slots");
            Some(())
        });
    }
}

/// `slotforge kes-period-info` on node 0's socket: its certificate's counter is the chain's,
/// its KES period interval holds the current period, and the figures are the genesis's and the
/// tip's.
fn check_kes_period_info(devnet: &LiveDevnet, rest: &str) {
    let node = &devnet.nodes()[0];
    let socket = node["socket"].as_str().unwrap();
    let opcert = node["keys"]["opcert"].as_str().unwrap();
    let magic = devnet.desc["network_magic"].to_string();
    let before = get(&format!("{rest}/api/v1/tip"))["slot"].as_u64().unwrap();
    let (ok, out, err) = slotforge(&[
        "kes-period-info",
        "--socket",
        socket,
        "--testnet-magic",
        &magic,
        "--op-cert",
        opcert,
    ]);
    let after = get(&format!("{rest}/api/v1/tip"))["slot"].as_u64().unwrap();
    assert!(ok, "{out}{err}");
    assert!(err.contains("✓ The operational certificate counter agrees"), "{err}");
    assert!(
        err.contains("✓ Operational certificate's KES period is within"),
        "{err}"
    );
    let info: Value = serde_json::from_str(&out).unwrap();
    let shelley: Value =
        serde_json::from_slice(&std::fs::read(devnet.desc["genesis"]["shelley"].as_str().unwrap()).unwrap()).unwrap();
    let per = shelley["slotsPerKESPeriod"].as_u64().unwrap();
    assert_eq!(info["qKesSlotsPerKesPeriod"], per);
    assert_eq!(info["qKesMaxKESEvolutions"], shelley["maxKESEvolutions"]);
    let period = info["qKesCurrentKesPeriod"].as_u64().unwrap();
    assert!((before / per..=after / per).contains(&period), "{info}");
    assert_eq!(
        info["qKesNodeStateOperationalCertificateNumber"],
        info["qKesOnDiskOperationalCertificateNumber"]
    );
    assert!(info["qKesKesKeyExpiry"].is_string(), "{info}");
}

/// pallas-network's node-to-client client on node 0's socket (mode 0600): the tip, the
/// protocol parameters, an address's outputs and the pots agree with the REST API's, read in
/// the same epoch and at the same tip.
fn check_node_to_client(devnet: &LiveDevnet, rest: &str, address: &str, owner: &str) {
    use pallas_network::miniprotocols::localstate::queries_v16 as q;
    use pallas_network::miniprotocols::Point;
    use std::os::unix::fs::PermissionsExt;
    let socket = devnet.nodes()[0]["socket"].as_str().unwrap().to_string();
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{socket}");
    let magic = devnet.desc["network_magic"].as_u64().unwrap();
    let address_bytes = bech32::decode(address).unwrap().1;
    let pool_ids: BTreeSet<pallas_codec::utils::Bytes> = devnet
        .nodes()
        .iter()
        .map(|n| hex::decode(pool_hex(n["leader_id"].as_str().unwrap())).unwrap().into())
        .collect();
    eventually(
        Duration::from_secs(60),
        "a quiet moment to compare REST and node-to-client",
        || {
            let tip = get(&format!("{rest}/api/v1/tip"));
            let params = get(&format!("{rest}/api/v1/protocol-parameters"));
            let pots = get(&format!("{rest}/api/v1/pots"));
            let utxos = get(&format!("{rest}/api/v1/utxos?address={address}"));
            let account_rest = get(&format!("{rest}/api/v1/accounts/e0{owner}"));
            let stake = q::StakeAddr::from((0u8, hex::decode(owner).unwrap().into()));
            let (point, pp, account, outputs, (registered, pool_state), owner_info) =
                node_to_client(&socket, magic, async |c| {
                    let sq = c.statequery();
                    sq.acquire(None).await.unwrap();
                    let point = q::get_chain_point(sq).await.unwrap();
                    let pp = q::get_current_pparams(sq, 6).await.unwrap();
                    let account = q::get_account_state(sq, 6).await.unwrap();
                    let outputs = q::get_utxo_by_address(sq, 6, vec![address_bytes.clone().into()])
                        .await
                        .unwrap();
                    // `query pool-params` and `query pool-state --all-stake-pools`.
                    let registered = q::get_stake_pool_params(sq, 6, q::TaggedSet::new(pool_ids.clone()))
                        .await
                        .unwrap();
                    let any: pallas_codec::utils::AnyCbor =
                        pallas_codec::minicbor::decode(&[0x82, 0x00, 0x82, 0x00, 0x82, 0x06, 0x82, 0x13, 0x80])
                            .unwrap();
                    let state = pallas_codec::minicbor::to_vec(sq.query_any(any).await.unwrap()).unwrap();
                    // `query stake-address-info`: delegations and rewards, deposits, vote delegations.
                    let stakes: BTreeSet<q::StakeAddr> = [stake.clone()].into_iter().collect();
                    let delegations = q::get_filtered_delegations_rewards(sq, 6, stakes.clone())
                        .await
                        .unwrap();
                    let deposits = q::get_stake_deleg_deposits(sq, 6, q::TaggedSet::new(stakes.clone()))
                        .await
                        .unwrap();
                    let votes = q::get_filtered_vote_delegatees(sq, 6, stakes).await.unwrap();
                    (
                        point,
                        pp,
                        account,
                        outputs.len(),
                        (registered, state),
                        (delegations, deposits, votes),
                    )
                });
            let Point::Specific(slot, hash) = point else {
                return None;
            };
            // The chain moved in between: try again.
            if tip["slot"].as_u64() != Some(slot) || tip["hash"].as_str() != Some(hex::encode(hash).as_str()) {
                return None;
            }
            if get(&format!("{rest}/api/v1/tip"))["hash"] != tip["hash"] {
                return None;
            }
            let p = &params["parameters"];
            assert_eq!(pp.minfee_a, p["min_fee_a"].as_u64());
            assert_eq!(pp.minfee_b, p["min_fee_b"].as_u64());
            assert_eq!(pp.max_transaction_size, p["max_tx_size"].as_u64());
            assert_eq!(pp.max_block_body_size, p["max_block_body_size"].as_u64());
            assert_eq!(pp.key_deposit.map(u64::from), p["key_deposit"].as_u64());
            assert_eq!(pp.drep_deposit.map(u64::from), p["drep_deposit"].as_u64());
            assert_eq!(u64::from(account.treasury), pots["treasury"].as_u64().unwrap());
            assert_eq!(u64::from(account.reserves), pots["reserves"].as_u64().unwrap());
            assert_eq!(outputs, utxos["utxos"].as_array().unwrap().len());
            check_pools(devnet, p, &registered, &pool_state);
            let (delegations, deposits, votes) = owner_info;
            let rewards: Vec<u64> = delegations.rewards.iter().map(|(_, r)| *r).collect();
            assert_eq!(rewards, vec![account_rest["rewards"].as_u64().unwrap()]);
            let pools: Vec<String> = delegations
                .delegs
                .iter()
                .map(|(_, p)| hex::encode(p.as_slice()))
                .collect();
            assert_eq!(pools, vec![pool_hex(account_rest["pool"].as_str().unwrap())]);
            assert_eq!(
                deposits.get(&stake).map(|c| u64::from(*c)),
                account_rest["deposit"].as_u64()
            );
            assert_eq!(votes.is_empty(), account_rest["drep"].is_null());
            Some(())
        },
    );
}

/// The pools' registrations over the socket (pallas-network's types): every pool of the devnet,
/// each with its VRF key, cost, owners and deposit; the genesis pools without relays, the pool
/// registered later with its node's address.
fn check_pools(
    devnet: &LiveDevnet,
    params: &Value,
    registered: &BTreeMap<
        pallas_codec::utils::Bytes,
        pallas_network::miniprotocols::localstate::queries_v16::PoolParams,
    >,
    pool_state: &[u8],
) {
    use pallas_network::miniprotocols::localstate::queries_v16 as q;
    type Pools = BTreeMap<pallas_codec::utils::Bytes, q::PoolParams>;
    let mut d = pallas_codec::minicbor::Decoder::new(pool_state);
    assert_eq!(d.array().unwrap(), Some(1), "a current-era result");
    let (current, _future, retiring, deposits): (
        Pools,
        Pools,
        BTreeMap<pallas_codec::utils::Bytes, u64>,
        BTreeMap<pallas_codec::utils::Bytes, u64>,
    ) = d.decode().unwrap();
    assert_eq!(&current, registered, "pool-state and pool-params agree");
    assert!(retiring.is_empty());
    assert_eq!(current.len(), devnet.nodes().len());
    for node in devnet.nodes() {
        let id: pallas_codec::utils::Bytes = hex::decode(pool_hex(node["leader_id"].as_str().unwrap()))
            .unwrap()
            .into();
        let pool = &current[&id];
        let vrf = key_file::read_key_file(
            std::path::Path::new(node["keys"]["vrf_vkey"].as_str().unwrap()),
            KeyKind::VrfVerification,
            key_file::parse_vrf_verification_key,
        )
        .unwrap();
        assert_eq!(*pool.operator, *id);
        assert_eq!(*pool.vrf_keyhash, slotforge_praos::nonce::blake2b256(&[vrf.as_bytes()]));
        assert_eq!(pool.pool_owners.0.len(), 1);
        assert_eq!(Some(deposits[&id]), params["pool_deposit"].as_u64());
        if node["name"] == "pool-4" {
            let addr: std::net::SocketAddrV4 = node["node_to_node"].as_str().unwrap().parse().unwrap();
            use pallas_codec::utils::Nullable;
            let relay = q::Relay::SingleHostAddr(
                Nullable::Some(u32::from(addr.port())),
                Nullable::Some(addr.ip().octets().to_vec().into()),
                Nullable::Null,
            );
            assert_eq!(pool.relays, vec![relay], "its node's address");
            assert_eq!(Some(u64::from(pool.cost)), params["min_pool_cost"].as_u64());
        } else {
            assert!(pool.relays.is_empty(), "genesis pools declare no relays");
        }
    }
}

/// Calls every route of the node's OpenAPI document on a live producer and checks each
/// answer against its documented schema: 200s, and the documented 400s and 404s.
fn check_openapi(rest: &str, address: &str, stake_address: &str) {
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    assert_eq!(
        get(&format!("{rest}/api/v1/openapi.json")),
        doc,
        "the node serves its document"
    );
    let tip = get(&format!("{rest}/api/v1/tip"));
    let conforms = |schema: &Value, body: &[u8], what: &str| {
        let value: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        openapi_conforms(&doc, schema, &value, what).unwrap_or_else(|e| panic!("{e}"));
    };
    let error = &doc["components"]["schemas"]["Error"];
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let mut path = template
            .replace("{hash}", tip["hash"].as_str().unwrap())
            .replace("{epoch}", &tip["epoch"].to_string())
            .replace("{stake_address}", stake_address);
        let required: Vec<&str> = item
            .get("get")
            .and_then(|g| g["parameters"].as_array())
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query" && p["required"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for (i, name) in required.iter().enumerate() {
            assert_eq!(*name, "address", "a sample value for {name}");
            path += &format!("{}{name}={address}", if i == 0 { '?' } else { '&' });
        }
        let url = format!("{rest}{path}");
        if let Some(post) = item.get("post") {
            // The submission route: a malformed body, and the wrong media type.
            let (status, body) = http("POST", &url, Some("application/cbor"), b"\xff").unwrap();
            assert_eq!(status, 400);
            conforms(
                &post["responses"]["400"]["content"]["application/json"]["schema"],
                &body,
                &url,
            );
            let (status, body) = http("POST", &url, Some("application/json"), b"{}").unwrap();
            assert_eq!(status, 415);
            conforms(error, &body, &url);
            checked += 1;
            continue;
        }
        let responses = &item["get"]["responses"];
        let content = responses["200"]["content"].as_object().unwrap();
        if content.contains_key("text/event-stream") {
            let first = live_devnet::first_event(&url);
            assert!(
                first.starts_with("event: ") || first.starts_with(':'),
                "{url}: {first:?}"
            );
            checked += 1;
            continue;
        }
        let (status, body) = http("GET", &url, None, &[]).unwrap();
        assert_eq!(status, 200, "{url}: {}", String::from_utf8_lossy(&body));
        match content.get("application/json") {
            Some(c) => conforms(&c["schema"], &body, &url),
            None => assert!(!body.is_empty(), "{url}"),
        }
        if responses.get("400").is_some() {
            let sep = if path.contains('?') { '&' } else { '?' };
            let bad = if template.contains('{') {
                format!(
                    "{rest}{}",
                    template
                        .replace("{hash}", "xyz")
                        .replace("{epoch}", "minus-one")
                        .replace("{stake_address}", "xyz")
                )
            } else {
                format!("{url}{sep}not_a_parameter=1")
            };
            let (status, body) = http("GET", &bad, None, &[]).unwrap();
            assert_eq!(status, 400, "{bad}");
            conforms(error, &body, &bad);
        }
        if responses.get("404").is_some() && template.contains('{') {
            let missing = format!(
                "{rest}{}",
                template
                    .replace("{hash}", &"00".repeat(32))
                    .replace("{epoch}", "999999")
                    .replace("{stake_address}", &format!("e0{}", "00".repeat(28)))
            );
            let (status, body) = http("GET", &missing, None, &[]).unwrap();
            assert_eq!(status, 404, "{missing}");
            conforms(error, &body, &missing);
        }
        checked += 1;
    }
    assert_eq!(checked, doc["paths"].as_object().unwrap().len());
    // Anything undocumented is a 404.
    for undocumented in ["/api/v1/nodes", "/api/v1/leadership", "/api/v2/tip"] {
        assert!(doc["paths"].get(undocumented).is_none());
        assert_eq!(
            http("GET", &format!("{rest}{undocumented}"), None, &[]).unwrap().0,
            404,
            "{undocumented}"
        );
    }
}

#[test]
fn a_three_pool_devnet_of_real_processes_runs_four_epochs_with_faults_a_new_pool_and_payments() {
    let mut devnet = LiveDevnet::up(&[
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
    let rest0 = devnet.rest(0);

    // A payment to a fresh address, made with `slotforge keys`, submitted over REST.
    let keys = tempfile::tempdir().unwrap();
    let k = |n: &str| keys.path().join(n).to_str().unwrap().to_string();
    let (ok, _, err) = slotforge(&[
        "keys",
        "payment",
        "--signing-key-file",
        &k("p.skey"),
        "--verification-key-file",
        &k("p.vkey"),
    ]);
    assert!(ok, "{err}");
    let (ok, address, err) = slotforge(&[
        "keys",
        "address",
        "--payment-vkey",
        &k("p.vkey"),
        "--testnet-magic",
        "42",
    ]);
    assert!(ok, "{err}");
    let address = address.trim().to_string();
    assert!(address.starts_with("addr_test1"), "{address}");
    devnet.wait_for_epoch(0, 10);
    let (ok, tx_id, err) = devnet.cmd("faucet", &[&address, "7000000"]);
    assert!(ok, "faucet: {err}\n{}", devnet.logs_tail());
    let tx_id = tx_id.trim().to_string();
    // Malformed transactions get a 400 with the ledger's typed error, and nothing changes.
    let (status, body) = http(
        "POST",
        &format!("{rest0}/api/submit/tx"),
        Some("application/cbor"),
        b"\x84\x00",
    )
    .unwrap();
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let refusal: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(refusal["kind"], "DecoderFailure", "{refusal}");
    let (status, _) = http("POST", &format!("{rest0}/api/submit/tx"), Some("text/plain"), b"00").unwrap();
    assert_eq!(status, 415);

    // A fourth pool, registered by a real transaction.
    let (ok, out, err) = devnet.cmd("add-pool", &[]);
    assert!(ok, "add-pool: {err}\n{}", devnet.logs_tail());
    let from_epoch: u64 = out
        .split("elects leaders from epoch ")
        .nth(1)
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("add-pool's output names the epoch: {out}"));
    let registered: u64 = out
        .split("registered in epoch ")
        .nth(1)
        .unwrap()
        .split(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(from_epoch, registered + 2, "{out}");
    devnet.reload();
    // The running nodes reread their topology on SIGHUP and dial the new node.
    let new_peer = devnet.nodes()[3]["node_to_node"].as_str().unwrap().to_string();
    for i in 0..3 {
        let rest = devnet.rest(i);
        eventually(
            Duration::from_secs(20),
            "the running nodes dial the new pool's node",
            || {
                get(&format!("{rest}/api/v1/node"))["peers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| {
                        p["direction"] == "outbound" && p["address"] == new_peer.as_str() && p["connected"] == true
                    })
                    .then_some(())
            },
        );
    }

    // The payment is in a block: its output is in every node's UTxO.
    for i in 0..3 {
        let rest = devnet.rest(i);
        eventually(Duration::from_secs(30), "the payment's output in /api/v1/utxos", || {
            let u = get(&format!("{rest}/api/v1/utxos?address={address}"));
            u["utxos"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["tx_id"] == tx_id.as_str() && o["lovelace"] == 7_000_000)
                .cloned()
        });
    }

    // Epoch 1: the second pool's enclave dies for 30 slots; then the third pool's node.
    devnet.wait_for_epoch(1, 5);
    let (ok, _, err) = devnet.cmd("kill", &["enclave-2"]);
    assert!(ok, "{err}");
    let killed_at = devnet.current_slot();
    std::thread::sleep(Duration::from_millis(30 * devnet.slot_ms()));
    let (ok, _, err) = devnet.cmd("start", &["enclave-2"]);
    assert!(ok, "{err}");
    let restarted_at = devnet.current_slot();
    devnet.wait_for_epoch(1, 40);
    let (ok, _, err) = devnet.cmd("kill", &["pool-3"]);
    assert!(ok, "{err}");
    std::thread::sleep(Duration::from_millis(15 * devnet.slot_ms()));
    let (ok, _, err) = devnet.cmd("start", &["pool-3"]);
    assert!(ok, "{err}");
    // It catches up: its tip reaches the others'.
    let rest2 = devnet.rest(2);
    eventually(Duration::from_secs(30), "the restarted node catches up", || {
        let a = get(&format!("{}/api/v1/tip", devnet.rest(0)));
        let b = get(&format!("{rest2}/api/v1/tip"));
        (b["block_number"].as_u64() >= a["block_number"].as_u64().map(|n| n.saturating_sub(1))
            && get(&format!("{rest2}/api/v1/node"))["sync"]["state"] == "caught_up")
            .then_some(())
    });

    // Run until the new pool's first electing epoch is over.
    devnet.wait_for_epoch(from_epoch + 1, 5);
    let last_epoch = from_epoch; // the last epoch every node saw whole
    let n = devnet.nodes().len();
    assert_eq!(n, 4);

    // Every node holds the same chain below its immutable tip.
    let chains: Vec<Vec<Value>> = (0..n).map(|i| selected_chain(&devnet.rest(i))).collect();
    let immutable_len = chains
        .iter()
        .map(|c| c.iter().filter(|b| b["immutable"] == true).count())
        .min()
        .unwrap();
    assert!(
        immutable_len > 20,
        "an immutable chain of {immutable_len} blocks\n{}",
        devnet.logs_tail()
    );
    for (i, c) in chains.iter().enumerate().skip(1) {
        let a: Vec<&Value> = chains[0][..immutable_len].iter().map(|b| &b["hash"]).collect();
        let b: Vec<&Value> = c[..immutable_len].iter().map(|b| &b["hash"]).collect();
        assert_eq!(a, b, "node {i} disagrees with node 0 below the immutable tip");
    }

    // Every pool forged onto the chain; the new one only from its electing epoch.
    let by_issuer: BTreeMap<String, Vec<u64>> = chains[0].iter().fold(BTreeMap::new(), |mut m, b| {
        m.entry(b["issuer"].as_str().unwrap().to_string())
            .or_default()
            .push(b["epoch"].as_u64().unwrap());
        m
    });
    for node in devnet.nodes() {
        let id = node["leader_id"].as_str().unwrap();
        let epochs = by_issuer
            .get(id)
            .unwrap_or_else(|| panic!("{} forged no block on the chain", node["name"]));
        if node["name"] == "pool-4" {
            assert!(
                epochs.iter().all(|&e| e >= from_epoch),
                "pool-4 forged before epoch {from_epoch}: {epochs:?}"
            );
        }
    }

    // Schedules: each equals a recomputation from the published epoch parameters.
    let schedules: Vec<Vec<Value>> = (0..n).map(|i| schedule(&devnet.rest(i))).collect();
    for (i, node) in devnet.nodes().iter().enumerate() {
        let rest = devnet.rest(i);
        let pool = pool_hex(node["leader_id"].as_str().unwrap());
        let vrf_skey = node["keys"]["vrf_skey"].as_str().unwrap();
        let first_epoch = schedules[i]
            .iter()
            .map(|e| e["epoch"].as_u64().unwrap())
            .min()
            .unwrap_or(0);
        for epoch in first_epoch..=last_epoch {
            let params = get(&format!("{rest}/api/v1/epochs/{epoch}"));
            let expected = recompute(&params, &pool, vrf_skey);
            let logged: BTreeSet<u64> = schedules[i]
                .iter()
                .filter(|e| e["epoch"] == epoch && e["status"] != "superseded")
                .map(|e| e["slot"].as_u64().unwrap())
                .collect();
            assert_eq!(
                logged, expected,
                "{} epoch {epoch}: the node's schedule vs the recomputation",
                node["name"]
            );
        }
    }
    // The new pool was elected only from its epoch on.
    let pool4_epochs: BTreeSet<u64> = schedules[3].iter().map(|e| e["epoch"].as_u64().unwrap()).collect();
    assert!(pool4_epochs.iter().all(|&e| e >= from_epoch), "{pool4_epochs:?}");
    assert!(schedules[3]
        .iter()
        .any(|e| e["status"] == "adopted" || e["status"] == "immutable"));

    // Slot battles: slots two pools forged; the chain holds one block there, the same on every
    // node, and the loser's log says orphaned.
    let forged = |e: &Value| ["forged", "adopted", "immutable", "orphaned"].contains(&e["status"].as_str().unwrap());
    let mut forgers: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, s) in schedules.iter().enumerate() {
        for e in s.iter().filter(|e| forged(e)) {
            forgers.entry(e["slot"].as_u64().unwrap()).or_default().push(i);
        }
    }
    let battles: Vec<u64> = forgers.iter().filter(|(_, v)| v.len() > 1).map(|(s, _)| *s).collect();
    assert!(!battles.is_empty(), "no slot battle in {} leader slots", forgers.len());
    let immutable_slot = chains[0][immutable_len - 1]["slot"].as_u64().unwrap();
    let mut resolved = 0;
    for slot in battles.iter().filter(|&&s| s <= immutable_slot) {
        let winners: BTreeSet<Option<String>> = chains
            .iter()
            .map(|c| c.iter().find(|b| b["slot"] == *slot).map(|b| b["hash"].to_string()))
            .collect();
        assert_eq!(winners.len(), 1, "slot {slot}: nodes chose differently: {winners:?}");
        resolved += 1;
    }
    assert!(
        resolved > 0,
        "no battle below the immutable tip ({battles:?}, immutable slot {immutable_slot})"
    );
    assert!(
        schedules.iter().flatten().any(|e| e["status"] == "orphaned"),
        "a lost battle leaves an orphaned block"
    );

    // The killed enclave: missed slots while it was down, with the reason; forging after.
    let pool2 = &schedules[1];
    let missed: Vec<&Value> = pool2
        .iter()
        .filter(|e| {
            e["status"] == "missed"
                && e["reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("enclave unreachable"))
        })
        .collect();
    let in_window = pool2
        .iter()
        .filter(|e| (killed_at + 1..restarted_at).contains(&e["slot"].as_u64().unwrap()))
        .count();
    assert!(
        missed.len() >= in_window.min(1),
        "pool-2's slots while its enclave was down ({killed_at}..{restarted_at}) are missed as enclave unreachable"
    );
    for e in &missed {
        let s = e["slot"].as_u64().unwrap();
        assert!(
            (killed_at..=restarted_at + 2).contains(&s),
            "slot {s} missed outside the outage"
        );
    }
    assert!(
        pool2.iter().any(|e| e["slot"].as_u64().unwrap() > restarted_at + 2
            && (e["status"] == "adopted" || e["status"] == "immutable")),
        "pool-2 forges again after its enclave restarted"
    );

    // Rewards: blocks made in epoch e are paid at the boundary into e + 2, so by now every
    // genesis pool's owner (its reward account) has rewards; and the pots, the UTxO and the
    // reward balances make the maximum supply.
    let shelley = std::path::Path::new(devnet.desc["genesis"]["shelley"].as_str().unwrap());
    let shelley: Value = serde_json::from_slice(&std::fs::read(devnet.dir.path().join(shelley)).unwrap()).unwrap();
    let owners: Vec<String> = shelley["staking"]["stake"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(!owners.is_empty());
    for owner in &owners {
        let account = get(&format!("{rest0}/api/v1/accounts/e0{owner}"));
        assert!(account["rewards"].as_u64().unwrap() > 0, "no rewards yet: {account}");
    }
    let pots = get(&format!("{rest0}/api/v1/pots"));
    let held: u128 = [
        "reserves",
        "treasury",
        "deposits",
        "fees",
        "donations",
        "rewards",
        "utxo",
    ]
    .iter()
    .map(|k| u128::from(pots[k].as_u64().unwrap()))
    .sum();
    assert_eq!(held, u128::from(pots["max_supply"].as_u64().unwrap()), "{pots}");
    assert!(pots["treasury"].as_u64().unwrap() > 0, "the treasury's cut: {pots}");

    // Every documented route answers as the OpenAPI document says.
    check_openapi(&rest0, &address, &format!("e0{}", owners[0]));

    // The node-to-client socket, read by pallas-network's client, answers as the REST API.
    check_node_to_client(&devnet, &rest0, &address, &owners[0]);
    check_leaderlog_socket(&devnet, &rest0);
    check_kes_period_info(&devnet, &rest0);

    // Down: every process ends.
    let pids: Vec<u64> = devnet
        .nodes()
        .iter()
        .flat_map(|n| [n["node"]["pid"].as_u64(), n["enclave"]["pid"].as_u64()])
        .flatten()
        .collect();
    let started = Instant::now();
    let (ok, _, err) = devnet.cmd("down", &[]);
    assert!(ok, "{err}");
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists() || {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                stat.contains(") Z")
            },
            "pid {pid} still runs after devnet down"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    for node in devnet.nodes() {
        let log = std::fs::read_to_string(node["node"]["log"].as_str().unwrap()).unwrap();
        assert!(!log.contains("panicked"), "{} panicked:\n{log}", node["name"]);
        assert!(log.contains("SIGTERM, stopping"), "{} stopped on SIGTERM", node["name"]);
    }
}
