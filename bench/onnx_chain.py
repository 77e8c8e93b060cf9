#!/usr/bin/python3
"""Write an ONNX chain of N element-wise nodes (Relu) after one small Conv, for timing the
importer: `bench/onnx_chain.py N OUT.onnx`. Run with Debian's interpreter (python3-onnx)."""
import sys

import onnx
from onnx import TensorProto, helper

n = int(sys.argv[1])
out = sys.argv[2]
nodes = [helper.make_node("Conv", ["x", "w"], ["t0"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv")]
for i in range(n):
    nodes.append(helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"], name=f"relu{i}"))
graph = helper.make_graph(
    nodes, f"chain{n}",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16]),
     helper.make_tensor_value_info("w", TensorProto.FLOAT, [8, 8, 3, 3])],
    [helper.make_tensor_value_info(f"t{n}", TensorProto.FLOAT, [1, 8, 16, 16])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="nnasim-bench")
onnx.save(model, out)
