//! The secure side of slotforge: the only process that holds leaders' secrets.
//!
//! - [`sign_guard`]: durable double-sign protection (SQLite or a shared PostgreSQL).
//! - [`clock`]: the enclave's own idea of the current slot.
//! - [`kes_store`]: atomic persistence of evolved KES keys.
//! - [`signer`]: schedules and guarded block signing for Praos pools and BFT leaders.
//! - [`leader_store`]: the imported leaders' key files.
//! - [`audit`]: the append-only audit log.
//! - [`history_check`]: the signature checks of a history export before it is imported.
//! - [`service`]: the gRPC server of the API in `slotforge-enclave-api` ([`wire`], [`client`],
//!   re-exported here).
//! - [`authorization`]: which client may use which leader.
//! - [`config`], [`tls`], [`metrics`]: what the `slotforge-enclave` binary is built from.

#![warn(missing_docs)]

pub mod audit;
pub mod authorization;
pub mod clock;
pub mod config;
pub mod history_check;
pub mod kes_store;
pub mod leader_store;
pub mod metrics;
pub mod service;
pub mod sign_guard;
pub mod signer;
pub mod tls;

pub use slotforge_enclave_api::{client, wire};
