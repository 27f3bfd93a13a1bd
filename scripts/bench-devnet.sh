#!/usr/bin/env bash
# Measures running devnets (release build): for each pool count in POOLS (default "3 10 30"),
# starts a devnet (0.2 s slots, 200-slot epochs, k 5, f 1/4), lets it run for SECONDS (default
# 90) after the system start, then reports
#   - slot-to-block inside the running nodes: slot start → block signed by the out-of-process
#     enclave (Unix socket) and handed to the chain, from every forged entry of every node's
#     slot log (forged_at_ms − slot start), p50 / p99 / max;
#   - the CPU time and peak resident memory of all the devnet's processes (nodes and enclaves,
#     from /proc), in total and per pool.
#   POOLS="3 10" SECONDS_RUN=60 scripts/bench-devnet.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p slotforge -p slotforge-enclave 2>&1 | grep -E "^error" || true
bin=$PWD/target/release/slotforge
pools_list="${POOLS:-3 10 30}"
run_s="${SECONDS_RUN:-90}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for pools in $pools_list; do
    dir=$(mktemp -d)
    "$bin" devnet up --detach --dir "$dir" --pools "$pools" --slot-length 0.2 --epoch-length 200 --k 5 --f 1/4 >/dev/null
    python3 - "$dir" "$run_s" "$pools" <<'PY'
import json, os, sys, time, urllib.request, statistics
d, run_s, pools = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
desc = json.load(open(os.path.join(d, "devnet.json")))
start = time.mktime(time.strptime(desc["system_start"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
pids = [n[k]["pid"] for n in desc["nodes"] for k in ("node", "enclave")]
tick = os.sysconf("SC_CLK_TCK")
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def rss_peak(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
while time.time() < start:
    time.sleep(0.1)
cpu0 = {p: cpu(p) for p in pids}
time.sleep(run_s)
cpu_used = sum(cpu(p) - cpu0[p] for p in pids)
peak = sum(rss_peak(p) for p in pids)
lat = []
for n in desc["nodes"]:
    cursor = None
    while True:
        url = n["rest"] + "/api/v1/leadership/schedule?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = json.load(urllib.request.urlopen(url))
        for e in page["entries"]:
            if e.get("forged_at_ms"):
                lat.append(e["forged_at_ms"] - e["scheduled_at_ms"])
        cursor = page["next_cursor"]
        if not cursor:
            break
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"pools {pools:>3}: {len(lat)} blocks forged in {run_s} s; slot-to-block p50 {q(0.5)} ms, p99 {q(0.99)} ms, max {lat[-1]} ms; "
      f"CPU {cpu_used / run_s * 100:.0f} % of one core ({cpu_used / run_s / pools * 100:.1f} % per pool); "
      f"peak RSS {peak / 2**20:.0f} MiB ({peak / pools / 2**20:.0f} MiB per pool)")
PY
    "$bin" devnet down --dir "$dir" >/dev/null
    rm -rf "$dir"
done
