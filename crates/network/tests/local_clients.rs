//! The node-to-client protocol judged by a client no one here wrote: pallas-network's
//! `NodeClient` (what oura, dolos and other pallas-based tools use against cardano-node)
//! connects to a slotforge node's Unix socket, runs the handshake, queries the ledger through
//! the hard-fork combinator, follows the chain block by block, submits a good and a bad
//! transaction and reads the rejection, and watches the mempool. Every answer is compared with
//! the node's own state. Hostile clients (garbage, another network's magic) are disconnected
//! while a well-behaved one is served.

#[path = "../../chain/tests/common/mod.rs"]
mod common;
mod loopback;
mod oura_daemon;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use common::Devnet;
use loopback::{chain_hashes, node, MAGIC};
use pallas_codec::utils::AnyCbor;
use pallas_network::facades::NodeClient;
use pallas_network::miniprotocols::chainsync::NextResponse;
use pallas_network::miniprotocols::localstate::queries_v16 as q;
use pallas_network::miniprotocols::localtxsubmission::{EraTx, Response, TxValidationError};
use pallas_network::miniprotocols::Point as PallasPoint;
use slotforge_chain::block::Block;
use slotforge_network::mux::connection::{Channel, Connection, ConnectionError, Traffic};
use slotforge_network::mux::framing::Direction;
use slotforge_network::protocols::chainsync::messages::Point as WirePoint;
use slotforge_network::protocols::handshake::messages::{
    version_table, ClientVersionData, Message as HsMsg, RefuseReason,
};
use slotforge_network::protocols::local_state_query::messages::{AcquireFailure, Message as LsqMsg, Target};
use slotforge_network::protocols::local_tx_monitor::messages::Message as MonMsg;
use slotforge_network::stages::local_session::{LocalContext, LocalLimits};
use slotforge_network::stages::local_socket::{LocalSocket, LocalSocketConfig};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONWAY: u16 = 6;

