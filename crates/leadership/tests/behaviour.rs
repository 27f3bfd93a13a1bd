//! Single behaviours on virtual time: duplicate triggers, forks superseding a schedule, late
//! starts (mid-epoch and at slot 0), leaders added and removed at runtime, the slot battle rule.

mod common;

use std::sync::Arc;

use common::*;
use slotforge_enclave::signer::Signer;
use slotforge_leadership::clock::{Clock, TokioClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::forging::choose_parent;
use slotforge_leadership::params::LeaderShare;
use slotforge_leadership::process::{self, LeadershipHandle};
use slotforge_leadership::seams::{BlockRef, ChainEvent, ChainTip};
use slotforge_leadership::slot_log::{Query, SlotEntry, SlotLog};
use slotforge_leadership::status::SlotStatus;
use slotforge_praos::epoch_leadership::EpochLeadership;

const LEN: u64 = 100;

struct Node {
    _dir: tempfile::TempDir,
    signer: Arc<Signer>,
    handle: LeadershipHandle,
    clock: TokioClock,
    chain: SimChain,
}

async fn node(start_ms: i64, pools: usize) -> Node {
    node_with(start_ms, pools, 0).await
}

async fn node_with(start_ms: i64, pools: usize, sign_delay_ms: u64) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let signer = signer(dir.path(), pools);
    let clock = TokioClock::starting_at(start_ms);
    let chain = SimChain::default();
    let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
    let enclave = SimEnclave::new(signer.clone());
    enclave
        .sign_delay_ms
        .store(sign_delay_ms, std::sync::atomic::Ordering::SeqCst);
    let (handle, _task) = process::start(
        enclave,
        chain.clone(),
        SimPool::new(10),
        clock,
        log,
        LeadershipConfig::default(),
    )
    .await
    .unwrap();
    chain.0.lock().unwrap().handle = Some(handle.clone());
    Node {
        _dir: dir,
        signer,
        handle,
        clock,
        chain,
    }
}

fn entries(n: &Node) -> Vec<SlotEntry> {
    n.handle
        .log
        .query(&Query {
            limit: 100_000,
            ..Default::default()
        })
        .unwrap()
}

/// The slots `leader` wins under `p`, computed directly.
fn won(signer: &Signer, leader: &str, p: &EpochLeadership) -> Vec<u64> {
    let share = LeaderShare::of(p, &signer.identity(leader).unwrap()).unwrap().unwrap();
    signer
        .schedule(leader, share.request.to_epoch_params().unwrap(), 0..u64::MAX)
        .unwrap()
        .iter()
        .map(|s| s.slot)
        .collect()
}

