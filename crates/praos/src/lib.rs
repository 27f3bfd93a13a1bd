//! Ouroboros consensus rules as pure functions: slot/epoch/UTC time, nonces, leader election
//! for Praos (Babbage), CPraos (Conway), TPraos (Shelley–Alonzo) and BFT, an epoch's leadership
//! parameters, and Cardano block headers (decode, encode, forge, validate). Nothing here does I/O.

#![warn(missing_docs)]

pub mod bft;
pub mod epoch_leadership;
pub mod fixed;
pub mod forge;
pub mod header;
pub mod leader;
pub mod nonce;
pub mod ratio;
pub mod schedule;
pub mod time;
pub mod validation;
