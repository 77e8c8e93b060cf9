"""Write the inputs of bench/compare_zigzag.sh into OUT: accelerator.yaml (ZigZag, matched to the
nnasim hardware YAML), hw.json (what was read from it), layers.txt, and per layer
LAYER.nnasim.yaml and LAYER.workload.yaml under OUT/layers (the mapping follows nnasim's run:
nnasim_map.py).

Usage: make_inputs.py NNASIM_HW.yaml OUT [LAYER ...]
Environment: ACCUMULATOR=none leaves the accumulator level out of the ZigZag machine (partial sums
then go to OCM)."""
import json
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hw as hwmod  # noqa: E402
import layers as lmod  # noqa: E402


class _NoAlias(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def dump(obj, path):
    with open(path, "w") as f:
        yaml.dump(obj, f, Dumper=_NoAlias, sort_keys=False)


def main():
    hw_path, out = sys.argv[1], sys.argv[2]
    want = sys.argv[3:]
    known = {L.name: L for L in lmod.LAYERS}
    bad = [w for w in want if w not in known]
    if bad:
        print(f"error: unknown layer(s) {', '.join(bad)}; expected some of: {', '.join(known)}", file=sys.stderr)
        sys.exit(2)
    try:
        a = hwmod.read_nnasim_hw(hw_path, accumulator=os.environ.get("ACCUMULATOR", "") != "none")
    except (KeyError, ValueError, StopIteration) as e:
        print(f"error: {hw_path}: cannot build the matched machine: {e!r}", file=sys.stderr)
        sys.exit(2)
    if a["dataflow"] != "weight_stationary":
        print(f"error: {hw_path}: the matched ZigZag accelerator is weight stationary; this file is {a['dataflow']}",
              file=sys.stderr)
        sys.exit(2)
    os.makedirs(os.path.join(out, "layers"), exist_ok=True)
    dump(hwmod.zigzag_accelerator(a), os.path.join(out, "accelerator.yaml"))
    with open(os.path.join(out, "hw.json"), "w") as f:
        json.dump({"hw_file": os.path.abspath(hw_path), **a}, f, indent=1)
    run = [known[w] for w in want] if want else lmod.LAYERS
    with open(os.path.join(out, "layers.txt"), "w") as f:
        f.write("\n".join(L.name for L in run) + "\n")
    for L in run:
        base = os.path.join(out, "layers", L.name)
        with open(base + ".nnasim.yaml", "w") as f:
            f.write(lmod.nnasim_yaml(L))
        dump(lmod.zigzag_workload(L, a["acc"]["entry_bits"] if a["acc"] else 32), base + ".workload.yaml")


if __name__ == "__main__":
    main()
