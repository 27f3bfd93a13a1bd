//! The state after a block — ledger, Praos nonces and opcert counters — and the block rules
//! that produce the next one: the envelope (ouroboros-consensus `validateEnvelope` and the
//! Shelley envelope checks), the header (`praos::validation`, or the BFT rule), the body
//! (cardano-ledger `BBODY`: size and hash) and every transaction in order.

use imbl::OrdMap;
use serde::{Deserialize, Serialize};
use slotforge_praos::bft::BftHeaderError;
use slotforge_praos::epoch_leadership::{EpochConsensus, EpochLeadership, TimeFrame};
use slotforge_praos::header::HeaderVrf;
use slotforge_praos::nonce::{Nonce, NonceState};
use slotforge_praos::validation::{self, HeaderError, IssuerState, PoolLookup, ValidationParams};

use crate::block::{Block, BlockHeader};
use crate::config::{ChainConfig, ChainConsensus};
use slotforge_ledger::genesis::GenesisError;
use slotforge_ledger::tx::Transaction;
use slotforge_ledger::{Checks, LedgerError, LedgerState, PoolId};

/// A block on a chain: hash, slot, number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Point {
    /// The block's hash: blake2b-256 of its header's bytes.
    pub hash: [u8; 32],
    /// The absolute slot of the block.
    pub slot: u64,
    /// The block's height: 0 for the first block after genesis.
    pub block_number: u64,
}

/// Why a block is not valid on its parent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// `UnexpectedBlockNo` (envelope): the block number is not the parent's plus one.
    #[error("UnexpectedBlockNo: expected block number {expected}, found {found}")]
    UnexpectedBlockNo {
        /// The parent's block number plus one (0 after genesis).
        expected: u64,
        /// The header's block number.
        found: u64,
    },
    /// `UnexpectedSlotNo` (envelope): the slot is not after the parent's.
    #[error("UnexpectedSlotNo: the slot must be at least {min}, found {found}")]
    UnexpectedSlotNo {
        /// The parent's slot plus one (0 after genesis).
        min: u64,
        /// The header's slot.
        found: u64,
    },
    /// `UnexpectedPrevHash` (envelope): the header does not name the tip as its parent.
    #[error("UnexpectedPrevHash: expected previous hash {expected}, found {found}")]
    UnexpectedPrevHash {
        /// The tip's hash, hex, or "genesis".
        expected: String,
        /// The header's previous hash, hex, or "genesis".
        found: String,
    },
    /// `HeaderSizeTooLarge` (Shelley envelope): the header is larger than `maxBlockHeaderSize`.
    #[error("HeaderSizeTooLarge: the header is {size} bytes, the maximum is {max}")]
    HeaderSizeTooLarge {
        /// The header's size, in bytes.
        size: u64,
        /// The `maxBlockHeaderSize` parameter, in bytes.
        max: u64,
    },
    /// `BlockSizeTooLarge` (Shelley envelope): the declared body size is over `maxBlockBodySize`.
    #[error("BlockSizeTooLarge: the header declares a {size}-byte body, the maximum is {max}")]
    BlockSizeTooLarge {
        /// The body size the header declares, in bytes.
        size: u64,
        /// The `maxBlockBodySize` parameter, in bytes.
        max: u64,
    },
    /// `ObsoleteNode` (Shelley envelope): the chain's protocol version is newer than this node
    /// supports.
    #[error("ObsoleteNode: the ledger's protocol version {ledger} is above this node's maximum {max}")]
    ObsoleteNode {
        /// The major protocol version the chain is at.
        ledger: u64,
        /// The highest major version this node is configured for.
        max: u64,
    },
    /// `HeaderProtVerTooHigh` (Conway BBODY): the header's major version is over the chain's plus
    /// one.
    #[error("HeaderProtVerTooHigh: the header's major protocol version {header} is above {max}")]
    HeaderProtVerTooHigh {
        /// The header's major protocol version.
        header: u64,
        /// The chain's major protocol version plus one.
        max: u64,
    },
    /// A Praos header on a BFT chain, or a BFT header on a Praos chain.
    #[error("the header is a {found} header on a {expected} chain")]
    WrongConsensus {
        /// The chain's consensus: "Praos" or "BFT".
        expected: &'static str,
        /// The header's kind: "Praos" or "BFT".
        found: &'static str,
    },
    /// The Praos header rules refused the header (see [`HeaderError`] for the rule).
    #[error("header: {0}")]
    Header(#[from] HeaderError),
    /// The BFT header rules refused the header.
    #[error("BFT header: {0}")]
    Bft(#[from] BftHeaderError),
    /// `WrongBlockBodySizeBBODY`: the body's size is not the one the header declares.
    #[error("WrongBlockBodySizeBBODY: the header declares {declared} bytes, the body has {actual}")]
    WrongBodySize {
        /// The body size the header declares, in bytes.
        declared: u64,
        /// The body's actual size, in bytes.
        actual: u64,
    },
    /// `InvalidBodyHashBBODY`: the body does not hash to the hash the header declares.
    #[error("InvalidBodyHashBBODY: the header declares body hash {declared}, the body hashes to {actual}")]
    InvalidBodyHash {
        /// The body hash the header declares, hex.
        declared: String,
        /// The body's actual hash, hex.
        actual: String,
    },
    /// A transaction of the block is refused by the ledger (the first one, in block order).
    #[error("transaction {index} ({id}): {error}")]
    Transaction {
        /// The transaction's position in the block, from 0.
        index: usize,
        /// The transaction's id, hex.
        id: String,
        /// The ledger's reason, named after the reference's predicate failure.
        error: LedgerError,
    },
    /// BBODY: the block's transactions together exceed a block's reference-script bytes
    /// (`BodyRefScriptsSizeTooBig`) or execution units (`TooManyExUnits`).
    #[error("{0}")]
    BodyLimits(LedgerError),
}

impl BlockError {
    /// The rule's name, for logs, metrics and leadership's `rejected` reason.
    pub fn rule(&self) -> String {
        match self {
            BlockError::Header(h) => h.kind().to_string(),
            BlockError::Transaction { error, .. } | BlockError::BodyLimits(error) => error.name().to_string(),
            other => other.to_string().split(':').next().unwrap_or("").to_string(),
        }
    }
}

/// The chain's state after a block (or at genesis).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    /// The last block applied, `None` at genesis.
    pub tip: Option<Point>,
    /// The ledger state after the tip's transactions (and any epoch boundary ticked past).
    pub ledger: LedgerState,
    /// The Praos nonces after the tip, in a serializable form.
    pub nonces: NonceStateSerde,
    /// The last opcert sequence number seen per pool (Praos `praosStateOCertCounters`).
    #[serde(with = "slotforge_ledger::state::json::pairs")]
    pub opcert_counters: OrdMap<PoolId, u64>,
    /// Reached by [`advance_header`](Self::advance_header): its ledger has not seen the bodies
    /// since the last whole block, so its epoch crossings are its own, never shared with the
    /// state after the same block (`crossings`).
    #[serde(skip)]
    pub headers_only: bool,
}

