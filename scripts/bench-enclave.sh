#!/usr/bin/env bash
# Benchmarks the real slotforge-enclave process on loopback: SignBlock latency (durable) over
# mutual TLS and the Unix socket, and Schedule streaming throughput against the in-process
# evaluation. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p slotforge-enclave --bins --examples
exec target/release/examples/enclave_bench "$@"
