#!/usr/bin/env bash
# Layer-by-layer comparison of nnasim with SCALE-Sim v2 (github.com/scalesim-project/scale-sim-v2).
# Runs both tools on the same SCALE-Sim topologies and machines and prints, per layer, SCALE-Sim's
# total cycles next to nnasim's, and a summary (mean |%| difference, min/max ratio, wall times).
# Downloads nothing. See bench/scalesim_comparison.md for the results and their explanation.
#
# Usage: bench/compare_scalesim.sh SCALESIM_CHECKOUT [OUT_DIR]
#   SCALESIM_CHECKOUT  a checkout of scale-sim-v2 (the directory holding scalesim/ and configs/)
#   OUT_DIR            where runs and reports go (default: a new directory under /tmp)
# Environment:
#   MACHINES    which machines: "os32" (configs/scale.cfg, 32x32 output stationary) and/or "ws128"
#               (the same config with a 128x128 weight-stationary array); default "os32 ws128"
#   TOPOLOGIES  topology CSVs; default: Resnet50_mlperf.csv and alexnet.csv of
#               models/scalesim
#   REUSE=1     reuse SCALE-Sim reports already in OUT_DIR instead of running SCALE-Sim again
#               (its ResNet-50 run takes tens of minutes)
#   NNASIM      the nnasim binary (default: build/nnasim of this repository)
#   PYTHON      the interpreter for SCALE-Sim (default /usr/bin/python3; it needs numpy, pandas,
#               tqdm, absl: Debian's python3-numpy python3-pandas python3-tqdm python3-absl)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ss="${1:?usage: $0 SCALESIM_CHECKOUT [OUT_DIR]}"
ss="$(cd "$ss" && pwd)"
out="${2:-$(mktemp -d /tmp/nnasim-vs-scalesim.XXXXXX)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
nnasim="${NNASIM:-$root/build/nnasim}"
py="${PYTHON:-/usr/bin/python3}"
machines="${MACHINES:-os32 ws128}"
topo_dir="$root/models/scalesim"
topologies="${TOPOLOGIES:-$topo_dir/Resnet50_mlperf.csv $topo_dir/alexnet.csv}"

[[ -f "$ss/scalesim/scale.py" && -f "$ss/configs/scale.cfg" ]] || { echo "$ss is not a scale-sim-v2 checkout" >&2; exit 2; }
[[ -x "$nnasim" ]] || { echo "no nnasim binary at $nnasim (build first)" >&2; exit 2; }
"$py" -c 'import numpy, pandas, tqdm, absl' 2>/dev/null ||
  { echo "$py lacks SCALE-Sim's dependencies: apt-get install python3-numpy python3-pandas python3-tqdm python3-absl" >&2; exit 2; }

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# SCALE-Sim configs: scale.cfg with the array and dataflow forced (so that a changed default is
# noticed rather than compared against the wrong machine); everything else as in scale.cfg.
make_cfg() {  # name rows cols dataflow
  sed -e "s/^run_name *=.*/run_name = $1/" -e "s/^ArrayHeight:.*/ArrayHeight:    $2/" \
      -e "s/^ArrayWidth:.*/ArrayWidth:     $3/" -e "s/^Dataflow *:.*/Dataflow : $4/" \
      "$ss/configs/scale.cfg" > "$out/$1.cfg"
}
declare -A hw_yaml=([os32]=scalesim-32x32-os [ws128]=scalesim-128x128-ws)
declare -A cfg_args=([os32]="32 32 os" [ws128]="128 128 ws")

