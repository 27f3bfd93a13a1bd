#!/usr/bin/env bash
# The main job: builds slotforge, starts a 3-pool devnet (one slotforge-enclave and one
# slotforge node per pool, real processes on loopback), runs it for two epochs while paying
# from the faucet to fresh addresses over REST, then prints what became of every leader slot
# of every pool and the dashboard's URL, and stops the devnet.
#   scripts/demo.sh [--keep]    --keep leaves the devnet running (stop: slotforge devnet down --dir DIR)
# DEVNET_DIR (default target/demo-devnet) is where it lives; it is made afresh each run.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=""
case "${1:-}" in
    --keep) keep=1 ;;
    "") ;;
    *) echo "usage: scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac
echo "== building slotforge and slotforge-enclave (release)"
cargo build --release --locked -p slotforge -p slotforge-enclave 2>&1 | grep -E "^(error|warning: unused)" || true
bin=$PWD/target/release/slotforge
dir="${DEVNET_DIR:-$PWD/target/demo-devnet}"
if [ -f "$dir/devnet.json" ]; then "$bin" devnet down --dir "$dir" >/dev/null 2>&1 || true; fi
rm -rf "$dir"

echo "== starting a 3-pool devnet in $dir (0.2 s slots, 200-slot epochs, k 5, f 1/4)"
"$bin" devnet up --detach --dir "$dir" --pools 3 --slot-length 0.2 --epoch-length 200 --k 5 --f 1/4
[ -n "$keep" ] || trap '"$bin" devnet down --dir "$dir" >/dev/null' EXIT
rest=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['nodes'][0]['rest'])" "$dir/devnet.json")
echo "== dashboard: $rest/devnet (each node's own at its REST URL, /)"

epoch() { curl -s "$rest/api/v1/node" | python3 -c "import json,sys; print(json.load(sys.stdin)['sync']['current_epoch'])"; }
wallets="$dir/demo-wallets"
mkdir -p "$wallets"
i=0
echo "== running two epochs (80 s); a payment from the faucet every 5 s"
while [ "$(epoch)" -lt 2 ]; do
    i=$((i + 1))
    "$bin" keys payment --signing-key-file "$wallets/$i.skey" --verification-key-file "$wallets/$i.vkey"
    addr=$("$bin" keys address --payment-vkey "$wallets/$i.vkey" --testnet-magic 42)
    tx=$("$bin" devnet faucet --dir "$dir" "$addr" $((i * 1000000)))
    echo "   paid $i ADA to $addr (transaction $tx)"
    "$bin" devnet status --dir "$dir" | tail -n +2 | sed 's/  rest .*//; s/^/   /'
    sleep 5
done

echo "== the payments, as the chain holds them"
for f in $(ls "$wallets"/*.vkey | sort -V); do
    addr=$("$bin" keys address --payment-vkey "$f" --testnet-magic 42)
    curl -s "$rest/api/v1/utxos?address=$addr" | python3 -c "
import json, sys
u = json.load(sys.stdin)['utxos']
print('   %s: %s' % (sys.argv[1][:40] + '…', ', '.join('%d lovelace in %s#%d' % (o['lovelace'], o['tx_id'][:16], o['index']) for o in u) or 'not in a block yet'))" "$addr"
done

echo "== what became of every leader slot"
"$bin" devnet report --dir "$dir"
if [ -n "$keep" ]; then
    echo "== the devnet keeps running: $rest/devnet — stop it with: $bin devnet down --dir $dir"
else
    echo "== stopping the devnet (scripts/demo.sh --keep leaves it running)"
fi
