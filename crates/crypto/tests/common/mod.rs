#![allow(dead_code)] // each test binary uses a different subset
//! Where the shared known-answer vectors live: $SLOTFORGE_VECTORS, else ../shared/vectors
//! next to the project root.

use std::path::PathBuf;

pub fn vectors_dir() -> PathBuf {
    std::env::var_os("SLOTFORGE_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"))
}

pub fn read_vector(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
