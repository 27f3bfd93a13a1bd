//! The block store: a forged chain (forks, slot battles, transactions, epochs) replays from
//! its stored blocks to the same tip, nonces and stake distribution; and a real process
//! killed with SIGKILL while adding blocks always leaves a store that loads consistently.

mod common;

use slotforge_chain::store::StoredChain;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Devnet, FUNDS};
use slotforge_chain::chain_state::ChainState;
use slotforge_chain::selection::ChainSelection;
use slotforge_chain::store::{BlockStore, CHECKPOINT_EVERY};
use slotforge_devnet::txbuilder::{base_address, key_hash, TxBuilder};
use slotforge_ledger::tx::Transaction;

/// Adds `block` to the selection and records it.
fn add(sel: &mut ChainSelection, store: &mut BlockStore, b: slotforge_chain::block::Block) {
    if let Ok(events) = sel.add_block(b.clone()) {
        store.record(&b, &events, sel).unwrap();
    }
}

/// Grows a chain over several epochs: every leader of a slot forges (slot battles), every
/// 7th slot a pool forges on the tip's parent (a fork), and pools move stake between each
/// other with transactions.
fn grow(net: &Devnet, sel: &mut ChainSelection, store: &mut BlockStore, slots: std::ops::Range<u64>) {
    for slot in slots {
        let tip = sel.tip_state().clone();
        let parent = sel.selected().len().checked_sub(2).map(|i| sel.selected()[i].1.clone());
        for i in net.leaders(&tip, slot) {
            let txs = payment(net, &tip, i, slot);
            add(sel, store, net.forge(&tip, i, slot, txs));
        }
        if slot % 7 == 0 {
            if let Some(p) = parent {
                if let Some(&i) = net.leaders(&p, slot).first() {
                    add(sel, store, net.forge(&p, i, slot, Vec::new()));
                }
            }
        }
    }
}

/// Pool `i` sends 1% of its owner's largest output to an address staked with the next pool.
fn payment(net: &Devnet, state: &ChainState, i: usize, slot: u64) -> Vec<Transaction> {
    let p = &net.pools[i];
    let addr = p.address();
    let Some((input, out)) = state
        .ledger
        .utxo
        .iter()
        .filter(|(_, o)| o.address == addr)
        .max_by_key(|(_, o)| o.coin)
    else {
        return Vec::new();
    };
    let next = &net.pools[(i + 1) % net.pools.len()];
    let to = base_address(0, &key_hash(&next.payment), &key_hash(&next.owner));
    let _ = FUNDS;
    let mut b = TxBuilder::new()
        .input(*input)
        .output(addr, 0)
        .output(to, out.coin / 100);
    b.ttl = Some(slot + 100);
    vec![b.balance(&net.cfg.ledger, out.coin, 0, &[&p.payment])]
}

#[test]
fn a_stored_chain_replays_to_the_same_tip_nonces_and_stake() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.db");
    let net = Devnet::new(3, 5, (1, 2), 40);
    let mut store = BlockStore::open(&path, &net.cfg).unwrap();
    let mut sel = store.load(net.cfg.clone()).unwrap();
    grow(&net, &mut sel, &mut store, 1..(8 * 40 + 17));
    let tip = sel.tip_state().clone();
    assert!(tip.ledger.epoch >= 8);
    let (immutable, volatile) = store.counts().unwrap();
    assert!(
        immutable > CHECKPOINT_EVERY,
        "{immutable} immutable blocks: the checkpoint path is used"
    );
    assert!(volatile >= 5, "{volatile}");
    let moved = tip
        .ledger
        .utxo
        .values()
        .filter(|o| o.address != net.pools[0].address())
        .count();
    assert!(moved > 10, "transactions were included");
    drop(sel);
    drop(store);

    let store = BlockStore::open(&path, &net.cfg).unwrap();
    let again = store.load(net.cfg.clone()).unwrap();
    assert_eq!(**again.tip_state(), *tip, "tip, ledger, nonces and opcert counters");
    // And from genesis: replaying the selected chain block by block gives the same state.
    let mut state = net.genesis_state();
    let points = store.immutable_points(0, u64::MAX >> 1).unwrap();
    for p in &points {
        let b = slotforge_chain::block::Block::decode(&store.block_bytes(&p.hash).unwrap().unwrap()).unwrap();
        state = state.apply_block(&net.cfg, &b).unwrap();
    }
    for b in again.volatile_chain() {
        state = state.apply_block(&net.cfg, b).unwrap();
    }
    assert_eq!(state, *tip);
    assert_eq!(state.ledger.leader_distribution(), tip.ledger.leader_distribution());
    // A checkpoint it cannot read (an earlier version's) costs a replay from genesis, nothing more.
    drop(again);
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE checkpoint SET state = ?1", [b"{\"tip\": null}".to_vec()])
        .unwrap();
    let store = BlockStore::open(&path, &net.cfg).unwrap();
    let replayed = store.load(net.cfg.clone()).unwrap();
    assert_eq!(
        **replayed.tip_state(),
        *tip,
        "replayed from genesis past an unreadable checkpoint"
    );
    drop(replayed);
}

#[test]
fn a_store_of_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.db");
    BlockStore::open(&path, &Devnet::new(2, 5, (1, 2), 40).cfg).unwrap();
    let err = BlockStore::open(&path, &Devnet::new(3, 5, (1, 2), 40).cfg)
        .err()
        .unwrap();
    assert!(err.to_string().contains("belongs to another chain"), "{err}");
}

const CHILD: &str = "SLOTFORGE_CHAIN_WRITER";

