#!/usr/bin/env bash
# Installs what the tests need besides Rust, into a tools folder outside the clone (reused by
# later runs): Node.js (Debian's package, when missing) and the npm libraries the interop
# tests drive (EMURGO's cardano-serialization-lib, blakejs), oura (built with cargo install), and
# Chromium with chromedriver (Debian's packages, when missing) for the dashboard's browser test,
# PostgreSQL's server (Debian's package, when missing) for the shared sign-guard tests, and
# Python's grpcio and pycardano (PyPI, in a virtual environment) for the enclave's gRPC client
# test and the devnet's script test, and
# strace (Debian's package, when missing) for the enclave's durability test.
#   scripts/install-test-tools.sh [TOOLS_DIR]     (default: $SLOTFORGE_TOOLS or ~/.cache/slotforge-tools)
set -euo pipefail
tools="${1:-${SLOTFORGE_TOOLS:-$HOME/.cache/slotforge-tools}}"
mkdir -p "$tools/npm"

if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
apt_updated=""
apt_install() {
    [ -n "$apt_updated" ] || { $sudo apt-get update -qq; apt_updated=1; }
    $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "installing Node.js (Debian packages nodejs, npm)" >&2
    apt_install nodejs npm
fi

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || [ ! -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ]; then
    echo "installing Chromium and chromedriver (Debian packages chromium, chromium-driver)" >&2
    apt_install chromium chromium-driver
fi

# PostgreSQL's server (Debian's package), for the highly available sign-guard tests; each test
# runs its own throwaway cluster in a temporary directory.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing PostgreSQL (Debian package postgresql)" >&2
    apt_install postgresql
fi

npm_packages=("@emurgo/cardano-serialization-lib-nodejs@15.0.3" "blakejs@1.2.1")
missing=()
for p in "${npm_packages[@]}"; do
    name="${p%@*}"
    version="${p##*@}"
    installed=$(node -p "try { require('$tools/npm/node_modules/$name/package.json').version } catch (e) { '' }")
    [ "$installed" = "$version" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing npm packages into $tools/npm: ${missing[*]}" >&2
    npm install --prefix "$tools/npm" --no-audit --no-fund --silent "${missing[@]}"
fi

# strace (Debian's package, when missing), which the enclave's durability test runs it under.
if ! command -v strace >/dev/null; then
    echo "installing strace (Debian package strace)" >&2
    apt_install strace
fi

# Python's grpcio (PyPI), a gRPC client no one here wrote, for the enclave's Unix-socket test,
# and pycardano (PyPI), a Cardano library no one here wrote, for the devnet's script test: a
# virtual environment in $tools/py. Debian's python3 needs python3-venv for it.
grpcio_version="1.76.0"
if [ "$("$tools/py/bin/python" -c 'import grpc, grpc_tools; print(grpc.__version__)' 2>/dev/null)" != "$grpcio_version" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
        echo "installing Python's venv (Debian packages python3, python3-venv)" >&2
        apt_install python3 python3-venv
    fi
    echo "installing grpcio $grpcio_version into $tools/py (pip)" >&2
    python3 -m venv "$tools/py"
    "$tools/py/bin/pip" install --quiet --disable-pip-version-check "grpcio==$grpcio_version" "grpcio-tools==$grpcio_version"
fi
pycardano_version="0.19.2"
# cbor2 6 no longer has what cbor2pure 5.8 (pycardano's) imports from it: pinned with it.
cbor2_version="5.8.0"
if [ "$("$tools/py/bin/pip" show pycardano 2>/dev/null | awk '/^Version:/ {print $2}')" != "$pycardano_version" ] \
    || ! "$tools/py/bin/python" -c 'import pycardano' 2>/dev/null; then
    echo "installing pycardano $pycardano_version into $tools/py (pip)" >&2
    "$tools/py/bin/pip" install --quiet --disable-pip-version-check "pycardano==$pycardano_version" "cbor2==$cbor2_version"
fi

# oura (TxPipe's chain follower), which the network interop test runs against a node. A long
# first build (~800 crates); later runs find it in $tools/cargo/bin.
oura_version="2.2.1"
if [ "$("$tools/cargo/bin/oura" --version 2>/dev/null | awk '{print $2}')" != "$oura_version" ]; then
    echo "installing oura $oura_version into $tools/cargo (cargo install --locked; takes a while once)" >&2
    cargo install --locked --quiet --root "$tools/cargo" oura --version "$oura_version"
fi
