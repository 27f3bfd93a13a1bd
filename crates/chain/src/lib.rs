//! The blockchain task of a slotforge node: Cardano Babbage/Conway blocks kept as exact bytes,
//! a devnet ledger (UTxO, certificates, stake snapshots), Praos nonces, validation of every
//! block before adoption, Praos chain selection, a crash-safe SQLite block store, and the
//! mempool fragment selection draws from.
//!
//! The rules (`block`, `ledger`, `chain_state`, `selection`, `mempool`) are pure; the
//! `service` runs them with the store on a thread of their own behind an async handle.

pub mod block;
pub mod chain_state;
pub mod config;
pub mod genesis;
pub mod ledger;
pub mod mempool;
pub mod selection;
pub mod service;
pub mod store;
pub mod tx;
pub mod txbuilder;
