//! The chain-sync server and client driven directly: intersections, roll-backward first, await
//! at the tip, fork switches served as roll-backwards, protocol violations refused on both
//! sides; and a client that follows the server through random extensions and switches always
//! ends with the selected chain.

use std::collections::HashMap;

use proptest::prelude::*;
use slotforge_network::protocols::chainsync::client::{intersection_points, ChainSyncClient, Event};
use slotforge_network::protocols::chainsync::messages::{Message, Point, Tip, WrappedHeader, ERA_CONWAY};
use slotforge_network::protocols::chainsync::server::{ChainSyncServer, ChainView, State};

/// A block tree and the selected chain through it; a block's "header" is its hash.
#[derive(Default)]
struct TestChain {
    parent: HashMap<[u8; 32], Option<[u8; 32]>>,
    slot: HashMap<[u8; 32], u64>,
    selected: Vec<[u8; 32]>,
    next: u8,
}

impl TestChain {
    fn point(&self, h: &[u8; 32]) -> Point {
        Point::Specific {
            slot: self.slot[h],
            hash: *h,
        }
    }

    /// A new block on `parent` (None: genesis); returns its hash. Not selected.
    fn block(&mut self, parent: Option<[u8; 32]>) -> [u8; 32] {
        self.next += 1;
        let h = [self.next; 32];
        let slot = parent.map_or(0, |p| self.slot[&p]) + 1 + (self.next as u64 % 3);
        self.parent.insert(h, parent);
        self.slot.insert(h, slot);
        h
    }

    /// Selects the chain ending at `h`.
    fn select(&mut self, h: [u8; 32]) {
        let mut chain = vec![h];
        while let Some(Some(p)) = self.parent.get(chain.last().unwrap()) {
            chain.push(*p);
        }
        chain.reverse();
        self.selected = chain;
    }

    /// Forgets every block off the selected chain, as a node prunes abandoned forks.
    fn forget_abandoned(&mut self) {
        let selected = self.selected.clone();
        self.parent.retain(|h, _| selected.contains(h));
    }

    fn extend(&mut self) -> [u8; 32] {
        let h = self.block(self.selected.last().copied());
        self.selected.push(h);
        h
    }

    fn points(&self) -> Vec<Point> {
        self.selected.iter().map(|h| self.point(h)).collect()
    }
}

impl ChainView for TestChain {
    fn tip(&self) -> Tip {
        match self.selected.last() {
            None => Tip {
                point: Point::Origin,
                block_number: 0,
            },
            Some(h) => Tip {
                point: self.point(h),
                block_number: self.selected.len() as u64 - 1,
            },
        }
    }

    fn contains(&self, p: &Point) -> bool {
        match p {
            Point::Origin => true,
            Point::Specific { hash, slot } => self.selected.contains(hash) && self.slot[hash] == *slot,
        }
    }

    fn next_after(&self, p: &Point) -> Option<(Point, WrappedHeader)> {
        let i = match p {
            Point::Origin => 0,
            Point::Specific { hash, .. } => self.selected.iter().position(|h| h == hash)? + 1,
        };
        let h = self.selected.get(i)?;
        Some((
            self.point(h),
            WrappedHeader {
                era: ERA_CONWAY,
                header: h.to_vec(),
            },
        ))
    }

    fn next_block_after(&self, p: &Point) -> Option<(Point, Vec<u8>)> {
        // The test chain's "block" is its hash, as its header is.
        self.next_after(p).map(|(p, h)| (p, h.header))
    }

    fn rejoin(&self, p: &Point) -> Point {
        let mut cur = match p {
            Point::Origin => return Point::Origin,
            Point::Specific { hash, .. } => Some(*hash),
        };
        while let Some(h) = cur {
            if self.selected.contains(&h) {
                return self.point(&h);
            }
            cur = self.parent.get(&h).copied().flatten();
        }
        Point::Origin
    }
}

/// The client's copy of the chain, applying what the server sends.
#[derive(Default)]
struct Follower {
    chain: Vec<Point>,
}

impl Follower {
    fn apply(&mut self, m: &Message) {
        match m {
            Message::RollForward(h, _) => {
                // The test chain's header is its block hash; the slot is not needed here.
                let hash: [u8; 32] = h.header.clone().try_into().unwrap();
                self.chain.push(Point::Specific { slot: 0, hash });
            }
            Message::RollBackward(p, _) => {
                let keep = match p {
                    Point::Origin => 0,
                    Point::Specific { hash, .. } => {
                        self.chain
                            .iter()
                            .position(|q| matches!(q, Point::Specific { hash: h, .. } if h == hash))
                            .unwrap()
                            + 1
                    }
                };
                self.chain.truncate(keep);
            }
            _ => {}
        }
    }

    fn hashes(&self) -> Vec<[u8; 32]> {
        self.chain
            .iter()
            .map(|p| match p {
                Point::Specific { hash, .. } => *hash,
                Point::Origin => unreachable!(),
            })
            .collect()
    }
}

