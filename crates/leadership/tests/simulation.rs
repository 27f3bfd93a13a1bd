//! The deterministic simulation: virtual time (tokio's paused clock), a simulated blockchain,
//! the enclave's real signer in process. Twenty epochs with random competing blocks (slot
//! battles, some arriving early so the tip is in our slot when we wake), forks that change the
//! next epoch's parameters (and sometimes change them back), duplicate announcements, enclave outages and process restarts from
//! the SQLite state, under many seeds. `SLOTFORGE_SIM_SEEDS=N` runs N seeds (default 6);
//! `SLOTFORGE_SIM_SEED=S` runs one.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use common::*;
use slotforge_enclave::signer::EpochParams;
use slotforge_leadership::clock::{Clock, TokioClock};
use slotforge_leadership::config::LeadershipConfig;
use slotforge_leadership::params::LeaderShare;
use slotforge_leadership::process::{self, LeadershipHandle};
use slotforge_leadership::seams::{BlockRef, ChainEvent};
use slotforge_leadership::slot_log::{Query, SlotLog};
use slotforge_leadership::status::SlotStatus;
use slotforge_praos::epoch_leadership::EpochLeadership;
use slotforge_praos::nonce::blake2b256;

const EPOCHS: u64 = 20;
const LEN: u64 = 50;
const POOLS: usize = 2;

struct World {
    dir: tempfile::TempDir,
    enclave: SimEnclave,
    chain: SimChain,
    clock: TokioClock,
    handle: Option<(LeadershipHandle, tokio::task::JoinHandle<()>)>,
    /// Windows (Unix ms) in which a slot may legitimately be missed.
    troubled: Vec<(i64, i64)>,
    /// The parameters last announced for each epoch.
    announced: Vec<Option<EpochLeadership>>,
    /// Every set of parameters announced.
    every: Vec<EpochLeadership>,
    /// Schedule computations of the processes stopped so far.
    computations: u64,
}

impl World {
    async fn start(&mut self) {
        let log = Arc::new(SlotLog::open(&self.dir.path().join("slots.db")).unwrap());
        let (handle, task) = process::start(
            self.enclave.clone(),
            self.chain.clone(),
            SimPool::new(40),
            self.clock,
            log,
            // Every epoch's outcome is checked at the end: keep them all.
            LeadershipConfig {
                retention_epochs: None,
                ..LeadershipConfig::default()
            },
        )
        .await
        .unwrap();
        self.chain.0.lock().unwrap().handle = Some(handle.clone());
        for p in self.announced.iter().flatten() {
            handle.chain_event(ChainEvent::Leadership(p.clone()));
        }
        self.handle = Some((handle, task));
    }

    async fn stop(&mut self) {
        if let Some((h, task)) = self.handle.take() {
            self.chain.0.lock().unwrap().handle = None;
            self.computations += h.metrics.schedule_computations();
            h.stop();
            task.await.unwrap();
        }
    }

    fn announce(&mut self, p: EpochLeadership) {
        let e = p.epoch as usize;
        if self.announced.len() <= e {
            self.announced.resize(e + 1, None);
        }
        self.announced[e] = Some(p.clone());
        self.every.push(p.clone());
        if let Some((h, _)) = &self.handle {
            h.chain_event(ChainEvent::Leadership(p));
        }
    }

    fn slot_ms(s: u64) -> i64 {
        GENESIS_MS + (s * SLOT_MS) as i64
    }

    fn troubled(&self, slot: u64) -> bool {
        let t = Self::slot_ms(slot);
        self.troubled.iter().any(|(a, b)| t >= a - 1000 && t <= b + 1500)
    }

    /// A block by another pool at `slot`, on the chain's tip.
    fn competitor(&self, slot: u64, salt: u64) {
        let mut c = self.chain.0.lock().unwrap();
        let parent = c.tip.map(|t| c.blocks[&t].block);
        let block = BlockRef {
            hash: blake2b256(&[&slot.to_be_bytes(), &salt.to_be_bytes()]),
            slot,
            block_number: parent.map_or(0, |p| p.block_number + 1),
        };
        c.add(SimBlock {
            block,
            parent,
            ours: false,
        });
    }
}

