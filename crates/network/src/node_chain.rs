//! The node's chain as the servers read it: chain-sync's [`ChainView`] and block-fetch's
//! [`BlockSource`] over the chain task's selection (the volatile part) and block store (the
//! immutable part). Run inside `ChainHandle::query`, which gives both. A store read that fails
//! is served as "not there" (the client is told no blocks, or waits), never as a wrong answer.

use slotforge_chain::block::Block;
use slotforge_chain::chain_state::Point as ChainPoint;
use slotforge_chain::selection::ChainSelection;
use slotforge_chain::store::BlockStore;

use crate::blockfetch::{wrap_block, BlockSource, BLOCK_ERA_CONWAY};
use crate::chainsync::{Point, Tip, WrappedHeader, ERA_CONWAY};
use crate::chainsync_server::ChainView;

/// The selected chain, immutable and volatile parts together.
pub struct NodeChain<'a> {
    pub selection: &'a ChainSelection,
    pub store: &'a BlockStore,
}

impl<'a> NodeChain<'a> {
    /// The chain task's view, as the servers read it.
    pub fn of(view: &'a slotforge_chain::service::ChainView<'_>) -> Self {
        NodeChain {
            selection: view.selection,
            store: view.store,
        }
    }
}

/// A chain point as chain-sync names it.
pub fn network_point(p: ChainPoint) -> Point {
    Point::Specific {
        slot: p.slot,
        hash: p.hash,
    }
}

impl NodeChain<'_> {
    /// Where a block is on the selected chain, if it is.
    fn locate(&self, hash: &[u8; 32]) -> Option<ChainPoint> {
        if let Some((b, _)) = self.selection.selected().iter().find(|(b, _)| b.hash() == *hash) {
            return Some(ChainPoint {
                hash: *hash,
                slot: b.slot(),
                block_number: b.block_number(),
            });
        }
        self.store.immutable_point(hash).ok().flatten()
    }

    /// The block with number `n` on the selected chain: its point and bytes.
    fn at_number(&self, n: u64) -> Option<(ChainPoint, Block)> {
        let first_volatile = self.selection.anchor().tip.map_or(0, |a| a.block_number + 1);
        if n >= first_volatile {
            let (b, _) = self.selection.selected().get((n - first_volatile) as usize)?;
            return Some((
                ChainPoint {
                    hash: b.hash(),
                    slot: b.slot(),
                    block_number: n,
                },
                (**b).clone(),
            ));
        }
        let p = *self.store.immutable_points(n, 1).ok()?.first()?;
        let bytes = self.store.block_bytes(&p.hash).ok()??;
        Some((p, Block::decode(&bytes).ok()?))
    }

    /// A block's bytes, wrapped for block-fetch (`[7, block]`): any block the node holds, on
    /// the selected chain or on a volatile fork (a client may still be fetching a fork the
    /// node has just left).
    pub fn wrapped_block(&self, p: &Point) -> Option<Vec<u8>> {
        let Point::Specific { hash, .. } = p else { return None };
        if let Some(b) = self.selection.block(hash) {
            return Some(wrap_block(BLOCK_ERA_CONWAY, &b.to_cbor()));
        }
        let c = self.locate(hash)?;
        let (_, block) = self.at_number(c.block_number)?;
        Some(wrap_block(BLOCK_ERA_CONWAY, &block.to_cbor()))
    }
}

impl ChainView for NodeChain<'_> {
    fn tip(&self) -> Tip {
        match self.selection.tip() {
            Some(t) => Tip {
                point: network_point(t),
                block_number: t.block_number,
            },
            None => Tip {
                point: Point::Origin,
                block_number: 0,
            },
        }
    }

    fn contains(&self, p: &Point) -> bool {
        match p {
            Point::Origin => true,
            Point::Specific { slot, hash } => self.locate(hash).is_some_and(|c| c.slot == *slot),
        }
    }

    fn next_after(&self, p: &Point) -> Option<(Point, WrappedHeader)> {
        let n = match p {
            Point::Origin => 0,
            Point::Specific { hash, .. } => self.locate(hash)?.block_number + 1,
        };
        let (c, block) = self.at_number(n)?;
        Some((
            network_point(c),
            WrappedHeader {
                era: ERA_CONWAY,
                header: block.header_bytes().to_vec(),
            },
        ))
    }

    fn rejoin(&self, p: &Point) -> Point {
        let Point::Specific { hash, .. } = p else {
            return Point::Origin;
        };
        let mut cur = Some(*hash);
        while let Some(h) = cur {
            if let Some(c) = self.locate(&h) {
                return network_point(c);
            }
            cur = self.selection.block(&h).and_then(|b| b.prev_hash());
        }
        // Off every block we keep: back to the immutable tip, which every fork we serve shares.
        self.selection.anchor().tip.map_or(Point::Origin, network_point)
    }
}

impl BlockSource for NodeChain<'_> {
    /// The blocks from `from` to `to`, `to` descending from `from`: through volatile blocks
    /// (selected or not) by their parents, then along the immutable chain.
    fn range(&self, from: &Point, to: &Point) -> Option<Vec<Point>> {
        let (Point::Specific { hash: a, .. }, Point::Specific { hash: b, .. }) = (from, to) else {
            return None;
        };
        let mut newest_first = Vec::new();
        let mut cur = *b;
        while let Some(block) = self.selection.block(&cur) {
            newest_first.push(network_point(ChainPoint {
                hash: cur,
                slot: block.slot(),
                block_number: block.block_number(),
            }));
            if cur == *a {
                newest_first.reverse();
                return Some(newest_first);
            }
            cur = block.prev_hash()?;
        }
        // The rest is on the immutable chain.
        let (a, b) = (self.locate(a)?, self.locate(&cur)?);
        if a.block_number > b.block_number {
            return None;
        }
        let mut out: Vec<Point> = (a.block_number..=b.block_number)
            .map(|n| self.at_number(n).map(|(c, _)| network_point(c)))
            .collect::<Option<_>>()?;
        newest_first.reverse();
        out.extend(newest_first);
        Some(out)
    }
}

/// The points a chain-sync client offers for an intersection: the selected chain from the
/// immutable anchor on (see [`intersection_points`](crate::chainsync_client::intersection_points)),
/// with the anchor itself always among them.
pub fn intersection_candidates(view: &slotforge_chain::service::ChainView<'_>) -> Vec<Point> {
    let chain: Vec<Point> = view
        .selection
        .anchor()
        .tip
        .into_iter()
        .chain(view.selection.selected().iter().filter_map(|(_, s)| s.tip))
        .map(network_point)
        .collect();
    let mut points = crate::chainsync_client::intersection_points(&chain);
    if let Some(a) = chain.first() {
        if !points.contains(a) {
            points.insert(points.len() - 1, *a);
        }
    }
    points
}

/// A chain-sync point as the chain names it (None: the origin).
pub fn chain_point(p: &Point) -> Option<[u8; 32]> {
    match p {
        Point::Origin => None,
        Point::Specific { hash, .. } => Some(*hash),
    }
}
