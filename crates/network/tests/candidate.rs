//! Headers first, driven directly: a peer's chain across six epochs is judged header by header
//! — bodies are asked for whenever the next header is past what header-only state can judge —
//! and a header that breaks a rule is refused with the rule's name before any body.

#[path = "../../chain/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::Devnet;
use slotforge_chain::chain_state::{BlockError, ChainState};
use slotforge_network::stages::follow_peer::candidate::{CandidateChain, CandidateError, Verdict, MAX_CLOCK_SKEW_MS};

/// A clock reading after every slot of these tests.
const AFTER_ALL: i64 = i64::MAX / 2;

#[test]
fn headers_are_judged_before_bodies_across_epochs() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 60);
    let mut full = Arc::new(net.genesis_state());
    let mut candidate = CandidateChain::new(net.cfg.clone(), full.tip.map(|p| p.hash), Some(full.clone()));
    let mut applied = 0;
    let mut fetches = 0;
    for b in &blocks {
        let mut verdict = candidate.roll_forward(b.header_bytes(), AFTER_ALL).unwrap();
        if verdict == Verdict::FetchFirst {
            // The caller fetches the waiting bodies and has the chain apply them.
            fetches += 1;
            for h in candidate.take(usize::MAX) {
                let block = &blocks[applied];
                assert_eq!(block.hash(), h.point.hash);
                full = Arc::new(full.apply_block(&net.cfg, block).unwrap());
                applied += 1;
            }
            candidate.rebase(Some(full.clone()));
            verdict = candidate.roll_forward(b.header_bytes(), AFTER_ALL).unwrap();
        }
        assert_eq!(verdict, Verdict::Accepted);
    }
    // A header-only state judges its own epoch and the next: six epochs need bodies twice.
    assert_eq!(fetches, 2, "bodies fetched every other epoch");
    assert_eq!(applied + candidate.pending_len(), 60);
}

#[test]
fn a_full_state_judges_across_empty_epochs_and_no_header_goes_unjudged() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (blocks, s) = net.extend(&net.genesis_state(), 0, 3);
    // The next block three epochs later: two epochs without blocks between.
    let mut slot = 3 * 20 + 5;
    let next = loop {
        if let Some(&i) = net.leaders(&s, slot).first() {
            break net.forge(&s, i, slot, Vec::new());
        }
        slot += 1;
    };
    let full = Arc::new(net.replay(&blocks));
    let mut candidate = CandidateChain::new(net.cfg.clone(), full.tip.map(|p| p.hash), Some(full.clone()));
    assert_eq!(
        candidate.roll_forward(next.header_bytes(), AFTER_ALL).unwrap(),
        Verdict::Accepted
    );

    // Header-only past the horizon with nothing waiting to fetch: refused, never waved through.
    let mut candidate = CandidateChain::new(net.cfg.clone(), None, Some(Arc::new(net.genesis_state())));
    for b in &blocks {
        candidate.roll_forward(b.header_bytes(), AFTER_ALL).unwrap();
    }
    candidate.take(usize::MAX);
    assert!(matches!(
        candidate.roll_forward(next.header_bytes(), AFTER_ALL),
        Err(CandidateError::Unjudgeable(_))
    ));
    // No state at all (the chain held none to rebase on): refused too.
    candidate.rebase(None);
    assert!(matches!(
        candidate.roll_forward(blocks[0].header_bytes(), AFTER_ALL),
        Err(CandidateError::Unjudgeable(_))
    ));
}

