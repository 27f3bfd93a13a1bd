//! The node side of slotforge: the leadership module.
//!
//! It receives each epoch's leadership parameters from the blockchain ([`seams::ChainEvent`]),
//! asks the enclave for each leader's schedule (de-duplicated by epoch and parameter digest,
//! streamed, persisted as it arrives), wakes before each leader slot, forges on the right
//! parent, has the enclave sign at the slot, hands the block to the blockchain, and records
//! what became of every slot in the [`slot_log`], which the [`rest`] routes serve.
//!
//! - [`seams`]: the traits a node implements or picks: `EnclaveClient`, `Blockchain`,
//!   `FragmentPool`, `Clock`.
//! - [`params`]: `EpochLeadershipParams` and their digest.
//! - [`status`]: `SlotStatus` and its allowed transitions.
//! - [`slot_log`]: the SQLite slot log.
//! - [`process`]: the leadership process.
//! - [`rest`]: the REST routes (jormungandr's v0 shape and v1), server-sent events.
//! - [`metrics`]: Prometheus metrics.

#[cfg(feature = "in-process")]
mod in_process;
pub mod metrics;
pub mod params;
pub mod process;
pub mod rest;
pub mod seams;
pub mod slot_log;
pub mod status;
