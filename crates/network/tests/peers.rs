//! Nodes on real loopback sockets: a node syncs another's chain from genesis across epochs
//! (headers validated first, bodies fetched in ranges), follows it across a fork, pulls its
//! peer's transactions; hostile peers — garbage, a wrong magic, oversized and out-of-state
//! messages, a stalled handshake, an invalid header, a body that is not its header's — are
//! each disconnected with a reason while the node keeps its chain and serves others.

#[path = "../../chain/tests/common/mod.rs"]
mod common;
mod loopback;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::Devnet;
use loopback::{chain_hashes, eventually, node, node_with, tip, MAGIC};
use slotforge_chain::block::{Block, BlockBody};
use slotforge_chain::chain_state::Point;
use slotforge_network::mux::connection::{Channel, Connection};
use slotforge_network::mux::framing::{self, Direction};
use slotforge_network::peer_stats::PeerStats;
use slotforge_network::protocols::blockfetch::messages::{wrap_block, Message as FetchMsg, BLOCK_ERA_CONWAY};
use slotforge_network::protocols::chainsync::messages::{
    Message as SyncMsg, Point as SyncPoint, Tip, WrappedHeader, ERA_CONWAY,
};
use slotforge_network::protocols::handshake::messages::{version_table, Message as HsMsg, VersionData};
use slotforge_network::protocols::keepalive::messages::Message as KeepAliveMsg;
use slotforge_network::protocols::{blockfetch, chainsync, handshake, keepalive};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_syncs_from_genesis_across_epochs_follows_a_fork_and_pulls_transactions() {
    // 20-slot epochs, f = 1/2: 60 blocks span six epochs, so headers-first crosses its
    // horizon (the next epoch's stake needs bodies) several times.
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (main, _) = net.extend(&net.genesis_state(), 0, 60);
    assert!(net.cfg.epoch_of(main[59].slot()) >= 5);
    let a = node(&net, vec![]).await;
    for b in &main {
        a.chain.add_block(b.clone()).await.unwrap();
    }
    let b = node(&net, vec![a.network.local_addr]).await;
    eventually("B to reach A's tip", 60, async || {
        tip(&b.chain).await == tip(&a.chain).await
    })
    .await;
    assert_eq!(
        chain_hashes(&b.chain).await,
        main.iter().map(|b| b.hash()).collect::<Vec<_>>()
    );
    let stats = b.network.registry.peer("outbound", &a.network.local_addr.to_string());
    assert_eq!(stats.blocks_received.load(Ordering::Relaxed), 60);
    assert!(stats.headers_received.load(Ordering::Relaxed) >= 60);
    // Counted live, while the connection is open.
    assert_eq!(stats.open.load(Ordering::Relaxed), 1);
    assert!(stats.traffic.bytes_in.load(Ordering::Relaxed) > 60 * 1000);

    // A fork from block 57: four blocks after block 59's slot, longer than A's chain.
    let s57 = net.replay(&main[..58]);
    let (fork, _) = net.extend(&s57, main[59].slot(), 4);
    for f in &fork {
        a.chain.add_block(f.clone()).await.unwrap();
    }
    let want: Vec<[u8; 32]> = main[..58].iter().chain(&fork).map(|b| b.hash()).collect();
    assert_eq!(chain_hashes(&a.chain).await, want, "A switched");
    eventually("B to follow A's switch", 30, async || {
        chain_hashes(&b.chain).await == want
    })
    .await;

    // B offers its mempool to A, which pulls (B opened the connection: B is the initiator).
    let tx = net.pools[2].spend_all_tx();
    let id = b.chain.submit_tx(tx.to_cbor()).await.unwrap();
    eventually("A to pull B's transaction", 30, async || {
        a.chain.query(move |v| v.mempool.contains(&id)).await.unwrap()
    })
    .await;
    let inbound = a.network.registry.peer("inbound", "127.0.0.1");
    assert_eq!(inbound.txs_received.load(Ordering::Relaxed), 1);
    let mut text = String::new();
    b.network.registry.render_prometheus(&mut text);
    assert!(
        text.contains("slotforge_peer_blocks_received_total{direction=\"outbound\""),
        "{text}"
    );
}

