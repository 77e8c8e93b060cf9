#!/usr/bin/env bash
# Times sweeps with -j 2:
#   the 66-point study (configs/sweeps/series4-qat.yaml), target < 30 s on a 2-core machine;
#   bench/sweep_10k.yaml: ResNet-50 and MobileNetV2 over OCM x bandwidth x cores x weight bits,
#   10,000 points, target <= 60 s (issue 11). BENCH_SWEEP_10K=0 skips it.
# Each is run as sweeps run by default (workers that load each model once and simulate their points
# in-process, each on a fresh SystemC kernel state) and,
# for the study, with --spawn (a new `nnasim run` process per point) for comparison. Prints wall
# time and the CPU time of the sweep and its children (the machine may be shared: CPU time per point
# is the figure that does not depend on other load). Builds nnasim first when it is missing.
# Where a point's CPU goes, stage by stage: build/bench_sweep_stages SPEC [STRIDE] (see its header).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nnasim="${NNASIM_BUILD_DIR:-$root/build}/nnasim"
if [ ! -x "$nnasim" ]; then
  source "$root/scripts/deps.sh"
  nnasim_build --target nnasim >&2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$root"
bench() {  # name spec target_seconds [extra args]
  local name="$1" spec="$2" target="$3"
  shift 3
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$nnasim" sweep "$spec" -o "$tmp/results.csv" -j 2 -q "$@"
  read -r wall user sys < "$tmp/time"
  local rows failed
  rows=$(($(wc -l < "$tmp/results.csv") - 1))
  failed=$(awk -F, 'NR > 1 && $NF != "ok"' "$tmp/results.csv" | wc -l)
  awk -v n="$name" -v r="$rows" -v f="$failed" -v w="$wall" -v u="$user" -v s="$sys" -v t="$target" 'BEGIN {
    cpu = u + s
    printf "bench_sweep: %s, %d points (%d failed), -j 2: %.1f s wall (%s the %d s target), %.1f s CPU = %.1f ms CPU per point\n",
           n, r, f, w, (w <= t ? "under" : "OVER"), t, cpu, r ? 1000 * cpu / r : 0 }'
}
bench "series4-qat (workers)" configs/sweeps/series4-qat.yaml 30
bench "series4-qat (--spawn)" configs/sweeps/series4-qat.yaml 30 --spawn
if [ "${BENCH_SWEEP_10K:-1}" != 0 ]; then
  bench "sweep_10k (workers)" bench/sweep_10k.yaml 60
fi
