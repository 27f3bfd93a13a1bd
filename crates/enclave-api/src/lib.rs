//! The enclave's client API, all a node needs to talk to `slotforge-enclave`: the gRPC
//! `.proto` (`proto/`), the public types it carries ([`types`]), their wire conversions
//! ([`wire`]), why the enclave refuses ([`refusal`]), a typed client ([`client`]) and the
//! client's TLS files ([`tls`]).
//!
//! Nothing here holds or touches a secret: no signer, no sign guard, no key store, no SQLite.
//! A node links this crate, never `slotforge-enclave`.

#![warn(missing_docs)]

pub mod client;
pub mod refusal;
pub mod tls;
pub mod types;
pub mod wire;
