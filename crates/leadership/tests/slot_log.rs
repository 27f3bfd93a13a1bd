//! The slot log on a real SQLite file: it survives reopening, refuses transitions the status
//! machine does not allow, and prunes by epoch.

mod common;

use common::*;
use slotforge_leadership::params::DigestedParams;
use slotforge_leadership::slot_log::{Query, SlotLog, TransitionInfo};
use slotforge_leadership::status::SlotStatus;

#[test]
fn the_log_persists_refuses_bad_transitions_and_prunes_by_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slots.db");
    let signer = signer(dir.path(), 1);
    let (p1, p2) = (
        DigestedParams::new(epoch_params(&signer, 1, 100, 4, 0)),
        DigestedParams::new(epoch_params(&signer, 2, 100, 4, 0)),
    );
    let log = SlotLog::open(&path).unwrap();
    assert_eq!(log.begin_schedule("pool-0", &p1, 9.0, 100, 0).unwrap(), (100, false));
    let a = log.add_slot("pool-0", &p1, 105, None, None, 1).unwrap().unwrap();
    assert!(
        log.add_slot("pool-0", &p1, 105, None, None, 1).unwrap().is_none(),
        "stored once"
    );
    // The resume point moved past the stored slot.
    assert_eq!(log.begin_schedule("pool-0", &p1, 9.0, 100, 0).unwrap(), (106, false));
    log.begin_schedule("pool-0", &p2, 9.0, 200, 0).unwrap();
    let b = log.add_slot("pool-0", &p2, 250, None, None, 1).unwrap().unwrap();
    log.complete_schedule("pool-0", &p2).unwrap();
    assert_eq!(log.begin_schedule("pool-0", &p2, 9.0, 200, 0).unwrap(), (300, true));

    let none = TransitionInfo::default();
    for bad in [
        SlotStatus::Forged,
        SlotStatus::Adopted,
        SlotStatus::Immutable,
        SlotStatus::Scheduled,
    ] {
        assert!(log.transition(a.id, bad, &none, 2).is_err(), "scheduled → {bad}");
    }
    log.transition(a.id, SlotStatus::Woke, &none, 3).unwrap();
    let missed = TransitionInfo {
        reason: Some("late by 900 ms".into()),
        ..Default::default()
    };
    let e = log.transition(a.id, SlotStatus::Missed, &missed, 4).unwrap();
    assert_eq!(
        (e.woke_at_ms, e.finished_at_ms, e.reason.as_deref()),
        (Some(3), Some(4), Some("late by 900 ms"))
    );
    assert!(
        log.transition(a.id, SlotStatus::Woke, &none, 5).is_err(),
        "missed is terminal"
    );
    drop(log);

    // Reopened: everything is there, including the transition history.
    let log = SlotLog::open(&path).unwrap();
    assert_eq!(log.get(a.id).unwrap().status, SlotStatus::Missed);
    assert_eq!(
        log.transitions().unwrap(),
        vec![
            (a.id, SlotStatus::Scheduled, SlotStatus::Woke),
            (a.id, SlotStatus::Woke, SlotStatus::Missed)
        ]
    );
    assert_eq!(log.open_schedules().unwrap().len(), 1, "epoch 1's stream had not ended");
    // Pruning keeps epochs from 2 on.
    assert_eq!(log.prune(2).unwrap(), 1);
    let left = log
        .query(&Query {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), vec![b.id]);
    assert!(log.transitions().unwrap().is_empty());
}
