//! The secure side of slotforge. This crate will hold the enclave process; today it has its
//! durable core: the [`sign_guard`] (double-sign protection) and the [`kes_store`] (atomic
//! persistence of evolved KES keys).

pub mod audit;
pub mod kes_store;
pub mod sign_guard;
pub mod signer;
