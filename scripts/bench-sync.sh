#!/usr/bin/env bash
# Sync throughput over loopback: a node syncing BLOCKS (default 10,000) blocks from a peer
# with full validation, and oura 2.2.1 following the same peer in the same run (installed by
# scripts/install-test-tools.sh). Figures go to docs/PERFORMANCE.md.
#   scripts/bench-sync.sh [BLOCKS]
#   SPENDS_PER_BLOCK=10 scripts/bench-sync.sh    # every block carries 10 Plutus V3 spends
set -euo pipefail
cd "$(dirname "$0")/.."
export SLOTFORGE_TOOLS="${SLOTFORGE_TOOLS:-$HOME/.cache/slotforge-tools}"
scripts/install-test-tools.sh "$SLOTFORGE_TOOLS"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cargo build --release --locked -p slotforge-network --example sync_bench 2>&1 | grep -E "^error" || true
BLOCKS="${1:-10000}" target/release/examples/sync_bench
