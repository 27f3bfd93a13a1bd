//! Cryptography for slotforge, compatible with Cardano byte for byte: the VRF
//! (ECVRF-ED25519-SHA512-Elligator2, draft-03), Sum6 KES, Ed25519, and cardano-cli key files.

mod field;
pub mod vrf;
