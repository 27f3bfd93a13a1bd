#!/usr/bin/env bash
# Slot-to-block latency of the leadership module (slot start → block handed to the blockchain)
# with 10,000 fragments in the pool: first with the enclave's signer in process, then with a
# real slotforge-enclave process over its Unix socket. Figures go to docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p slotforge-enclave --bins
cargo build --release --locked -p slotforge-leadership --features in-process --examples
target/release/examples/forge_latency
vectors="${SLOTFORGE_VECTORS:-../shared/vectors}"
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
bin=target/release/slotforge-enclave
printf 'data_dir = "data"\nnetwork = "mainnet"\nunix_socket = "enclave.sock"\n' > "$dir/enclave.toml"
for f in vrf.skey kes.skey node.cert; do install -m 600 "$vectors/forging/$f" "$dir/$f"; done
"$bin" keys import -c "$dir/enclave.toml" --name pool --vrf-skey "$dir/vrf.skey" --kes-skey "$dir/kes.skey" \
    --opcert "$dir/node.cert" > /dev/null 2>&1
SLOTFORGE_LOG=warn "$bin" serve -c "$dir/enclave.toml" --new-history 2> "$dir/serve.log" &
pid=$!
for _ in $(seq 100); do [ -S "$dir/enclave.sock" ] && break; sleep 0.1; done
ENCLAVE=grpc ENCLAVE_SOCKET="$dir/enclave.sock" FIRST_SLOT=907200 target/release/examples/forge_latency