/// The writer process: loads the store, then forges and adds blocks until killed, printing
/// each block number after its transaction committed.
#[test]
fn writer_child() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let net = Devnet::new(3, 5, (1, 2), 40);
    let mut store = BlockStore::open(Path::new(&path), &net.cfg).unwrap();
    let mut sel = store.load(net.cfg.clone()).unwrap();
    let mut slot = sel.tip().map_or(0, |t| t.slot);
    loop {
        slot += 1;
        grow(&net, &mut sel, &mut store, slot..slot + 1);
        if let Some(t) = sel.tip() {
            println!("committed {} {}", t.block_number, hex::encode(t.hash));
        }
    }
}

#[test]
fn sigkill_while_adding_blocks_leaves_a_consistent_store() {
    let kills: u64 = std::env::var("SLOTFORGE_CHAIN_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.db");
    let net = Devnet::new(3, 5, (1, 2), 40);
    let exe = std::env::current_exe().unwrap();
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut best = 0u64;
    for round in 0..kills {
        let mut child = Command::new(&exe)
            .args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let wait = Duration::from_millis(150 + rng % 400);
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("committed ") {
                    let mut it = rest.split(' ');
                    let n: u64 = it.next().unwrap().parse().unwrap();
                    last = Some((n, it.next().unwrap().to_string()));
                }
            }
            last
        });
        std::thread::sleep(wait);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let last = reader.join().unwrap();
        // The store opens, loads, and its selected chain is exactly a valid chain from genesis.
        let store = BlockStore::open(&path, &net.cfg).unwrap();
        let sel = store.load(net.cfg.clone()).unwrap();
        let mut state = net.genesis_state();
        for p in store.immutable_points(0, u64::MAX >> 1).unwrap() {
            let b = slotforge_chain::block::Block::decode(&store.block_bytes(&p.hash).unwrap().unwrap()).unwrap();
            state = state.apply_block(&net.cfg, &b).unwrap();
        }
        for b in sel.volatile_chain() {
            state = state.apply_block(&net.cfg, b).unwrap();
        }
        assert_eq!(state, **sel.tip_state(), "round {round}");
        // Nothing a committed line reported is lost: the chain is at least that long.
        let n = sel.tip().map_or(0, |t| t.block_number);
        if let Some((reported, _)) = last {
            assert!(n >= reported, "round {round}: tip {n} below the committed {reported}");
        }
        assert!(n >= best, "round {round}: the chain shrank from {best} to {n}");
        best = n;
    }
    assert!(best > 20, "the writer made progress: {best} blocks");
}

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct SmallVolume {
    dir: tempfile::TempDir,
}

impl SmallVolume {
    fn mount(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("running mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs (it runs as root, as CI does): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallVolume { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file until the volume is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).and_then(|()| f.sync_all()).is_ok() {}
        path
    }
}

impl Drop for SmallVolume {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_that_cannot_be_stored_is_not_adopted_and_the_chain_recovers() {
    use slotforge_chain::service::{self, ChainError, ServiceConfig};
    let net = Devnet::new(2, 10, (1, 2), 100);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 4);
    let volume = SmallVolume::mount("2m");
    let db = volume.path().join("chain.db");
    let now = net.cfg.slot_start_ms(blocks[3].slot() + 1);
    let chain = service::start(&db, (*net.cfg).clone(), ServiceConfig::default(), now).unwrap();
    for b in &blocks[..2] {
        chain.add_block(b.clone()).await.unwrap();
    }
    let filler = volume.fill();
    // The disk is full: the block is refused with the store's error and not adopted.
    let err = chain.add_block(blocks[2].clone()).await.unwrap_err();
    assert!(matches!(err, ChainError::Store(_)), "{err}");
    assert!(err.to_string().contains("full"), "{err}");
    let tip = chain.tip().await.unwrap().0;
    assert_eq!(tip.hash, blocks[1].hash(), "the tip is still the last stored block");
    // Writable again: the same block is taken, and the next one after it.
    std::fs::remove_file(filler).unwrap();
    chain.add_block(blocks[2].clone()).await.unwrap();
    chain.add_block(blocks[3].clone()).await.unwrap();
    assert_eq!(chain.tip().await.unwrap().0.hash, blocks[3].hash());
    let stopped = chain.stopped();
    drop(chain);
    stopped.wait().await;
    // What is on disk is the chain the node had.
    let store = BlockStore::open(&db, &net.cfg).unwrap();
    let sel = store.load(net.cfg.clone()).unwrap();
    assert_eq!(sel.tip().map(|p| p.hash), Some(blocks[3].hash()));
}

#[test]
fn a_block_that_becomes_immutable_without_a_row_is_a_reported_corruption() {
    use slotforge_chain::selection::SelectionEvent;
    use slotforge_chain::store::StoreError;
    let dir = tempfile::tempdir().unwrap();
    let net = Devnet::new(2, 10, (1, 2), 100);
    let mut store = BlockStore::open(&dir.path().join("chain.db"), &net.cfg).unwrap();
    let sel = ChainSelection::new(net.cfg.clone(), net.genesis_state());
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 2);
    let never_stored = slotforge_chain::chain_state::Point {
        hash: blocks[1].hash(),
        slot: blocks[1].slot(),
        block_number: 1,
    };
    let err = store
        .record(&blocks[0], &[SelectionEvent::Immutable { point: never_stored }], &sel)
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("has no row"), "{err}");
    // Nothing of that transaction was written.
    assert_eq!(store.counts().unwrap(), (0, 0));
}
