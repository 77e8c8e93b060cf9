#!/usr/bin/env bash
# Quick start: installs what is missing, builds Release into build/, and runs the default
# simulation (ResNet-50 on configs/hw/series4-1core.yaml). Arguments are passed to `nnasim run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/deps.sh"
nnasim_install_deps
nnasim_build --target nnasim >&2
exec "${NNASIM_BUILD_DIR:-$root/build}/nnasim" run "$@"
