"""Checks of the nnasim side of bench/compare_zigzag.sh that need no ZigZag (run by ctest):
  - every benchmark layer's nnasim model runs, and its MACs equal the closed form of layers.py;
  - nnasim's Program parses into tiles whose MACs add up to the layer's (so that a change of the
    Program's text format is noticed here rather than as a wrong comparison);
  - the ZigZag mapping derived from the tiles fits the array (spatial factors within rows x cols)
    and its loops cover every layer dimension exactly once over (spatial x temporal >= size);
  - the matched machine reads the hardware YAML's figures (64 x 64, 1 MiB, 8 B/cycle, pJ table);
  - the hand count of ResNet-50's partial sums equals the issue's figure and the ONNX cross-check.
Usage: self_check.py NNASIM_BINARY SOURCE_DIR WORK_DIR. Prints what it checked; exit 1 on failure."""
import json
import math
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import hw as hwmod  # noqa: E402
import layers as lmod  # noqa: E402
import nnasim_map  # noqa: E402
import psum_count  # noqa: E402

nnasim, src, work = sys.argv[1:4]
hw_yaml = os.path.join(src, "configs/hw/series4-1core.yaml")
failures = []


def matched_machine(report):
    """The matched machine from the YAML and nnasim's report (which states the OCM energy it derived)."""
    a = hwmod.read_nnasim_hw(hw_yaml, report=report)
    check((a["rows"], a["cols"], a["ocm_bytes"], a["ocm_bytes_per_cycle"]) == (64, 64, 1 << 20, 256),
          "matched machine: 64 x 64 array, 1 MiB OCM at 256 B/cycle")
    check(abs(a["dram_bytes_per_cycle"] - 8.0) < 1e-9, "matched machine: 12 GB/s at 1.5 GHz = 8 B/cycle")
    check(a["mac_pj"] == 0.075 and abs(a["ocm_read_pj_per_byte"] - 3.125) < 1e-9 and a["dram_read_pj_per_byte"] == 64.0,
          "matched machine: 0.075 pJ/MAC, 3.125 pJ/B OCM (Horowitz 1 MB SRAM x 0.25), 64 pJ/B DRAM (8 pJ/bit)")
    acc = hwmod.zigzag_accelerator(a)
    check(set(acc["memories"]) >= {"w_reg", "o_reg", "ocm", "dram"}, "ZigZag accelerator has its levels")
    return a


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


os.makedirs(os.path.join(work, "layers"), exist_ok=True)
a = None
for L in lmod.LAYERS:
    base = os.path.join(work, "layers", L.name)
    with open(base + ".nnasim.yaml", "w") as f:
        f.write(lmod.nnasim_yaml(L))
    r = subprocess.run([nnasim, "run", "--hw", hw_yaml, "--model", base + ".nnasim.yaml", "--mode", "cold",
                        "--format", "json", "--program-out", base + ".program"], capture_output=True, text=True)
    check(r.returncode == 0, f"{L.name}: nnasim runs ({r.stderr.strip()[:200]})")
    if r.returncode:
        continue
    report = json.loads(r.stdout)
    if a is None:
        a = matched_machine(report)
    layer = next(x for x in report["layers"] if x["op"] != "input")
    check(layer["macs"] == L.macs, f"{L.name}: nnasim MACs {layer['macs']:,} = closed form {L.macs:,}")
    tiles, wloads = nnasim_map.read_program(base + ".program")
    tile_macs = sum(m * k * n * g for m, k, n, g in tiles)
    check(tile_macs == L.macs, f"{L.name}: the Program's {len(tiles)} tiles hold {tile_macs:,} MACs")
    if not tiles:
        continue
    entry, note = nnasim_map.nnasim_mapping(L, a["rows"], a["cols"], tiles, wloads)
    sp = {"D1": 1, "D2": 1}
    cover = {}
    for d, lst in entry["spatial_mapping"].items():
        for e in lst:
            dim, f = e.split(", ")
            sp[d] *= int(f)
            cover[dim] = cover.get(dim, 1) * int(f)
    check(sp["D1"] <= a["cols"] and sp["D2"] <= a["rows"], f"{L.name}: spatial {sp} fits the array")
    if "temporal_ordering" in entry:
        for dim, f in entry["temporal_ordering"]:
            cover[dim] = cover.get(dim, 1) * f
        sizes = {"K": L.cout, "C": L.cin, "OX": L.ohw, "OY": L.ohw, "FX": L.k, "FY": L.k}
        ok = all(cover.get(d, 1) >= s and cover.get(d, 1) < 2 * s for d, s in sizes.items() if s > 1)
        check(ok, f"{L.name}: loops cover every dimension once ({note})")

t = psum_count.count(psum_count.resnet50(), 64)
check(t["macs"] == 4_089_184_256, "ResNet-50 MACs by hand = 4,089,184,256 (FACTS.md: 4.09 G)")
check(t["rmw_bytes"] == 426_744_000, "ResNet-50 partial sums between 64-row folds = 426,744,000 B (issue 12: about 427 MB)")
try:
    o = psum_count.count(psum_count.from_onnx(os.path.join(src, "models/resnet50.onnx")), 64)
    check(o == t, "ResNet-50 shapes by hand = the Conv/Gemm nodes of models/resnet50.onnx")
except ImportError:
    print("skip ResNet-50 ONNX cross-check: python3-onnx not installed")
m = psum_count.count(psum_count.mobilenet_v2(), 64)
check(m["macs"] == 300_774_272, "MobileNetV2 conv/FC MACs by hand = 300,774,272 (FACTS.md: 300 M)")
sys.exit(1 if failures else 0)
