#!/usr/bin/env bash
# The chain's benchmarks: criterion (full validation, mempool selection, chain selection) and
# the leadership module forging on the real chain (slot to adoption), with and without a full
# mempool, at 150 ms and 1 s slots. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
cargo bench --locked -p slotforge-chain --bench chain 2>&1 | grep -E "^(apply_block|mempool|chain_selection)/|time:|thrpt:|full block"
cargo build --release --locked -p slotforge --examples 2>&1 | grep -E "^error" || true
for run in "150 100 0" "1000 30 0" "1000 30 10000" "150 100 10000"; do
    set -- $run
    echo -n "slots of $1 ms, $2 slots, $3 pending: "
    SLOT_MS=$1 SLOTS=$2 PENDING=$3 target/release/examples/slot_to_adoption 2>/dev/null
done
