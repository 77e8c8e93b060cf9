#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs the whole suite with ctest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/deps.sh"
nnasim_install_deps
nnasim_build
cd "${NNASIM_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j"$(nproc)" "$@"
