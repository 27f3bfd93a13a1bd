//! The crossings cache (`slotforge_chain::crossings`): each fork's boundary remembered under its
//! own tip, and the next boundary crossed ahead as the epoch's end nears. The cache is the
//! process's, so these tests live in their own binary and take turns: a test crossing other
//! boundaries at the same time would evict the crossing being looked for.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::Devnet;
use slotforge_chain::service::ServiceConfig;

/// Held by each test: one at a time uses the process's crossings.
static TURN: Mutex<()> = Mutex::new(());

#[test]
fn a_crossing_is_the_ledgers_boundary_and_forks_are_not_confused() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let net = Devnet::new(3, 3, (1, 2), 50);
    let g = net.genesis_state();
    let (_, a) = net.extend(&g, 0, 4);
    let (_, b) = net.extend(&g, 10, 4);
    assert_ne!(a.tip, b.tip, "two forks");
    for s in [&a, &b, &a] {
        let mut want = s.ledger.clone();
        want.new_epoch();
        assert_eq!(s.ticked(1).ledger, want, "each fork crosses its own boundary");
        assert!(slotforge_chain::crossings::is_remembered(s, 1));
    }
}

#[test]
fn the_next_boundary_is_crossed_ahead_near_the_epochs_end() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    // Its own runtime, inside the turn (a lock held across awaits would block a worker).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(crossed_ahead());
}

async fn crossed_ahead() {
    let net = Devnet::new(3, 3, (1, 2), 100);
    let dir = tempfile::tempdir().unwrap();
    let chain = net.start_chain(
        dir.path(),
        ServiceConfig {
            // 20 slots of 1 s.
            boundary_lead: Duration::from_secs(20),
            ..ServiceConfig::default()
        },
    );
    let (blocks, tip) = net.extend(&net.genesis_state(), 0, 5);
    for b in &blocks {
        chain.add_block(b.clone()).await.unwrap();
    }
    assert!(tip.tip.unwrap().slot < 70);
    chain.tick(net.cfg.slot_start_ms(70));
    chain.query(|_| ()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !slotforge_chain::crossings::is_remembered(&tip, 1),
        "not before the lead"
    );
    chain.tick(net.cfg.slot_start_ms(85));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !slotforge_chain::crossings::is_remembered(&tip, 1) {
        assert!(
            std::time::Instant::now() < deadline,
            "the boundary was not crossed ahead"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
