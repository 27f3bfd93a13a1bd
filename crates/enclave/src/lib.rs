//! The secure side of slotforge, without transport so far: the [`sign_guard`] (durable
//! double-sign protection), the [`kes_store`] (atomic persistence of evolved KES keys), the
//! [`signer`] (schedules and guarded block signing) and the [`audit`] log. The gRPC service
//! and the `slotforge-enclave` binary will be built on these.

pub mod audit;
pub mod kes_store;
pub mod sign_guard;
pub mod signer;