/// [`NonceState`] with serde (the praos crate stays free of serialization formats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceStateSerde {
    evolving: Option<[u8; 32]>,
    candidate: Option<[u8; 32]>,
    last_block: Option<[u8; 32]>,
    last_epoch_block: Option<[u8; 32]>,
    epoch: Option<[u8; 32]>,
    /// Absent from states written before it was kept: read as neutral, until the next epoch.
    #[serde(default)]
    previous_epoch: Option<[u8; 32]>,
}

fn opt(n: Nonce) -> Option<[u8; 32]> {
    match n {
        Nonce::Neutral => None,
        Nonce::Hash(h) => Some(h),
    }
}

fn nonce(h: Option<[u8; 32]>) -> Nonce {
    h.map_or(Nonce::Neutral, Nonce::Hash)
}

impl From<&NonceState> for NonceStateSerde {
    fn from(n: &NonceState) -> Self {
        NonceStateSerde {
            evolving: opt(n.evolving),
            candidate: opt(n.candidate),
            last_block: opt(n.last_block),
            last_epoch_block: opt(n.last_epoch_block),
            epoch: opt(n.epoch),
            previous_epoch: opt(n.previous_epoch),
        }
    }
}

impl NonceStateSerde {
    /// The nonces as the praos crate's [`NonceState`] (a neutral nonce is stored as `None`).
    pub fn get(&self) -> NonceState {
        NonceState {
            evolving: nonce(self.evolving),
            candidate: nonce(self.candidate),
            last_block: nonce(self.last_block),
            last_epoch_block: nonce(self.last_epoch_block),
            epoch: nonce(self.epoch),
            previous_epoch: nonce(self.previous_epoch),
        }
    }
}