summary="$out/summary.txt"
: > "$summary"
for m in $machines; do
  [[ -n "${hw_yaml[$m]:-}" ]] || { echo "unknown machine '$m' (os32 or ws128)" >&2; exit 2; }
  read -r rows cols df <<< "${cfg_args[$m]}"
  make_cfg "ss_$m" "$rows" "$cols" "$df"
  hw="$root/configs/hw/${hw_yaml[$m]}.yaml"
  for topo in $topologies; do
    t="$(basename "$topo" .csv)"
    run="$out/$m/$t"
    mkdir -p "$run/scalesim" "$run/rows"
    report="$run/scalesim/ss_$m/COMPUTE_REPORT.csv"
    if [[ "${REUSE:-0}" == 1 && -f "$report" && -f "$run/scalesim.seconds" ]]; then
      echo "== $m $t: reusing SCALE-Sim report $report" >&2
    else
      echo "== $m $t: SCALE-Sim (nice -n 10; this can take a long time)" >&2
      s=$(now)
      (cd "$ss" && nice -n 10 env PYTHONPATH="$ss" "$py" scalesim/scale.py -c "$out/ss_$m.cfg" -t "$topo" \
         -p "$run/scalesim" > "$run/scalesim.log" 2>&1)
      elapsed "$s" "$(now)" > "$run/scalesim.seconds"
    fi
    echo "== $m $t: nnasim" >&2
    # Whole topology as nnasim runs it (one chain per row), with the machine's 192 KiB of OCM and
    # with 64 MiB (every layer fits one tile, so tiling does not enter); wall time is the best of 5.
    best=999
    for _ in 1 2 3 4 5; do
      s=$(now)
      "$nnasim" run --hw "$hw" --model "$topo" --mode cold --format json -o "$run/nnasim.json"
      e=$(elapsed "$s" "$(now)")
      best=$(echo "if ($e < $best) $e else $best" | bc -l)
    done
    echo "$best" > "$run/nnasim.seconds"
    "$nnasim" run --hw "$hw" --model "$topo" --mode cold --format json --set ocm.size='64 MiB' -o "$run/nnasim_64M.json"
    # Each row on its own (a one-row topology): its ifmap then comes from DRAM, as in SCALE-Sim.
    "$py" - "$topo" "$run/rows" <<'EOF'
import sys, os
lines = [l for l in open(sys.argv[1]) if l.strip()]
for i, l in enumerate(lines[1:]):
    open(os.path.join(sys.argv[2], f"row{i:03d}.csv"), "w").write(lines[0] + l)
EOF
    for r in "$run"/rows/row*.csv; do
      "$nnasim" run --hw "$hw" --model "$r" --mode cold --format json -o "${r%.csv}.json"
    done
    "$py" - "$topo" "$report" "$run" "$rows" "$cols" "$df" "$m" "$t" <<'EOF' | tee -a "$summary"
import csv, glob, json, math, os, statistics, sys
topo, report, run, R, C, df, machine, tname = sys.argv[1:9]
R, C = int(R), int(C)

# Topology rows, as SCALE-Sim's topology_utils reads them (ofmap = ceil((in - k + s) / s)).
layers = []
with open(topo) as f:
    next(f)
    for row in csv.reader(f):
        row = [x.strip() for x in row]
        if not row or not row[0]:
            continue
        ih, iw, fh, fw, ch, nf, sh = (int(x) for x in row[1:8])
        sw = int(row[8]) if len(row) > 9 and row[8] else sh
        oh = math.ceil((ih - fh + sh) / sh); ow = math.ceil((iw - fw + sw) / sw)
        layers.append(dict(name=row[0], M=oh * ow, K=fh * fw * ch, N=nf))