async fn raw(addr: std::net::SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}

async fn segment(s: &mut TcpStream, protocol: u16, msg: &[u8]) {
    for seg in framing::segment(protocol, Direction::Initiator, 0, msg).unwrap() {
        s.write_all(&seg).await.unwrap();
    }
}

/// Reads until the node closes the connection; fails if it stays open for `secs`.
async fn closed_within(s: &mut TcpStream, secs: u64, what: &str) {
    let mut buf = [0u8; 4096];
    let r = tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(r.is_ok(), "the node kept the connection open ({what})");
}

fn propose(magic: u32) -> Vec<u8> {
    HsMsg::Propose(version_table(VersionData::node(magic))).to_cbor()
}

async fn handshaken(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = raw(addr).await;
    segment(&mut s, handshake::PROTOCOL, &propose(MAGIC)).await;
    let mut h = [0u8; 8];
    s.read_exact(&mut h).await.unwrap();
    let len = u16::from_be_bytes([h[6], h[7]]) as usize;
    let mut body = vec![0; len];
    s.read_exact(&mut body).await.unwrap();
    assert!(matches!(
        HsMsg::<VersionData>::decode(&body).unwrap(),
        HsMsg::Accept(15, _)
    ));
    s
}

/// Waits until `stats` has counted `n` errors; returns the last reason.
async fn errors(stats: &PeerStats, n: u64) -> String {
    eventually("the disconnection to be recorded", 15, async || {
        stats.errors.load(Ordering::Relaxed) >= n
    })
    .await;
    stats.last_error.lock().unwrap().clone().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_inbound_peers_are_disconnected_with_a_reason_and_the_node_keeps_serving() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (main, _) = net.extend(&net.genesis_state(), 0, 12);
    let a = node(&net, vec![]).await;
    for b in &main[..8] {
        a.chain.add_block(b.clone()).await.unwrap();
    }
    let addr = a.network.local_addr;
    // A good peer follows A throughout.
    let c = node(&net, vec![addr]).await;
    eventually("the good peer to sync", 30, async || {
        tip(&c.chain).await == tip(&a.chain).await
    })
    .await;
    let stats = a.network.registry.peer("inbound", "127.0.0.1");
    let mut n = 0;
    let mut expect = async |s: &mut TcpStream, secs, reason: &str| {
        closed_within(s, secs, reason).await;
        n += 1;
        let got = errors(&stats, n).await;
        assert!(got.contains(reason), "{got:?} should say {reason:?}");
    };

    // Garbage: an HTTP request is read as a segment for mini-protocol 0x2f20 & 0x7fff.
    let mut s = raw(addr).await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    expect(&mut s, 5, "mini-protocol 12064").await;

    // A wrong magic: refused (the refusal reaches the peer), then closed.
    let mut s = raw(addr).await;
    segment(&mut s, handshake::PROTOCOL, &propose(MAGIC + 1)).await;
    let mut h = [0u8; 8];
    s.read_exact(&mut h).await.unwrap();
    let mut body = vec![0; u16::from_be_bytes([h[6], h[7]]) as usize];
    s.read_exact(&mut body).await.unwrap();
    assert!(matches!(HsMsg::<VersionData>::decode(&body), Ok(HsMsg::Refuse(_))));
    expect(&mut s, 5, "network magic").await;

    // An oversized handshake message (more than 5,760 bytes).
    let mut s = raw(addr).await;
    // [0, <a byte string of 65,536 bytes…>]: more than the limit pending, never a message.
    let mut big = vec![0x82, 0x00, 0x5a, 0x00, 0x01, 0x00, 0x00];
    big.resize(6000, 0);
    segment(&mut s, handshake::PROTOCOL, &big).await;
    expect(&mut s, 5, "5760").await;

    // A server's message from the client: out of protocol state.
    let mut s = handshaken(addr).await;
    segment(&mut s, chainsync::PROTOCOL, &SyncMsg::AwaitReply.to_cbor()).await;
    expect(&mut s, 5, "protocol violation").await;

    // Undecodable bytes in a valid segment.
    let mut s = handshaken(addr).await;
    segment(&mut s, blockfetch::PROTOCOL, &[0x82, 0x09, 0x00]).await;
    expect(&mut s, 5, "block-fetch").await;

    // A segment on the responder's direction bit: we are the responder here.
    let mut s = handshaken(addr).await;
    for seg in framing::segment(
        chainsync::PROTOCOL,
        Direction::Responder,
        0,
        &SyncMsg::RequestNext.to_cbor(),
    )
    .unwrap()
    {
        s.write_all(&seg).await.unwrap();
    }
    expect(&mut s, 5, "Responder").await;

    // A stalled handshake: the header of a segment and nothing more.
    let mut s = raw(addr).await;
    s.write_all(&[0, 0, 0, 0, 0, 0, 0, 50]).await.unwrap();
    expect(&mut s, 15, "no message within").await;

    // Through all that, the node lost nothing, and its good peer, on the connection it had
    // from the start, follows what the node adopts next.
    assert_eq!(tip(&a.chain).await.unwrap().hash, main[7].hash());
    for b in &main[8..] {
        a.chain.add_block(b.clone()).await.unwrap();
    }
    eventually("the good peer to follow", 30, async || {
        tip(&c.chain).await.map(|p| p.hash) == Some(main[11].hash())
    })
    .await;
    let good = c.network.registry.peer("outbound", &addr.to_string());
    assert_eq!(good.connections.load(Ordering::Relaxed), 1, "never reconnected");
    assert_eq!(good.errors.load(Ordering::Relaxed), 0);
}

