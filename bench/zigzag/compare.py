"""Tables of bench/compare_zigzag.sh: nnasim beside ZigZag per layer, as Markdown on stdout.

Usage: compare.py OUT_DIR [ZIGZAG_LABEL]
OUT_DIR holds hw.json, layers.txt and per layer LAYER.nnasim.json, LAYER.program and
LAYER.zigzag.json (bench/zigzag/run_zigzag.py). Reads whatever accumulator fields nnasim's report
has (an `accumulator` energy bucket, layer keys naming accumulator bytes); absent ones print as "-"."""
import json
import math
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers as lmod  # noqa: E402

TARGET = 0.15  # issue 12: dynamic energy within 15 % per layer where the mappings agree

out = sys.argv[1]
label = sys.argv[2] if len(sys.argv) > 2 else "ZigZag"
hw = json.load(open(os.path.join(out, "hw.json")))
names = open(os.path.join(out, "layers.txt")).read().split()
known = {L.name: L for L in lmod.LAYERS}
R, C = hw["rows"], hw["cols"]


def nn_layer(name):
    d = json.load(open(os.path.join(out, "layers", f"{name}.nnasim.json")))
    return d, next(x for x in d["layers"] if x["op"] not in ("input",))


def acc_bytes(layer):
    """nnasim's accumulator traffic, from whichever layer keys name it (None if none do): keys with
    'accum' and 'bytes' count bytes; keys with 'accum' and reads / writes / entries / accesses count
    entries of entry_bits (from the hardware file, else 32)."""
    bits = (hw.get("acc") or {}).get("entry_bits", 32)
    total, found = 0, False
    for k, v in layer.items():
        kl = k.lower()
        if "accum" not in kl or "spill" in kl or not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        if kl.endswith("bytes"):
            total, found = total + v, True
        elif any(w in kl for w in ("reads", "writes", "entries", "accesses")):
            total, found = total + v * bits / 8, True
    return total if found else None


def program_split(name):
    """nnasim's OCM bytes by who moves them, from the Program: DRAM loads (weights / activations)
    write OCM, computes read operands and write results, stores read OCM. Also the tile shapes."""
    split = {"load_w": 0, "load_a": 0, "compute_r": 0, "compute_w": 0, "store_r": 0, "band": 0, "stream": 0}
    tiles = {}
    path = os.path.join(out, "layers", f"{name}.program")
    lines = open(path).read().splitlines()
    # version 2 of the text form adds the fill/drain flags after the GEMM (sim/program/program.cpp)
    shift = 1 if lines and lines[0].split()[1:2] == ["2"] else 0
    for line in lines:
        f = line.split()
        if len(f) < 15 + shift or f[0] not in ("load", "store", "compute"):
            continue
        weights, m, k, n, g = int(f[3]), int(f[5]), int(f[6]), int(f[7]), int(f[8])
        ocm_r, ocm_w = int(f[13 + shift]), int(f[14 + shift])
        if f[0] == "load":
            split["load_w" if weights else "load_a"] += ocm_w
        elif f[0] == "store":
            split["store_r"] += ocm_r
        else:
            split["compute_r"] += ocm_r
            split["compute_w"] += ocm_w
            # the activation band nnasim charges (its read minus the tile's 8-bit weights), and the
            # stream the array consumes: every fold reads M pixels x the rows it uses
            split["band"] += ocm_r - k * n * g
            packed = g > 1 and k <= R and n <= C
            split["stream"] += m * k * g if packed else m * k * math.ceil(n / C) * g
            tiles[(m, k, n, g)] = tiles.get((m, k, n, g), 0) + 1
    return split, tiles


