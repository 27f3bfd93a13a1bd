#!/usr/bin/env bash
# Runs every test of the workspace. Needs a Rust toolchain; installs Node.js and the npm
# libraries the interop tests drive when they are missing (scripts/install-test-tools.sh).
# The known-answer vectors are read from ../shared/vectors (or $SLOTFORGE_VECTORS).
set -euo pipefail
cd "$(dirname "$0")/.."
vectors="${SLOTFORGE_VECTORS:-../shared/vectors}"
if [ ! -d "$vectors/vrf/ver03" ]; then
    echo "error: known-answer vectors not found at $vectors; set SLOTFORGE_VECTORS to the vectors folder" >&2
    exit 1
fi
# Every test reads the vectors from here, whichever folder it runs in.
SLOTFORGE_VECTORS="$(cd "$vectors" && pwd)"
export SLOTFORGE_VECTORS
export PRAOS_HEADER_CASES="${PRAOS_HEADER_CASES:-$SLOTFORGE_VECTORS/header-cases/praos-header-cases.json}"
# Third-party software the interop tests run (installed once, outside the clone).
export SLOTFORGE_TOOLS="${SLOTFORGE_TOOLS:-$HOME/.cache/slotforge-tools}"
scripts/install-test-tools.sh "$SLOTFORGE_TOOLS"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
# The reference conformance figure, shown (the run above hides passing tests' output).
cargo test --locked -p slotforge-praos --test header_conformance -q -- --nocapture 2>&1 | grep "header cases:"
grep -E "^(ledger scenarios|ledger vectors|plutus conformance):" "$log"
# One closing line for the whole run.
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$log"