#[test]
fn intersection_then_roll_backward_then_headers_then_await() {
    let mut c = TestChain::default();
    for _ in 0..5 {
        c.extend();
    }
    let pts = c.points();
    let mut s = ChainSyncServer::new();
    let unknown = Point::Specific {
        slot: 9,
        hash: [99; 32],
    };
    let r = s
        .on_message(Message::FindIntersect(vec![unknown, pts[3], pts[1]]), &c)
        .unwrap();
    assert_eq!(r, vec![Message::IntersectFound(pts[3], c.tip())]);
    let r = s.on_message(Message::RequestNext, &c).unwrap();
    assert_eq!(r, vec![Message::RollBackward(pts[3], c.tip())]);
    let r = s.on_message(Message::RequestNext, &c).unwrap();
    assert!(matches!(&r[..], [Message::RollForward(h, t)] if h.header == c.selected[4].to_vec() && *t == c.tip()));
    assert_eq!(
        s.on_message(Message::RequestNext, &c).unwrap(),
        vec![Message::AwaitReply]
    );
    assert_eq!(s.state(), State::MustReply);
    // Nothing to send until the chain moves; then the new header.
    assert!(s.on_chain_changed(&c).is_empty());
    let h = c.extend();
    let r = s.on_chain_changed(&c);
    assert!(matches!(&r[..], [Message::RollForward(w, _)] if w.header == h.to_vec()));
    assert_eq!(s.state(), State::Idle);
    // No known point: not found, the read pointer unchanged.
    let before = s.read_pointer();
    assert_eq!(
        s.on_message(Message::FindIntersect(vec![unknown]), &c).unwrap(),
        vec![Message::IntersectNotFound(c.tip())]
    );
    assert_eq!(s.read_pointer(), before);
}

#[test]
fn a_fork_switch_is_served_as_a_roll_backward() {
    let mut c = TestChain::default();
    for _ in 0..3 {
        c.extend();
    }
    let fork_base = c.selected[1];
    for _ in 0..2 {
        c.extend();
    }
    let mut s = ChainSyncServer::new();
    let mut f = Follower::default();
    for _ in 0..5 {
        for m in s.on_message(Message::RequestNext, &c).unwrap() {
            f.apply(&m);
        }
    }
    assert_eq!(f.hashes(), c.selected);
    // A longer fork from block 1 is selected while the client waits at the tip.
    assert_eq!(
        s.on_message(Message::RequestNext, &c).unwrap(),
        vec![Message::AwaitReply]
    );
    let mut tip = fork_base;
    for _ in 0..4 {
        tip = c.block(Some(tip));
    }
    c.select(tip);
    // The node no longer holds the blocks the client had: the server remembers what it sent.
    c.forget_abandoned();
    let r = s.on_chain_changed(&c);
    assert_eq!(r, vec![Message::RollBackward(c.point(&fork_base), c.tip())]);
    f.apply(&r[0]);
    loop {
        let r = s.on_message(Message::RequestNext, &c).unwrap();
        if r == vec![Message::AwaitReply] {
            break;
        }
        f.apply(&r[0]);
    }
    assert_eq!(f.hashes(), c.selected);
}

#[test]
fn protocol_violations_are_refused() {
    let c = TestChain::default();
    let mut s = ChainSyncServer::new();
    assert_eq!(
        s.on_message(Message::RequestNext, &c).unwrap(),
        vec![Message::AwaitReply]
    );
    // A second request while we owe a reply.
    assert!(s.on_message(Message::RequestNext, &c).is_err());
    let mut s = ChainSyncServer::new();
    // Server messages from a client.
    assert!(s.on_message(Message::AwaitReply, &c).is_err());
    assert!(s.on_message(Message::IntersectNotFound(c.tip()), &c).is_err());
    assert!(s.on_message(Message::Done, &c).unwrap().is_empty());
    assert_eq!(s.state(), State::Done);
    assert!(s.on_message(Message::RequestNext, &c).is_err());
}

proptest! {
    /// Random extensions, fork switches (within the last 4 blocks) and client requests: the
    /// client always catches up with exactly the selected chain.
    #[test]
    fn a_follower_always_ends_with_the_selected_chain(ops in proptest::collection::vec(0u8..10, 1..60)) {
        let mut c = TestChain::default();
        c.extend();
        let mut s = ChainSyncServer::new();
        let mut f = Follower::default();
        for op in ops {
            match op {
                0..=3 => {
                    c.extend();
                    for m in s.on_chain_changed(&c) {
                        f.apply(&m);
                    }
                }
                4..=5 if c.selected.len() > 1 => {
                    let back = (op as usize).min(c.selected.len() - 1);
                    let base = c.selected[c.selected.len() - 1 - back];
                    let mut tip = base;
                    for _ in 0..=back {
                        tip = c.block(Some(tip));
                    }
                    c.select(tip);
                    for m in s.on_chain_changed(&c) {
                        f.apply(&m);
                    }
                }
                _ => {
                    if s.state() == State::Idle {
                        for m in s.on_message(Message::RequestNext, &c).unwrap() {
                            f.apply(&m);
                        }
                    }
                }
            }
        }
        // Catch up.
        while s.state() == State::Idle {
            let r = s.on_message(Message::RequestNext, &c).unwrap();
            for m in &r {
                f.apply(m);
            }
            if r == vec![Message::AwaitReply] {
                break;
            }
        }
        prop_assert_eq!(f.hashes(), c.selected.clone());
    }
}