/// A scripted server: accepts one connection, agrees the handshake, answers chain-sync's
/// intersection at the origin and then rolls forward `header`; serves `block` to block-fetch.
async fn scripted_server(header: Vec<u8>, tip_point: Point, block: Vec<u8>) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (_conn, mut ch) = Connection::start(
            stream,
            Direction::Responder,
            &[handshake::PROTOCOL, chainsync::PROTOCOL, blockfetch::PROTOCOL, 4, 8],
            Default::default(),
        );
        let mut hs = ch.remove(&handshake::PROTOCOL).unwrap();
        let _ = hs.recv("hs", 5760, None).await;
        hs.send(&HsMsg::Accept(15, VersionData::node(MAGIC)).to_cbor())
            .await
            .unwrap();
        let tip = Tip {
            point: SyncPoint::Specific {
                slot: tip_point.slot,
                hash: tip_point.hash,
            },
            block_number: tip_point.block_number,
        };
        let mut sync: Channel = ch.remove(&chainsync::PROTOCOL).unwrap();
        let mut fetch: Channel = ch.remove(&blockfetch::PROTOCOL).unwrap();
        let _ = sync.recv("i", 65535, None).await;
        sync.send(&SyncMsg::IntersectFound(SyncPoint::Origin, tip).to_cbor())
            .await
            .unwrap();
        let _ = sync.recv("n", 65535, None).await;
        sync.send(&SyncMsg::RollBackward(SyncPoint::Origin, tip).to_cbor())
            .await
            .unwrap();
        let _ = sync.recv("n", 65535, None).await;
        let h = WrappedHeader {
            era: ERA_CONWAY,
            header,
        };
        sync.send(&SyncMsg::RollForward(h, tip).to_cbor()).await.unwrap();
        if fetch.recv("f", 65535, Some(Duration::from_secs(10))).await.is_ok() {
            fetch.send(&FetchMsg::StartBatch.to_cbor()).await.unwrap();
            fetch.send(&FetchMsg::Block(block).to_cbor()).await.unwrap();
            fetch.send(&FetchMsg::BatchDone.to_cbor()).await.unwrap();
        }
        // Hold the connection until the node drops it.
        let _ = sync.recv("n", 65535, None).await;
    });
    addr
}