def nn_util(tiles):
    """Spatial utilisation of nnasim's folds (sim/hw/systolic.h), ZigZag's way: MACs / (R x C x
    streamed cycles), streamed cycles = sum over tiles of M x folds (fill and drain left out)."""
    macs = cyc = 0
    for (m, k, n, g), count in tiles.items():
        if g > 1 and k <= R and n <= C:
            folds = math.ceil(g / min(R // k, C // n))
        else:
            folds = math.ceil(k / R) * math.ceil(n / C) * g
        macs += count * m * k * n * g
        cyc += count * m * folds
    return macs / (R * C * cyc) if cyc else 0.0


def zz_sum(z, level, key="read_bytes"):
    lv = z["levels"].get(level)
    return sum(lv[key].values()) if lv else 0.0


def psum_by_hand(L):
    """(f - 1) read-modify-writes of a 32-bit partial sum per output, f = ceil(K / rows) row folds
    (bench/zigzag/psum_count.py's count, for this layer)."""
    M, K, N, G = L.gemm
    return M * N * G * (math.ceil(K / R) - 1) * 2 * 4


def uj(pj):
    return pj / 1e6


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def fmt_b(x):
    if x is None:
        return "-"
    return f"{x / 1e6:.2f} MB" if x >= 1e5 else f"{x / 1e3:.1f} kB"


rows = []
for n in names:
    L = known[n]
    d, l = nn_layer(n)
    z = json.load(open(os.path.join(out, "layers", f"{n}.zigzag.json")))
    eb = l["energy_breakdown"]
    nn = {
        "macs": l["macs"], "cycles": l["cycles"], "tiles": l.get("tiles"),
        "dram": l["dram_read_bytes"] + l["dram_write_bytes"],
        "ocm": l["ocm_read_bytes"] + l["ocm_write_bytes"],
        "acc": acc_bytes(l),
        "e_mac": eb.get("mac", 0) * 1e6, "e_ocm": eb.get("ocm", 0) * 1e6, "e_dram": eb.get("dram", 0) * 1e6,
        "e_acc": eb["accumulator"] * 1e6 if "accumulator" in eb else None,
        "e_other": sum(v for k, v in eb.items() if k not in ("mac", "ocm", "dram", "accumulator", "static")) * 1e6,
        "e_static": eb.get("static", 0) * 1e6,
    }
    nn["e_dyn"] = nn["e_mac"] + nn["e_ocm"] + nn["e_dram"] + (nn["e_acc"] or 0) + nn["e_other"]
    lev = z["levels"]
    ez = lambda lvl: uj(sum(lev[lvl]["energy_pj"].values())) if lvl in lev else 0.0  # noqa: E731
    zz = {
        "macs": z["macs"], "cycles": z["latency_cycles"],
        "dram": zz_sum(z, "dram") + zz_sum(z, "dram", "write_bytes"),
        "ocm": zz_sum(z, "ocm") + zz_sum(z, "ocm", "write_bytes"),
        "acc": zz_sum(z, "accumulator") + zz_sum(z, "accumulator", "write_bytes") if "accumulator" in z["levels"] else None,
        "e_mac": uj(z["mac_energy_pj"]), "e_ocm": ez("ocm"), "e_dram": ez("dram"), "e_acc": ez("accumulator"),
        "e_regs": ez("w_reg") + ez("o_reg"),
    }
    zz["e_dyn"] = uj(z["energy_pj"])
    split, tiles = program_split(n)
    rows.append((L, nn, zz, z, split, tiles, l))

print(f"# nnasim vs {label}\n")
print(f"Machine: {hw['hw_file']} ({hw['rows']}x{hw['cols']} {hw['dataflow']}, OCM {hw['ocm_bytes']} B at "
      f"{hw['ocm_bytes_per_cycle']} B/cycle, DRAM {hw['dram_bytes_per_cycle']:g} B/cycle, "
      f"{hw['mac_pj']:g} pJ/MAC, OCM {hw['ocm_read_pj_per_byte']:g}/{hw['ocm_write_pj_per_byte']:g} pJ/B, "
      f"DRAM {hw['dram_read_pj_per_byte']:g}/{hw['dram_write_pj_per_byte']:g} pJ/B).")
A = hw["acc"]
if A is None:
    print("Accumulator (ZigZag side): none (ACCUMULATOR=none): 32-bit partial sums go between the column "
          "registers and OCM.")
else:
    print(f"Accumulator (ZigZag side): {A['bytes']} B of {A['entry_bits']}-bit entries, {A['entries_per_cycle']} entries/cycle, "
      f"{A['read_pj_per_byte']:g}/{A['write_pj_per_byte']:g} pJ/B read/write; source: {A['source']}.")
has_acc = any(r[1]["e_acc"] is not None for r in rows)
print(f"nnasim report has an accumulator energy bucket: {'yes' if has_acc else 'no'}; "
      f"accumulator byte counters: {'yes' if any(r[1]['acc'] is not None for r in rows) else 'no'}.\n")

print("## Traffic (bytes read + written)\n")
print("Last column: the partial-sum traffic between row folds counted by hand, (f - 1) x 2 x 4 B per "
      "output with f = ceil(K / rows); ZigZag's accumulator column also holds each output's first-fold "
      "read and write and its read-out (and, where partial sums spill, the traffic to OCM).\n")
print("| layer | MACs (both) | DRAM nnasim | DRAM ZigZag | ratio | OCM nnasim | OCM ZigZag | ratio | accumulator nnasim | accumulator ZigZag | partial sums by hand |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for L, nn, zz, z, split, tiles, l in rows:
    macs = f"{nn['macs']:,}" if nn["macs"] == zz["macs"] else f"{nn['macs']:,} / {zz['macs']:,}"
    print(f"| {L.name} | {macs} | {fmt_b(nn['dram'])} | {fmt_b(zz['dram'])} | {ratio(nn['dram'], zz['dram'])} | "
          f"{fmt_b(nn['ocm'])} | {fmt_b(zz['ocm'])} | {ratio(nn['ocm'], zz['ocm'])} | {fmt_b(nn['acc'])} | {fmt_b(zz['acc'])} | "
          f"{fmt_b(psum_by_hand(L))} |")

print("\n## Dynamic energy by component (µJ; nnasim / ZigZag)\n")
print("| layer | MAC | OCM | accumulator | DRAM | dynamic nnasim | dynamic ZigZag | ratio | ratio without accumulator | within 15 % | ZigZag's temporal loops |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|--:|")
within = []
for L, nn, zz, z, split, tiles, l in rows:
    acc_nn = "-" if nn["e_acc"] is None else f"{nn['e_acc']:.2f}"
    acc_zz = "-" if zz["acc"] is None else f"{zz['e_acc']:.2f}"
    r = nn["e_dyn"] / zz["e_dyn"]
    r_noacc = (nn["e_dyn"] - (nn["e_acc"] or 0)) / (zz["e_dyn"] - zz["e_acc"])  # noqa
    ok = abs(r - 1) <= TARGET
    within.append((L.name, r, ok))
    note_path = os.path.join(out, "layers", f"{L.name}.mapping_note.txt")
    note = open(note_path).read() if os.path.exists(note_path) else ""
    loops = "nnasim's" if "temporal forced" in note else "LOMA's"
    print(f"| {L.name} | {nn['e_mac']:.2f} / {zz['e_mac']:.2f} | {nn['e_ocm']:.2f} / {zz['e_ocm']:.2f} | {acc_nn} / {acc_zz} | "
          f"{nn['e_dram']:.2f} / {zz['e_dram']:.2f} | {nn['e_dyn']:.2f} | {zz['e_dyn']:.2f} | {r:.3f} | {r_noacc:.3f} | {'yes' if ok else 'no'} | {loops} |")
tn = sum(r[1]["e_dyn"] for r in rows)
tz = sum(r[2]["e_dyn"] for r in rows)
print(f"| all | | | | | {tn:.2f} | {tz:.2f} | {tn / tz:.3f} | | |")
print(f"\n{sum(1 for w in within if w[2])} of {len(within)} layers within {TARGET:.0%} (nnasim's static energy, "
      "which ZigZag does not model, is left out of both). Last column: whether ZigZag ran nnasim's tiles as its "
      "temporal loops or, where its loop nest cannot express them (streamed reduction blocks, unequal tiles), "
      "LOMA's choice (the spatial unrolling is nnasim's in both; bench/zigzag/nnasim_map.py).")

print("\n## Cycles\n")
print("| layer | nnasim cycles | tiles | array use nnasim | array use ZigZag | ZigZag ideal | ZigZag stalls | ZigZag load+offload | ZigZag total | nnasim / ZigZag |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for L, nn, zz, z, split, tiles, l in rows:
    print(f"| {L.name} | {nn['cycles']:,} | {nn['tiles']} | {nn_util(tiles):.3f} | {z['spatial_utilization']:.3f} | "
          f"{z['ideal_temporal_cycles']:,.0f} | {z['stall_cycles']:,.0f} | {z['onloading_cycles'] + z['offloading_cycles']:,.0f} | "
          f"{zz['cycles']:,.0f} | {nn['cycles'] / zz['cycles']:.2f} |")

print("\n## OCM bytes by operand\n")
print("nnasim (from its Program): DRAM loads written (weights, activations), operands read and results "
      "written by the array, stores read. ZigZag: per operand, read + written at the OCM level.\n")
print("| layer | nnasim load W | load act | array reads | array writes | store reads | ZigZag I r+w | W r+w | O r+w |")
print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
for L, nn, zz, z, split, tiles, l in rows:
    o = z["levels"]["ocm"]
    zo = {op: o["read_bytes"].get(op, 0) + o["write_bytes"].get(op, 0) for op in ("I", "W", "O")}
    print(f"| {L.name} | {fmt_b(split['load_w'])} | {fmt_b(split['load_a'])} | {fmt_b(split['compute_r'])} | "
          f"{fmt_b(split['compute_w'])} | {fmt_b(split['store_r'])} | {fmt_b(zo['I'])} | {fmt_b(zo['W'])} | {fmt_b(zo['O'])} |")

print("\n## Mappings\n")
print("ZigZag's loops per memory level of the weights (inner to outer; levels: PE register / OCM / DRAM); "
      "a loop at the DRAM level re-fetches what is below it, as nnasim's tiles do.\n")
print("| layer | GEMM | nnasim tiles (M x K x N x groups: count) | ZigZag spatial | ZigZag temporal (W levels) | how the mapping was matched |")
print("|---|---|---|---|---|---|")
for L, nn, zz, z, split, tiles, l in rows:
    M, K, N, G = L.gemm
    t = ", ".join(f"{m}x{k}x{n}x{g}: {c}" for (m, k, n, g), c in sorted(tiles.items()))
    mp = yaml.safe_load(open(os.path.join(out, "layers", f"{L.name}.mapping.yaml")))[-1]["spatial_mapping"]
    sm = "; ".join(f"{dim} {' '.join(e.replace(', ', '') for e in v)}" for dim, v in mp.items())
    wl = z["temporal_mapping"].get("W", [])
    loops = " / ".join(" ".join(f"{d}{s:g}" for d, s in lvl) or "-" for lvl in wl)
    note_p = os.path.join(out, "layers", f"{L.name}.mapping_note.txt")
    note = open(note_p).read().strip() if os.path.exists(note_p) else ""
    print(f"| {L.name} | {M}x{K}x{N}{f'x{G}' if G > 1 else ''} | {t} | {sm} | {loops} | {note} |")

secs = []
for n in names:
    p = os.path.join(out, "layers", f"{n}.zigzag.seconds")
    if os.path.exists(p):
        secs.append(float(open(p).read()))
if secs:
    print(f"\nZigZag wall time: {sum(secs):.0f} s for {len(secs)} layers (nice -n 10, shared machine).")
