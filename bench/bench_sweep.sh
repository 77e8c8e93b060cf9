#!/usr/bin/env bash
# Times the 66-point study sweep (configs/sweeps/series4-qat.yaml) with -j 2. Target: < 30 s on a
# 2-core machine. Builds nnasim first when it is missing (NNASIM_BUILD_DIR, default build/).
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
start=$(date +%s.%N)
"$nnasim" sweep configs/sweeps/series4-qat.yaml -o "$tmp/results.csv" -j 2 -q
end=$(date +%s.%N)
rows=$(($(wc -l < "$tmp/results.csv") - 1))
failed=$(awk -F, 'NR > 1 && $NF != "ok"' "$tmp/results.csv" | wc -l)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
per=$(awk -v s="$secs" -v n="$rows" 'BEGIN { printf "%.0f", n ? 1000 * s / n : 0 }')
verdict=$(awk -v s="$secs" 'BEGIN { print (s < 30 ? "under" : "OVER") }')
echo "bench_sweep: series4-qat, $rows points ($failed failed), -j 2: $secs s ($per ms per point; $verdict the 30 s target)"
