#!/usr/bin/env bash
# Installs the Debian 12 packages edgepipe needs that are missing, and nothing
# from anywhere else. Safe to run again: it does nothing when all are present.
set -euo pipefail

# Installed without Recommends, so the two that matter are named here:
# ocl-icd-opencl-dev (oneDNN's CMake config requires OpenCL) and
# libclang-rt-14-dev (libFuzzer, for the codecs fuzz test).
packages=(
  build-essential cmake ninja-build clang libclang-rt-14-dev clang-format pkg-config
  libcaf-dev libdnnl-dev ocl-icd-opencl-dev libcereal-dev libyaml-cpp-dev nlohmann-json3-dev
  libgtest-dev libbenchmark-dev zlib1g-dev
  python3-torch python3-numpy python3-yaml libopenblas0-pthread dataset-fashion-mnist
  iproute2 # ip and tc for examples/netns-3 and its test
  openssl libssl-dev # the node's TLS gate; examples/tls/make_certs.sh and the TLS tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "setup: these packages are missing and installing them needs root: ${missing[*]}" >&2
    echo "setup: run this script as root, or: apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
