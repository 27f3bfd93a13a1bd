//! Nothing a peer or client sends makes the pool miss a slot: while peers (pallas-network's
//! client, which no one here wrote) flood the node with chain-sync from the origin and
//! block-fetch ranges over the whole chain, and clients flood the REST API with the heaviest
//! reads and with garbage transactions, a producer on the same node forges every one of its
//! leader slots of that time on time: its slot log shows no missed (or late) slot. The load is
//! bounded in time (20 s) and in connections, on loopback.

mod live_devnet;

use std::time::{Duration, Instant};

use live_devnet::{eventually, get, http, LiveDevnet};
use pallas_network::facades::PeerClient;
use pallas_network::miniprotocols::chainsync::NextResponse;
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

/// One hostile client: the heaviest reads and a garbage transaction, over and over.
fn flood_rest(rest: String, faucet: String, until: Instant) -> usize {
    let mut answered = 0;
    while Instant::now() < until {
        for (method, path, body) in [
            ("GET", "/api/v1/blocks?from_slot=0&limit=1000".to_string(), vec![]),
            ("GET", format!("/api/v1/utxos?address={faucet}&include_mempool=true&limit=1000"), vec![]),
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
    let devnet = LiveDevnet::up(&["--pools", "1", "--slot-length", "0.2", "--epoch-length", "100", "--f", "1/2"]);
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
    let answered: usize = rest_floods.into_iter().map(|t| t.join().unwrap()).sum();
    let to_slot = devnet.current_slot();
    assert!(served >= 100, "the peers were served {served} blocks: the flood did not happen");
    assert!(answered >= 100, "the REST API answered {answered} requests: the flood did not happen");
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
        "under load: {served} blocks served to 4 peers, {answered} REST answers to 4 clients, {} leader slots",
        during.len()
    );
    for e in &during {
        let status = e["status"].as_str().unwrap();
        assert!(
            ["forged", "adopted", "immutable"].contains(&status),
            "slot {} is {status} ({}) under load: {served} blocks served to peers, {answered} REST answers",
            e["slot"],
            e["reason"]
        );
    }
}
