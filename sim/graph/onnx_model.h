// ONNX import on the ONNX protobuf definitions (libonnx-dev).
#pragma once
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

// Loads an ONNX model (weights optional). Unknown operators are an InputError naming the operator
// and the node, unless allow_unknown_ops, which costs them as zero-MAC element-wise layers and
// warns once on stderr.
Graph load_onnx_model(const std::string& path, bool allow_unknown_ops = false);

}  // namespace nnasim::graph
