#!/usr/bin/env python3
"""Draws a timeline written by `nnasim run --timeline TL.json` as a PNG: one row per core unit
(MAC array, DMA, LNS unit, vector unit) with one bar per slice, coloured by layer, and the DRAM
bandwidth counter underneath. For a quick look without Perfetto.

    /usr/bin/python3 scripts/plot_timeline.py TL.json -o timeline.png [--from-us A --to-us B]
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("timeline")
    ap.add_argument("-o", "--output", default="timeline.png")
    ap.add_argument("--from-us", type=float, default=None, help="start of the window (microseconds)")
    ap.add_argument("--to-us", type=float, default=None, help="end of the window (microseconds)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available: skipping the timeline plot", file=sys.stderr)
        return 0

    with open(args.timeline) as f:
        doc = json.load(f)
    events = doc["traceEvents"]
    proc = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    thread = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    dram_pid = max(proc) if proc else 0
    slices = [e for e in events if e["ph"] == "X" and e["pid"] != dram_pid]
    counter = sorted((e["ts"], list(e["args"].values())[0]) for e in events if e["ph"] == "C")
    t0 = args.from_us if args.from_us is not None else 0.0
    t1 = args.to_us if args.to_us is not None else max((e["ts"] + e["dur"] for e in slices), default=1.0)

    tracks = sorted({(e["pid"], e["tid"]) for e in slices})
    layers = []
    for e in sorted(slices, key=lambda e: e["ts"]):
        if e["name"] not in layers:
            layers.append(e["name"])
    palette = plt.get_cmap("tab20").colors
    colour = {name: palette[i % len(palette)] for i, name in enumerate(layers)}

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(13, 1.0 + 0.32 * len(tracks) + 1.6), sharex=True,
                                 gridspec_kw={"height_ratios": [max(2, len(tracks)), 3]})
    for row, key in enumerate(tracks):
        bars = [(e["ts"], e["dur"]) for e in slices if (e["pid"], e["tid"]) == key
                and e["ts"] + e["dur"] >= t0 and e["ts"] <= t1]
        cols = [colour[e["name"]] for e in slices if (e["pid"], e["tid"]) == key
                and e["ts"] + e["dur"] >= t0 and e["ts"] <= t1]
        ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=cols, edgecolor="none")
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels([f"{proc.get(p, p)} {thread.get((p, t), t)}" for p, t in tracks], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(t0, t1)
    meta = doc.get("metadata", {})
    ax.set_title(args.title or f"{meta.get('model', '')} on {meta.get('hardware', '')}: one bar per command, colour = layer")
    xs, ys = [], []
    for ts, v in counter:
        if xs:
            xs.append(ts)
            ys.append(ys[-1])
        xs.append(ts)
        ys.append(v)
    bx.fill_between(xs, ys, step=None, alpha=0.5)
    bx.plot(xs, ys, linewidth=0.6)
    bx.set_ylabel("DRAM GB/s")
    bx.set_xlabel("time (us)")
    bx.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
