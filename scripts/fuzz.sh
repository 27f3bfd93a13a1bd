#!/usr/bin/env bash
# Runs every fuzz target for RUNS executions each (default 1,000,000); a crash stops the run
# and leaves its input in fuzz/artifacts/. Needs cargo-fuzz (installed here if missing). On a
# stable toolchain, RUSTC_BOOTSTRAP=1 lets cargo-fuzz use the sanitizer flags it needs.
#   scripts/fuzz.sh [RUNS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
runs="${1:-1000000}"
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(text_envelope vrf_decode opcert_cbor kes_decode params_text header_decode bft_header_decode enclave_request block_decode tx_decode script_context genesis_json handshake_decode chainsync_decode blockfetch_decode txsubmission_decode keepalive_decode mux_stream topology_json local_handshake_decode local_state_query_decode local_tx_submission_decode local_tx_monitor_decode)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    start=$(date +%s)
    log=$(mktemp)
    status=0
    RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- -runs="$runs" -max_len=4096 >"$log" 2>&1 || status=$?
    grep -E "^Done|DONE|ERROR|panicked|^error" "$log" || true
    rm -f "$log"
    echo "$t: exit $status after $(( $(date +%s) - start )) s"
    [ "$status" -eq 0 ] || exit "$status"
done
