"""nnasim's mapping of a layer, read from its Program, as a ZigZag mapping.

nnasim's Program lists one Compute command per tile with its GEMM shape (M pixels x K reduction x
N filters x groups) and the DRAM loads that feed it. From those:
  spatial   D1 (columns) <- filters: the columns a tile uses, min(cols, N_tile); D2 (rows) <- the
            reduction, as in layers.spatial_unrolling; depthwise: FY x FX on D2, p channels on D1
  temporal  innermost the streamed pixels (OX, then the tile's OY rows), then the tile's row folds
            (the rest of C, FX, FY), then its column folds (K), then the tiles themselves: row tiles
            (OY) and channel tiles (K), weights-outer when each weight tile is loaded once.
A layer whose tiles ZigZag's even loop nest cannot express (reduction tiles, ragged tiles, packed
depthwise folds that straddle tiles) keeps the spatial unrolling and leaves the temporal mapping to
LOMA; the note says which.

Usage: nnasim_map.py OUT_DIR [TEMPORAL]  (TEMPORAL: nnasim (default) or loma)
Writes OUT_DIR/layers/LAYER.mapping.yaml and LAYER.mapping_note.txt for every layer in layers.txt."""
import json
import math
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers as lmod  # noqa: E402
from make_inputs import dump  # noqa: E402  (imported for its YAML dumper only)


def read_program(path):
    """Compute tiles [(m, k, n, g)] in order, and the number of weight loads."""
    tiles, wloads = [], 0
    for line in open(path):
        f = line.split()
        if len(f) < 15:
            continue
        if f[0] == "compute":
            tiles.append(tuple(int(x) for x in f[5:9]))
        elif f[0] == "load" and f[3] == "1":
            wloads += 1
    return tiles, wloads


def nnasim_mapping(L, rows, cols, tiles, wloads, temporal="nnasim"):
    """(mapping entry dict for ZigZag, note)"""
    M, K, N, G = L.gemm
    o = L.ohw
    links = {"O": "O", "W": "I2", "I": "I1"}
    shapes = set(tiles)
    if L.depthwise:
        sm = lmod.spatial_unrolling(L, rows, cols)
        return {"spatial_mapping": sm, "memory_operand_links": links}, \
            (f"depthwise: nnasim packs {sm['D1'][0].split(', ')[1]} channels per fold within tiles of "
             f"{tiles[0][3]} channels; ZigZag gets the same channels per fold over all {G} (temporal: LOMA)")
    n_t = max(t[2] for t in tiles)
    sm = lmod.spatial_unrolling(L, rows, cols)
    d1 = min(cols, n_t)
    sm["D1"] = [f"K, {d1}"]
    entry = {"spatial_mapping": sm, "memory_operand_links": links}
    m_t, k_t = tiles[0][0], tiles[0][1]
    ragged = len(shapes) > 1
    why = None
    if temporal != "nnasim":
        why = "temporal: LOMA (asked for)"
    elif k_t != K:
        why = f"reduction tiles of {k_t} of {K}: temporal: LOMA"
    elif ragged and not L.fc:
        why = f"tiles of unequal shape {sorted(shapes)}: temporal: LOMA"
    elif (m_t % o) != 0:
        why = f"row tiles of {m_t} pixels are not whole output rows of {o}: temporal: LOMA"
    if why:
        return entry, f"columns per tile {d1}; {why}"
    # spatial factors on D2
    sp = {}
    for e in sm["D2"]:
        d, f = e.split(", ")
        sp[d] = int(f)
    oy_t = m_t // o
    row_tiles = math.ceil(o / oy_t)
    k_within = math.ceil(n_t / d1)
    ch_tiles = len(tiles) // row_tiles
    order = [["OX", o]] if o > 1 else []
    if oy_t > 1:
        order.append(["OY", oy_t])
    for d, size in (("C", L.cin), ("FX", L.k), ("FY", L.k)):
        t = math.ceil(size / sp.get(d, 1))
        if t > 1:
            order.append([d, t])
    if k_within > 1:
        order.append(["K", k_within])
    outer = []
    if row_tiles > 1:
        outer.append(["OY", row_tiles])
    if ch_tiles > 1:
        outer.append(["K", ch_tiles])
    weights_outer = wloads <= max(1, ch_tiles)
    if not weights_outer:
        outer.reverse()
    order += outer
    entry["temporal_ordering"] = order
    loops = " ".join(f"{d}{s}" for d, s in order)
    return entry, (f"columns per tile {d1}; temporal forced to nnasim's tiles ({len(tiles)} tiles of "
                   f"{m_t}x{k_t}x{n_t}, {'weights' if weights_outer else 'inputs'} outer): {loops}")


def main():
    out = sys.argv[1]
    temporal = sys.argv[2] if len(sys.argv) > 2 else "nnasim"
    hw = json.load(open(os.path.join(out, "hw.json")))
    known = {L.name: L for L in lmod.LAYERS}
    for name in open(os.path.join(out, "layers.txt")).read().split():
        L = known[name]
        base = os.path.join(out, "layers", name)
        tiles, wloads = read_program(base + ".program")
        entry, note = nnasim_mapping(L, hw["rows"], hw["cols"], tiles, wloads, temporal)
        default = {"name": "default", "spatial_mapping": entry["spatial_mapping"],
                   "memory_operand_links": entry["memory_operand_links"]}
        dump([default, {"name": name, **entry}], base + ".mapping.yaml")
        with open(base + ".mapping_note.txt", "w") as f:
            f.write(note + "\n")


if __name__ == "__main__":
    main()
