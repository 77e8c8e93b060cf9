#!/usr/bin/python3
"""Draws the figures of a sweep's results file (nnasim sweep ... -o results.csv or results.jsonl).

  scripts/plot_sweep.py results.csv|results.jsonl [-o OUT_DIR] [--metrics seconds,energy_joules,...]
                        [--pareto X,Y[:max]] [--accuracy bits|fp32]

A JSON Lines file gives the same columns as the CSV (its points' keys, the figures the CSV holds,
the accuracy columns and status), and every other number of each point's report as a dotted
column (e.g. --metrics inference.cycles,energy.breakdown.mac); per-layer figures are left out.

What the sweep varied decides what is drawn (every point is drawn; nothing is averaged unless a
title says so):
  METRIC_vs_AXIS.png             each chosen metric against each varied hardware axis (the columns
                                 before `model`, and weight_bits when it varies): one panel per
                                 network, one line per configuration of the other varied columns.
  heatmap_METRIC_MODEL[_HW].png  when exactly two axes vary: the metric over both, per network.
  pareto_X_Y.png                 every point in the plane of two objectives (minimised unless
                                 `:max`), the non-dominated ones joined and marked.
The seed study's figures, when the sweep varies weight_bits over networks with accuracy figures:
  tradeoff_<hw>.png
  tradeoff_<hw>.png              top-1 accuracy against seconds, DRAM bytes and joules per
                                 inference (log x), with the trade-off line fitted in log x through
                                 the non-dominated networks (the seed's Figure 1). Uses the 8-bit
                                 rows (or the widest weights present) and top1 at those bits
                                 (--accuracy fp32: the FP32 figure, said in the title); several rows
                                 of one network are combined by their geometric mean, said in the title.
  improvement_<metric>_<hw>.png  relative improvement of 6- and 4-bit weights over 8-bit, per
                                 network, for seconds, bandwidth (dram_bytes) and energy
                                 (the seed's Figures 2-7): value at 8 bits / value at n bits.
Only rows whose status is "ok" are drawn. Exits 0 without drawing when matplotlib is missing.
"""
import argparse
import csv
import json
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


# The figure columns of a sweep's CSV and where each lies in a point's report (results.cpp,
# figures_of): a path of keys, or a sum of paths.
FIGURES = [("seconds", [("inference", "seconds")]),
           ("inferences_per_second", [("inference", "inferences_per_second")]),
           ("dram_bytes", [("dram", "read_bytes"), ("dram", "write_bytes")]),
           ("energy_joules", [("energy", "joules")]),
           ("tops_per_watt", [("energy", "tops_per_watt")]),
           ("mac_utilization", [("inference", "mac_utilization")]),
           ("energy_ocm_joules", [("energy", "breakdown", "ocm")]),
           ("energy_dram_joules", [("energy", "breakdown", "dram")]),
           ("energy_static_joules", [("energy", "breakdown", "static")]),
           ("area_mm2", [("area", "mm2")]),
           ("tops_per_mm2", [("area", "tops_per_mm2")]),
           ("efficiency", [("inference", "efficiency")]),
           ("energy_accumulator_joules", [("energy", "breakdown", "accumulator")])]
ACCURACY = ["top1", "top1_fp32", "top1_source"]


