//! Cryptography for slotforge, compatible with Cardano byte for byte: the VRF
//! (ECVRF-ED25519-SHA512-Elligator2, draft-03), Sum6 KES, Ed25519, operational certificates,
//! and cardano-cli key files. Secret key types zeroize their memory when dropped.

#![warn(missing_docs)]

pub mod ed25519;
mod field;
pub mod kes;
pub mod key_file;
pub mod opcert;
pub mod vrf;
