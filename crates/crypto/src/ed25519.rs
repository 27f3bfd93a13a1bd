//! Ed25519 (RFC 8032) for operational certificates and BFT leaders, from ed25519-dalek.

pub use ed25519_dalek::{
    Signature, Signer, SigningKey, Verifier, VerifyingKey, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, SIGNATURE_LENGTH,
};