fn point(b: &Block) -> Point {
    Point {
        hash: b.hash(),
        slot: b.slot(),
        block_number: b.block_number(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_header_is_refused_before_its_body_and_a_foreign_body_after() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (main, _) = net.extend(&net.genesis_state(), 0, 1);
    let good = &main[0];
    let wrapped = |b: &Block| wrap_block(BLOCK_ERA_CONWAY, &b.to_cbor());

    // The header's KES signature altered: the header rules fail; no body is asked for.
    let mut bad_header = good.header_bytes().to_vec();
    let n = bad_header.len();
    bad_header[n - 5] ^= 1;
    let server = scripted_server(bad_header, point(good), wrapped(good)).await;
    let b = node(&net, vec![server]).await;
    let stats = b.network.registry.peer("outbound", &server.to_string());
    let reason = errors(&stats, 1).await;
    assert!(reason.contains("invalid header"), "{reason}");
    assert_eq!(stats.blocks_received.load(Ordering::Relaxed), 0, "no body was fetched");
    assert_eq!(tip(&b.chain).await, None);

    // A valid header whose block arrives with another body.
    let foreign = Block::assemble(good.header_bytes(), BlockBody::new(vec![net.pools[0].spend_all_tx()])).unwrap();
    let server = scripted_server(good.header_bytes().to_vec(), point(good), wrapped(&foreign)).await;
    let c = node(&net, vec![server]).await;
    let stats = c.network.registry.peer("outbound", &server.to_string());
    let reason = errors(&stats, 1).await;
    assert!(reason.contains("does not match its header"), "{reason}");
    assert_eq!(tip(&c.chain).await, None, "nothing adopted");
    // The real block is still welcome: the hash was not marked invalid.
    c.chain.add_block(good.clone()).await.unwrap();
    assert_eq!(tip(&c.chain).await, Some(point(good)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_connections_beyond_the_limit_are_closed_at_once() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let a = node_with(&net, vec![], |c| c.max_inbound = 2).await;
    let addr = a.network.local_addr;
    let mut first = handshaken(addr).await;
    let _second = handshaken(addr).await;
    // The third gets no answer: it is closed before its proposal is read.
    let mut third = raw(addr).await;
    segment(&mut third, handshake::PROTOCOL, &propose(MAGIC)).await;
    closed_within(&mut third, 5, "the third connection").await;
    // The first two are served all along; when one ends, a new one is taken.
    segment(&mut first, keepalive::PROTOCOL, &KeepAliveMsg::KeepAlive(7).to_cbor()).await;
    let mut h = [0u8; 8];
    first.read_exact(&mut h).await.unwrap();
    drop(first);
    eventually("a slot to free", 5, async || {
        a.network
            .registry
            .peer("inbound", "127.0.0.1")
            .open
            .load(Ordering::Relaxed)
            == 1
    })
    .await;
    let _fourth = handshaken(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_inbound_slot() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let a = node_with(&net, vec![], |c| c.max_inbound_per_address = 2).await;
    let addr = a.network.local_addr;
    let _first = handshaken(addr).await;
    let _second = handshaken(addr).await;
    // A third from 127.0.0.1 is closed before its proposal is read...
    let mut third = raw(addr).await;
    segment(&mut third, handshake::PROTOCOL, &propose(MAGIC)).await;
    closed_within(&mut third, 5, "the third connection from one address").await;
    // ...while another address (127.0.0.2, loopback too) is served.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = socket.connect(addr).await.unwrap();
    segment(&mut other, handshake::PROTOCOL, &propose(MAGIC)).await;
    let mut h = [0u8; 8];
    other.read_exact(&mut h).await.unwrap();
    assert_eq!(
        a.network
            .registry
            .peer("inbound", "127.0.0.2")
            .connections
            .load(Ordering::Relaxed),
        1
    );
}

#[test]
fn the_inbound_registry_forgets_closed_addresses_past_its_bound() {
    use slotforge_network::peer_stats::{PeerRegistry, MAX_INBOUND_ENTRIES};
    let r = PeerRegistry::default();
    let held = r.peer("inbound", "10.0.0.1");
    for i in 0..3 * MAX_INBOUND_ENTRIES {
        r.peer("inbound", &format!("192.0.2.{i}"));
    }
    assert!(r.len() <= MAX_INBOUND_ENTRIES + 1, "{} entries", r.len());
    // The counters a connection still holds are kept.
    assert!(std::sync::Arc::ptr_eq(&held, &r.peer("inbound", "10.0.0.1")));
}

/// A listener that records when each connection arrives and runs `each` on it.
async fn counting_server<F, Fut>(
    each: F,
) -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
)
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let arrivals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.lock().unwrap().push(std::time::Instant::now());
            tokio::spawn(each(stream));
        }
    });
    (addr, arrivals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialling_backs_off_exponentially_and_pauses_after_misbehaviour() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    // A peer that closes every connection at once: the network's fault, retried with a
    // delay that doubles from 100 ms up to 400 ms.
    let (closing, arrivals) = counting_server(|s| async move { drop(s) }).await;
    let _b = node_with(&net, vec![closing], |c| {
        c.initial_backoff = Duration::from_millis(100);
        c.max_backoff = Duration::from_millis(400);
    })
    .await;
    eventually("six attempts", 10, async || arrivals.lock().unwrap().len() >= 6).await;
    let t = arrivals.lock().unwrap().clone();
    let gaps: Vec<u128> = t.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect();
    // A sleep never ends early, so each gap is at least the backoff's delay however busy the
    // machine is (the delays themselves are checked exactly by `the_backoff_doubles...`).
    for (i, want) in [100, 200, 400, 400, 400].iter().enumerate() {
        assert!(
            gaps[i] >= *want,
            "gap {i} is {} ms, the backoff says {want} ms: {gaps:?}",
            gaps[i]
        );
    }

    // A peer that breaks the protocol (a segment for a mini-protocol we do not run): not
    // dialled again before the misbehaviour pause (1.5 s here), then dialled again.
    let (rude, arrivals) = counting_server(|mut s| async move {
        let _ = s
            .write_all(&framing::segment(0x1234, Direction::Responder, 0, &[0x80]).unwrap()[0])
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let _c = node_with(&net, vec![rude], |c| {
        c.initial_backoff = Duration::from_millis(100);
        c.misbehaviour_pause = Duration::from_millis(1500);
    })
    .await;
    eventually("a second attempt", 10, async || arrivals.lock().unwrap().len() >= 2).await;
    let t = arrivals.lock().unwrap().clone();
    let gap = (t[1] - t[0]).as_millis();
    assert!(gap >= 1500, "the second attempt came after {gap} ms");
}

#[test]
fn the_backoff_doubles_to_its_maximum_and_pauses_after_misbehaviour() {
    use slotforge_network::stages::track_peers::backoff::{DialBackoff, STABLE_CONNECTION};
    use slotforge_network::stages::track_peers::NetworkConfig;
    let ms = Duration::from_millis;
    let mut cfg = NetworkConfig::new("127.0.0.1:0".parse().unwrap(), MAGIC);
    cfg.initial_backoff = ms(100);
    cfg.max_backoff = ms(400);
    cfg.misbehaviour_pause = ms(1500);
    let mut b = DialBackoff::new(&cfg);
    let failed: Vec<_> = (0..5).map(|_| b.dial_failed()).collect();
    assert_eq!(failed, [ms(100), ms(200), ms(400), ms(400), ms(400)]);
    // A short connection that ended cleanly keeps doubling; misbehaviour pauses and resets.
    assert_eq!(b.connection_ended(false, ms(10)), ms(400));
    assert_eq!(b.connection_ended(true, ms(10)), ms(1500));
    assert_eq!(b.dial_failed(), ms(100));
    assert_eq!(b.dial_failed(), ms(200));
    // A stable connection starts over.
    assert_eq!(b.connection_ended(false, STABLE_CONNECTION), ms(100));
    assert_eq!(b.connection_ended(false, ms(10)), ms(200));
}
