#!/usr/bin/env python3
"""Writes fuzz/seeds/onnx/: small ONNX models cut from the shipped zoo (models/*.onnx), for fuzz_onnx.

The zoo's files are 8-300 KB each; a fuzzer that starts from them spends its time parsing and
importing hundreds of nodes per input (about 270 inputs/s under ASan). These seeds are windows of
a few consecutive nodes, one window per distinct operator signature (op type, attribute names,
operand count) found in the zoo, so that every operator form the zoo uses is reached from an
input of one to a few KB. A window's operands that come from outside it become graph inputs with
the shapes ONNX's shape inference gives them (weights keep their declared shapes); Constant
nodes a window reads are copied into it. Only windows that nnasim imports are kept (the fuzzer
mutates from there into the error paths).

  /usr/bin/python3 fuzz/make_onnx_seeds.py [NNASIM_BINARY]   (needs python3-onnx)

The output is committed; rerun when the zoo gains operators.
"""
import glob
import hashlib
import os
import subprocess
import sys

import onnx
from onnx import helper, shape_inference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds", "onnx")
# Nodes per seed (Constants not counted) and where the window starts relative to the node, tried in
# this order until one imports: an element-wise operator often needs the real one before it.
MAX_BYTES = 16384  # a seed above this is left out (fuzz.sh runs fuzz_onnx with -max_len=65536)
# None: the model's prefix up to the node (where shape inference could not see through a dynamic
# Reshape, as in the transformers' attention blocks).
WINDOWS = [(3, 0), (1, 0), (2, -1), (3, -2), (5, -4), None]


def signature(node):
    return (node.op_type, tuple(sorted(a.name for a in node.attribute)), len(node.input))


def window_model(model, types, producers, start, size):
    g = model.graph
    nodes = []
    i = start
    while i < len(g.node) and len(nodes) < size:
        if g.node[i].op_type != "Constant":
            nodes.append(g.node[i])
        i += 1
    produced = {o for n in nodes for o in n.output}
    consts, inputs, seen = [], [], set()
    for n in nodes:
        for t in n.input:
            if not t or t in produced or t in seen:
                continue
            seen.add(t)
            p = producers.get(t)
            if p is not None and p.op_type == "Constant":
                consts.append(p)
            elif t in types:
                inputs.append(types[t])
            else:
                return None  # an operand of unknown shape: the window would not import
    consumed = {t for n in nodes for t in n.input}
    outputs = []
    for n in nodes:
        for o in n.output:
            if o and o not in consumed:
                outputs.append(types[o] if o in types else helper.make_empty_tensor_value_info(o))
    graph = helper.make_graph(consts + nodes, "seed", inputs, outputs)
    m = helper.make_model(graph, opset_imports=model.opset_import, producer_name="nnasim-fuzz-seed")
    m.ir_version = model.ir_version
    return m


def imports(nnasim, path):
    if not nnasim:
        return True
    r = subprocess.run([nnasim, "info", "--model", path], capture_output=True, text=True)
    return r.returncode == 0


def main():
    nnasim = sys.argv[1] if len(sys.argv) > 1 else None
    os.makedirs(OUT, exist_ok=True)
    for f in glob.glob(os.path.join(OUT, "*.onnx")):
        os.remove(f)
    seen_sigs, kept = set(), 0
    for path in sorted(glob.glob(os.path.join(ROOT, "models", "*.onnx"))):
        model = shape_inference.infer_shapes(onnx.load(path))
        g = model.graph
        types = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
        producers = {o: n for n in g.node for o in n.output}
        name = os.path.basename(path)[:-5]
        for i, node in enumerate(g.node):
            sig = signature(node)
            if node.op_type == "Constant" or sig in seen_sigs:
                continue
            for w in WINDOWS:
                size, back = w or (sum(n.op_type != "Constant" for n in g.node[: i + 1]), -i)
                start = max(0, i + back)
                while start > 0 and g.node[start].op_type == "Constant":
                    start -= 1
                m = window_model(model, types, producers, start, size)
                if m is None or m.ByteSize() > MAX_BYTES:
                    continue
                out = os.path.join(OUT, f"{name}_{i}_{node.op_type}.onnx")
                with open(out, "wb") as fh:
                    fh.write(m.SerializeToString())
                if imports(nnasim, out):
                    seen_sigs.add(sig)
                    kept += 1
                    break
                os.remove(out)
    print(f"{kept} seeds in {OUT}, {len(seen_sigs)} operator signatures", file=sys.stderr)


if __name__ == "__main__":
    main()