struct LocalNode {
    node: loopback::Node,
    _socket: LocalSocket,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

/// A node holding `blocks`, serving local clients on a socket in a fresh folder.
async fn local_node(net: &Devnet, blocks: &[Block]) -> LocalNode {
    local_node_with(net, blocks, LocalLimits::default()).await
}

async fn local_node_with(net: &Devnet, blocks: &[Block], limits: LocalLimits) -> LocalNode {
    serving_locally(node(net, vec![]).await, blocks, limits).await
}

/// `node`, given `blocks`, serving local clients on a socket in a fresh folder.
async fn serving_locally(node: loopback::Node, blocks: &[Block], limits: LocalLimits) -> LocalNode {
    for b in blocks {
        node.chain.add_block(b.clone()).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.socket");
    let socket = LocalSocket::start(
        LocalSocketConfig {
            path: path.clone(),
            group: None,
            max_clients: 8,
        },
        LocalContext {
            chain: node.chain.clone(),
            network_magic: MAGIC,
            limits,
        },
    )
    .await
    .unwrap();
    LocalNode {
        node,
        _socket: socket,
        path,
        _dir: dir,
    }
}

/// Twelve blocks across epochs, the sixth spending pool 0's genesis funds.
fn chain(net: &Devnet) -> Vec<Block> {
    loopback::blocks_with_a_payment(net, 6)
}

/// A query written by hand (pallas has no typed helper for it, or decodes its result into a
/// shape older than cardano-node's), as CBOR pallas sends as it is.
fn raw(bytes: &[u8]) -> AnyCbor {
    pallas_codec::minicbor::decode(bytes).unwrap()
}

/// A Conway ledger query: `[0, [0, [6, query]]]`.
fn conway(query: &[u8]) -> AnyCbor {
    let mut b = vec![0x82, 0x00, 0x82, 0x00, 0x82, 0x06];
    b.extend_from_slice(query);
    raw(&b)
}

fn cbor_of(any: &AnyCbor) -> Vec<u8> {
    pallas_codec::minicbor::to_vec(any).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pallas_client_queries_follows_submits_and_monitors() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let blocks = chain(&net);
    let n = local_node(&net, &blocks).await;
    let mode = std::fs::metadata(&n.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the node's user may connect");

    let mut client = NodeClient::connect(&n.path, MAGIC as u64).await.expect("the handshake");
    let tip = n.node.chain.query(|v| v.selection.tip_state().clone()).await.unwrap();
    let ledger = &tip.ledger;
    let tip_point = tip.tip.unwrap();

    // Local state query, through pallas's typed queries.
    let sq = client.statequery();
    sq.acquire(None).await.unwrap();
    let start = q::get_system_start(sq).await.unwrap();
    // The test devnet starts 2026-01-01T00:00:00Z.
    assert_eq!(
        (start.year, start.day_of_year, start.picoseconds_of_day),
        (q::BigInt::from(2026i64), 1, q::BigInt::from(0i64))
    );
    assert_eq!(
        q::get_chain_point(sq).await.unwrap(),
        PallasPoint::Specific(tip_point.slot, tip_point.hash.to_vec())
    );
    assert_eq!(
        u64::from(q::get_chain_block_no(sq).await.unwrap().block_number),
        tip_point.block_number
    );
    assert_eq!(q::get_current_era(sq).await.unwrap(), CONWAY);
    assert_eq!(
        q::get_block_epoch_number(sq, CONWAY).await.unwrap() as u64,
        ledger.epoch
    );
    let pp = q::get_current_pparams(sq, CONWAY).await.unwrap();
    assert_eq!(pp.minfee_a, Some(ledger.params.min_fee_a));
    assert_eq!(pp.minfee_b, Some(ledger.params.min_fee_b));
    assert_eq!(pp.max_transaction_size, Some(ledger.params.max_tx_size));
    assert_eq!(pp.key_deposit.map(u64::from), Some(ledger.params.key_deposit));
    assert_eq!(
        pp.protocol_version,
        Some((ledger.params.protocol_version.0, ledger.params.protocol_version.1))
    );
    let account = q::get_account_state(sq, CONWAY).await.unwrap();
    assert_eq!(
        (u64::from(account.treasury), u64::from(account.reserves)),
        (ledger.treasury, ledger.reserves)
    );
    // Pool 1's genesis funds are unspent; pool 0's were spent by the sixth block.
    let at_1 = q::get_utxo_by_address(sq, CONWAY, vec![net.pools[1].address().into()])
        .await
        .unwrap();
    let theirs: Vec<(Vec<u8>, u64)> = at_1
        .iter()
        .map(|(k, _)| (k.transaction_id.to_vec(), k.index.into()))
        .collect();
    let f1 = net.pools[1].funds();
    assert_eq!(theirs, vec![(f1.tx.to_vec(), f1.index)]);
    let spent = net.pools[0].funds();
    let by_in = q::get_utxo_by_txin(
        sq,
        CONWAY,
        [spent, f1]
            .iter()
            .map(|i| q::TransactionInput {
                transaction_id: i.tx.into(),
                index: i.index,
            })
            .collect(),
    )
    .await
    .unwrap();
    assert_eq!(by_in.len(), 1, "only the unspent input is found");

    // Queries pallas has no decoder for (or an outdated one), read here by hand.
    let pools = cbor_of(&sq.query_any(conway(&[0x81, 16])).await.unwrap());
    let mut d = minicbor::Decoder::new(&pools);
    assert_eq!(d.array().unwrap(), Some(1), "a current-era result is [result]");
    assert_eq!(d.tag().unwrap(), minicbor::data::Tag::new(258));
    let ids: Vec<Vec<u8>> = d
        .array_iter::<minicbor::bytes::ByteVec>()
        .unwrap()
        .map(|b| b.unwrap().to_vec())
        .collect();
    assert_eq!(ids, ledger.pools.keys().map(|k| k.to_vec()).collect::<Vec<_>>());
    // GetPoolDistr2 (all pools): the current epoch's leader election.
    let distr = cbor_of(&sq.query_any(conway(&[0x82, 0x18, 36, 0x80])).await.unwrap());
    let mut d = minicbor::Decoder::new(&distr);
    d.array().unwrap();
    assert_eq!(d.array().unwrap(), Some(2));
    let set = ledger.leader_distribution();
    assert_eq!(d.map().unwrap(), Some(set.pools.len() as u64));
    for (id, p) in &set.pools {
        assert_eq!(d.bytes().unwrap(), id.as_slice());
        assert_eq!(d.array().unwrap(), Some(3));
        assert_eq!(d.tag().unwrap(), minicbor::data::Tag::new(30));
        d.skip().unwrap();
        assert_eq!(d.u64().unwrap(), p.stake);
        assert_eq!(d.bytes().unwrap(), p.vrf_key_hash.as_slice());
    }
    assert_eq!(d.u64().unwrap(), set.total);
    // A query for another era: the mismatch names both eras.
    let mismatch = cbor_of(
        &sq.query_any(raw(&[0x82, 0x00, 0x82, 0x00, 0x82, 0x05, 0x81, 0x01]))
            .await
            .unwrap(),
    );
    assert_eq!(hex::encode(mismatch), "8282056742616262616765820666436f6e776179");
    // The era history: seven eras, Conway's from the origin to a safe zone past the tip.
    let history = cbor_of(&sq.query_any(raw(&[0x82, 0x00, 0x82, 0x02, 0x81, 0x00])).await.unwrap());
    let mut d = minicbor::Decoder::new(&history);
    assert_eq!(d.array().unwrap(), None, "an indefinite list");
    for _ in 0..6 {
        d.skip().unwrap();
    }
    assert_eq!(d.array().unwrap(), Some(3));
    d.skip().unwrap();
    assert_eq!(d.array().unwrap(), Some(3));
    d.skip().unwrap();
    let end_slot = d.u64().unwrap();
    let end_epoch = d.u64().unwrap();
    assert_eq!(end_slot, end_epoch * 20, "Conway ends at an epoch boundary");
    assert!(
        end_slot >= tip_point.slot + 1 + 18,
        "at least 3k/f = 18 slots past the tip"
    );
    // The genesis, the stake snapshots and an owner's account, through pallas's decoders.
    let genesis = q::get_genesis_config(sq, CONWAY).await.unwrap();
    let shelley = &net.cfg.genesis.shelley;
    assert_eq!(genesis.network_magic, shelley.network_magic);
    assert_eq!(u64::from(genesis.epoch_length), shelley.epoch_length);
    assert_eq!(u64::from(genesis.security_param), shelley.security_param);
    assert_eq!(u64::from(genesis.slots_per_kes_period), shelley.slots_per_kes_period);
    assert_eq!(
        (
            genesis.active_slots_coefficient.num,
            genesis.active_slots_coefficient.den
        ),
        (1, 2)
    );
    let snapshots = q::get_stake_snapshots(
        sq,
        CONWAY,
        pallas_network::miniprotocols::localtxsubmission::SMaybe::None,
    )
    .await
    .unwrap();
    assert_eq!(
        (
            snapshots.snapshot_stake_mark_total,
            snapshots.snapshot_stake_set_total,
            snapshots.snapshot_stake_go_total
        ),
        (ledger.mark.total, ledger.set.total, ledger.go.total)
    );
    // The pools' registrations (`query pool-params`), the constitution, the committee and the
    // DReps (`query constitution`, `committee-state`, `drep-state`), through pallas's decoders.
    let ids = ledger.pools.keys().map(|k| k.to_vec().into()).collect();
    let registered = q::get_stake_pool_params(sq, CONWAY, q::TaggedSet::new(ids))
        .await
        .unwrap();
    assert_eq!(registered.len(), ledger.pools.len());
    for (id, pool) in ledger.pools.iter() {
        let r = &registered[&id.to_vec().into()];
        let p = &pool.params;
        assert_eq!(
            (r.operator.to_vec(), r.vrf_keyhash.to_vec(), r.reward_account.to_vec()),
            (id.to_vec(), p.vrf_key_hash.to_vec(), p.reward_account.clone())
        );
        assert_eq!((u64::from(r.pledge), u64::from(r.cost)), (p.pledge, p.cost));
    }
    let constitution = q::get_constitution(sq, CONWAY).await.unwrap();
    let anchor = &net.cfg.genesis.conway.constitution.anchor;
    assert_eq!(
        (constitution.anchor.url, hex::encode(&*constitution.anchor.data_hash)),
        (anchor.url.clone(), anchor.data_hash.clone())
    );
    assert_eq!(constitution.script, None);
    fn none<T: Ord>() -> q::TaggedSet<T> {
        q::TaggedSet::new(Default::default())
    }
    let committee = q::get_committee_members_state(sq, CONWAY, none(), none(), none())
        .await
        .unwrap();
    assert_eq!(committee.epoch, ledger.epoch);
    assert_eq!(
        committee.committee.len(),
        ledger.governance.committee.as_ref().map_or(0, |c| c.len())
    );
    assert!(q::get_drep_state(sq, CONWAY, none()).await.unwrap().is_empty());
    let owner = slotforge_devnet::txbuilder::key_hash(&net.pools[0].owner);
    let account = q::get_filtered_delegations_rewards(
        sq,
        CONWAY,
        [q::StakeAddr::from((0u8, owner.to_vec().into()))].into_iter().collect(),
    )
    .await
    .unwrap();
    let delegated: Vec<Vec<u8>> = account.delegs.iter().map(|(_, pool)| pool.to_vec()).collect();
    assert_eq!(delegated, vec![net.pools[0].id().to_vec()]);
    // The Praos state, as `cardano-cli query protocol-state` asks for it (CBOR in CBOR): at
    // V_23, eight fields, the epoch nonce the node's.
    let praos = q::get_cbor(sq, CONWAY, q::BlockQuery::DebugChainDepState)
        .await
        .unwrap();
    let inner = praos[0].0.to_vec();
    let mut d = minicbor::Decoder::new(&inner);
    assert_eq!(
        (d.array().unwrap(), d.u8().unwrap(), d.array().unwrap()),
        (Some(2), 0, Some(8))
    );
    d.skip().unwrap();
    d.skip().unwrap();
    d.skip().unwrap();
    d.skip().unwrap();
    assert_eq!(d.array().unwrap(), Some(2));
    assert_eq!(d.u8().unwrap(), 1);
    let slotforge_praos::nonce::Nonce::Hash(epoch_nonce) = tip.nonces.get().epoch else {
        panic!("a hash nonce")
    };
    assert_eq!(d.bytes().unwrap(), epoch_nonce.as_slice());
    sq.send_release().await.unwrap();
    sq.send_done().await.unwrap();

    // Local chain-sync: every block, whole, decoded by pallas-traverse.
    let cs = client.chainsync();
    cs.intersect_origin().await.unwrap();
    let mut followed = Vec::new();
    loop {
        match cs.request_next().await.unwrap() {
            NextResponse::RollForward(content, _) => {
                let b = pallas_traverse::MultiEraBlock::decode(&content.0).expect("pallas decodes the block");
                followed.push(b.hash().to_vec());
            }
            NextResponse::RollBackward(p, _) => assert_eq!(p, PallasPoint::Origin),
            NextResponse::Await => break,
        }
    }
    let want: Vec<Vec<u8>> = chain_hashes(&n.node.chain).await.iter().map(|h| h.to_vec()).collect();
    assert_eq!(followed, want, "the client followed the node's chain");

    // Local tx-submission: pool 1's funds move; spending pool 0's spent funds is refused with
    // BadInputsUTxO, which pallas decodes.
    let good = net.pools[1].spend_all_tx();
    let sub = client.submission();
    assert_eq!(
        sub.submit_tx(EraTx(CONWAY, good.to_cbor())).await.unwrap(),
        Response::Accepted
    );
    // A resubmission of the accepted one is refused as cardano-node refuses it: its inputs are
    // spent by the pending copy.
    for bad in [net.pools[0].spend_all_tx(), good.clone()] {
        match sub.submit_tx(EraTx(CONWAY, bad.to_cbor())).await.unwrap() {
            Response::Rejected(TxValidationError::ShelleyTxValidationError { error, .. }) => {
                let text = format!("{error:?}");
                assert!(text.contains("BadInputsUTxO"), "{text}");
            }
            other => panic!("expected a ledger rejection, got {other:?}"),
        }
    }

    // Local tx-monitor: the accepted transaction is the mempool's one.
    let mon = client.monitor();
    mon.acquire().await.unwrap();
    let sizes = mon.query_size_and_capacity().await.unwrap();
    assert_eq!(sizes.number_of_txs, 1);
    assert_eq!(u64::from(sizes.size_in_bytes), good.size());
    let (era, tx) = mon.query_next_tx().await.unwrap().expect("one transaction");
    assert_eq!((u16::from(era), tx.0.to_vec()), (CONWAY, good.to_cbor()));
    assert_eq!(mon.query_next_tx().await.unwrap(), None);
    // (pallas 1.4's monitor refuses to send its own MsgRelease, and writes MsgHasTx's id as
    // text: both are checked on the wire below.)
    client.abort().await;
}

/// The ids of the node's pending transactions, in the mempool's order.
async fn pending(chain: &slotforge_chain::service::ChainHandle) -> Vec<slotforge_ledger::tx::TxId> {
    chain
        .query(|v| v.mempool.transactions().iter().map(|t| t.id()).collect())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_to_a_full_mempool_waits_for_room() {
    // A mempool with room for pool 0's payment alone: pool 1's waits, as cardano-node makes a
    // local submitter wait, until a block takes pool 0's and the mempool makes room.
    let net = Devnet::new(3, 3, (1, 2), 100);
    let (first, second) = (net.pools[0].spend_all_tx(), net.pools[1].spend_all_tx());
    let service = slotforge_chain::service::ServiceConfig {
        mempool_capacity_bytes: first.size().max(second.size()),
        ..Default::default()
    };
    let n = serving_locally(
        loopback::node_serving(&net, vec![], service, |_| {}).await,
        &[],
        LocalLimits::default(),
    )
    .await;
    n.node.chain.submit_tx(first.to_cbor()).await.unwrap();

    let mut client = NodeClient::connect(&n.path, MAGIC as u64).await.unwrap();
    let tx = second.to_cbor();
    let waiting = tokio::spawn(async move {
        let answer = client.submission().submit_tx(EraTx(CONWAY, tx)).await.unwrap();
        client.abort().await;
        answer
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "answered while the mempool is full");
    assert_eq!(pending(&n.node.chain).await, vec![first.id()]);

    let g = net.genesis_state();
    let slot = (1..).find(|&s| !net.leaders(&g, s).is_empty()).unwrap();
    let block = net.forge(&g, net.leaders(&g, slot)[0], slot, vec![first.clone()]);
    n.node.chain.add_block(block).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .expect("answered once there is room")
        .unwrap();
    assert_eq!(answer, Response::Accepted);
    assert_eq!(pending(&n.node.chain).await, vec![second.id()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_larger_than_the_whole_mempool_is_refused_at_once() {
    // No wait would make room for it: the refusal says so instead of holding the client.
    let net = Devnet::new(3, 3, (1, 2), 100);
    let tx = net.pools[0].spend_all_tx();
    let service = slotforge_chain::service::ServiceConfig {
        mempool_capacity_bytes: tx.size() - 1,
        ..Default::default()
    };
    let n = serving_locally(
        loopback::node_serving(&net, vec![], service, |_| {}).await,
        &[],
        LocalLimits::default(),
    )
    .await;
    let mut client = NodeClient::connect(&n.path, MAGIC as u64).await.unwrap();
    let submission = client.submission().submit_tx(EraTx(CONWAY, tx.to_cbor()));
    match tokio::time::timeout(Duration::from_secs(10), submission)
        .await
        .expect("answered at once")
        .unwrap()
    {
        Response::Rejected(TxValidationError::ShelleyTxValidationError { error, .. }) => {
            let text = format!("{error:?}");
            assert!(text.contains("mempool full"), "{text}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(pending(&n.node.chain).await.is_empty());
}

/// A client of our own over the socket, for what pallas cannot send: the multiplexer's
/// channels after an accepted handshake.
struct RawClient {
    _conn: Connection,
    channels: std::collections::HashMap<u16, Channel>,
}

impl RawClient {
    async fn connect(path: &std::path::Path, magic: u32) -> Result<RawClient, HsMsg<ClientVersionData>> {
        let stream = tokio::net::UnixStream::connect(path).await.unwrap();
        let (conn, mut channels) = Connection::start_on(
            stream,
            Direction::Initiator,
            &[0, 5, 6, 7, 9],
            std::sync::Arc::new(Traffic::default()),
        );
        let hs = channels.get_mut(&0).unwrap();
        let ours = version_table(ClientVersionData {
            network_magic: magic,
            query: false,
        });
        hs.send(&HsMsg::Propose(ours).to_cbor()).await.unwrap();
        match hs
            .recv_decoded(
                "answer",
                5760,
                Some(Duration::from_secs(5)),
                HsMsg::<ClientVersionData>::decode,
            )
            .await
            .unwrap()
        {
            HsMsg::Accept(32791, d) if d.network_magic == magic => Ok(RawClient { _conn: conn, channels }),
            other => Err(other),
        }
    }

    fn ch(&mut self, p: u16) -> &mut Channel {
        self.channels.get_mut(&p).unwrap()
    }

    async fn lsq(&mut self, m: LsqMsg) -> LsqMsg {
        let ch = self.ch(7);
        ch.send(&m.to_cbor()).await.unwrap();
        ch.recv_decoded("reply", 1 << 22, Some(Duration::from_secs(5)), LsqMsg::decode)
            .await
            .unwrap()
    }

    async fn monitor(&mut self, m: MonMsg) -> MonMsg {
        let ch = self.ch(9);
        ch.send(&m.to_cbor()).await.unwrap();
        ch.recv_decoded("reply", 1 << 22, Some(Duration::from_secs(5)), MonMsg::decode)
            .await
            .unwrap()
    }

    /// Whether the node closed the connection (within 5 s).
    async fn closed(&mut self, p: u16) -> bool {
        matches!(
            self.ch(p).recv("closing", 1 << 22, Some(Duration::from_secs(5))).await,
            Err(ConnectionError::Closed)
        )
    }
}

fn point(p: slotforge_chain::chain_state::Point) -> WirePoint {
    WirePoint::Specific {
        slot: p.slot,
        hash: p.hash,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_carries_what_pallas_cannot_send() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let blocks = chain(&net);
    let n = local_node(&net, &blocks).await;
    let mut c = RawClient::connect(&n.path, MAGIC).await.expect("accepted at V_23");

    // The immutable tip, a point on the chain, an old point and a foreign one.
    let (anchor, tip) = n
        .node
        .chain
        .query(|v| (v.selection.anchor().tip.unwrap(), v.selection.tip().unwrap()))
        .await
        .unwrap();
    let chain_point = [0x81, 0x03];
    assert_eq!(c.lsq(LsqMsg::Acquire(Target::ImmutableTip)).await, LsqMsg::Acquired);
    let mut want = vec![0x82];
    let _ = minicbor::Encoder::new(&mut want)
        .u64(anchor.slot)
        .unwrap()
        .bytes(&anchor.hash);
    assert_eq!(c.lsq(LsqMsg::Query(chain_point.to_vec())).await, LsqMsg::Result(want));
    assert_eq!(
        c.lsq(LsqMsg::ReAcquire(Target::Point(point(tip)))).await,
        LsqMsg::Acquired
    );
    assert_eq!(
        c.lsq(LsqMsg::ReAcquire(Target::Point(WirePoint::Specific {
            slot: blocks[0].slot(),
            hash: blocks[0].hash(),
        })))
        .await,
        LsqMsg::Failure(AcquireFailure::PointTooOld),
        "block 0 is immutable: its state is gone"
    );
    assert_eq!(
        c.lsq(LsqMsg::Acquire(Target::Point(WirePoint::Specific {
            slot: tip.slot,
            hash: [9; 32]
        })))
        .await,
        LsqMsg::Failure(AcquireFailure::PointNotOnChain)
    );
    assert_eq!(c.lsq(LsqMsg::Acquire(Target::VolatileTip)).await, LsqMsg::Acquired);
    c.ch(7).send(&LsqMsg::Release.to_cbor()).await.unwrap();
    c.ch(7).send(&LsqMsg::Done.to_cbor()).await.unwrap();

    // The mempool: HasTx with the node's transaction-id form, GetMeasures, Release, and an
    // AwaitAcquire answered only once the mempool changes.
    let first = net.pools[1].spend_all_tx();
    n.node.chain.submit_tx(first.to_cbor()).await.unwrap();
    assert!(matches!(c.monitor(MonMsg::Acquire).await, MonMsg::Acquired(_)));
    assert_eq!(c.monitor(MonMsg::HasTx(6, first.id())).await, MonMsg::ReplyHasTx(true));
    assert_eq!(c.monitor(MonMsg::HasTx(6, [1; 32])).await, MonMsg::ReplyHasTx(false));
    match c.monitor(MonMsg::GetMeasures).await {
        MonMsg::ReplyGetMeasures(1, measures) => {
            let bytes = measures.iter().find(|m| m.name == "transaction_bytes").unwrap();
            assert_eq!(bytes.size, first.size());
        }
        other => panic!("{other:?}"),
    }
    c.ch(9).send(&MonMsg::Acquire.to_cbor()).await.unwrap();
    let waiting = c
        .ch(9)
        .recv("awaiting", 1 << 16, Some(Duration::from_millis(500)))
        .await;
    assert!(
        matches!(waiting, Err(ConnectionError::Timeout { .. })),
        "no answer while unchanged"
    );
    let second = net.pools[2].spend_all_tx();
    n.node.chain.submit_tx(second.to_cbor()).await.unwrap();
    let answer = c
        .ch(9)
        .recv_decoded("acquired", 1 << 16, Some(Duration::from_secs(5)), MonMsg::decode)
        .await
        .unwrap();
    assert!(matches!(answer, MonMsg::Acquired(_)), "{answer:?}");
    assert_eq!(c.monitor(MonMsg::HasTx(6, second.id())).await, MonMsg::ReplyHasTx(true));
    c.ch(9).send(&MonMsg::Release.to_cbor()).await.unwrap();
    assert!(
        matches!(c.monitor(MonMsg::Acquire).await, MonMsg::Acquired(_)),
        "released, then acquired again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_are_disconnected_while_others_are_served() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let blocks = chain(&net);
    let limits = LocalLimits {
        acquired: Duration::from_millis(300),
        ..LocalLimits::default()
    };
    let n = local_node_with(&net, &blocks, limits).await;
    let mut good = NodeClient::connect(&n.path, MAGIC as u64).await.unwrap();

    // Another network's magic is refused at the handshake.
    match RawClient::connect(&n.path, MAGIC + 1).await {
        Err(HsMsg::Refuse(RefuseReason::Refused(32791, why))) => assert!(why.contains("magic"), "{why}"),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
    // Garbage instead of a segment: the node hangs up.
    let mut garbage = tokio::net::UnixStream::connect(&n.path).await.unwrap();
    garbage.write_all(&[0xff; 64]).await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), garbage.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "closed: {read:?}");
    // A query before any acquisition breaks the protocol.
    let mut c = RawClient::connect(&n.path, MAGIC).await.unwrap();
    c.ch(7).send(&LsqMsg::Query(vec![0x81, 0x01]).to_cbor()).await.unwrap();
    assert!(c.closed(7).await, "a query in state Idle");
    // A query the node does not know ends the connection, as the reference's codec does.
    let mut c = RawClient::connect(&n.path, MAGIC).await.unwrap();
    assert_eq!(c.lsq(LsqMsg::Acquire(Target::VolatileTip)).await, LsqMsg::Acquired);
    c.ch(7).send(&LsqMsg::Query(vec![0x81, 0x09]).to_cbor()).await.unwrap();
    assert!(c.closed(7).await, "an unknown query");
    // An acquisition never released is ended after the limit.
    let mut c = RawClient::connect(&n.path, MAGIC).await.unwrap();
    assert_eq!(c.lsq(LsqMsg::Acquire(Target::VolatileTip)).await, LsqMsg::Acquired);
    assert!(c.closed(7).await, "a state held past the limit");

    // Meanwhile the well-behaved client is served.
    let sq = good.statequery();
    sq.acquire(None).await.unwrap();
    assert_eq!(q::get_current_era(sq).await.unwrap(), CONWAY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_while_others_are_served() {
    use slotforge_network::mux::framing::{segment, SduHeader, HEADER_BYTES};
    let net = Devnet::new(3, 3, (1, 2), 20);
    let blocks = chain(&net);
    let limits = LocalLimits {
        write: Duration::from_millis(500),
        ..LocalLimits::default()
    };
    let n = local_node_with(&net, &blocks, limits).await;
    // By hand on the socket: the handshake, an acquisition, then thousands of whole-UTxO
    // queries at once, whose answers the client never reads.
    let mut slow = tokio::net::UnixStream::connect(&n.path).await.unwrap();
    let propose = HsMsg::Propose(version_table(ClientVersionData {
        network_magic: MAGIC,
        query: false,
    }));
    let send = |protocol: u16, message: &[u8]| segment(protocol, Direction::Initiator, 0, message).unwrap().concat();
    slow.write_all(&send(0, &propose.to_cbor())).await.unwrap();
    let mut header = [0u8; HEADER_BYTES];
    slow.read_exact(&mut header).await.unwrap();
    let mut accept = vec![0u8; usize::from(SduHeader::decode(&header).unwrap().length)];
    slow.read_exact(&mut accept).await.unwrap();
    assert!(matches!(
        HsMsg::<ClientVersionData>::decode(&accept),
        Ok(HsMsg::Accept(..))
    ));
    const QUERIES: usize = 3_000;
    let mut messages = LsqMsg::Acquire(Target::VolatileTip).to_cbor();
    for _ in 0..QUERIES {
        messages.extend(LsqMsg::Query(vec![0x82, 0x00, 0x82, 0x00, 0x82, 0x06, 0x81, 0x07]).to_cbor());
    }
    for chunk in messages.chunks(4_000) {
        slow.write_all(&send(7, chunk)).await.unwrap();
    }
    // The node stops writing to it once the socket is full, and after the limit hangs up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut good = NodeClient::connect(&n.path, MAGIC as u64).await.unwrap();
    let sq = good.statequery();
    sq.acquire(None).await.unwrap();
    assert_eq!(q::get_current_era(sq).await.unwrap(), CONWAY, "others are served");
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(k) => received += k,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the slow client was disconnected (read {received} bytes)"
    );
    let one_answer = {
        let ledger = n
            .node
            .chain
            .query(|v| v.selection.tip_state().ledger.clone())
            .await
            .unwrap();
        ledger.utxo.values().map(|o| o.cbor.len() + 38).sum::<usize>()
    };
    assert!(
        received < QUERIES * one_answer / 2,
        "it got {received} bytes, far from the {} it asked for",
        QUERIES * one_answer
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oura_follows_a_node_over_its_socket() {
    // oura 2.2.1's node-to-client source (pallas's N2C client) reads every block, whole.
    let net = Devnet::new(3, 3, (1, 2), 20);
    let blocks = chain(&net);
    let n = local_node(&net, &blocks).await;
    let oura = oura_daemon::Oura::start_local(&n.path, true);
    let want = chain_hashes(&n.node.chain).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while oura_daemon::followed(&oura.events()) != want {
        assert!(
            std::time::Instant::now() < deadline,
            "oura did not reach the tip: {:?}",
            oura.events()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each block parsed: its transactions are there (the sixth carries one).
    let txs: usize = oura
        .events()
        .iter()
        .filter(|e| e["event"] == "apply")
        .map(|e| e["record"]["body"]["tx"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(txs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_replaces_a_stale_file_and_serves_a_bounded_number_of_clients() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.socket");
    let node = node(&net, vec![]).await;
    let ctx = || LocalContext {
        chain: node.chain.clone(),
        network_magic: MAGIC,
        limits: LocalLimits::default(),
    };
    let cfg = |group, max_clients| LocalSocketConfig {
        path: path.clone(),
        group,
        max_clients,
    };
    // A socket file nobody answers on (a node that died) is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let gid = unsafe { libc::getgid() };
    let socket = LocalSocket::start(cfg(Some(gid), 1), ctx()).await.unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660, "the group may connect too");
    // One client at a time: the second is closed at once.
    let first = RawClient::connect(&path, MAGIC).await.expect("served");
    let mut extra = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut buf))
        .await
        .unwrap();
    assert!(matches!(read, Ok(0) | Err(_)), "closed: {read:?}");
    drop(first);
    // A second node on the same path is refused: the first answers there.
    let second = LocalSocket::start(cfg(None, 1), ctx()).await.err().expect("refused");
    assert!(second.to_string().contains("another process is listening"), "{second}");
    drop(socket);
    assert!(!path.exists(), "the socket file goes with the node");
    // Something else at the path is never removed.
    std::fs::write(&path, b"not a socket").unwrap();
    let e = LocalSocket::start(cfg(None, 1), ctx()).await.err().expect("refused");
    assert!(e.to_string().contains("is not a socket"), "{e}");
}
