#!/usr/bin/python3
"""Draws the figures of a sweep's results file (nnasim sweep ... -o results.csv).

  scripts/plot_sweep.py results.csv [-o OUT_DIR]

For each hardware configuration (the `hardware` column):
  tradeoff_<hw>.png              top-1 accuracy against seconds, DRAM bytes and joules per
                                 inference (log x), with the trade-off line fitted in log x through
                                 the non-dominated networks (the seed's Figure 1). Uses the 8-bit
                                 rows (or the widest weights present); several rows of one network
                                 (other axes) are combined by their geometric mean.
  improvement_<metric>_<hw>.png  relative improvement of 6- and 4-bit weights over 8-bit, per
                                 network, for seconds, bandwidth (dram_bytes) and energy
                                 (the seed's Figures 2-7): value at 8 bits / value at n bits.
Only rows whose status is "ok" are drawn. Exits 0 without drawing when matplotlib is missing.
"""
import argparse
import csv
import math
import os
import re
import sys

METRICS = [("seconds", "seconds per inference"),
           ("dram_bytes", "DRAM bytes per inference"),
           ("energy_joules", "joules per inference")]
IMPROVEMENTS = [("seconds", "seconds per inference"),
                ("dram_bytes", "bandwidth (DRAM bytes) per inference"),
                ("energy_joules", "energy per inference")]


def number(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def read_rows(path):
    with open(path, newline="") as f:
        text = f.read()
    if text and not text.endswith("\n"):  # a sweep killed mid-write leaves a torn last line
        text = text[: text.rfind("\n") + 1]
    rows = list(csv.DictReader(text.splitlines()))
    return [r for r in rows if r.get("status", "ok") == "ok"]


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "hw"


def ordered(values):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def pareto_front(points):
    """points: [(x, y, label)]; non-dominated for minimal x and maximal y, sorted by x."""
    front, best_y = [], -math.inf
    for x, y, label in sorted(points, key=lambda p: (p[0], -p[1])):
        if y > best_y:
            front.append((x, y, label))
            best_y = y
    return front


def tradeoff_figure(plt, rows, hw, out_dir):
    wbs = sorted({int(r["weight_bits"]) for r in rows if r.get("weight_bits", "").isdigit()})
    bits = 8 if 8 in wbs else (wbs[-1] if wbs else None)
    if bits is not None:
        rows = [r for r in rows if r.get("weight_bits") == str(bits)]
    models = ordered(r["model"] for r in rows)
    top1 = {r["model"]: number(r.get("top1")) for r in rows}
    models = [m for m in models if top1.get(m) is not None]
    if not models:
        print(f"plot_sweep: {hw}: no top1 values: skipping the trade-off chart")
        return None
    fig, axes = plt.subplots(1, len(METRICS), figsize=(6 * len(METRICS), 5), sharey=True)
    for ax, (col, label) in zip(axes, METRICS):
        pts = []
        for m in models:
            x = geomean([number(r.get(col)) for r in rows if r["model"] == m])
            if x is not None:
                pts.append((x, top1[m], m))
        if not pts:
            continue
        front = pareto_front(pts)
        on_front = {p[2] for p in front}
        for x, y, m in pts:
            ax.scatter([x], [y], color="tab:blue" if m in on_front else "tab:gray", zorder=3)
            ax.annotate(m, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        xs = [p[0] for p in pts]
        lo, hi = min(xs) / 1.5, max(xs) * 1.5
        if len(front) >= 2 and len({p[0] for p in front}) >= 2:
            # Least-squares line y = a + b log10(x) through the non-dominated networks.
            lx = [math.log10(p[0]) for p in front]
            ly = [p[1] for p in front]
            mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
            sxx = sum((a - mx) ** 2 for a in lx)
            b = sum((a - mx) * (c - my) for a, c in zip(lx, ly)) / sxx
            a = my - b * mx
            gx = [lo * (hi / lo) ** (i / 50) for i in range(51)]
            gy = [a + b * math.log10(v) for v in gx]
            ax.plot(gx, gy, color="tab:red", linewidth=1.5, label="trade-off line")
            ymin = min(p[1] for p in pts) - 1
            ax.fill_between(gx, [ymin] * len(gx), gy, where=[g > ymin for g in gy], color="tab:red",
                            alpha=0.08, label="below the line: poorer trade-off")
            ax.legend(loc="best", fontsize=8)
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(label + " (log)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("top-1 accuracy (%)")
    bits_text = f", {bits}-bit weights" if bits is not None else ""
    fig.suptitle(f"Accuracy against cost on {hw}{bits_text}")
    fig.tight_layout()
    path = os.path.join(out_dir, f"tradeoff_{slug(hw)}.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def improvement_figures(plt, rows, hw, out_dir):
    paths = []
    by_key = {}
    for r in rows:
        if r.get("weight_bits", "").isdigit():
            by_key.setdefault((r["model"], int(r["weight_bits"])), []).append(r)
    bits = sorted({b for _, b in by_key if b < 8}, reverse=True)
    models = [m for m in ordered(r["model"] for r in rows) if (m, 8) in by_key]
    if not models or not bits:
        print(f"plot_sweep: {hw}: no 8-bit rows with narrower weights beside them: skipping the improvement charts")
        return paths
    for col, label in IMPROVEMENTS:
        fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(models) + 2), 4.5))
        width = 0.8 / len(bits)
        drawn = []
        for i, b in enumerate(bits):
            vals = []
            for m in models:
                base = geomean([number(r.get(col)) for r in by_key[(m, 8)]])
                v = geomean([number(r.get(col)) for r in by_key.get((m, b), [])])
                vals.append(base / v if base and v else 0)
            drawn += [v for v in vals if v]
            xs = [k + (i - (len(bits) - 1) / 2) * width for k in range(len(models))]
            bars = ax.bar(xs, vals, width, label=f"{b}-bit weights")
            for bar, v in zip(bars, vals):
                if v:
                    ax.annotate(f"{v:.2f}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                                fontsize=6, xytext=(0, 1), textcoords="offset points")
        ax.axhline(1.0, color="black", linewidth=0.8)
        if drawn and max(drawn) / min(drawn) > 20:  # e.g. weights that become resident in OCM
            ax.set_yscale("log")
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels(models, rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("improvement over 8-bit weights (x)")
        ax.set_title(f"Relative improvement in {label} on {hw}")
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(out_dir, f"improvement_{col}_{slug(hw)}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def main():
    ap = argparse.ArgumentParser(description="Draw the trade-off and bit-depth charts of a sweep's results CSV.")
    ap.add_argument("results", help="results CSV written by nnasim sweep")
    ap.add_argument("-o", "--out", help="folder for the PNGs (default: the results file's folder)")
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available: skipping plots")
        return 0
    if not os.path.exists(args.results):
        print(f"error: {args.results}: no such file", file=sys.stderr)
        return 2
    rows = read_rows(args.results)
    if not rows:
        print(f"error: {args.results}: no rows with status ok", file=sys.stderr)
        return 2
    for col in ("model", "hardware"):
        if col not in rows[0]:
            print(f"error: {args.results}: no '{col}' column: expected a file written by nnasim sweep", file=sys.stderr)
            return 2
    out_dir = args.out or os.path.dirname(os.path.abspath(args.results))
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for hw in ordered(r["hardware"] for r in rows):
        hw_rows = [r for r in rows if r["hardware"] == hw]
        p = tradeoff_figure(plt, hw_rows, hw, out_dir)
        if p:
            written.append(p)
        written += improvement_figures(plt, hw_rows, hw, out_dir)
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
