#!/usr/bin/env bash
# Re-records the example traces in traces/ from the current simulator.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/deps.sh"
nnasim_build --target nnasim >&2
"${NNASIM_BUILD_DIR:-$root/build}/nnasim" run --model resnet50 --hw "$root/configs/hw/series4-1core.yaml" \
  --trace-out "$root/traces/resnet50-series4-1core.jsonl" -o /dev/null