async fn simulate(seed: u64) {
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let signer = signer(dir.path(), POOLS);
    let clock = TokioClock::starting_at(GENESIS_MS - 5_000);
    let mut w = World {
        enclave: SimEnclave::new(signer.clone()),
        chain: SimChain::default(),
        clock,
        handle: None,
        troubled: Vec::new(),
        announced: Vec::new(),
        every: Vec::new(),
        computations: 0,
        dir,
    };
    let params = |e: u64, fork: u8| epoch_params(&signer, e, LEN, 3, fork);
    w.announce(params(0, 0));
    w.start().await;
    let (mut restarts, mut forks, mut outages) = (0, 0, 0);
    for s in 0..EPOCHS * LEN {
        let t = World::slot_ms(s);
        let (e, in_epoch) = (s / LEN, s % LEN);
        // Another pool's block: mostly just after the slot starts, sometimes early (its clock
        // runs ahead), so the tip is already in our slot when we wake.
        let competitor = rng.chance(25);
        let early = rng.chance(30);
        if competitor && early {
            clock.sleep_until_ms(t - 300).await;
            w.competitor(s, seed);
        }
        clock.sleep_until_ms(t + 200).await;
        if competitor && !early {
            w.competitor(s, seed);
        }
        clock.sleep_until_ms(t + 500).await;
        if rng.chance(2) && w.handle.is_some() {
            // A crash and restart from the SQLite state.
            w.stop().await;
            let down = rng.below(2000) as i64;
            w.troubled.push((t + 500, t + 500 + down));
            clock.sleep_until_ms(t + 500 + down).await;
            w.start().await;
            restarts += 1;
        }
        if rng.chance(3) && !w.enclave.down.load(Ordering::SeqCst) {
            let end = t + 600 + 1000 * (1 + rng.below(3) as i64);
            w.enclave.down.store(true, Ordering::SeqCst);
            w.troubled.push((t + 600, end));
            outages += 1;
            let enclave = w.enclave.clone();
            tokio::spawn(async move {
                clock.sleep_until_ms(end).await;
                enclave.down.store(false, Ordering::SeqCst);
            });
        }
        clock.sleep_until_ms(t + 700).await;
        if in_epoch == LEN * 6 / 10 {
            // The next epoch's parameters, announced twice (duplicate triggers).
            w.announce(params(e + 1, 0));
            w.announce(params(e + 1, 0));
        }
        if in_epoch == LEN * 7 / 10 && rng.chance(30) {
            // A fork changes them.
            w.announce(params(e + 1, 1));
            forks += 1;
        }
        if in_epoch == LEN * 8 / 10 && w.announced[e as usize + 1] == Some(params(e + 1, 1)) && rng.chance(30) {
            // And is undone: the first parameters are back.
            w.announce(params(e + 1, 0));
            forks += 1;
        }
        w.chain.0.lock().unwrap().settle(3);
    }
    // Let the last slots finish, then everything on the chain settles.
    let end = World::slot_ms(EPOCHS * LEN);
    w.enclave.down.store(false, Ordering::SeqCst);
    clock.sleep_until_ms(end + 3000).await;
    w.chain.0.lock().unwrap().settle(0);
    clock.sleep_until_ms(end + 4000).await;
    let log = w.handle.as_ref().unwrap().0.log.clone();
    w.stop().await;
    let computations = w.computations;

    // Never two different bodies for one slot.
    for ((leader, slot), bodies) in w.enclave.asked.lock().unwrap().iter() {
        assert_eq!(
            bodies.len(),
            1,
            "seed {seed}: {leader} was asked to sign {} bodies for slot {slot}",
            bodies.len()
        );
    }
    let entries = log
        .query(&Query {
            limit: usize::MAX >> 1,
            ..Default::default()
        })
        .unwrap();
    // Each entry's recorded history is one unbroken path from Scheduled to its status: no
    // status changed without its transition being recorded (the log itself refuses illegal
    // steps, so this checks the record, not the rule).
    let mut history: HashMap<i64, Vec<(SlotStatus, SlotStatus)>> = HashMap::new();
    for (id, from, to) in log.transitions().unwrap() {
        history.entry(id).or_default().push((from, to));
    }
    for e in &entries {
        let mut at = SlotStatus::Scheduled;
        for (from, to) in history.remove(&e.id).unwrap_or_default() {
            assert_eq!(
                from, at,
                "seed {seed}: entry {} left {from} while recorded at {at}",
                e.id
            );
            at = to;
        }
        assert_eq!(
            at, e.status,
            "seed {seed}: entry {} is {} but its history ends at {at}",
            e.id, e.status
        );
    }
    assert!(
        history.is_empty(),
        "seed {seed}: transitions of entries that do not exist"
    );
    // Every slot of the run ended settled: terminal, or orphaned (which only a switch back to
    // its block would undo).
    for e in entries.iter().filter(|e| e.slot < EPOCHS * LEN) {
        assert!(
            e.status.is_terminal() || e.status == SlotStatus::Orphaned,
            "seed {seed}: slot {} of {} is still {}",
            e.slot,
            e.leader,
            e.status
        );
    }
    // With a healthy enclave and a running node, every won slot was forged (none missed, none
    // absent), under the parameters finally announced.
    let mut forged = 0;
    for epoch in 0..EPOCHS {
        let p = w.announced[epoch as usize].clone().unwrap();
        for leader in signer.leader_ids() {
            let share = LeaderShare::of(&p, &signer.identity(&leader).unwrap())
                .unwrap()
                .unwrap();
            let Ok(EpochParams::Praos(lp)) = share.request.to_epoch_params() else {
                unreachable!()
            };
            let vrf_won = signer
                .schedule(&leader, EpochParams::Praos(lp), 0..u64::MAX)
                .unwrap()
                .into_iter()
                .map(|s| s.slot);
            for slot in vrf_won.filter(|s| !w.troubled(*s)) {
                let e = entries
                    .iter()
                    .find(|e| e.leader == leader && e.slot == slot && e.status != SlotStatus::Superseded)
                    .unwrap_or_else(|| panic!("seed {seed}: {leader}'s slot {slot} was never scheduled"));
                assert!(
                    matches!(e.status, SlotStatus::Immutable | SlotStatus::Orphaned),
                    "seed {seed}: {leader}'s slot {slot} ended {} ({:?})",
                    e.status,
                    e.reason
                );
                forged += 1;
            }
        }
    }
    // Missed slots are explained by the trouble the simulation made.
    for e in entries.iter().filter(|e| e.status == SlotStatus::Missed) {
        assert!(
            w.troubled(e.slot),
            "seed {seed}: slot {} missed without cause: {:?}",
            e.slot,
            e.reason
        );
    }
    // No block was handed to the chain for a slot the log calls superseded.
    for b in w.chain.0.lock().unwrap().submitted.iter() {
        let hash = hex::encode(b.hash);
        let e = entries.iter().find(|e| e.block_hash.as_deref() == Some(hash.as_str()));
        assert!(
            e.is_some_and(|e| e.status != SlotStatus::Superseded),
            "seed {seed}: block {hash} at slot {} has no live entry",
            b.slot
        );
    }
    // Superseded entries, and only they, come from parameters a fork replaced: each was won
    // under a set announced for its epoch that is not the final one.
    let superseded = entries.iter().filter(|e| e.status == SlotStatus::Superseded).count();
    let mut won_under: HashMap<(String, String), HashSet<u64>> = HashMap::new();
    for e in &entries {
        let final_digest = w.announced[e.epoch as usize].as_ref().unwrap().digest();
        if e.status != SlotStatus::Superseded {
            assert_eq!(
                e.digest, final_digest,
                "seed {seed}: slot {} kept replaced parameters",
                e.slot
            );
            continue;
        }
        assert_ne!(
            e.digest, final_digest,
            "seed {seed}: slot {} superseded by its own parameters",
            e.slot
        );
        let won = won_under
            .entry((e.leader.clone(), e.digest.clone()))
            .or_insert_with(|| {
                // A superseded schedule's digest is retired as "digest~time".
                let digest = e.digest.split('~').next().unwrap();
                let p = w
                    .every
                    .iter()
                    .find(|p| p.digest() == digest)
                    .expect("announced parameters");
                let share = LeaderShare::of(p, &signer.identity(&e.leader).unwrap())
                    .unwrap()
                    .unwrap();
                let params = share.request.to_epoch_params().unwrap();
                signer
                    .schedule(&e.leader, params, 0..u64::MAX)
                    .unwrap()
                    .into_iter()
                    .map(|s| s.slot)
                    .collect()
            });
        assert!(
            won.contains(&e.slot),
            "seed {seed}: superseded slot {} was never won",
            e.slot
        );
    }
    // Duplicate announcements, restarts and outages cost nothing: a slot is computed for a
    // leader's parameters at most once each time those parameters became the epoch's current
    // ones (a fork back to earlier parameters computes them afresh; a restart or an outage
    // resumes where the last computation stopped).
    let mut became: HashMap<String, usize> = HashMap::new();
    let mut current: HashMap<u64, String> = HashMap::new();
    for p in &w.every {
        if current.insert(p.epoch, p.digest()).as_deref() != Some(&p.digest()) {
            *became.entry(p.digest()).or_default() += 1;
        }
    }
    let mut computed: HashMap<(String, String), Vec<std::ops::Range<u64>>> = HashMap::new();
    for (leader, params, slots) in w.enclave.computed.lock().unwrap().iter() {
        computed
            .entry((leader.clone(), params.clone()))
            .or_default()
            .push(slots.clone());
    }
    for ((leader, params), ranges) in computed {
        let digest = w
            .every
            .iter()
            .find(|p| {
                let share = LeaderShare::of(p, &signer.identity(&leader).unwrap()).unwrap();
                share.is_some_and(|s| format!("{:?}", s.request) == params)
            })
            .map(|p| p.digest())
            .expect("computed parameters were announced");
        let mut edges: Vec<(u64, i64)> = ranges.iter().flat_map(|r| [(r.start, 1), (r.end, -1)]).collect();
        edges.sort();
        let (mut depth, mut deepest) = (0i64, 0i64);
        for (_, d) in edges {
            depth += d;
            deepest = deepest.max(depth);
        }
        assert!(
            deepest as usize <= became[&digest],
            "seed {seed}: {leader}'s slots were computed {deepest} times under parameters that became current {} times",
            became[&digest]
        );
    }
    let battles = w
        .chain
        .0
        .lock()
        .unwrap()
        .submitted
        .iter()
        .filter(|b| {
            entries
                .iter()
                .any(|e| e.slot == b.slot && e.status == SlotStatus::Orphaned)
        })
        .count();
    eprintln!(
        "seed {seed}: {forged} slots forged, {} entries, {restarts} restarts, {outages} outages, {forks} forks, \
         {superseded} superseded, {battles} orphaned, {computations} schedule computations",
        entries.len()
    );
    assert!(forged > 100, "seed {seed}: only {forged} slots forged");
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn twenty_epochs_with_battles_forks_outages_and_restarts() {
    let seeds: Vec<u64> = match std::env::var("SLOTFORGE_SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(s) => vec![s],
        None => {
            let n = std::env::var("SLOTFORGE_SIM_SEEDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(6u64);
            (1..=n).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect()
        }
    };
    for seed in seeds {
        simulate(seed).await;
    }
}
