#!/usr/bin/env bash
# Prints nnasim's speed figures: per-stage time for every zoo network on both Series4
# configurations, the SCALE-Sim ResNet-50 topology on the SCALE-Sim machine, trace record/replay,
# and the timeline size. Build first (scripts/run.sh or scripts/test.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${NNASIM_BUILD_DIR:-$root/build}"
zoo=(mobilenet_v2 efficientnet_lite0 efficientnet_lite1 efficientnet_lite2 efficientnet_lite3 efficientnet_lite4
     vgg16 resnet50 regnet_x_8gf regnet_x_32gf hardnet85)
for hw in series4-1core series4-8core; do
  echo "== $hw (per stage; sim = SystemC elaboration + run + report)"
  "$build/bench_simulate" "$root/configs/hw/$hw.yaml" "${zoo[@]}"
done
echo "== SCALE-Sim Resnet50_mlperf.csv on scalesim-32x32-os"
"$build/bench_simulate" "$root/configs/hw/scalesim-32x32-os.yaml" "$root/models/scalesim/Resnet50_mlperf.csv"
echo "== whole command lines (wall clock, 5 runs each, best)"
best() { local b=999; for _ in 1 2 3 4 5; do local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N);
  b=$(echo "$e - $s" | bc -l | awk -v b="$b" '{print ($1<b)?$1:b}'); done; printf '%.3f s\n' "$b"; }
tmp=$(mktemp -d)
printf 'run resnet50 (series4-1core):           '; best "$build/nnasim" run --model resnet50
printf 'record resnet50 trace + timeline:       '; best "$build/nnasim" run --model resnet50 --trace-out "$tmp/t.jsonl" --timeline "$tmp/tl.json" -o /dev/null
printf 'replay resnet50 trace on series4-8core: '; best "$build/nnasim" replay --trace "$tmp/t.jsonl" --hw "$root/configs/hw/series4-8core.yaml"
echo "trace size: $(stat -c %s "$tmp/t.jsonl") bytes; timeline size: $(stat -c %s "$tmp/tl.json") bytes"
"$build/nnasim" run --model resnet50 --hw "$root/configs/hw/series4-8core.yaml" --timeline "$tmp/tl8.json" -o /dev/null
echo "timeline size on series4-8core: $(stat -c %s "$tmp/tl8.json") bytes"
rm -rf "$tmp"
