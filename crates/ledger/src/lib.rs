//! The Conway ledger of a slotforge node, pure: no I/O, no async, no storage. The chain crate
//! calls it to judge transactions and blocks; it is laid out after cardano-ledger so that a
//! reader can hold the reference beside it.
//!
//! - [`tx`]: a transaction kept as its exact bytes, decoded with the reference's Conway
//!   decoding rules.
//! - [`genesis`]: the Shelley and Alonzo genesis files (parsed from bytes; reading them is the
//!   caller's I/O).
//! - [`params`]: the protocol parameters the rules read.
//! - [`state`]: the ledger state (UTxO, accounts, pools, pots).
//! - [`rules`]: one module per cardano-ledger rule: LEDGER composing UTXO, UTXOW, CERTS (CERT:
//!   DELEG, POOL, GOVCERT) and GOV; at the epoch boundary NEWEPOCH and EPOCH composing the
//!   reward update, SNAP, POOLREAP, RATIFY, ENACT and HARDFORK.
//! - [`plutus`]: phase two, Plutus scripts run through aiken's `uplc`.
//! - [`script`]: native and Plutus scripts, their hashes, native scripts' evaluation.
//! - [`snapshots`]: the stake snapshots (each credential's stake and pool, and the pool
//!   distribution leader election reads).
//! - [`rewards`]: the reward update, in exact rationals.
//! - [`value`]: signed multi-asset values for balancing.
//! - [`address`]: what the rules read of addresses.
//! - [`error`]: why a transaction is refused, by the reference's predicate-failure names.

#![warn(missing_docs)]

pub mod address;
#[doc(hidden)]
pub mod boundary_fixture;
pub mod cbor_lengths;
pub mod error;
pub mod genesis;
pub mod params;
pub mod plutus;
pub mod rewards;
pub mod rules;
pub mod script;
pub mod snapshots;
pub mod state;
pub mod tx;
pub mod value;

pub use error::LedgerError;
pub use params::LedgerParams;
pub use rules::Checks;
pub use snapshots::{PoolStake, StakeSnapshot};
pub use state::{Account, Assets, Credential, LedgerState, PoolId, PoolParams, PoolState, TxIn, TxOut};