def folds(extent, size):  # [(used, count)]
    f = [(size, extent // size)] if extent >= size else []
    return f + ([(extent % size, 1)] if extent % size else [])

def scalesim_formula(L):
    # systolic_compute_{os,ws}.py: every fold is padded to the whole array; per fold the demand
    # matrices have T + R + C - 2 rows (os) or 2R + C + T - 2 rows (ws); the last row's cycle
    # index (rows - 1) is the total (double_buffered_scratchpad_mem.py).
    sr, sc, t = (L["M"], L["N"], L["K"]) if df == "os" else (L["K"], L["N"], L["M"])
    n = math.ceil(sr / R) * math.ceil(sc / C)
    return n * ((t + R + C - 2) if df == "os" else (2 * R + C + t - 2)) - 1

def nnasim_formula(L):
    # sim/hw/systolic.h: 2r + c + T - 2 per fold, r x c the part of the array the fold uses.
    sr, sc, t = (L["M"], L["N"], L["K"]) if df == "os" else (L["K"], L["N"], L["M"])
    return sum(nr * nc * (2 * r + c + t - 2) for r, nr in folds(sr, R) for c, nc in folds(sc, C))

ss = []
with open(report) as f:
    next(f)
    for row in csv.reader(f):
        if row and row[0].strip():
            ss.append(dict(total=int(row[1]), stall=int(row[2])))
assert len(ss) == len(layers), f"{len(ss)} SCALE-Sim layers vs {len(layers)} topology rows"

def nn_layers(path):
    d = json.load(open(path))
    return {l["name"]: l for l in d["layers"] if l["op"] != "input"}
nn = nn_layers(os.path.join(run, "nnasim.json"))
nn64 = nn_layers(os.path.join(run, "nnasim_64M.json"))
alone = {}
for p in sorted(glob.glob(os.path.join(run, "rows", "row*.json"))):
    alone.update(nn_layers(p))

hdr = f"{'layer':8s} {'M':>6s} {'K':>5s} {'N':>5s} {'SCALE-Sim':>9s} {'formula':>7s} {'nnasim':>9s} {'tiles':>5s} {'ratio':>6s} {'64MiB':>8s} {'ratio':>6s} {'alone':>9s} {'ratio':>6s} {'nn-form':>6s}"
print(f"\n### {tname} on {machine} ({R}x{C} {df})")
print(hdr)
cols = {"nnasim": [], "64MiB": [], "alone": []}
formula_ok = True
for L, s in zip(layers, ss):
    a, b, c = nn[L["name"]], nn64[L["name"]], alone[L["name"]]
    tot = s["total"]
    f = scalesim_formula(L)
    formula_ok &= f == tot and s["stall"] == 0
    r1, r2, r3 = a["cycles"] / tot, b["cycles"] / tot, c["cycles"] / tot
    cols["nnasim"].append(r1); cols["64MiB"].append(r2); cols["alone"].append(r3)
    print(f"{L['name']:8s} {L['M']:6d} {L['K']:5d} {L['N']:5d} {tot:9d} {'=' if f == tot else f:>7} {a['cycles']:9d} {a['tiles']:5d} {r1:6.3f} "
          f"{b['cycles']:8d} {r2:6.3f} {c['cycles']:9d} {r3:6.3f} {nnasim_formula(L) / tot:6.3f}")
tot_ss = sum(s["total"] for s in ss)
print(f"SCALE-Sim totals equal its fold formula with no stalls on every layer: {formula_ok}")
print(f"sum of layer cycles: SCALE-Sim {tot_ss}, nnasim {sum(nn[L['name']]['cycles'] for L in layers)} (192 KiB), "
      f"{sum(nn64[L['name']]['cycles'] for L in layers)} (64 MiB), {sum(alone[L['name']]['cycles'] for L in layers)} (rows alone)")
for k, v in cols.items():
    lab = {"nnasim": "192 KiB, whole topology", "64MiB": "64 MiB OCM (no tiling pressure)", "alone": "192 KiB, each row alone"}[k]
    mape = statistics.mean(abs(x - 1) for x in v) * 100
    i_min, i_max = min(range(len(v)), key=v.__getitem__), max(range(len(v)), key=v.__getitem__)
    print(f"nnasim/SCALE-Sim, {lab:32s}: mean |diff| {mape:6.2f}%  min {v[i_min]:.3f} ({layers[i_min]['name']})  "
          f"max {v[i_max]:.3f} ({layers[i_max]['name']})  geomean {math.exp(statistics.mean(map(math.log, v))):.3f}")
sst = float(open(os.path.join(run, "scalesim.seconds")).read())
nnt = float(open(os.path.join(run, "nnasim.seconds")).read())
print(f"wall time: SCALE-Sim {sst:.1f} s (nice -n 10), nnasim {nnt:.3f} s (best of 5): nnasim {sst / nnt:,.0f}x faster")
EOF
  done
done
echo "summary written to $summary; runs in $out" >&2