async fn settle(n: &Node, ms: i64) {
    n.clock.sleep_until_ms(n.clock.now_ms() + ms).await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn duplicate_triggers_compute_once_and_a_fork_supersedes() {
    let n = node(GENESIS_MS - 60_000, 2).await;
    let p1 = epoch_params(&n.signer, 1, LEN, 4, 0);
    for _ in 0..5 {
        n.handle.chain_event(ChainEvent::Leadership(p1.clone()));
        n.handle.leaders_changed();
    }
    settle(&n, 10).await;
    assert_eq!(n.handle.metrics.schedule_computations(), 2, "one per leader");
    let before = entries(&n);
    let expected: usize = n.signer.leader_ids().iter().map(|l| won(&n.signer, l, &p1).len()).sum();
    assert_eq!(before.len(), expected);
    assert!(before.iter().all(|e| e.status == SlotStatus::Scheduled));
    // Ahead of time: computed a minute before the epoch starts.
    assert!(before.iter().all(|e| e.created_at_ms < GENESIS_MS));

    // A fork changes the epoch's parameters: the old entries are superseded, a new schedule is
    // computed once per leader, and announcing the new parameters again costs nothing.
    let p2 = epoch_params(&n.signer, 1, LEN, 4, 1);
    for _ in 0..3 {
        n.handle.chain_event(ChainEvent::Leadership(p2.clone()));
    }
    settle(&n, 10).await;
    assert_eq!(n.handle.metrics.schedule_computations(), 4);
    let after = entries(&n);
    let superseded = after.iter().filter(|e| e.status == SlotStatus::Superseded).count();
    assert_eq!(superseded, before.len());
    let live: Vec<u64> = after
        .iter()
        .filter(|e| e.leader == "pool-0" && e.status == SlotStatus::Scheduled)
        .map(|e| e.slot)
        .collect();
    assert_eq!(live, won(&n.signer, "pool-0", &p2));
    assert!(after.iter().filter(|e| e.status == SlotStatus::Superseded).all(|e| e
        .reason
        .as_deref()
        .unwrap()
        .contains("fork")));
}

/// Parameters for epoch 1 under which pool-0 wins `slot_in_epoch` (trying nonce variants).
fn params_winning(signer: &Signer, slot_in_epoch: u64) -> EpochLeadership {
    (0..=255u8)
        .map(|v| epoch_params(signer, 1, LEN, 4, v))
        .find(|p| won(signer, "pool-0", p).contains(&(LEN + slot_in_epoch)))
        .expect("some nonce makes the slot a win")
}

async fn late_start(slot_in_epoch: u64, start_offset_ms: i64) {
    let probe = tempfile::tempdir().unwrap();
    let probe_signer = signer(probe.path(), 1);
    let p = params_winning(&probe_signer, slot_in_epoch);
    let slot = LEN + slot_in_epoch;
    let slot_ms = GENESIS_MS + (slot * SLOT_MS) as i64;
    let n = node(slot_ms + start_offset_ms, 1).await;
    n.handle.chain_event(ChainEvent::Leadership(p.clone()));
    settle(&n, 3000).await;
    let all = entries(&n);
    let e = all.iter().find(|e| e.slot == slot).unwrap_or_else(|| {
        panic!(
            "slot {slot} was not scheduled; entries start at {:?}",
            all.first().map(|e| e.slot)
        )
    });
    assert!(
        matches!(
            e.status,
            SlotStatus::Adopted | SlotStatus::Forged | SlotStatus::Immutable
        ),
        "slot {slot}: {} {:?}",
        e.status,
        e.reason
    );
    // Nothing before the node started is in the log.
    assert!(all.iter().all(|e| e.slot >= slot));
    // Every remaining won slot is scheduled.
    let remaining: Vec<u64> = won(&n.signer, "pool-0", &p)
        .into_iter()
        .filter(|s| *s >= slot)
        .collect();
    assert_eq!(all.iter().map(|e| e.slot).collect::<Vec<_>>(), remaining);
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_signature_that_comes_too_late_for_its_slot_is_a_late_miss_and_no_block() {
    let limit = LeadershipConfig::default().max_late_ms as u64;
    for (delay, submitted) in [(limit / 2, true), (limit + 100, false)] {
        let probe = tempfile::tempdir().unwrap();
        let p = params_winning(&signer(probe.path(), 1), 37);
        let slot = LEN + 37;
        let n = node_with(GENESIS_MS + (slot * SLOT_MS) as i64 - 5_000, 1, delay).await;
        n.handle.chain_event(ChainEvent::Leadership(p));
        settle(&n, 8_000).await;
        let e = entries(&n).into_iter().find(|e| e.slot == slot).unwrap();
        let blocks = n
            .chain
            .0
            .lock()
            .unwrap()
            .submitted
            .iter()
            .filter(|b| b.slot == slot)
            .count();
        if submitted {
            assert_eq!(blocks, 1, "{} {:?}", e.status, e.reason);
            assert_ne!(e.status, SlotStatus::Missed);
        } else {
            assert_eq!(blocks, 0, "a late block was handed to the chain");
            assert_eq!(e.status, SlotStatus::Missed);
            assert!(
                e.reason.as_deref().unwrap_or("").contains("not submitted"),
                "{:?}",
                e.reason
            );
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_node_started_mid_epoch_forges_the_very_next_slot() {
    // Started 300 ms before slot 37 of epoch 1, which pool-0 wins.
    late_start(37, -300).await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_node_started_at_slot_zero_forges_slot_zero() {
    // Started exactly as the epoch's first slot begins (jormungandr skipped that slot).
    late_start(0, 0).await;
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn leaders_added_and_removed_at_runtime_are_scheduled_at_once_without_disturbing_others() {
    let n = node(GENESIS_MS + (LEN * SLOT_MS) as i64 + 10_500, 1).await;
    // Parameters naming both pools' stake (pool-1 is not in the enclave yet).
    add_pool(&n.signer, 1);
    let p = epoch_params(&n.signer, 1, LEN, 4, 0);
    n.signer.remove_leader("pool-1");
    n.handle.chain_event(ChainEvent::Leadership(p.clone()));
    settle(&n, 500).await;
    let first: Vec<SlotEntry> = entries(&n);
    assert!(first.iter().all(|e| e.leader == "pool-0"));

    add_pool(&n.signer, 1);
    n.handle.leaders_changed();
    settle(&n, 100).await;
    let now_slot = LEN + 11;
    let pool1: Vec<u64> = entries(&n)
        .iter()
        .filter(|e| e.leader == "pool-1")
        .map(|e| e.slot)
        .collect();
    let expected: Vec<u64> = won(&n.signer, "pool-1", &p)
        .into_iter()
        .filter(|s| *s >= now_slot)
        .collect();
    assert_eq!(
        pool1, expected,
        "the new leader is scheduled for the rest of the current epoch"
    );
    // pool-0's entries are untouched.
    for e in &first {
        let now = n.handle.log.get(e.id).unwrap();
        assert_eq!((now.slot, now.leader.as_str()), (e.slot, "pool-0"));
        assert_ne!(now.status, SlotStatus::Superseded);
    }

    n.signer.remove_leader("pool-1");
    n.handle.leaders_changed();
    settle(&n, 100).await;
    let after = entries(&n);
    assert!(after
        .iter()
        .filter(|e| e.leader == "pool-1")
        .all(|e| e.status == SlotStatus::Superseded));
    assert!(after
        .iter()
        .filter(|e| e.leader == "pool-0")
        .all(|e| e.status != SlotStatus::Superseded));
}

#[test]
fn the_parent_is_the_tip_or_its_predecessor_in_a_slot_battle() {
    let b = |slot, n: u8| BlockRef {
        hash: [n; 32],
        slot,
        block_number: n as u64,
    };
    let tip = ChainTip {
        block: b(10, 2),
        parent: Some(b(7, 1)),
    };
    assert_eq!(choose_parent(None, 3), Ok(None));
    assert_eq!(choose_parent(Some(&tip), 11), Ok(Some(b(10, 2))));
    assert_eq!(choose_parent(Some(&tip), 10), Ok(Some(b(7, 1))));
    assert!(choose_parent(Some(&tip), 9).unwrap_err().contains("tip ahead"));
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_restart_resumes_from_the_stored_schedule_without_recomputing_it() {
    let dir = tempfile::tempdir().unwrap();
    let signer = signer(dir.path(), 1);
    let p = epoch_params(&signer, 1, LEN, 4, 0);
    let start = async || {
        let chain = SimChain::default();
        let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
        let (h, task) = process::start(
            SimEnclave::new(signer.clone()),
            chain.clone(),
            SimPool::new(10),
            TokioClock::starting_at(GENESIS_MS + (LEN * SLOT_MS) as i64 + 20_500),
            log,
            LeadershipConfig::default(),
        )
        .await
        .unwrap();
        chain.0.lock().unwrap().handle = Some(h.clone());
        (h, task)
    };
    let (h, task) = start().await;
    h.chain_event(ChainEvent::Leadership(p.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(h.metrics.schedule_computations(), 1);
    h.stop();
    task.await.unwrap();
    // The same parameters again after a restart: the stored schedule is complete.
    let (h, _task) = start().await;
    h.chain_event(ChainEvent::Leadership(p.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(h.metrics.schedule_computations(), 0, "nothing recomputed");
    let slots: Vec<u64> = h.log.pending().unwrap().iter().map(|e| e.slot).collect();
    let expected: Vec<u64> = won(&signer, "pool-0", &p)
        .into_iter()
        .filter(|s| *s > LEN + 20)
        .collect();
    assert_eq!(slots, expected);
}

/// One pool's process on `clock`, five seconds before epoch 1, with the enclave and slot log
/// returned for the test to steer and read.
struct OnePool {
    _dir: tempfile::TempDir,
    signer: Arc<Signer>,
    params: EpochLeadership,
    enclave: SimEnclave,
    log: Arc<SlotLog>,
}

impl OnePool {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let signer = signer(dir.path(), 1);
        let params = epoch_params(&signer, 1, LEN, 4, 0);
        let log = Arc::new(SlotLog::open(&dir.path().join("slots.db")).unwrap());
        OnePool {
            enclave: SimEnclave::new(signer.clone()),
            _dir: dir,
            signer,
            params,
            log,
        }
    }

    fn clock() -> TokioClock {
        TokioClock::starting_at(GENESIS_MS + (LEN * SLOT_MS) as i64 - 5_000)
    }

    async fn start(&self, clock: impl Clock) -> (LeadershipHandle, tokio::task::JoinHandle<()>) {
        process::start(
            self.enclave.clone(),
            SimChain::default(),
            SimPool::new(10),
            clock,
            self.log.clone(),
            LeadershipConfig::default(),
        )
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_stop_records_the_slots_the_enclave_already_delivered() {
    let pool = OnePool::new();
    let (h, task) = pool.start(OnePool::clock()).await;
    // The stop arrives right after the enclave has handed over every won slot, before the
    // process has read any of them.
    let stopper = h.clone();
    *pool.enclave.after_delivery.lock().unwrap() = Some(Box::new(move || stopper.stop()));
    h.chain_event(ChainEvent::Leadership(pool.params.clone()));
    task.await.unwrap();
    let expected = won(&pool.signer, "pool-0", &pool.params);
    assert!(!expected.is_empty());
    let recorded: Vec<u64> = pool.log.pending().unwrap().iter().map(|e| e.slot).collect();
    assert_eq!(recorded, expected, "every delivered slot is in the log");
    let open = pool.log.open_schedules().unwrap();
    assert_eq!(open.len(), 1, "the stream did not end: the schedule stays open");
    assert_eq!(
        open[0].next_slot,
        expected.last().unwrap() + 1,
        "a restart resumes after them"
    );
}

/// Virtual time whose readings on tokio's blocking pool take 300 ms of real time once `slow`
/// is set: a forge task's slot-log write is then still running when the test acts.
#[derive(Clone)]
struct SlowOffRuntime {
    inner: TokioClock,
    slow: Arc<std::sync::atomic::AtomicBool>,
    /// The thread of the test's (current-thread) runtime; any other is the blocking pool.
    runtime_thread: std::thread::ThreadId,
}

impl Clock for SlowOffRuntime {
    fn now_ms(&self) -> i64 {
        let blocking_pool = std::thread::current().id() != self.runtime_thread;
        if blocking_pool && self.slow.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        self.inner.now_ms()
    }

    fn sleep_until_ms(&self, t_ms: i64) -> impl std::future::Future<Output = ()> + Send {
        self.inner.sleep_until_ms(t_ms)
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn after_a_stop_returns_nothing_writes_to_the_slot_log() {
    let pool = OnePool::new();
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clock = SlowOffRuntime {
        inner: OnePool::clock(),
        slow: slow.clone(),
        runtime_thread: std::thread::current().id(),
    };
    let (h, task) = pool.start(clock).await;
    // Stop right after the first signature, while the forge task records it (slowly).
    let stopper = h.clone();
    *pool.enclave.after_sign.lock().unwrap() = Some(Box::new(move || {
        slow.store(true, std::sync::atomic::Ordering::SeqCst);
        stopper.stop();
    }));
    h.chain_event(ChainEvent::Leadership(pool.params.clone()));
    task.await.unwrap();
    let first = won(&pool.signer, "pool-0", &pool.params)[0];
    let all = Query {
        limit: usize::MAX >> 1,
        ..Default::default()
    };
    let status = |log: &SlotLog| {
        log.query(&all)
            .unwrap()
            .into_iter()
            .find(|e| e.slot == first)
            .map(|e| e.status)
    };
    let at_stop = status(&pool.log);
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert_eq!(
        status(&pool.log),
        at_stop,
        "the slot log changed after the stop returned"
    );
    assert_eq!(
        at_stop,
        Some(SlotStatus::Forged),
        "the write under way finished before the stop returned"
    );
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_bft_leader_forges_its_round_robin_slots() {
    use slotforge_enclave::signer::BftLeader;
    use slotforge_praos::bft::BftHeader;
    use slotforge_praos::epoch_leadership::{EpochConsensus, TimeFrame};
    let n = node(GENESIS_MS - 5_000, 0).await;
    let keys: Vec<_> = (1..=3u8)
        .map(|i| slotforge_crypto::ed25519::SigningKey::from_bytes(&[i; 32]))
        .collect();
    n.signer.add_leader("bft-1", BftLeader { key: keys[1].clone() });
    n.handle.leaders_changed();
    let leaders: Vec<[u8; 32]> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    let p = EpochLeadership {
        epoch: 0,
        first_slot: 0,
        epoch_length: 12,
        time: TimeFrame {
            epoch_start_unix_ms: GENESIS_MS,
            slot_length_ms: SLOT_MS,
        },
        consensus: EpochConsensus::Bft {
            leaders: leaders.clone(),
        },
    };
    n.handle.chain_event(ChainEvent::Leadership(p.clone()));
    n.clock.sleep_until_ms(p.slot_start_ms(12) + 1000).await;
    let all = entries(&n);
    assert_eq!(all.iter().map(|e| e.slot).collect::<Vec<_>>(), vec![1, 4, 7, 10]);
    assert!(all.iter().all(|e| e.status == SlotStatus::Adopted), "{all:?}");
    // The blocks are BFT headers signed by the leader, valid for their round-robin slots.
    let submitted = n.chain.0.lock().unwrap().submitted.clone();
    assert_eq!(submitted.len(), 4);
    for b in submitted {
        let h = BftHeader::decode(&b.header).unwrap();
        h.validate(p.slots(), &leaders).unwrap();
        assert_eq!(h.body().slot, b.slot);
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn an_enclave_that_forgot_the_epoch_is_sent_it_again_and_signs_the_same_body() {
    let n = node(GENESIS_MS - 5_000, 1).await;
    let p = epoch_params(&n.signer, 0, LEN, 4, 0);
    n.handle.chain_event(ChainEvent::Leadership(p.clone()));
    settle(&n, 100).await;
    // The enclave restarts: same keys, no remembered epochs.
    n.signer.remove_leader("pool-0");
    add_pool(&n.signer, 0);
    n.clock.sleep_until_ms(p.slot_start_ms(LEN) + 1000).await;
    let all = entries(&n);
    assert!(!all.is_empty());
    for e in &all {
        assert_eq!(e.status, SlotStatus::Adopted, "slot {}: {:?}", e.slot, e.reason);
    }
}
