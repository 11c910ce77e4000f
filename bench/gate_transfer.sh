#!/usr/bin/env bash
# gate_transfer.sh [BUILD_DIR] [bench args...]: what the node's gate costs in
# throughput (bench/gate_transfer.cpp), with a throw-away CA and certificates
# made by examples/tls/make_certs.sh in a temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
bash "$root/examples/tls/make_certs.sh" "$certs" server client >/dev/null
"$build/bench/bench_gate_transfer" --certs "$certs" "$@"
