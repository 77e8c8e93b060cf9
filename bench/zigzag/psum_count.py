"""Partial-sum traffic of a network on a weight-stationary array with R rows, counted by hand from
the architecture's definition (independent of nnasim and ZigZag).

A conv/FC layer reduces K = (cin / groups) x kh x kw products per output. An R-row array reduces R
of them per pass, so the reduction takes f = ceil(K / R) row folds. Between folds each output's
32-bit partial sum is kept somewhere: after folds 1..f-1 it is written, before folds 2..f it is
read back, i.e. (f - 1) read-modify-writes per output:
    bytes = outputs x (f - 1) x 2 x 4.
(An accumulator that also takes the first fold's write and the final read-out does 2f accesses
per output instead; that count is printed too.)

Layer shapes: torchvision resnet50 (v1.5: stride on the 3x3) and mobilenet_v2 at 224 x 224,
written out below from their definitions; `--onnx MODEL.onnx` cross-checks them against the Conv
and Gemm nodes of an ONNX export (shape-inferred with onnx.shape_inference).

Usage: psum_count.py [--rows R] [--onnx-resnet50 FILE] [--onnx-mobilenetv2 FILE]"""
import argparse
import math


def conv(name, cin, cout, hw_in, k, s=1, p=0, groups=1):
    ohw = (hw_in + 2 * p - k) // s + 1
    return {"name": name, "cin": cin, "cout": cout, "ohw": ohw, "k": k, "groups": groups}, ohw


def resnet50():
    L = []
    l, hw = conv("conv1", 3, 64, 224, 7, 2, 3)
    L.append(l)
    hw = (hw + 2 - 3) // 2 + 1  # max-pool 3x3/2 pad 1: 112 -> 56
    cin = 64
    for stage, (width, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], 1):
        for b in range(blocks):
            s = stride if b == 0 else 1
            n = f"layer{stage}.{b}"
            l1, _ = conv(n + ".conv1", cin, width, hw, 1)
            l2, hw2 = conv(n + ".conv2", width, width, hw, 3, s, 1)
            l3, _ = conv(n + ".conv3", width, width * 4, hw2, 1)
            L += [l1, l2, l3]
            if b == 0:
                ld, _ = conv(n + ".downsample", cin, width * 4, hw, 1, s)
                L.append(ld)
            cin, hw = width * 4, hw2
    L.append({"name": "fc", "cin": 2048, "cout": 1000, "ohw": 1, "k": 1, "groups": 1})
    return L


def mobilenet_v2():
    L = []
    l, hw = conv("features.0", 3, 32, 224, 3, 2, 1)
    L.append(l)
    cin, i = 32, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        for j in range(n):
            st = s if j == 0 else 1
            hid = cin * t
            m = f"features.{i}"
            if t != 1:
                le, _ = conv(m + ".expand", cin, hid, hw, 1)
                L.append(le)
            ld, hw2 = conv(m + ".dw", hid, hid, hw, 3, st, 1, groups=hid)
            lp, _ = conv(m + ".project", hid, c, hw2, 1)
            L += [ld, lp]
            cin, hw, i = c, hw2, i + 1
    l, _ = conv("features.18", 320, 1280, hw, 1)
    L.append(l)
    L.append({"name": "classifier", "cin": 1280, "cout": 1000, "ohw": 1, "k": 1, "groups": 1})
    return L


def from_onnx(path):
    import onnx
    from onnx import shape_inference
    m = shape_inference.infer_shapes(onnx.load(path))
    g = m.graph
    shapes = {}
    for v in list(g.value_info) + list(g.input) + list(g.output):
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    L = []
    for node in g.node:
        if node.op_type == "Conv":
            w = shapes[node.input[1]]
            o = shapes[node.output[0]]
            groups = next((a.i for a in node.attribute if a.name == "group"), 1)
            L.append({"name": node.name or node.output[0], "cin": w[1] * groups, "cout": w[0], "ohw": o[2],
                      "ohw2": o[3], "k": w[2], "k2": w[3], "groups": groups})
        elif node.op_type in ("Gemm", "MatMul"):
            w = shapes[node.input[1]]
            trans = next((a.i for a in node.attribute if a.name == "transB"), 0)
            cin, cout = (w[1], w[0]) if trans else (w[0], w[1])
            L.append({"name": node.name or node.output[0], "cin": cin, "cout": cout, "ohw": 1, "k": 1, "groups": 1})
    return L


def count(layers, R):
    tot = {"macs": 0, "rmw_bytes": 0, "acc_bytes": 0, "outputs": 0}
    for l in layers:
        h = l["ohw"]
        w = l.get("ohw2", h)
        kk = l["k"] * l.get("k2", l["k"])
        K = l["cin"] // l["groups"] * kk
        outs = h * w * l["cout"]
        f = math.ceil(K / R)
        tot["macs"] += outs * K
        tot["outputs"] += outs
        tot["rmw_bytes"] += outs * (f - 1) * 2 * 4
        tot["acc_bytes"] += outs * 2 * f * 4
    return tot


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=64)
    ap.add_argument("--onnx-resnet50")
    ap.add_argument("--onnx-mobilenetv2")
    a = ap.parse_args()
    for name, layers, onnx_path in (("ResNet-50", resnet50(), a.onnx_resnet50),
                                    ("MobileNetV2", mobilenet_v2(), a.onnx_mobilenetv2)):
        t = count(layers, a.rows)
        print(f"{name} on a {a.rows}-row array: {len(layers)} conv/FC layers, {t['macs']:,} MACs, "
              f"{t['outputs']:,} outputs; partial sums between row folds: {t['rmw_bytes']:,} B "
              f"({t['rmw_bytes'] / 1e6:.1f} MB) read + written; an accumulator taking every fold's write and "
              f"the final read: {t['acc_bytes'] / 1e6:.1f} MB")
        if onnx_path:
            o = count(from_onnx(onnx_path), a.rows)
            same = all(o[k] == t[k] for k in t)
            print(f"  cross-check against {onnx_path}: {o['macs']:,} MACs, {o['rmw_bytes']:,} B: "
                  f"{'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
