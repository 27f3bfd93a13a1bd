#!/usr/bin/env bash
# Builds the release binaries: the portable target/release/slotforge and, on x86-64, the
# x86-64-v4 build beside it (target/release/x86-64-v4/slotforge), which the portable binary
# hands over to on CPUs with AVX-512 (see crates/node/src/dispatch.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p slotforge
if [ "$(uname -m)" = x86_64 ]; then
    # RUSTFLAGS replaces .cargo/config.toml's flags, so the dalek backend choice is repeated.
    RUSTFLAGS='-C target-cpu=x86-64-v4 --cfg curve25519_dalek_backend="avx512"' \
        cargo build --release --locked -p slotforge --target-dir target/x86-64-v4-build
    mkdir -p target/release/x86-64-v4
    cp target/x86-64-v4-build/release/slotforge target/release/x86-64-v4/slotforge
fi
