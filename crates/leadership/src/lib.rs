//! The node side of slotforge: the leadership module.
//!
//! It receives each epoch's leadership parameters from the blockchain ([`seams::ChainEvent`]),
//! asks the enclave for each leader's schedule (de-duplicated by epoch and parameter digest,
//! streamed, persisted as it arrives), wakes before each leader slot, forges on the right
//! parent, has the enclave sign at the slot, hands the block to the blockchain, and records
//! what became of every slot in the [`slot_log`], which the [`rest`] routes serve.
//!
//! The seams a node plugs in:
//! - [`seams`]: the traits a node implements or picks (`Enclave`, `Blockchain`,
//!   `FragmentPool`) and the data that crosses them (`ChainTip`, `SelectedBody`,
//!   `ForgedBlock`, `ChainEvent`, …).
//! - [`clock`]: the `Clock` seam, `SystemClock` (a node's) and `TokioClock` (simulations').
//! - [`grpc_enclave`]: `GrpcEnclave`, the enclave over gRPC with failover; with the
//!   `in-process` feature, `in_process_enclave`: the signer in the node's process (tests).
//!
//! The process, in the order a leader slot lives through it:
//! - [`config`]: `LeadershipConfig`, how the process forges.
//! - [`process`]: `start` and the event loop that routes each input to the rooms below.
//! - `recovery`: at start, what a crash left behind (slots passed or caught mid-forge).
//! - `schedules`: the enclave's leaders, schedule triggers (idempotent by epoch and parameter
//!   digest), superseding, streaming each schedule from the enclave into the slot log.
//! - [`forging`]: wake before the slot, choose the parent, select the body, build the header
//!   body, sign at the slot, submit.
//! - `outcomes`: what the chain reports of a forged block (adopted, orphaned, rejected,
//!   immutable).
//! - `recording`: how the process writes the slot log (off the async runtime, every change
//!   published).
//!
//! What it keeps and serves:
//! - [`params`]: what leadership derives from an epoch's `EpochLeadership`: its digest, computed
//!   once, and each leader's share.
//! - [`status`]: `SlotStatus` and its allowed transitions.
//! - [`slot_log`]: the SQLite slot log.
//! - [`rest`]: the REST routes (jormungandr's v0 shape and v1), server-sent events.
//! - [`metrics`]: Prometheus metrics.

#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod forging;
pub mod grpc_enclave;
#[cfg(feature = "in-process")]
pub mod in_process_enclave;
pub mod metrics;
mod outcomes;
pub mod params;
pub mod process;
mod recording;
mod recovery;
pub mod rest;
mod schedules;
pub mod seams;
pub mod slot_log;
pub mod status;
