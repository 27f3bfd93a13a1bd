#!/usr/bin/env bash
# The components one by one (the main job before the devnet existed): builds slotforge and prints a real leader schedule for the bundled example
# pool key, first for mainnet epoch 211 (Shelley, TPraos with d = 9/10, the epoch nonce and
# stake figures of a real pool), then as JSON for a full 432,000-slot Babbage epoch, timed;
# then starts the enclave and has it sign blocks and stream a schedule; then the leadership
# module forges on its own and on the real chain (slot-to-block and slot-to-adoption latency).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-release.sh
bin=target/release/slotforge
key=examples/pool/vrf.skey
chmod 600 "$key" 2>/dev/null || true
nonce=3fac34ac3d7d1ac6c976ba68b1509b1ee3aafdbf6de96e10789e488e13e16bd7
stake=(--pool-stake 75284250207839 --active-stake 10177811974823000)

echo "== slotforge leaderlog: mainnet epoch 211 (tpraos, d = 9/10), table"
"$bin" leaderlog --vrf-skey "$key" --network mainnet --epoch 211 --epoch-nonce "$nonce" "${stake[@]}" --d 9/10 --format table

echo
echo "== slotforge leaderlog: a full mainnet Babbage epoch (432,000 slots), JSON, first lines"
# Runs the epoch and prints how long it took; $1 names the run.
timed_epoch() {
    local start end ms
    start=$(date +%s%N)
    "$bin" leaderlog --vrf-skey "$key" --network mainnet --epoch 400 --epoch-nonce "$nonce" "${stake[@]}" > "target/leaderlog-epoch400-$1.json"
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    printf '== %s: the epoch took %d.%03d s on %s cores\n' "$1" $((ms / 1000)) $((ms % 1000)) "$(nproc)"
}
timed_epoch as-shipped
head -n 20 target/leaderlog-epoch400-as-shipped.json
echo "  … (full output in target/leaderlog-epoch400-as-shipped.json)"
echo "== $(grep -c '"slotInEpoch"' target/leaderlog-epoch400-as-shipped.json) slots assigned"
if [ -x target/release/x86-64-v4/slotforge ]; then
    # The same epoch with the portable code only (no hand-over to the x86-64-v4 build).
    SLOTFORGE_NO_DISPATCH=1 timed_epoch portable-only
    cmp -s target/leaderlog-epoch400-as-shipped.json target/leaderlog-epoch400-portable-only.json &&
        echo "== both builds printed the same schedule"
fi

echo
echo "== slotforge-enclave: a real enclave process (mutual TLS and a Unix socket) signs 300 blocks"
echo "== durably, then streams a 43,200-slot schedule (docs/PERFORMANCE.md has the full-size run)"
SIGNS=300 EPOCH_SLOTS=43200 scripts/bench-enclave.sh 2>&1 | grep -E "^(machine|SignBlock|Schedule)"

echo
echo "== slotforge-leadership: the leadership module forges 60 consecutive leader slots (150 ms each)"
echo "== on the real clock, 10,000 fragments in the pool, the enclave's signer durable on disk"
cargo build --release --locked -p slotforge-leadership --features in-process --examples 2>&1 | grep -E "^error" || true
SLOTS=60 target/release/examples/forge_latency

echo
echo "== slotforge-chain: the leadership module forges on the real chain — block bodies from a"
echo "== mempool kept at 10,000 pending payments, headers signed by the durable enclave signer,"
echo "== every block fully validated, selected and stored — 40 slots of 150 ms"
cargo build --release --locked -p slotforge --examples 2>&1 | grep -E "^error" || true
SLOTS=40 target/release/examples/slot_to_adoption 2>/dev/null
