//! The seams through which a node embeds the leadership module: the traits it implements or
//! picks, and the data that crosses them.
//!
//! - [`Enclave`]: the enclave, as leadership needs it (leaders, identities, schedules,
//!   signatures). Shipped: [`GrpcEnclave`](crate::grpc_enclave::GrpcEnclave) and, with the
//!   `in-process` feature, `InProcessEnclave` (`in_process_enclave`).
//! - [`Blockchain`]: the node's chain (its tip, and where forged blocks go); it reports back
//!   through [`ChainEvent`]s.
//! - [`FragmentPool`]: the chain's mempool, which builds each block's body.
//! - The clock is a seam too: [`Clock`](crate::clock::Clock), in [`clock`](crate::clock) with
//!   its implementations.

use slotforge_enclave_api::refusal::RefusalReason;
use std::future::Future;
use std::ops::Range;

use slotforge_enclave_api::types::{Identity, ScheduledSlot, SignedHeader};
use slotforge_enclave_api::wire::ScheduleParams;
use tokio::sync::mpsc;

use slotforge_praos::epoch_leadership::EpochLeadership;

/// Why an enclave call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnclaveError {
    /// The enclave could not be reached (retrying later may help).
    #[error("enclave unreachable: {0}")]
    Unavailable(String),
    /// The enclave refused, with its stable reason (`double_sign`, `kes_expired`, …).
    #[error("the enclave refused ({reason}): {message}")]
    Refused {
        /// The enclave's stable reason (`unknown_epoch`, `kes_expired`, …).
        reason: RefusalReason,
        /// The enclave's explanation, for people.
        message: String,
    },
    /// Any other failure (a malformed answer, a task that died): not worth retrying as is.
    #[error("enclave error: {0}")]
    Other(String),
}

/// The enclave, as leadership needs it: the leaders it holds, their public identities, their
/// schedules and their signatures. Leadership never sees a key.
pub trait Enclave: Clone + Send + Sync + 'static {
    /// The leaders the enclave holds.
    fn leaders(&self) -> impl Future<Output = Result<Vec<String>, EnclaveError>> + Send;
    /// `leader`'s public identity (Praos VRF key and operational certificate, or BFT key):
    /// what a header body names.
    fn identity(&self, leader: &str) -> impl Future<Output = Result<Identity, EnclaveError>> + Send;
    /// Streams `leader`'s won slots of `slots` into `sink`, in slot order, as they are found.
    fn schedule(
        &self,
        leader: &str,
        params: &ScheduleParams,
        slots: Range<u64>,
        sink: mpsc::Sender<ScheduledSlot>,
    ) -> impl Future<Output = Result<(), EnclaveError>> + Send;
    /// Signs an encoded header body.
    fn sign(&self, leader: &str, body: Vec<u8>) -> impl Future<Output = Result<SignedHeader, EnclaveError>> + Send;
}

/// A block on the node's chain, as far as leadership needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// The block's hash (blake2b-256 of its header).
    pub hash: [u8; 32],
    /// The slot it was forged in.
    pub slot: u64,
    /// Its height: 0 for the first block.
    pub block_number: u64,
}

/// The node's current tip and the block before it (for a fair slot battle).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTip {
    /// The tip itself.
    pub block: BlockRef,
    /// None when the tip is the first block.
    pub parent: Option<BlockRef>,
}

/// A block body the chain built from its fragment pool: its parts' bytes as they follow the
/// header in a block, with the hash and size the header declares. Leadership treats it as
/// opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedBody {
    /// The body's parts, encoded as they follow the header in a block.
    pub bytes: Vec<u8>,
    /// The body hash the header declares.
    pub hash: [u8; 32],
    /// The body size the header declares, in bytes.
    pub size: u64,
    /// The ids of the transactions it holds, in order.
    pub tx_ids: Vec<[u8; 32]>,
}

/// A block leadership made, handed to the blockchain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgedBlock {
    /// The leader (as the enclave names it) that forged it.
    pub leader: String,
    /// The slot it was forged for.
    pub slot: u64,
    /// Its height: the parent's plus one, 0 for the first block.
    pub block_number: u64,
    /// The hash of the block it builds on; None for the first block.
    pub parent: Option<[u8; 32]>,
    /// The signed header's CBOR.
    pub header: Vec<u8>,
    /// blake2b-256 of the header: the block hash.
    pub hash: [u8; 32],
    /// The body the fragment pool selected for it.
    pub body: SelectedBody,
}

/// What the blockchain later says about a forged block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockOutcome {
    /// On the node's chain.
    Adopted {
        /// The chain's length with this block on it.
        chain_length: u64,
    },
    /// Lost a slot battle, or a fork switch dropped it.
    Orphaned,
    /// The chain refused it.
    Rejected {
        /// Why, as the chain puts it.
        reason: String,
    },
    /// k blocks deep.
    Immutable,
}

/// What the blockchain tells leadership.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEvent {
    /// An epoch's leadership parameters are known (again, or changed by a fork).
    Leadership(EpochLeadership),
    /// The node's chain has a new tip (accepted, not needed: leadership reads the tip when it
    /// wakes for a slot).
    TipChanged(ChainTip),
    /// What became of a block leadership forged.
    BlockOutcome {
        /// The block's hash.
        hash: [u8; 32],
        /// What the chain says about it.
        outcome: BlockOutcome,
    },
}

/// The blockchain, as leadership calls it.
pub trait Blockchain: Clone + Send + Sync + 'static {
    /// The current tip; None before the first block.
    fn tip(&self) -> impl Future<Output = Option<ChainTip>> + Send;
    /// Takes a forged block; an error is a rejection (recorded with its reason).
    fn submit(&self, block: ForgedBlock) -> impl Future<Output = Result<(), String>> + Send;
}

/// The fragment pool: the chain's mempool, which builds block bodies.
pub trait FragmentPool: Clone + Send + Sync + 'static {
    /// A body for a block at `slot` on `parent` (None: the first block) of at most
    /// `max_bytes`, every transaction valid there in order, selected before `deadline_ms`
    /// (Unix ms).
    fn select(
        &self,
        parent: Option<BlockRef>,
        slot: u64,
        max_bytes: u64,
        deadline_ms: i64,
    ) -> impl Future<Output = SelectedBody> + Send;
}