impl ChainState {
    /// The state before the first block.
    pub fn genesis(cfg: &ChainConfig) -> Result<Self, GenesisError> {
        Ok(ChainState {
            tip: None,
            ledger: LedgerState::genesis(&cfg.genesis)?,
            nonces: (&NonceState::genesis(cfg.genesis.initial_nonce())).into(),
            opcert_counters: OrdMap::new(),
            headers_only: false,
        })
    }

    /// The epoch the state is in (the tip's, or a later one it was ticked to).
    pub fn epoch(&self) -> u64 {
        self.ledger.epoch
    }

    /// The state advanced to `epoch` with no block: every ledger epoch boundary crossed, and
    /// the Praos nonce tick once (as `tickChainDepState` does, however many epochs pass).
    pub fn ticked(&self, epoch: u64) -> ChainState {
        let mut s = self.clone();
        s.tick(epoch);
        s
    }

    fn tick(&mut self, epoch: u64) {
        if epoch <= self.ledger.epoch {
            return;
        }
        if self.headers_only {
            self.cross(epoch);
            return;
        }
        *self = crate::crossings::crossing(self, epoch, || {
            let mut s = self.clone();
            s.cross(epoch);
            s
        });
    }

    fn cross(&mut self, epoch: u64) {
        let mut n = self.nonces.get();
        n.on_new_epoch(Nonce::Neutral);
        self.nonces = (&n).into();
        while self.ledger.epoch < epoch {
            self.ledger.new_epoch();
        }
    }

    /// The leadership parameters of `epoch` as this state determines them: its own epoch, or
    /// a later one (the caller decides when those are fixed: the stake of e+1 all through e,
    /// the nonce once e's stability window has begun).
    ///
    /// The next epoch's are read without crossing the ledger's boundary: its distribution is
    /// this epoch's mark snapshot (the boundary makes it the set one) and its nonce needs only
    /// the nonce tick. The chain asks for them at every slot of the stability window, and a
    /// boundary at mainnet size takes seconds (docs/PERFORMANCE.md).
    pub fn leadership(&self, cfg: &ChainConfig, epoch: u64) -> Option<EpochLeadership> {
        if epoch < self.ledger.epoch {
            return None;
        }
        let (dist, epoch_nonce) = if epoch == self.ledger.epoch {
            (self.ledger.leader_distribution().clone(), self.nonces.get().epoch)
        } else if epoch == self.ledger.epoch + 1 {
            let mut n = self.nonces.get();
            n.on_new_epoch(Nonce::Neutral);
            (self.ledger.next_leader_distribution().clone(), n.epoch)
        } else {
            let s = self.ticked(epoch);
            (s.ledger.leader_distribution().clone(), s.nonces.get().epoch)
        };
        let first_slot = cfg.first_slot(epoch);
        let consensus = match &cfg.consensus {
            ChainConsensus::Praos { variant } => {
                EpochConsensus::Praos {
                    variant: *variant,
                    epoch_nonce,
                    active_slot_coeff: (
                        cfg.genesis.shelley.active_slots_coeff.num,
                        cfg.genesis.shelley.active_slots_coeff.den,
                    ),
                    stake: dist.pools.iter().map(|(id, p)| (*id, p.stake)).collect(),
                    total_stake: dist.total,
                    // Babbage and Conway have no overlay schedule.
                    decentralisation: (0, 1),
                }
            }
            ChainConsensus::Bft { delegates } => EpochConsensus::Bft {
                leaders: delegates.clone(),
            },
        };
        Some(EpochLeadership {
            epoch,
            first_slot,
            epoch_length: cfg.epoch_length(),
            time: TimeFrame {
                epoch_start_unix_ms: cfg.slot_start_ms(first_slot),
                slot_length_ms: cfg.genesis.slot_length_ms(),
            },
            consensus,
        })
    }

    /// Validates `block` on this state and returns the state after it.
    pub fn apply_block(&self, cfg: &ChainConfig, block: &Block) -> Result<ChainState, BlockError> {
        self.apply_block_with(cfg, block, &|_| false)
    }

