//! What a devnet is made of, apart from the ledger it runs: its genesis ([`genesis_spec`]:
//! pools, funds and genesis delegations as cardano-node's genesis files) and a builder of the
//! transactions the devnet's wallet and the tests make ([`txbuilder`]), and the Plutus cost models
//! its genesis carries ([`cost_models`]). Kept out of the ledger
//! and the chain, which judge transactions but never make them.

#![warn(missing_docs)]

pub mod cost_models;
pub mod genesis_spec;
pub mod txbuilder;