#[test]
fn a_header_that_breaks_a_rule_is_refused_with_the_rule() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 3);
    let genesis = Arc::new(net.genesis_state());
    let judge =
        |bytes: &[u8]| CandidateChain::new(net.cfg.clone(), None, Some(genesis.clone())).roll_forward(bytes, AFTER_ALL);

    // The KES signature altered.
    let mut h = blocks[0].header_bytes().to_vec();
    let n = h.len();
    h[n - 5] ^= 1;
    let e = judge(&h).unwrap_err();
    assert!(
        matches!(
            &e,
            CandidateError::Invalid { error, .. } if matches!(**error, BlockError::Header(_))
        ),
        "{e}"
    );
    assert!(e.to_string().contains("KES signature"), "{e}");

    // Block 1's header on genesis: the envelope's block number.
    let e = judge(blocks[1].header_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            CandidateError::Invalid { ref error, .. }
                if matches!(**error, BlockError::UnexpectedBlockNo { expected: 0, found: 1 })
        ),
        "{e}"
    );

    // Bytes that are no header.
    assert!(matches!(judge(&[0x80]), Err(CandidateError::Decode(_))));

    // Rolling forward and back.
    let s: ChainState = net.genesis_state();
    let mut candidate = CandidateChain::new(net.cfg.clone(), s.tip.map(|p| p.hash), Some(Arc::new(s)));
    for b in &blocks {
        assert_eq!(
            candidate.roll_forward(b.header_bytes(), AFTER_ALL).unwrap(),
            Verdict::Accepted
        );
    }
    // A roll-backward to block 0 drops the two after it; block 1 is accepted again.
    assert!(!candidate.roll_backward(Some(blocks[0].hash())).unwrap());
    assert_eq!(candidate.pending_len(), 1);
    assert_eq!(
        candidate.roll_forward(blocks[1].header_bytes(), AFTER_ALL).unwrap(),
        Verdict::Accepted
    );
    // Back past everything waiting: the caller must rebase.
    assert!(candidate.roll_backward(None).unwrap());
    assert_eq!(candidate.pending_len(), 0);
}

#[test]
fn a_roll_backward_to_a_point_never_announced_or_deeper_than_k_is_refused() {
    // k = 3: the peer may roll back over at most three of the headers it announced.
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 6);
    let (other, _) = net.extend(&net.genesis_state(), 40, 1);
    let fresh = || CandidateChain::new(net.cfg.clone(), None, Some(Arc::new(net.genesis_state())));
    let mut candidate = fresh();
    // The first message after the intersection rolls back to it: allowed.
    assert!(!candidate.roll_backward(None).unwrap());
    for b in &blocks {
        candidate.roll_forward(b.header_bytes(), AFTER_ALL).unwrap();
    }
    // A block the peer never announced.
    let e = candidate.roll_backward(Some(other[0].hash())).unwrap_err();
    assert!(matches!(e, CandidateError::BadRollback { k: 3, .. }), "{e}");
    // Four headers back (block 1, with blocks 2..5 after it) is deeper than k; the origin too.
    assert!(candidate.roll_backward(Some(blocks[1].hash())).is_err());
    assert!(candidate.roll_backward(None).is_err());
    assert_eq!(candidate.pending_len(), 6, "a refused rollback drops nothing");
    // Three back is allowed; after it, the dropped headers may not be rolled back to.
    assert!(!candidate.roll_backward(Some(blocks[2].hash())).unwrap());
    assert!(candidate.roll_backward(Some(blocks[4].hash())).is_err());
    assert!(!candidate.roll_backward(Some(blocks[2].hash())).unwrap());
}

#[test]
fn a_header_from_the_future_waits_within_the_clock_skew_and_is_refused_beyond_it() {
    let net = Devnet::new(3, 3, (1, 2), 20);
    let (blocks, _) = net.extend(&net.genesis_state(), 0, 1);
    let header = blocks[0].header_bytes();
    let start = net.cfg.slot_start_ms(blocks[0].slot());
    let fresh = || CandidateChain::new(net.cfg.clone(), None, Some(Arc::new(net.genesis_state())));
    // Further ahead than the skew: refused before any other rule, naming how far ahead.
    let mut candidate = fresh();
    let e = candidate
        .roll_forward(header, start - MAX_CLOCK_SKEW_MS - 1)
        .unwrap_err();
    assert!(
        matches!(e, CandidateError::FarFuture { ahead_ms, slot, .. } if ahead_ms == MAX_CLOCK_SKEW_MS + 1 && slot == blocks[0].slot()),
        "{e}"
    );
    assert_eq!(candidate.pending_len(), 0);
    // Within it: not judged yet; once the slot has started, accepted.
    for early in [MAX_CLOCK_SKEW_MS, 1] {
        assert_eq!(
            candidate.roll_forward(header, start - early).unwrap(),
            Verdict::NotYet { slot_start_ms: start }
        );
        assert_eq!(candidate.pending_len(), 0);
    }
    assert_eq!(candidate.roll_forward(header, start).unwrap(), Verdict::Accepted);
    // An invalid header far in the future is refused for being in the future (the
    // reference checks the time first).
    let mut bad = header.to_vec();
    let n = bad.len();
    bad[n - 5] ^= 1;
    assert!(matches!(
        fresh().roll_forward(&bad, start - 10 * MAX_CLOCK_SKEW_MS),
        Err(CandidateError::FarFuture { .. })
    ));
}