    /// As [`apply_block`](Self::apply_block), skipping the witness checks of transactions
    /// `checked` says were fully checked before (by this node's mempool, byte for byte).
    pub fn apply_block_with(
        &self,
        cfg: &ChainConfig,
        block: &Block,
        checked: &dyn Fn(&Transaction) -> bool,
    ) -> Result<ChainState, BlockError> {
        let h = block.header();
        let slot = h.slot();
        let epoch = cfg.epoch_of(slot);
        let mut next = self.clone();
        next.tick(epoch);
        next.check_envelope(cfg, h)?;
        next.apply_header(cfg, h)?;
        if let BlockHeader::Praos(header) = h {
            next.ledger.block_made(validation::pool_id(&header.body().issuer_vkey));
        }
        check_body(block)?;
        // The parameters in force at the block's epoch, as enactment left them.
        let params = next.ledger.params.clone();
        next.ledger
            .check_block_limits(&params, block.body().transactions())
            .map_err(BlockError::BodyLimits)?;
        for (index, tx) in block.body().transactions().iter().enumerate() {
            let checks = if checked(tx) { Checks::Reapply } else { Checks::Full };
            next.ledger
                .apply_checked(&params, slot, tx, checks)
                .map_err(|error| BlockError::Transaction {
                    index,
                    id: hex::encode(tx.id()),
                    error,
                })?;
        }
        next.tip = Some(Point {
            hash: block.hash(),
            slot,
            block_number: h.block_number(),
        });
        Ok(next)
    }

    /// Validates a header alone on this state — the envelope and the header rules, with the
    /// epoch nonce and stake this state gives its epoch — and returns a state whose nonces,
    /// opcert counters and tip are the header's, for validating the next header before any
    /// body arrives (headers-first sync). The ledger part does not see the body: the returned
    /// state can judge headers up to [`header_horizon`](Self::header_horizon) only.
    pub fn advance_header(&self, cfg: &ChainConfig, h: &BlockHeader) -> Result<ChainState, BlockError> {
        let mut next = self.clone();
        next.tick(cfg.epoch_of(h.slot()));
        next.check_envelope(cfg, h)?;
        next.apply_header(cfg, h)?;
        next.tip = Some(Point {
            hash: h.hash(),
            slot: h.slot(),
            block_number: h.block_number(),
        });
        next.headers_only = true;
        Ok(next)
    }

    /// The last epoch whose headers a state reached by [`advance_header`](Self::advance_header)
    /// from this one (a state after a whole block) judges correctly: the next epoch's leader
    /// stake is the snapshot already taken, but the one after depends on bodies not applied.
    pub fn header_horizon(&self) -> u64 {
        self.ledger.epoch + 1
    }

    /// Block number, slot, previous hash, sizes and protocol versions against this state.
    pub fn check_envelope(&self, cfg: &ChainConfig, h: &BlockHeader) -> Result<(), BlockError> {
        let expected = self.tip.map_or(0, |t| t.block_number + 1);
        if h.block_number() != expected {
            return Err(BlockError::UnexpectedBlockNo {
                expected,
                found: h.block_number(),
            });
        }
        let min = self.tip.map_or(0, |t| t.slot + 1);
        if h.slot() < min {
            return Err(BlockError::UnexpectedSlotNo { min, found: h.slot() });
        }
        let parent = self.tip.map(|t| t.hash);
        if h.prev_hash() != parent {
            let show = |x: Option<[u8; 32]>| x.map_or("genesis".to_string(), hex::encode);
            return Err(BlockError::UnexpectedPrevHash {
                expected: show(parent),
                found: show(h.prev_hash()),
            });
        }
        let params = &self.ledger.params;
        let (ledger_major, _) = params.protocol_version;
        if ledger_major > cfg.max_major_protocol_version {
            return Err(BlockError::ObsoleteNode {
                ledger: ledger_major,
                max: cfg.max_major_protocol_version,
            });
        }
        let size = h.size() as u64;
        if size > params.max_block_header_size {
            return Err(BlockError::HeaderSizeTooLarge {
                size,
                max: params.max_block_header_size,
            });
        }
        if h.body_size() > params.max_block_body_size {
            return Err(BlockError::BlockSizeTooLarge {
                size: h.body_size(),
                max: params.max_block_body_size,
            });
        }
        // Conway BBODY's HeaderProtVerTooHigh, which cardano-ledger applies on mainnet, and on
        // testnets from protocol version 12 on.
        let header_major = h.protocol_version().0;
        let strict = cfg.genesis.network_id() == 1 || ledger_major >= 12;
        if strict && header_major > ledger_major + 1 {
            return Err(BlockError::HeaderProtVerTooHigh {
                header: header_major,
                max: ledger_major + 1,
            });
        }
        Ok(())
    }

