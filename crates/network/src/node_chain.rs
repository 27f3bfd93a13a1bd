//! The node's chain in the mini-protocols' terms: points named both ways ([`network_point`],
//! [`chain_point`]; following a peer and serving both use them), and the chain as the servers
//! read it — chain-sync's [`ChainView`] and block-fetch's [`BlockSource`] over a snapshot of the
//! volatile part ([`VolatileChain`], shared by chain selection) and the immutable part read from
//! the block store on a connection of the server's own ([`BlockReader`]). Both run on a
//! blocking thread, never the chain task's, and no block is decoded to be served: stored blocks
//! go out as their bytes, and a header is cut from them. A store read that fails is served as
//! "not there" (the client is told no blocks, or waits), never as a wrong answer.

use std::sync::Arc;

use slotforge_chain::block::{header_bytes_of, Block};
use slotforge_chain::chain_state::Point as ChainPoint;
use slotforge_chain::selection::VolatileChain;
use slotforge_chain::store::{BlockReader, StoredChain};

use crate::protocols::blockfetch::messages::{wrap_block, BLOCK_ERA_CONWAY};
use crate::protocols::blockfetch::server::BlockSource;
use crate::protocols::chainsync::messages::{Point, Tip, WrappedHeader, ERA_CONWAY};
use crate::protocols::chainsync::server::ChainView;

/// The most blocks one block-fetch range may hold; a longer one is answered with no blocks
/// (a client asks for long stretches in several ranges).
pub const MAX_RANGE_BLOCKS: u64 = 2_160;

/// The selected chain, immutable and volatile parts together.
pub struct NodeChain<'a> {
    /// The volatile part: the last k blocks of the selected chain and the forks kept.
    pub volatile: &'a VolatileChain,
    /// The immutable part, read from the block store.
    pub store: &'a BlockReader,
}

/// A chain point as chain-sync names it.
pub fn network_point(p: ChainPoint) -> Point {
    Point::Specific {
        slot: p.slot,
        hash: p.hash,
    }
}

/// A block of the selected chain as the servers hold it.
enum Served {
    Volatile(Arc<Block>),
    /// A stored block's exact bytes.
    Stored(Vec<u8>),
}

impl NodeChain<'_> {
    fn first_volatile(&self) -> u64 {
        self.volatile.anchor.map_or(0, |a| a.block_number + 1)
    }

    /// Where a block is on the selected chain, if it is.
    fn locate(&self, hash: &[u8; 32]) -> Option<ChainPoint> {
        if let Some(&i) = self.volatile.position.get(hash) {
            let b = &self.volatile.selected[i];
            return Some(ChainPoint {
                hash: *hash,
                slot: b.slot(),
                block_number: b.block_number(),
            });
        }
        self.store.immutable_point(hash).ok().flatten()
    }

    /// The block with number `n` on the selected chain: its point and the block.
    fn at_number(&self, n: u64) -> Option<(ChainPoint, Served)> {
        let first_volatile = self.first_volatile();
        if n >= first_volatile {
            let b = self.volatile.selected.get((n - first_volatile) as usize)?;
            return Some((
                ChainPoint {
                    hash: b.hash(),
                    slot: b.slot(),
                    block_number: n,
                },
                Served::Volatile(b.clone()),
            ));
        }
        let p = *self.store.immutable_points(n, 1).ok()?.first()?;
        // A missing row is not served as the next block.
        if p.block_number != n {
            return None;
        }
        let bytes = self.store.block_bytes(&p.hash).ok()??;
        Some((p, Served::Stored(bytes)))
    }

    /// The block after `p` on the selected chain.
    fn after(&self, p: &Point) -> Option<(ChainPoint, Served)> {
        let n = match p {
            Point::Origin => 0,
            Point::Specific { hash, .. } => self.locate(hash)?.block_number + 1,
        };
        self.at_number(n)
    }

    /// A block's bytes, wrapped for block-fetch (`[7, block]`): any block the node holds, on
    /// the selected chain or on a volatile fork (a client may still be fetching a fork the
    /// node has just left).
    pub fn wrapped_block(&self, p: &Point) -> Option<Vec<u8>> {
        let Point::Specific { hash, .. } = p else { return None };
        if let Some(b) = self.volatile.blocks.get(hash) {
            return Some(wrap_block(BLOCK_ERA_CONWAY, &b.to_cbor()));
        }
        self.store.immutable_point(hash).ok()??;
        let bytes = self.store.block_bytes(hash).ok()??;
        Some(wrap_block(BLOCK_ERA_CONWAY, &bytes))
    }
}

