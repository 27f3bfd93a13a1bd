//! Nothing a peer or client sends makes the pool miss a slot: while peers (pallas-network's
//! client and server, which no one here wrote) flood the node with chain-sync from the origin
//! and block-fetch ranges over the whole chain, a peer the node follows answers every request
//! with a roll-backward, and clients flood the REST API with the heaviest reads and with
//! garbage transactions, a producer on the same node forges every one of its leader slots of
//! that time on time: its slot log shows no missed (or late) slot. The load is bounded in time
//! (20 s) and in connections, on loopback.

mod live_devnet;

use std::time::{Duration, Instant};

use live_devnet::{eventually, get, http, LiveDevnet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pallas_network::facades::{PeerClient, PeerServer};
use pallas_network::miniprotocols::chainsync::{ClientRequest, NextResponse, Tip};
use pallas_network::miniprotocols::Point;

const FLOOD: Duration = Duration::from_secs(20);

/// One hostile peer: connects again and again, follows the chain from the origin to the tip,
/// then fetches the whole chain in one range; returns how many blocks it was served.
async fn flood_peer(n2n: String, first: Point, until: Instant) -> usize {
    let mut served = 0;
    while Instant::now() < until {
        let Ok(mut peer) = PeerClient::connect(n2n.as_str(), 42).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let mut tip = None;
        if peer.chainsync().intersect_origin().await.is_ok() {
            while Instant::now() < until {
                match peer.chainsync().request_next().await {
                    Ok(NextResponse::RollForward(_, t)) | Ok(NextResponse::RollBackward(_, t)) => tip = Some(t.0),
                    _ => break,
                }
            }
        }
        if let Some(to) = tip {
            if let Ok(blocks) = peer.blockfetch().fetch_range((first.clone(), to)).await {
                served += blocks.len();
            }
        }
        peer.abort().await;
    }
    served
}

/// A peer the node follows that answers the intersection with the newest point offered and
/// every request with a roll-backward to it; counts the roll-backwards sent.
async fn rollback_server(listener: tokio::net::TcpListener, sent: Arc<AtomicUsize>, until: Instant) {
    while Instant::now() < until {
        let Ok(Ok(mut peer)) = tokio::time::timeout(Duration::from_secs(1), PeerServer::accept(&listener, 42)).await
        else {
            continue;
        };
        let mut at = Point::Origin;
        while Instant::now() < until {
            let tip = Tip(at.clone(), 0);
            let sent_ok = match peer.chainsync().recv_while_idle().await {
                Ok(Some(ClientRequest::Intersect(points))) => {
                    at = points.first().cloned().unwrap_or(Point::Origin);
                    peer.chainsync()
                        .send_intersect_found(at.clone(), Tip(at.clone(), 0))
                        .await
                }
                Ok(Some(ClientRequest::RequestNext)) => {
                    sent.fetch_add(1, Ordering::Relaxed);
                    peer.chainsync().send_roll_backward(at.clone(), tip).await
                }
                _ => break,
            };
            if sent_ok.is_err() {
                break;
            }
        }
        peer.abort().await;
    }
}

/// One hostile client: the heaviest reads and a garbage transaction, over and over.
fn flood_rest(rest: String, faucet: String, until: Instant) -> usize {
    let mut answered = 0;
    while Instant::now() < until {
        for (method, path, body) in [
            ("GET", "/api/v1/blocks?from_slot=0&limit=1000".to_string(), vec![]),
            (
                "GET",
                format!("/api/v1/utxos?address={faucet}&include_mempool=true&limit=1000"),
                vec![],
            ),
            ("POST", "/api/submit/tx".to_string(), vec![0x84, 0xa0, 0xa0, 0xf5, 0xf6]),
            ("GET", "/api/v1/tip".to_string(), vec![]),
        ] {
            let ct = (method == "POST").then_some("application/cbor");
            if http(method, &format!("{rest}{path}"), ct, &body).is_ok() {
                answered += 1;
            }
        }
    }
    answered
}

#[test]
fn a_producer_forges_every_leader_slot_while_peers_and_clients_flood_its_node() {
    // One pool forging alone, 0.2 s slots, f = 1/2: about 2.5 leader slots a second.
    let devnet = LiveDevnet::up(&[
        "--pools",
        "1",
        "--slot-length",
        "0.2",
        "--epoch-length",
        "100",
        "--f",
        "1/2",
    ]);
    let rest = devnet.rest(0);
    let n2n = devnet.desc["nodes"][0]["node_to_node"].as_str().unwrap().to_string();
    let faucet = devnet.desc["faucet"]["address"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(60), "a chain of 20 blocks", || {
        (get(&format!("{rest}/api/v1/tip"))["block_number"].as_u64()? >= 20).then_some(())
    });
    let first = &get(&format!("{rest}/api/v1/blocks?from_slot=0&limit=1"))["blocks"][0];
    let first = Point::Specific(
        first["slot"].as_u64().unwrap(),
        hex::decode(first["hash"].as_str().unwrap()).unwrap(),
    );
    let from_slot = devnet.current_slot() + 1;
    let until = Instant::now() + FLOOD;
    let rest_floods: Vec<_> = (0..4)
        .map(|_| {
            let (rest, faucet) = (rest.clone(), faucet.clone());
            std::thread::spawn(move || flood_rest(rest, faucet, until))
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The node is told (topology and SIGHUP) to follow a peer that only ever rolls back.
    let rollbacks = Arc::new(AtomicUsize::new(0));
    let server = {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = devnet.desc["nodes"][0]["node"]["config"].as_str().unwrap();
        let topology = std::path::Path::new(config).with_file_name("topology.json");
        let peer = slotforge_network::topology::AccessPoint {
            address: "127.0.0.1".into(),
            port,
        };
        std::fs::write(&topology, slotforge_network::topology::to_json(&[peer])).unwrap();
        let pid = devnet.desc["nodes"][0]["node"]["pid"].as_u64().unwrap();
        assert!(std::process::Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap()
            .success());
        runtime.spawn(rollback_server(listener, rollbacks.clone(), until))
    };
    let served: usize = runtime.block_on(async {
        let peers: Vec<_> = (0..4)
            .map(|_| tokio::spawn(flood_peer(n2n.clone(), first.clone(), until)))
            .collect();
        let mut served = 0;
        for p in peers {
            served += p.await.unwrap();
        }
        served
    });
    runtime.block_on(server).unwrap();
    let rollbacks = rollbacks.load(Ordering::Relaxed);
    let answered: usize = rest_floods.into_iter().map(|t| t.join().unwrap()).sum();
    let to_slot = devnet.current_slot();
    assert!(
        served >= 100,
        "the peers were served {served} blocks: the flood did not happen"
    );
    assert!(
        answered >= 100,
        "the REST API answered {answered} requests: the flood did not happen"
    );
    assert!(
        rollbacks >= 100,
        "the node took {rollbacks} roll-backwards: the flood did not happen"
    );
    // Every leader slot of the flood: forged (and adopted), none missed.
    std::thread::sleep(Duration::from_secs(2));
    let entries = get(&format!("{rest}/api/v1/leadership/schedule?limit=1000"))["entries"]
        .as_array()
        .unwrap()
        .clone();
    let during: Vec<_> = entries
        .iter()
        .filter(|e| (from_slot..to_slot).contains(&e["slot"].as_u64().unwrap()))
        .collect();
    assert!(during.len() >= 20, "{} leader slots in the flood", during.len());
    eprintln!(
        "under load: {served} blocks served to 4 peers, {rollbacks} roll-backwards taken from 1, {answered} REST \
         answers to 4 clients, {} leader slots",
        during.len()
    );
    for e in &during {
        let status = e["status"].as_str().unwrap();
        assert!(
            ["forged", "adopted", "immutable"].contains(&status),
            "slot {} is {status} ({}) under load: {served} blocks served, {rollbacks} roll-backwards, {answered} REST answers",
            e["slot"],
            e["reason"]
        );
    }
}