    /// The header rules against this (ticked) state, then the nonce and counter updates.
    fn apply_header(&mut self, cfg: &ChainConfig, h: &BlockHeader) -> Result<(), BlockError> {
        match (&cfg.consensus, h) {
            (ChainConsensus::Praos { variant }, BlockHeader::Praos(header)) => {
                let dist = self.ledger.leader_distribution();
                let pool = validation::pool_id(&header.body().issuer_vkey);
                let lookup = match dist.pools.get(&pool) {
                    Some(p) => PoolLookup::Registered {
                        vrf_key_hash: p.vrf_key_hash,
                        stake: p.stake,
                        total_stake: dist.total,
                    },
                    None => PoolLookup::NotInDistribution,
                };
                let mut nonces = self.nonces.get();
                let g = &cfg.genesis.shelley;
                let params = ValidationParams {
                    variant: *variant,
                    epoch_nonce: nonces.epoch,
                    active_slot_coeff: cfg.active_slot_coeff.clone(),
                    slots_per_kes_period: g.slots_per_kes_period,
                    max_kes_evolutions: g.max_kes_evolutions,
                    decentralisation: (0, 1),
                    epoch_first_slot: cfg.first_slot(self.ledger.epoch),
                    gen_delegs: Default::default(),
                };
                let issuer = IssuerState {
                    last_sequence_number: self.opcert_counters.get(&pool).copied(),
                    pool: lookup,
                };
                let v = validation::validate(header, &params, &issuer)?;
                let slot = header.body().slot;
                let next_epoch_first = cfg.first_slot(cfg.epoch_of(slot) + 1);
                nonces.on_block(
                    slot,
                    next_epoch_first,
                    cfg.stability_window,
                    v.nonce_value,
                    header.body().prev_hash,
                );
                self.nonces = (&nonces).into();
                self.opcert_counters.insert(pool, header.body().opcert.sequence_number);
                Ok(())
            }
            (ChainConsensus::Bft { delegates }, BlockHeader::Bft(header)) => {
                let epoch = self.ledger.epoch;
                let first = cfg.first_slot(epoch);
                header.validate(first..first + cfg.epoch_length(), delegates)?;
                Ok(())
            }
            (ChainConsensus::Praos { .. }, BlockHeader::Bft(_)) => Err(BlockError::WrongConsensus {
                expected: "Praos",
                found: "BFT",
            }),
            (ChainConsensus::Bft { .. }, BlockHeader::Praos(_)) => Err(BlockError::WrongConsensus {
                expected: "BFT",
                found: "Praos",
            }),
        }
    }
}

/// The body is the one the header declares (cardano-ledger `BBODY`: size, then hash).
pub fn check_body(block: &Block) -> Result<(), BlockError> {
    let (h, body) = (block.header(), block.body());
    if body.size() != h.body_size() {
        return Err(BlockError::WrongBodySize {
            declared: h.body_size(),
            actual: body.size(),
        });
    }
    let actual = body.hash();
    if actual != h.body_hash() {
        return Err(BlockError::InvalidBodyHash {
            declared: hex::encode(h.body_hash()),
            actual: hex::encode(actual),
        });
    }
    Ok(())
}

/// The header's tiebreak VRF output (Praos: the single VRF result's raw output).
pub fn tiebreak_vrf(h: &BlockHeader) -> Option<Vec<u8>> {
    match h {
        BlockHeader::Praos(p) => Some(match &p.body().vrf {
            HeaderVrf::Praos(c) => c.output.clone(),
            HeaderVrf::TPraos { leader, .. } => leader.output.clone(),
        }),
        BlockHeader::Bft(_) => None,
    }
}

/// The chain state as a checkpoint's bytes (JSON), and back.
pub fn encode_checkpoint(state: &ChainState) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(state)
}

/// Reads a checkpoint written by [`encode_checkpoint`] back, rebuilding the UTxO's address index.
pub fn decode_checkpoint(bytes: &[u8]) -> Result<ChainState, serde_json::Error> {
    let mut state: ChainState = serde_json::from_slice(bytes)?;
    state.ledger.reindex();
    Ok(state)
}