def text_of(v):
    """A JSON value as the CSV writes it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return str(v)


def lookup(report, path):
    for key in path:
        if not isinstance(report, dict) or key not in report:
            return None
        report = report[key]
    return report


def flatten(obj, prefix, out):
    """Scalar leaves of a report as dotted columns (lists, such as the layers, are left out)."""
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            flatten(v, name + ".", out)
        elif not isinstance(v, list):
            out[name] = text_of(v)


def fail(message):
    """Bad input: one line on stderr, exit status 2."""
    print(message, file=sys.stderr)
    sys.exit(2)


def read_jsonl(path, text):
    """The rows of a sweep's JSON Lines file, with the CSV's columns first; (header, rows)."""
    header, extra, rows = [], [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            j = json.loads(line)
        except ValueError as e:
            fail(f"error: {path}:{lineno}: not a JSON object ({e}): expected a file written by nnasim sweep")
        if not isinstance(j, dict) or not isinstance(j.get("point"), dict):
            fail(f"error: {path}:{lineno}: no 'point' object: expected a file written by nnasim sweep")
        row = {k: text_of(v) for k, v in j["point"].items()}
        report = j.get("report") if isinstance(j.get("report"), dict) else {}
        for col, paths in FIGURES:
            vals = [lookup(report, p) for p in paths]
            if any(v is None for v in vals):
                row[col] = ""
            elif len(vals) == 1:
                row[col] = text_of(vals[0])
            else:
                row[col] = text_of(sum(vals))
        for col in ACCURACY:
            row[col] = text_of(j.get(col))
        row["status"] = text_of(j.get("status", ""))
        more = {}
        flatten(report, "", more)
        for k, v in more.items():
            if k not in row:
                row[k] = v
                if k not in extra:
                    extra.append(k)
        if not header:
            header = list(j["point"].keys()) + [c for c, _ in FIGURES] + ACCURACY + ["status"]
        rows.append(row)
    return header + extra, rows


def read_table(path):
    """(header, ok rows) of a sweep's results: CSV, or JSON Lines (.jsonl)."""
    with open(path, newline="") as f:
        text = f.read()
    if text and not text.endswith("\n"):  # a sweep killed mid-write leaves a torn last line
        text = text[: text.rfind("\n") + 1]
    if path.endswith(".jsonl"):
        header, rows = read_jsonl(path, text)
    else:
        header = next(csv.reader(text.splitlines()), [])
        rows = list(csv.DictReader(text.splitlines()))
    return header, [r for r in rows if r.get("status", "ok") == "ok"]


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