impl ChainView for NodeChain<'_> {
    fn tip(&self) -> Tip {
        let tip = self
            .volatile
            .selected
            .last()
            .map(|b| ChainPoint {
                hash: b.hash(),
                slot: b.slot(),
                block_number: b.block_number(),
            })
            .or(self.volatile.anchor);
        match tip {
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
        let (c, block) = self.after(p)?;
        let header = match &block {
            Served::Volatile(b) => b.header_bytes().to_vec(),
            Served::Stored(bytes) => header_bytes_of(bytes)?.to_vec(),
        };
        Some((
            network_point(c),
            WrappedHeader {
                era: ERA_CONWAY,
                header,
            },
        ))
    }

    fn next_block_after(&self, p: &Point) -> Option<(Point, Vec<u8>)> {
        let (c, block) = self.after(p)?;
        let bytes = match block {
            Served::Volatile(b) => b.to_cbor(),
            Served::Stored(bytes) => bytes,
        };
        Some((network_point(c), wrap_block(BLOCK_ERA_CONWAY, &bytes)))
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
            cur = self.volatile.blocks.get(&h).and_then(|b| b.prev_hash());
        }
        // Off every block we keep: back to the immutable tip, which every fork we serve shares.
        self.volatile.anchor.map_or(Point::Origin, network_point)
    }
}

impl BlockSource for NodeChain<'_> {
    /// The blocks from `from` to `to`, `to` descending from `from`: through volatile blocks
    /// (selected or not) by their parents, then along the immutable chain by block number
    /// (the store's index; no block is read). At most [`MAX_RANGE_BLOCKS`].
    fn range(&self, from: &Point, to: &Point) -> Option<Vec<Point>> {
        let (Point::Specific { hash: a, .. }, Point::Specific { hash: b, .. }) = (from, to) else {
            return None;
        };
        let mut newest_first = Vec::new();
        let mut cur = *b;
        while let Some(block) = self.volatile.blocks.get(&cur) {
            newest_first.push(network_point(ChainPoint {
                hash: cur,
                slot: block.slot(),
                block_number: block.block_number(),
            }));
            if newest_first.len() as u64 > MAX_RANGE_BLOCKS {
                return None;
            }
            if cur == *a {
                newest_first.reverse();
                return Some(newest_first);
            }
            cur = block.prev_hash()?;
        }
        // The rest is on the immutable chain.
        let a = self.store.immutable_point(a).ok()??;
        let b = self.store.immutable_point(&cur).ok()??;
        let count = b.block_number.checked_sub(a.block_number)? + 1;
        if count + newest_first.len() as u64 > MAX_RANGE_BLOCKS {
            return None;
        }
        let immutable = self.store.immutable_points(a.block_number, count).ok()?;
        if immutable.len() as u64 != count || immutable.last().map(|p| p.hash) != Some(b.hash) {
            return None;
        }
        let mut out: Vec<Point> = immutable.into_iter().map(network_point).collect();
        newest_first.reverse();
        out.extend(newest_first);
        Some(out)
    }
}

/// A chain-sync point as the chain names it (None: the origin).
pub fn chain_point(p: &Point) -> Option<[u8; 32]> {
    match p {
        Point::Origin => None,
        Point::Specific { hash, .. } => Some(*hash),
    }
}
