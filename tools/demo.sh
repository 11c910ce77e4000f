#!/usr/bin/env bash
# The main demo: installs what is missing, builds, and runs the local-3 example
# topology (three stage processes on this machine, the shipped Fashion-MNIST
# ViT, the Fashion-MNIST test set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/build.sh
exec build/cli/edgepipe run examples/local-3/topology.yaml "$@"
