//! The blockchain task of a slotforge node: Cardano Babbage/Conway blocks kept as exact bytes,
//! validation of every block before adoption (its transactions judged by `slotforge-ledger`),
//! Praos nonces, Praos chain selection, a crash-safe SQLite block store, and the mempool
//! fragment selection draws from.
//!
//! The rules (`block`, `chain_state`, `selection`, `mempool`) are pure (`crossings` remembers
//! the epoch boundaries they crossed, which take seconds at mainnet size); the `service` runs them
//! with the store on a thread of their own behind an async handle; `genesis_files` reads and
//! writes the genesis files the ledger parses.

#![warn(missing_docs)]

pub mod block;
pub mod chain_state;
pub mod config;
pub mod crossings;
pub mod genesis_files;
pub mod mempool;
pub mod selection;
pub mod service;
pub mod store;
