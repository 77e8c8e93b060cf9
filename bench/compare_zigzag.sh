#!/usr/bin/env bash
# Layer-by-layer comparison of nnasim with ZigZag (github.com/KULeuven-MICAS/zigzag, v3.8.5) on a
# matched one-core machine: the array, OCM, DRAM, accumulator and energy table of an nnasim hardware
# YAML (default configs/hw/series4-1core.yaml) rebuilt as a ZigZag accelerator, a handful of
# ResNet-50 and MobileNetV2 layers (bench/zigzag/layers.py) run as single-layer models in cold mode,
# ZigZag forced to nnasim's spatial unrolling. Prints, and writes as Markdown, per layer: MACs,
# DRAM / OCM / accumulator bytes, energy by component and cycles of both tools with their ratios.
# Downloads nothing. See bench/zigzag_comparison.md for the results and their explanation.
#
# Usage: bench/compare_zigzag.sh ZIGZAG_CHECKOUT [OUT_DIR]
#   ZIGZAG_CHECKOUT  a checkout of ZigZag (the directory holding zigzag/api.py), e.g. v3.8.5
#   OUT_DIR          where inputs, runs and the report go (default: a new directory under /tmp)
# Environment:
#   HW       nnasim hardware YAML (default configs/hw/series4-1core.yaml); one core, weight stationary
#   LAYERS   names of layers of bench/zigzag/layers.py to run (default: all)
#   TEMPORAL nnasim (default): ZigZag's temporal loops follow nnasim's tiles where ZigZag's loop
#            nest can express them (bench/zigzag/nnasim_map.py), LOMA's choice elsewhere;
#            loma: LOMA chooses for every layer (the spatial unrolling stays nnasim's)
#   OPT      LOMA's criterion where it chooses: EDP (default; nnasim tiles by estimated EDP),
#            energy or latency
#   ACCUMULATOR=none  leave the accumulator level out of the ZigZag machine (partial sums in OCM)
#   REUSE=1  reuse ZigZag results already in OUT_DIR when their inputs (accelerator, workload,
#            mapping) are unchanged (a layer takes seconds to minutes)
#   NNASIM   the nnasim binary (default: build/nnasim of this repository)
#   PYTHON   interpreter for ZigZag (default /usr/bin/python3). ZigZag needs Debian's python3-numpy
#            python3-onnx python3-networkx python3-sympy python3-yaml python3-tqdm python3-cerberus
#            python3-typeguard python3-seaborn python3-matplotlib python3-dill; the two packages
#            Debian lacks (multiprocessing_on_dill, typeguard.typeguard_ignore) are stood in for by
#            bench/zigzag/shims, put first on PYTHONPATH here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 ZIGZAG_CHECKOUT [OUT_DIR]  (a ZigZag checkout: git clone https://github.com/KULeuven-MICAS/zigzag && git -C zigzag checkout v3.8.5)" >&2
  exit 2
fi
zz="$1"
[[ -f "$zz/zigzag/api.py" ]] ||
  { echo "$zz is not a ZigZag checkout (no zigzag/api.py); clone github.com/KULeuven-MICAS/zigzag at v3.8.5" >&2; exit 2; }
zz="$(cd "$zz" && pwd)"
out="${2:-$(mktemp -d /tmp/nnasim-vs-zigzag.XXXXXX)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
nnasim="${NNASIM:-$root/build/nnasim}"
py="${PYTHON:-/usr/bin/python3}"
hw="${HW:-$root/configs/hw/series4-1core.yaml}"
opt="${OPT:-EDP}"
temporal="${TEMPORAL:-nnasim}"
shims="$root/bench/zigzag/shims"

[[ -x "$nnasim" ]] || { echo "no nnasim binary at $nnasim (build first)" >&2; exit 2; }
[[ -f "$hw" ]] || { echo "no hardware file $hw" >&2; exit 2; }
"$py" "$root/bench/zigzag/check_deps.py" || { echo "$py cannot run ZigZag (see above; set PYTHON)" >&2; exit 2; }
zz_version=$(cd "$zz" && PYTHONPATH="$shims:$zz" "$py" -c 'import zigzag; print(zigzag.__version__)' 2>/dev/null || echo "?")
zz_commit=$(git -C "$zz" rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")

# 1. per layer an nnasim model
"$py" "$root/bench/zigzag/make_inputs.py" models "$hw" "$out" ${LAYERS:-}
layers=$(cat "$out/layers.txt")
# 2. nnasim, per layer (milliseconds)
for l in $layers; do
  "$nnasim" run --hw "$hw" --model "$out/layers/$l.nnasim.yaml" --mode cold --format json \
    -o "$out/layers/$l.nnasim.json" --program-out "$out/layers/$l.program"
done
# the matched ZigZag accelerator (with the figures nnasim resolved, e.g. OCM energy from its size)
# and the ZigZag workloads
"$py" "$root/bench/zigzag/make_inputs.py" zigzag "$hw" "$out"
# 3. ZigZag's mapping per layer: nnasim's spatial unrolling, and its tiles as the temporal loops
"$py" "$root/bench/zigzag/nnasim_map.py" "$out" "$temporal"
# 4. ZigZag, per layer, each in its own process (seconds to minutes each; nice -n 10)
for l in $layers; do
  res="$out/layers/$l.zigzag.json"
  used="$out/layers/$l.zigzag.inputs"   # the accelerator, workload and mapping that result came from
  cat "$out/accelerator.yaml" "$out/layers/$l.workload.yaml" "$out/layers/$l.mapping.yaml" > "$used.new"
  if [[ "${REUSE:-0}" == 1 && -f "$res" ]] && cmp -s "$used" "$used.new"; then
    echo "== $l: reusing $res" >&2
    rm -f "$used.new"
    continue
  fi
  [[ "${REUSE:-0}" == 1 && -f "$res" ]] && echo "== $l: inputs changed since $res; running ZigZag again" >&2
  echo "== $l: ZigZag" >&2
  s=$(date +%s.%N)
  (cd "$out" && nice -n 10 env PYTHONPATH="$shims:$zz" "$py" "$root/bench/zigzag/run_zigzag.py" \
     "$out/accelerator.yaml" "$out/layers/$l.workload.yaml" "$out/layers/$l.mapping.yaml" "$res" \
     "$out/zigzag_dump/$l" "$opt" > "$out/layers/$l.zigzag.log" 2>&1) ||
    { echo "ZigZag failed on $l; see $out/layers/$l.zigzag.log:" >&2; tail -5 "$out/layers/$l.zigzag.log" >&2; exit 1; }
  echo "$(date +%s.%N) - $s" | bc -l > "$out/layers/$l.zigzag.seconds"
  mv "$used.new" "$used"
done
# 5. the tables
"$py" "$root/bench/zigzag/compare.py" "$out" "ZigZag $zz_version (commit $zz_commit), temporal mapping: $temporal (LOMA: best $opt)" |
  tee "$out/report.md"
# 6. the independent count of partial-sum traffic on this array, whole networks (no simulator)
rows=$("$py" -c 'import json, sys; print(json.load(open(sys.argv[1]))["rows"])' "$out/hw.json")
"$py" "$root/bench/zigzag/psum_count.py" --rows "$rows" --onnx-resnet50 "$root/models/resnet50.onnx" \
  --onnx-mobilenetv2 "$root/models/mobilenet_v2.onnx" | tee -a "$out/report.md"
echo "report written to $out/report.md; runs in $out/layers" >&2
