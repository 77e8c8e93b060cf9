#!/usr/bin/env bash
# How close the schedule comes to what the hardware allows: for every zoo network on both Series4
# configurations, steady and cold, the median and the smallest per-layer efficiency
# (bound_seconds / simulated seconds, sim/sched/bound.h) and the whole inference's. Issue 9's
# target: median >= 0.8, none below 0.55. Build first (scripts/run.sh or scripts/test.sh).
# Usage: bench/efficiency.sh [--set KEY=VALUE ...]   (extra options go to every `nnasim run`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
nnasim="${NNASIM:-$root/build/nnasim}"
py=/usr/bin/python3
zoo=(mobilenet_v2 efficientnet_lite0 efficientnet_lite1 efficientnet_lite2 efficientnet_lite3 efficientnet_lite4
     vgg16 resnet50 regnet_x_8gf regnet_x_32gf hardnet85)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| network | hardware | mode | layers | median | min (layer) | total |\n|---|---|---|--:|--:|---|--:|\n'
for hw in series4-1core series4-8core; do
  for mode in steady cold; do
    for m in "${zoo[@]}"; do
      "$nnasim" run --model "$m" --hw "$root/configs/hw/$hw.yaml" --mode "$mode" --format json "$@" > "$tmp/r.json"
      "$py" - "$tmp/r.json" "$m" "$hw" "$mode" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
ls = r["layers"]
e = [l["efficiency"] for l in ls]
worst = min(ls, key=lambda l: l["efficiency"])
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {len(ls)} | {statistics.median(e):.2f} | "
      f"{worst['efficiency']:.2f} ({worst['name']}) | {r['inference']['efficiency']:.2f} |")
PY
    done
  done
done