/// Runs one client-server exchange: the client's message to the server, the answers back.
fn exchange(client: &mut ChainSyncClient, server: &mut ChainSyncServer, chain: &TestChain, msg: Message) -> Vec<Event> {
    server
        .on_message(msg, chain)
        .unwrap()
        .into_iter()
        .map(|m| client.on_message(m).unwrap())
        .collect()
}

#[test]
fn intersection_points_are_the_tip_then_exponentially_older() {
    let c = {
        let mut c = TestChain::default();
        for _ in 0..20 {
            c.extend();
        }
        c
    };
    let pts = c.points();
    let want: Vec<Point> = [19, 18, 17, 15, 11, 3]
        .iter()
        .map(|i| pts[*i])
        .chain([Point::Origin])
        .collect();
    assert_eq!(intersection_points(&pts), want);
    assert_eq!(intersection_points(&[]), vec![Point::Origin]);
}

#[test]
fn the_client_refuses_a_server_that_breaks_the_protocol() {
    let mut client = ChainSyncClient::default();
    // An answer nobody asked for.
    assert!(client.on_message(Message::AwaitReply).is_err());
    let mut client = ChainSyncClient::default();
    client.find_intersect(vec![Point::Origin]).unwrap();
    assert!(client.request_next().is_none(), "one request at a time");
    assert!(client
        .on_message(Message::RollForward(
            WrappedHeader {
                era: ERA_CONWAY,
                header: vec![]
            },
            TestChain::default().tip()
        ))
        .is_err());
    let mut client = ChainSyncClient::default();
    client.request_next().unwrap();
    assert_eq!(client.on_message(Message::AwaitReply), Ok(Event::AwaitingUpdate));
    assert!(client.on_message(Message::AwaitReply).is_err(), "await twice");
}

proptest! {
    /// Our client, following our server through random extensions and switches after an
    /// intersection from a stale copy, always ends with the server's selected chain.
    #[test]
    fn our_client_follows_our_server(ops in proptest::collection::vec(0u8..10, 1..60), stale in 0usize..5) {
        let mut c = TestChain::default();
        for _ in 0..6 {
            c.extend();
        }
        // The client knows the chain up to `stale` blocks before the tip.
        let mut mine: Vec<Point> = c.points()[..c.selected.len() - stale].to_vec();
        let mut server = ChainSyncServer::new();
        let mut client = ChainSyncClient::default();
        let apply = |mine: &mut Vec<Point>, e: Event| match e {
            Event::RollForward(h, _) => {
                let hash: [u8; 32] = h.header.try_into().unwrap();
                mine.push(Point::Specific { slot: 0, hash });
            }
            Event::RollBackward(Point::Origin, _) => mine.clear(),
            Event::RollBackward(Point::Specific { hash, .. }, _) => {
                let keep = mine.iter().position(|p| matches!(p, Point::Specific { hash: h, .. } if *h == hash)).unwrap() + 1;
                mine.truncate(keep);
            }
            _ => {}
        };
        let m = client.find_intersect(intersection_points(&mine)).unwrap();
        for e in exchange(&mut client, &mut server, &c, m) {
            prop_assert!(matches!(e, Event::Intersected(..)));
        }
        // From here the client's points are hashes only (slots are not needed to follow).
        mine = mine.iter().map(|p| match p { Point::Specific { hash, .. } => Point::Specific { slot: 0, hash: *hash }, o => *o }).collect();
        for op in ops {
            match op {
                0..=3 => {
                    c.extend();
                    for m in server.on_chain_changed(&c) {
                        let e = client.on_message(m).unwrap();
                        apply(&mut mine, e);
                    }
                }
                4..=5 if c.selected.len() > 1 => {
                    let back = (op as usize).min(c.selected.len() - 1);
                    let mut tip = c.selected[c.selected.len() - 1 - back];
                    for _ in 0..=back {
                        tip = c.block(Some(tip));
                    }
                    c.select(tip);
                    for m in server.on_chain_changed(&c) {
                        let e = client.on_message(m).unwrap();
                        apply(&mut mine, e);
                    }
                }
                _ => {
                    if let Some(m) = client.request_next() {
                        for e in exchange(&mut client, &mut server, &c, m) {
                            apply(&mut mine, e);
                        }
                    }
                }
            }
        }
        while let Some(m) = client.request_next() {
            let events = exchange(&mut client, &mut server, &c, m);
            let at_tip = events.contains(&Event::AwaitingUpdate);
            for e in events {
                apply(&mut mine, e);
            }
            if at_tip {
                break;
            }
        }
        let hashes: Vec<[u8; 32]> = mine.iter().map(|p| match p { Point::Specific { hash, .. } => *hash, Point::Origin => unreachable!() }).collect();
        prop_assert_eq!(hashes, c.selected.clone());
    }
}
