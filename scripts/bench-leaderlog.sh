#!/usr/bin/env bash
# A full mainnet epoch's leader schedule (432,000 slots, one pool), three ways in one run:
#   1. `slotforge leaderlog` as `cargo build --release` builds it (the portable binary; the
#      x86-64-v4 hand-over is switched off), on all cores;
#   2. the prove-per-slot baseline, scripts/bench/prove_per_slot.c: a full VRF proof and its
#      hash for every slot with the libsodium fork cardano-node links (IntersectMBO/libsodium
#      at the commit iohk-nix pins), on one thread, as the libsodium-based leaderlog scripts
#      run it;
#   3. the same baseline on all cores (OpenMP), as cncli 6 spreads its per-slot proofs.
# Rounds alternate; every run must find the same slots. Figures go to docs/PERFORMANCE.md.
# LIBSODIUM_SRC=DIR takes the fork from a local clone instead of GitHub; ROUNDS=N (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
commit=dbb48cce5429cb6585c9034f002568964f1ce567
work="$PWD/target/bench-leaderlog"
mkdir -p "$work"
if [ ! -f "$work/libsodium/lib/libsodium.a" ]; then
    src="$work/libsodium-src"
    rm -rf "$src" "$src.git" && mkdir -p "$src"
    repo="${LIBSODIUM_SRC:-}"
    if [ -z "$repo" ]; then
        git clone -q https://github.com/IntersectMBO/libsodium "$src.git"
        repo="$src.git"
    fi
    git -C "$repo" archive "$commit" | tar -x -C "$src"
    (cd "$src" && ./configure --prefix="$work/libsodium" --disable-shared --enable-static > /dev/null \
        && make -j"$(nproc)" > /dev/null && make install > /dev/null)
fi
gcc -O2 -fopenmp -I"$work/libsodium/include" -o "$work/prove_per_slot" scripts/bench/prove_per_slot.c \
    "$work/libsodium/lib/libsodium.a" -lm
cargo build --release --locked -p slotforge

# Mainnet epoch 400 (first slot 87,436,800), f = 1/20, a pool with 0.74 % of the stake.
nonce=3fac34ac3d7d1ac6c976ba68b1509b1ee3aafdbf6de96e10789e488e13e16bd7
pool=75284250207839
active=10177811974823000
install -m 600 examples/pool/vrf.skey "$work/vrf.skey"
skey=$(sed -n 's/.*"cborHex": *"5840\([0-9a-f]\{128\}\)".*/\1/p' "$work/vrf.skey")
threads=$(nproc)

ms() { date +%s%3N; }
slotforge() {
    SLOTFORGE_NO_DISPATCH=1 target/release/slotforge leaderlog --vrf-skey "$work/vrf.skey" \
        --network mainnet --epoch 400 --epoch-nonce "$nonce" --pool-stake "$pool" --active-stake "$active" |
        python3 -c 'import json,sys; print("\n".join(str(s["slot"]) for s in json.load(sys.stdin)["assignedSlots"]))'
}
libsodium() {
    "$work/prove_per_slot" "$1" "$skey" "$nonce" 87436800 432000 "$pool" "$active" 1 20
}
rm -f "$work"/slots.*
declare -A total=()
for round in $(seq "${ROUNDS:-3}"); do
    for run in slotforge "libsodium 1" "libsodium $threads"; do
        t0=$(ms)
        $run > "$work/slots.$round"
        t=$(( $(ms) - t0 ))
        total[$run]=$(( ${total[$run]:-0} + t ))
        if [ -f "$work/slots.expected" ]; then
            cmp -s "$work/slots.expected" "$work/slots.$round" || { echo "$run found other slots" >&2; exit 1; }
        else
            cp "$work/slots.$round" "$work/slots.expected"
        fi
        printf 'round %s  %-14s %7.2f s  (%s slots)\n' "$round" "$run" "$(awk "BEGIN { print $t / 1000 }")" \
            "$(wc -l < "$work/slots.$round")"
    done
done
rm -f "$work"/slots.*
ours=${total[slotforge]}
echo "mean over ${ROUNDS:-3} rounds, $threads threads:"
for run in slotforge "libsodium 1" "libsodium $threads"; do
    printf '  %-14s %7.2f s   slotforge is %5.2fx faster\n' "$run" "$(awk "BEGIN { print ${total[$run]} / ${ROUNDS:-3} / 1000 }")" \
        "$(awk "BEGIN { print ${total[$run]} / $ours }")"
done
