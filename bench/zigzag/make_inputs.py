"""Write the inputs of bench/compare_zigzag.sh into OUT: accelerator.yaml (ZigZag, matched to the
nnasim hardware YAML), hw.json (what was read from it), layers.txt, and per layer
LAYER.nnasim.yaml and LAYER.workload.yaml under OUT/layers (the mapping follows nnasim's run:
nnasim_map.py).

Usage: make_inputs.py models NNASIM_HW.yaml OUT [LAYER ...]   (before nnasim runs)
       make_inputs.py zigzag NNASIM_HW.yaml OUT                (after: reads OUT/layers/*.nnasim.json)
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
    if len(sys.argv) < 4 or sys.argv[1] not in ("models", "zigzag"):
        print("usage: make_inputs.py models|zigzag NNASIM_HW.yaml OUT [LAYER ...]", file=sys.stderr)
        sys.exit(2)
    phase, hw_path, out = sys.argv[1:4]
    known = {L.name: L for L in lmod.LAYERS}
    if phase == "models":
        # 1. the layers' nnasim models and layers.txt
        want = sys.argv[4:]
        bad = [w for w in want if w not in known]
        if bad:
            print(f"error: unknown layer(s) {', '.join(bad)}; expected some of: {', '.join(known)}", file=sys.stderr)
            sys.exit(2)
        run = [known[w] for w in want] if want else lmod.LAYERS
        os.makedirs(os.path.join(out, "layers"), exist_ok=True)
        with open(os.path.join(out, "layers.txt"), "w") as f:
            f.write("\n".join(L.name for L in run) + "\n")
        for L in run:
            with open(os.path.join(out, "layers", L.name + ".nnasim.yaml"), "w") as f:
                f.write(lmod.nnasim_yaml(L))
        return
    # 2. after nnasim ran: the matched accelerator (figures nnasim resolved itself, such as the OCM's
    # energy from its capacity, come from the first layer's report) and the ZigZag workloads
    run = [known[n] for n in open(os.path.join(out, "layers.txt")).read().split()]
    report = json.load(open(os.path.join(out, "layers", run[0].name + ".nnasim.json")))
    try:
        a = hwmod.read_nnasim_hw(hw_path, accumulator=os.environ.get("ACCUMULATOR", "") != "none", report=report)
    except (KeyError, ValueError, StopIteration) as e:
        print(f"error: {hw_path}: cannot build the matched machine: {e!r}", file=sys.stderr)
        sys.exit(2)
    if a["dataflow"] != "weight_stationary":
        print(f"error: {hw_path}: the matched ZigZag accelerator is weight stationary; this file is {a['dataflow']}",
              file=sys.stderr)
        sys.exit(2)
    dump(hwmod.zigzag_accelerator(a), os.path.join(out, "accelerator.yaml"))
    with open(os.path.join(out, "hw.json"), "w") as f:
        json.dump({"hw_file": os.path.abspath(hw_path), **a}, f, indent=1)
    for L in run:
        dump(lmod.zigzag_workload(L, a["acc"]["entry_bits"] if a["acc"] else 32),
             os.path.join(out, "layers", L.name + ".workload.yaml"))


if __name__ == "__main__":
    main()