def tradeoff_figure(plt, rows, hw, out_dir, accuracy="bits"):
    wbs = sorted({int(r["weight_bits"]) for r in rows if r.get("weight_bits", "").isdigit()})
    bits = 8 if 8 in wbs else (wbs[-1] if wbs else None)
    if bits is not None:
        rows = [r for r in rows if r.get("weight_bits") == str(bits)]
    models = ordered(r["model"] for r in rows)
    acc_col = "top1_fp32" if accuracy == "fp32" else "top1"
    top1 = {r["model"]: number(r.get(acc_col)) for r in rows}
    unknown = [m for m in models if top1.get(m) is None]
    models = [m for m in models if top1.get(m) is not None]
    if not models:
        print(f"plot_sweep: {hw}: no {acc_col} values: skipping the trade-off chart (--accuracy fp32 uses the FP32 figures)")
        return None
    per_model = max(sum(1 for r in rows if r["model"] == m) for m in models)
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
    axes[0].set_ylabel("top-1 accuracy (%)" + (" — FP32 figure" if accuracy == "fp32" else ""))
    bits_text = f", {bits}-bit weights" if bits is not None else ""
    notes = []
    if accuracy == "fp32":
        notes.append("accuracy: published FP32 top-1, not measured at this bit depth")
    else:
        notes.append(f"accuracy: published top-1 at {bits} bits" if bits else "accuracy: published top-1")
    if unknown:
        notes.append(f"left out (no published accuracy): {', '.join(unknown)}")
    if per_model > 1:
        notes.append(f"each dot: geometric mean of up to {per_model} points of a network")
    fig.suptitle(f"Accuracy against cost on {hw}{bits_text}\n" + "; ".join(notes), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    path = os.path.join(out_dir, f"tradeoff_{slug(hw)}.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
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
        per = max(len(v) for v in by_key.values())
        extra = f"\n(geometric mean of up to {per} points per network and bit depth)" if per > 1 else ""
        ax.set_title(f"Relative improvement in {label} on {hw}{extra}")
        ax.legend(fontsize=8)
        ax.grid(True, axis="y", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(out_dir, f"improvement_{col}_{slug(hw)}.png")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths



# --- hardware sweeps ----------------------------------------------------------------------------

UNITS = {"seconds": "s", "inferences_per_second": "1/s", "dram_bytes": "bytes", "energy_joules": "J",
         "tops_per_watt": "TOPS/W", "mac_utilization": "fraction of peak", "energy_ocm_joules": "J",
         "energy_dram_joules": "J", "energy_static_joules": "J", "area_mm2": "mm²", "tops_per_mm2": "TOPS/mm²",
         "top1": "%", "top1_fp32": "%"}
NAMES = {"seconds": "time per inference", "inferences_per_second": "inferences per second",
         "dram_bytes": "DRAM traffic per inference", "energy_joules": "energy per inference",
         "tops_per_watt": "energy efficiency", "mac_utilization": "MAC utilisation",
         "energy_ocm_joules": "OCM energy per inference", "energy_dram_joules": "DRAM energy per inference",
         "energy_static_joules": "static energy per inference", "area_mm2": "chip area",
         "tops_per_mm2": "achieved TOPS per mm²", "top1": "top-1 accuracy at the weight bits",
         "top1_fp32": "FP32 top-1 accuracy"}
SI = {"B": 1, "kB": 1e3, "KB": 1e3, "KiB": 1024, "MB": 1e6, "MiB": 2 ** 20, "GB": 1e9, "GiB": 2 ** 30,
      "B/s": 1, "kB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "TB/s": 1e12, "KiB/s": 1024, "MiB/s": 2 ** 20, "GiB/s": 2 ** 30,
      "Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "pJ": 1e-12, "nJ": 1e-9, "ns": 1e-9, "us": 1e-6, "ms": 1e-3,
      "s": 1, "W": 1, "mW": 1e-3, "pJ/B": 1e-12, "pJ/bit": 8e-12}


def axis_value(text):
    """'256 KiB' -> (262144.0, 'KiB'); '4' -> (4.0, ''); None when not a number."""
    m = re.match(r"^\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(\S*)\s*$", text or "")
    if not m:
        return None
    unit = m.group(2)
    if unit and unit not in SI:
        return None
    return float(m.group(1)) * SI.get(unit, 1), unit


def unit_of(metric):
    """The unit of a CSV column, or of a report's dotted column (JSON Lines) by its name."""
    if metric in UNITS:
        return UNITS[metric]
    leaf = metric.rsplit(".", 1)[-1]
    if metric.startswith("energy.breakdown.") or leaf.endswith("joules"):
        return "J"
    for suffix, unit in (("bytes", "bytes"), ("seconds", "s"), ("cycles", "cycles"), ("mm2", "mm²"), ("watts", "W")):
        if leaf.endswith(suffix):
            return unit
    return None


def label(metric):
    unit = unit_of(metric)
    return f"{NAMES.get(metric, metric)} ({unit})" if unit else NAMES.get(metric, metric)


def varied_axes(rows, header):
    """Columns the sweep varied: those before `model` with more than one value (numeric), and
    weight_bits when it varies."""
    cut = header.index("model") if "model" in header else 0
    axes = [c for c in header[:cut] if len({r[c] for r in rows}) > 1 and all(axis_value(r[c]) for r in rows)]
    if "weight_bits" in header and len({r["weight_bits"] for r in rows}) > 1 and all(
            axis_value(r["weight_bits"]) for r in rows):
        axes.append("weight_bits")
    return axes


def set_axis(ax, rows, axis):
    vals = sorted({axis_value(r[axis])[0]: r[axis] for r in rows}.items())
    xs = [v for v, _ in vals]
    if xs[0] > 0 and xs[-1] / xs[0] >= 8:
        ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.set_xticklabels([t for _, t in vals], rotation=30 if len(vals) > 5 else 0, ha="right" if len(vals) > 5 else "center",
                       fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel(axis)


def metric_vs_axis(plt, rows, metric, axis, others, out_dir):
    models = ordered(r["model"] for r in rows)
    cfg_cols = [c for c in others if c != axis]
    ncol = min(len(models), 3)
    nrow = (len(models) + ncol - 1) // ncol
    fig, axs = plt.subplots(nrow, ncol, figsize=(5.5 * ncol + 2.5, 4 * nrow), squeeze=False)
    drawn = 0
    for k, m in enumerate(models):
        ax = axs[k // ncol][k % ncol]
        mrows = [r for r in rows if r["model"] == m]
        for cfg in ordered(tuple(r[c] for c in cfg_cols) for r in mrows):
            pts = sorted((axis_value(r[axis])[0], number(r.get(metric))) for r in mrows
                         if tuple(r[c] for c in cfg_cols) == cfg and number(r.get(metric)) is not None)
            if not pts:
                continue
            name = ", ".join(f"{c}={v}" for c, v in zip(cfg_cols, cfg)) or m
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3, linewidth=1.2, label=name)
            drawn += 1
        set_axis(ax, mrows, axis)
        ax.set_ylabel(label(metric))
        ax.set_title(m, fontsize=10)
        ax.grid(True, alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        if 1 < len(handles) <= 24:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    for k in range(len(models), nrow * ncol):
        axs[k // ncol][k % ncol].axis("off")
    if not drawn:
        plt.close(fig)
        return None
    what = f"one line per configuration of {', '.join(cfg_cols)}" if cfg_cols else "one line per network"
    fig.suptitle(f"{NAMES.get(metric, metric)} against {axis}\n({what}; every point drawn)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    path = os.path.join(out_dir, f"{slug(metric)}_vs_{slug(axis)}.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def heatmaps(plt, rows, metric, axes2, out_dir):
    a, b = axes2
    paths = []
    hws = ordered(r["hardware"] for r in rows)
    for m in ordered(r["model"] for r in rows):
        for hw in hws:
            sub = [r for r in rows if r["model"] == m and r["hardware"] == hw]
            if not sub:
                continue
            av = sorted({axis_value(r[a])[0]: r[a] for r in sub}.items())
            bv = sorted({axis_value(r[b])[0]: r[b] for r in sub}.items())
            grid = [[None] * len(av) for _ in bv]
            seen = {}
            for r in sub:
                i = [t for _, t in bv].index(r[b])
                j = [t for _, t in av].index(r[a])
                v = number(r.get(metric))
                seen[(i, j)] = seen.get((i, j), 0) + 1
                grid[i][j] = v
            if max(seen.values()) > 1:
                print(f"plot_sweep: {metric}: several rows per cell of {a} x {b} for {m}: no heat map (it would have to average)")
                return paths
            vals = [v for row in grid for v in row if v is not None]
            if not vals:
                continue
            fig, ax = plt.subplots(figsize=(1.1 * len(av) + 3.5, 0.6 * len(bv) + 2.8))
            data = [[float("nan") if v is None else v for v in row] for row in grid]
            im = ax.imshow(data, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(len(av)))
            ax.set_xticklabels([t for _, t in av], rotation=30, ha="right", fontsize=8)
            ax.set_yticks(range(len(bv)))
            ax.set_yticklabels([t for _, t in bv], fontsize=8)
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            lo, hi = min(vals), max(vals)
            for i, row in enumerate(grid):
                for j, v in enumerate(row):
                    if v is not None:
                        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=7,
                                color="white" if hi > lo and (v - lo) / (hi - lo) < 0.5 else "black")
            fig.colorbar(im, ax=ax, label=label(metric))
            hw_text = f" on {hw}" if len(hws) > 1 else ""
            ax.set_title(f"{NAMES.get(metric, metric)}: {m}{hw_text}", fontsize=10)
            fig.tight_layout()
            name = f"heatmap_{slug(metric)}_{slug(m)}" + (f"_{slug(hw)}" if len(hws) > 1 else "") + ".png"
            path = os.path.join(out_dir, name)
            fig.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(fig)
            paths.append(path)
    return paths


def pareto_scatter(plt, rows, spec, out_dir):
    objs = []
    for part in spec.split(","):
        col, _, goal = part.partition(":")
        objs.append((col, goal == "max"))
    if len(objs) != 2:
        print(f"plot_sweep: --pareto {spec}: expected two objectives X,Y")
        return None
    (xc, xmax), (yc, ymax) = objs
    pts, left_out = [], 0
    for r in rows:
        x, y = number(r.get(xc)), number(r.get(yc))
        if x is None or y is None:
            left_out += 1
            continue
        pts.append((x, y, r))
    if not pts:
        print(f"plot_sweep: --pareto {spec}: no row has numbers in both columns")
        return None
    # Non-dominated within each network (minimise, or maximise with :max, both objectives).
    def front_of(sub):
        key = sorted(((x if not xmax else -x), (y if not ymax else -y), i) for i, (x, y, r) in enumerate(sub))
        out, best = [], math.inf
        for _, ky, i in key:
            if ky < best:
                out.append(sub[i])
                best = ky
        return sorted((x, y) for x, y, _ in out)

    fig, ax = plt.subplots(figsize=(8, 5.5))
    models = ordered(r["model"] for _, _, r in pts)
    n_front = 0
    for k, m in enumerate(models):
        mp = [p for p in pts if p[2]["model"] == m]
        color = f"C{k % 10}"
        ax.scatter([p[0] for p in mp], [p[1] for p in mp], s=14, alpha=0.55, color=color, label=f"{m} ({len(mp)} points)")
        fr = front_of(mp)
        n_front += len(fr)
        ax.plot([p[0] for p in fr], [p[1] for p in fr], color=color, linewidth=1, zorder=4)
        ax.scatter([p[0] for p in fr], [p[1] for p in fr], s=60, facecolors="none", edgecolors="black", linewidths=1.2,
                   zorder=5, label="non-dominated in its network" if k == 0 else None)
    for c, axis_set in ((xc, ax.set_xscale), (yc, ax.set_yscale)):
        vals = [number(r.get(c)) for _, _, r in pts]
        if min(vals) > 0 and max(vals) / min(vals) > 50:
            axis_set("log")
    ax.set_xlabel(label(xc) + (" — higher is better" if xmax else ""))
    ax.set_ylabel(label(yc) + (" — higher is better" if ymax else ""))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    note = f"; {left_out} points without both values left out" if left_out else ""
    ax.set_title(f"{len(pts)} points in the plane of {xc} and {yc}, {n_front} non-dominated within their network{note}",
                 fontsize=10)
    fig.tight_layout()
    path = os.path.join(out_dir, f"pareto_{slug(xc)}_{slug(yc)}.png")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def main():
    ap = argparse.ArgumentParser(description="Draw the pictures of a sweep's results (CSV or JSON Lines).")
    ap.add_argument("results", help="results written by nnasim sweep: .csv, or .jsonl")
    ap.add_argument("-o", "--out", help="folder for the PNGs (default: the results file's folder)")
    ap.add_argument("--metrics", default=None,
                    help="metrics to draw against each varied axis (comma-separated columns; default: "
                         "seconds,energy_joules,dram_bytes,area_mm2, those the file has)")
    ap.add_argument("--pareto", action="append", default=None,
                    help="two objectives X,Y for a Pareto scatter, ':max' to maximise (repeatable; "
                         "default: seconds,energy_joules)")
    ap.add_argument("--accuracy", choices=["bits", "fp32"], default="bits",
                    help="trade-off chart: top-1 at the rows' weight bits (default) or the FP32 figure (said in its title)")
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
    header, rows = read_table(args.results)
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
    metrics = [m for m in (args.metrics or "").split(",") if m]
    if not metrics:
        metrics = [m for m in ("seconds", "energy_joules", "dram_bytes", "area_mm2") if m in header]
    for m in metrics:
        if m not in header:
            print(f"error: {args.results}:1: no column '{m}' for --metrics", file=sys.stderr)
            return 2
    metrics = [m for m in metrics if any(number(r.get(m)) is not None for r in rows)]
    axes = varied_axes(rows, header)
    others = axes + (["hardware"] if len({r["hardware"] for r in rows}) > 1 else [])
    hw_axes = [a for a in axes if a != "weight_bits"] or axes
    for axis in axes:
        for m in metrics:
            p = metric_vs_axis(plt, rows, m, axis, others, out_dir)
            if p:
                written.append(p)
    if len(axes) == 2:
        for m in metrics:
            written += heatmaps(plt, rows, m, axes, out_dir)
    elif len(axes) > 2:
        print(f"plot_sweep: {len(axes)} axes vary ({', '.join(axes)}): heat maps need exactly two")
    for spec in args.pareto or ["seconds,energy_joules"]:
        p = pareto_scatter(plt, rows, spec, out_dir)
        if p:
            written.append(p)
    # The seed study's figures: networks x weight bits (x hardware files), no hardware axis.
    if "weight_bits" in axes and not [a for a in axes if a != "weight_bits"]:
        for hw in ordered(r["hardware"] for r in rows):
            hw_rows = [r for r in rows if r["hardware"] == hw]
            p = tradeoff_figure(plt, hw_rows, hw, out_dir, args.accuracy)
            if p:
                written.append(p)
            written += improvement_figures(plt, hw_rows, hw, out_dir)
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
