//! The crash test: the real enclave is killed with SIGKILL at random moments while clients
//! stream signing requests (conflicting bodies for one slot, retries), and restarted. No slot
//! may ever have two different signatures among everything any client received, and every
//! signature a client received must be in the history afterwards.
//!
//! `SLOTFORGE_CRASH_KILLS` sets the number of kills (200 by default, which CI runs);
//! `SLOTFORGE_CRASH_SEED` replays a run. The long run is documented in docs/TESTING.md.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use slotforge_enclave::client::EnclaveClient;
use slotforge_enclave::signer::{Identity, ScheduledSlot};

/// Re-sends the parameters of the epochs around `slot` (a one-slot range each, so nothing
/// is recomputed), as a node does after the enclave restarts.
async fn remember_epochs(c: &mut EnclaveClient, slot: u64) {
    for epoch in [slot / 1000, slot / 1000 + 1] {
        if let Ok(mut s) = c.schedule("pool", &praos_epoch(epoch), slot..slot + 1).await {
            while let Some(Ok(_)) = s.next().await {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_never_yields_two_signatures_for_one_slot() {
    let kills = env_u64("SLOTFORGE_CRASH_KILLS").unwrap_or(200);
    let seed = seed("SLOTFORGE_CRASH_SEED");
    eprintln!("crash test: {kills} kills, SLOTFORGE_CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    // KES periods of 1,000 slots: the sample opcert (periods 7..69) covers slots 7,000..69,000,
    // about 31,000 won slots, enough for 5,000 kills at ~2 new slots per kill.
    let mut e = TestEnclave::new(Setup {
        tcp: false,
        metrics: false,
        import_pool: true,
        slots_per_kes_period: 1000,
        ..Setup::default()
    });
    e.start(true);
    let mut c = e.unix_client().await;
    let id: Identity = c.identity("pool").await.unwrap();
    // Won slots, scheduled an epoch at a time as the run needs them.
    let mut won: Vec<ScheduledSlot> = Vec::new();
    let mut next_epoch = 7;

    // Everything any client received: slot → the distinct headers seen for it.
    let mut received: HashMap<u64, Vec<Vec<u8>>> = HashMap::new();
    let mut next = 0usize;
    let mut signed_any = 0usize;
    let mut killed = 0;
    for round in 0..kills {
        while next + 4 >= won.len() && next_epoch < 69 {
            won.extend(schedule_all(&mut c, "pool", &praos_epoch(next_epoch), 0..0).await);
            next_epoch += 1;
        }
        assert!(next < won.len(), "ran out of signable slots after {round} kills");
        remember_epochs(&mut c, won[next].slot).await;
        let batch: Vec<ScheduledSlot> = won[next..(next + 4).min(won.len())].to_vec();
        let mut tasks = Vec::new();
        for s in &batch {
            // Two conflicting bodies and a retry of the first, concurrently.
            for tag in [1u8, 2, 1] {
                let mut c = c.clone();
                let body = body_for(&id, s, tag).to_cbor();
                let slot = s.slot;
                tasks.push(tokio::spawn(async move { (slot, c.sign_block("pool", body).await) }));
            }
        }
        // Kill at a random moment: before, during or after the requests are served.
        tokio::time::sleep(Duration::from_micros(rng.below(15_000))).await;
        e.kill();
        killed += 1;
        for t in tasks {
            let (slot, r) = t.await.unwrap();
            if let Ok(signed) = r {
                signed_any += 1;
                let seen = received.entry(slot).or_default();
                if !seen.contains(&signed.header) {
                    seen.push(signed.header);
                }
            }
        }
        // Move on by 0 to 4 slots: sometimes the same slots again after the restart.
        next += rng.below(5) as usize;
        e.start(false);
        c = e.unix_client().await;
        if round % 50 == 49 {
            eprintln!("crash test: {} kills, {} signatures received", round + 1, signed_any);
        }
    }

    assert_eq!(killed, kills);
    // No slot with two different signatures.
    for (slot, headers) in &received {
        assert_eq!(
            headers.len(),
            1,
            "slot {slot} was signed with {} different bodies",
            headers.len()
        );
    }
    // Every signature received is in the history, byte for byte.
    let history = e.history();
    let recorded: HashMap<u64, String> = history
        .data
        .iter()
        .flat_map(|h| h.signed_slots.iter())
        .map(|s| (s.slot.parse().unwrap(), s.signed.clone()))
        .collect();
    for (slot, headers) in &received {
        assert_eq!(
            recorded.get(slot),
            Some(&hex::encode(&headers[0])),
            "slot {slot}: a signature a client received is not in the history"
        );
    }
    assert!(
        received.len() as u64 >= kills / 4,
        "too few slots were signed ({}) for the test to mean anything",
        received.len()
    );
    eprintln!(
        "crash test: {kills} kills, {} slots signed, {} signatures received, {} recorded",
        received.len(),
        signed_any,
        recorded.len()
    );
}
