#!/usr/bin/env bash
# Installs the Debian packages nnasim needs, only those missing. Sourced by run.sh and test.sh.
set -euo pipefail

NNASIM_PACKAGES=(
  build-essential cmake pkg-config
  libsystemc-dev libyaml-cpp-dev libfmt-dev libeigen3-dev libcli11-dev catch2 nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  openmpi-bin libopenmpi-dev
  python3 python3-matplotlib python3-yaml
)

nnasim_install_deps() {
  local missing=()
  for p in "${NNASIM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "nnasim: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Configures and builds Release into build/ (or $NNASIM_BUILD_DIR).
nnasim_build() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local build="${NNASIM_BUILD_DIR:-$root/build}"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j"$(nproc)" "$@"
}
