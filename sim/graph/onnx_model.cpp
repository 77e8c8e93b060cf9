// ONNX import on the ONNX protobuf definitions (onnx::ModelProto from libonnx-dev).
//
// The importer walks the nodes in file order (ONNX requires topological order) and turns each
// into at most one nnasim layer:
//   Conv -> conv; Gemm, MatMul with a 2-D weight -> fc; BatchNormalization -> batchnorm (with its
//   tensors when they are initializers); Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh ->
//   activation; Add, Sub -> add; Mul, Div -> mul (element-wise cost is the same); Concat (axis 1);
//   MaxPool, AveragePool; GlobalAveragePool and ReduceMean over H, W -> globalavgpool; Pad
//   (constant mode) -> pad.
//   Flatten, Reshape, Identity and Dropout make no layer: their consumers read the producer.
//   Constant nodes and initializers are parameters (weights, shapes, clip bounds).
// Every value keeps its ONNX shape ("logical" dims) next to the nnasim layer that computes it, so
// that a Flatten/Reshape followed by an FC is accepted (an FC flattens C*H*W) while a Reshape that
// changes the spatial layout feeding a conv is rejected instead of being costed wrongly.
// ONNX has no line numbers: a node's SourceLoc is {file, node index + 1} and messages say "node N".
//
// This file converts the operators with weights (convolutions, Gemm, MatMul, normalisations); the
// element-wise, pooling, reduction, padding and constant operators are in onnx_ops.cpp, the layout
// and shape operators in onnx_layout.cpp; the importer's walk over the graph, its per-node helpers
// and its errors are in onnx_importer.{h,cpp}, the protobuf readers in onnx_tensors.{h,cpp}.
#include "sim/graph/onnx_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "sim/graph/onnx_importer.h"

namespace nnasim::graph {
namespace onnx_detail {
namespace {

const char* kSupported =
    "Conv (1/2/3-D), ConvTranspose, Gemm, MatMul (by a weight or of two activations), BatchNormalization, "
    "LayerNormalization, Softmax, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu, Erf, Sqrt, Pow, Exp, "
    "Add, Sub, Mul, Div, Concat, Split, Slice, Gather, Transpose, MaxPool, AveragePool, GlobalAveragePool, "
    "ReduceMean, ReduceSum, ReduceMax, Resize, Upsample, Flatten, Reshape, Squeeze, Unsqueeze, Expand, Shape, "
    "Cast, Pad, Identity, Dropout, Constant, ConstantOfShape";

int64_t prod(const Dims& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < d.size(); ++i) p *= d[i];
  return p;
}

}  // namespace

void Importer::convert_node() {
  const std::string& op = node().op_type();
  const std::string& dom = node().domain();
  if (!dom.empty() && dom != "ai.onnx") return unknown(fmt::format("{}.{}", dom, op));
  // Every standard operator has an output 0, and the converters below define it (fuzz_onnx: a
  // Concat without outputs read past the end of its output list).
  if (node().output_size() == 0 || node().output(0).empty()) fail("has no output: expected at least one named output");
  if (fold_ints()) return;
  if (op == "Conv") return conv();
  if (op == "ConvTranspose") return conv_transpose();
  if (op == "Gemm") return gemm();
  if (op == "MatMul") return matmul();
  if (op == "BatchNormalization") return batchnorm();
  if (op == "LayerNormalization") return layer_norm();
  if (op == "Softmax") return softmax();
  if (op == "Relu") return activation(Act::Relu);
  if (op == "Sigmoid") return activation(Act::Sigmoid);
  if (op == "HardSigmoid") return activation(Act::HardSigmoid);
  if (op == "HardSwish") return activation(Act::HardSwish);
  if (op == "Tanh") return activation(Act::Tanh);
  if (op == "Gelu") return activation(Act::Gelu);
  if (op == "Erf") return activation(Act::Erf);
  if (op == "Sqrt") return activation(Act::Sqrt);
  if (op == "Exp") return activation(Act::Exp);
  if (op == "Pow") return activation(Act::Pow);
  if (op == "Clip") return clip();
  if (op == "Add" || op == "Sub") return elementwise(Op::Add);
  if (op == "Mul" || op == "Div") return elementwise(Op::Mul);
  if (op == "Concat") return concat();
  if (op == "MaxPool" || op == "AveragePool") return pool(op == "MaxPool" ? Op::MaxPool : Op::AvgPool);
  if (op == "GlobalAveragePool") return global_pool();
  if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax") return reduce(op);
  if (op == "Resize" || op == "Upsample") return resize();
  if (op == "Transpose") return transpose();
  if (op == "Slice") return slice();
  if (op == "Split") return split();
  if (op == "Gather") return gather();
  if (op == "Squeeze" || op == "Unsqueeze") return squeeze(op == "Unsqueeze");
  if (op == "Expand") return expand();
  if (op == "Shape") return shape_op();
  if (op == "Cast") return cast();
  if (op == "Flatten") return flatten();
  if (op == "Reshape") return reshape();
  if (op == "Pad") return pad();
  if (op == "Identity" || op == "Dropout") return alias(value(0).dims);
  if (op == "Constant") return constant();
  if (op == "ConstantOfShape") {
    Value v;
    Dims d;
    if (present(0) && param_ints(0, &d)) v.dims = d, v.dims_known = true;
    return define(node().output(0), v);
  }
  unknown(op);
}

void Importer::unknown(const std::string& op) {
  if (!allow_unknown_)
    fail(fmt::format("operator '{}' is not supported (supported: {}); allow unknown operators "
                     "(--allow-unknown-ops) to keep it as a zero-MAC 'unsupported' layer",
                     op, kSupported));
  unknown_.push_back(fmt::format("{} (node {})", op, node_index_ + 1));
  int first = -1;
  for (int i = 0; i < node().input_size(); ++i)
    if (present(i) && value(i).kind == Value::Kind::Data) {
      first = i;
      break;
    }
  if (first < 0) {  // only constants in: its outputs are parameters of unknown value and shape
    for (const auto& o : node().output()) {
      Value v;
      if (const Dims* d = inferred(o)) v.dims = *d, v.dims_known = true;
      define(o, v);
    }
    return;
  }
  // One zero-MAC layer per output, reading every activation input, with the output shapes ONNX
  // shape inference gives (else the first input's).
  const Value x = data(first);
  const std::string base = layer_name();
  for (int o = 0; o < node().output_size(); ++o) {
    // Outputs nobody reads (TopK's indices, say) make no layer.
    if (node().output(o).empty() || (o > 0 && uses_[node().output(o)] == 0)) continue;
    Dims d = x.dims;
    if (const Dims* inf = inferred(node().output(o))) d = *inf;
    if (checked_elements(d, fail_fn()) <= 0) continue;
    Layer l;
    l.op = Op::Unsupported;
    l.fn = op;
    l.out_given = true;
    l.out = view_like(x, d);
    for (int i = 0; i < node().input_size(); ++i)
      if (present(i) && value(i).kind == Value::Kind::Data) read_as(l, i, shape_of(value(i)));
    l.name = o == 0 ? base : fmt::format("{}:{}", base, o);
    names_.insert(l.name);
    l.loc = loc();
    int idx = b_.add(std::move(l));
    define_data(o, idx, d);
  }
}

// Adds a convolution-like layer and records its output in the rank of its input: [N, C, spatial...].
void Importer::add_spatial_layer(Layer l, const Dims& in_dims) {
  int idx = add_layer(std::move(l), {});
  const Shape& o = b_.graph().layers[idx].out;
  Dims od = in_dims;
  od[1] = o.c;
  if (od.size() == 3) od[2] = o.w;
  if (od.size() == 4) od[2] = o.h, od[3] = o.w;
  if (od.size() == 5) od[2] = o.d, od[3] = o.h, od[4] = o.w;
  values_[node().output(0)].dims = od;
}

void Importer::conv() {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Dims w = param_dims(1, "weight", 0);
  if (w.size() != xv.dims.size())
    fail(fmt::format("weight '{}' has shape {}: expected [M, C/group, k...] with {} kernel sizes for the input {}",
                     node().input(1), dims_str(w), xv.dims.size() - 2, dims_str(xv.dims)));
  Layer l;
  l.op = Op::Conv;
  read_as(l, 0, x);
  int64_t g = attr_int("group", 1);
  if (g < 1 || g > x.c) fail(fmt::format("group {} must be between 1 and the input's {} channels", g, x.c));
  l.groups = int(g);
  if (x.c % g || w[1] != x.c / g)
    fail(fmt::format("weight '{}' {} with group {} expects {} x {} input channels; the input has {}",
                     node().input(1), dims_str(w), g, g, w[1], x.c));
  if (w[0] < 1) fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  l.out_channels = w[0];
  spatial_attrs(l, xv.dims, Dims(w.begin() + 2, w.end()), false);
  if (present(2)) {
    Dims bd = param_dims(2, "bias", 0);
    if (elements(bd, node().input(2)) != w[0])
      fail(fmt::format("bias '{}' has shape {}: expected [{}]", node().input(2), dims_str(bd), w[0]));
    l.has_bias = true;
  }
  Tensors t;
  if (w.size() == 4) {  // numerics run 2-D convolutions
    param_floats(1, &t.weight);
    if (l.has_bias) param_floats(2, &t.bias);
  }
  if (!t.empty()) l.tensors = std::move(t);
  add_spatial_layer(std::move(l), xv.dims);
}

// ConvTranspose: weight [C, M/group, k...]. Lowered (layer_geo) by sub-pixel decomposition.
void Importer::conv_transpose() {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Dims w = param_dims(1, "weight", 0);
  if (w.size() != xv.dims.size())
    fail(fmt::format("weight '{}' has shape {}: expected [C, M/group, k...] with {} kernel sizes", node().input(1),
                     dims_str(w), xv.dims.size() - 2));
  Layer l;
  l.op = Op::ConvTranspose;
  read_as(l, 0, x);
  int64_t g = attr_int("group", 1);
  if (g < 1 || g > x.c || x.c % g) fail(fmt::format("group {} must divide the input's {} channels", g, x.c));
  if (w[0] != x.c)
    fail(fmt::format("weight '{}' {} expects {} input channels; the input has {}", node().input(1), dims_str(w), w[0],
                     x.c));
  l.groups = int(g);
  l.out_channels = w[1] * g;
  if (l.out_channels < 1) fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  spatial_attrs(l, xv.dims, Dims(w.begin() + 2, w.end()), true);
  if (present(2)) {
    Dims bd = param_dims(2, "bias", 0);
    if (elements(bd, node().input(2)) != l.out_channels)
      fail(fmt::format("bias '{}' has shape {}: expected [{}]", node().input(2), dims_str(bd), l.out_channels));
    l.has_bias = true;
  }
  add_spatial_layer(std::move(l), xv.dims);
}

void Importer::gemm() {
  const Value& a = data(0);
  if (a.dims.size() != 2)
    fail(fmt::format("input '{}' has shape {}: Gemm expects [N, K] (a Flatten before it is fine)", node().input(0),
                     dims_str(a.dims)));
  if (attr_int("transA", 0) != 0) fail("transA = 1 is not supported (the first operand must be the activations)");
  const bool tb = attr_int("transB", 0) != 0;
  if (value(1).kind == Value::Kind::Data) return matmul_act(a, value(1), tb);
  Dims w = param_dims(1, "weight", 2);
  const int64_t k = tb ? w[1] : w[0], n = tb ? w[0] : w[1];
  if (k != a.dims[1])
    fail(fmt::format("weight '{}' {} (transB = {}) has {} input features; the input has {}", node().input(1),
                     dims_str(w), int(tb), k, a.dims[1]));
  if (n < 1) fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  Layer l;
  l.op = Op::FullyConnected;
  l.inputs = {a.layer};
  l.out_channels = n;
  const float alpha = attr_float("alpha", 1.0f), beta = attr_float("beta", 1.0f);
  Tensors t;
  if (present(2)) {
    Dims cd = param_dims(2, "bias", 0);
    int64_t ce = elements(cd, node().input(2));
    if (ce != n && ce != 1)
      fail(fmt::format("bias '{}' has shape {}: expected [{}] (or a scalar)", node().input(2), dims_str(cd), n));
    l.has_bias = true;
    if (param_floats(2, &t.bias)) {
      if (t.bias.size() == 1) t.bias.assign(n, t.bias[0]);
      for (float& v : t.bias) v *= beta;
    }
  }
  std::vector<float> wv;
  if (param_floats(1, &wv)) {  // stored as [out, in]
    t.weight.resize(wv.size());
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < k; ++i) t.weight[o * k + i] = alpha * (tb ? wv[o * k + i] : wv[i * n + o]);
  }
  if (!t.empty()) l.tensors = std::move(t);
  add_layer(std::move(l), {a.dims[0], n});
}

// MatMul by a weight [K, N]: a linear layer on every row of the input ([N, K], or tokens
// [B, ..., S, K]); of two activations: matmul_act.
void Importer::matmul() {
  const Value& a = data(0);
  const Value& bv = value(1);
  if (bv.kind == Value::Kind::Data) return matmul_act(a, bv, false);
  Dims w = param_dims(1, "weight", 0);
  if (w.size() != 2)
    fail(fmt::format("weight '{}' has shape {}: a MatMul by a weight expects [K, N]", node().input(1), dims_str(w)));
  if (a.dims.size() < 2)
    fail(fmt::format("input '{}' has shape {}: expected [N, K] or [B, ..., S, K]", node().input(0), dims_str(a.dims)));
  const int64_t k = w[0], n = w[1];
  if (k != a.dims.back())
    fail(fmt::format("weight '{}' {} has {} input features; the input {} has {}", node().input(1), dims_str(w), k,
                     dims_str(a.dims), a.dims.back()));
  if (n < 1) fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  Layer l;
  l.op = Op::FullyConnected;
  l.out_channels = n;
  Dims od = a.dims;
  od.back() = n;
  if (a.dims.size() == 2) {
    l.inputs = {a.layer};
  } else {
    l.fc_rows = prod(a.dims, 1, a.dims.size() - 1);
    read_as(l, 0, cl_view(a.dims));
  }
  std::vector<float> wv;
  if (a.dims.size() == 2 && param_floats(1, &wv)) {
    Tensors t;
    t.weight.resize(wv.size());
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < k; ++i) t.weight[o * k + i] = wv[i * n + o];
    l.tensors = std::move(t);
  }
  add_layer(std::move(l), od, /*from_matmul=*/true);
}

// Both operands computed (attention's Q.K^T and P.V): [.., M, K] x [.., K, N] with equal leading
// (sample, head) dims; the array streams both.
void Importer::matmul_act(const Value& a, const Value& b, bool trans_b) {
  if (a.dims.size() < 2 || b.dims.size() < 2)
    fail(fmt::format("operands {} and {} must have rank 2 or more", dims_str(a.dims), dims_str(b.dims)));
  const size_t ra = a.dims.size(), rb = b.dims.size();
  const int64_t m = a.dims[ra - 2], k = a.dims[ra - 1];
  const int64_t kb = trans_b ? b.dims[rb - 1] : b.dims[rb - 2], n = trans_b ? b.dims[rb - 2] : b.dims[rb - 1];
  Dims lead_a(a.dims.begin(), a.dims.end() - 2), lead_b(b.dims.begin(), b.dims.end() - 2);
  if (lead_a != lead_b)
    fail(fmt::format("operands {} and {} have different leading (batch, head) dims {} and {}: expected equal ones "
                     "(mismatched attention heads?)",
                     dims_str(a.dims), dims_str(b.dims), dims_str(lead_a), dims_str(lead_b)));
  if (k != kb)
    fail(fmt::format("operands {} and {} do not chain: the first has {} columns, the second {} rows",
                     dims_str(a.dims), dims_str(b.dims), k, kb));
  Layer l;
  l.op = Op::MatMul;
  const int64_t nb = lead_a.empty() ? 1 : lead_a[0];
  l.mm_groups = lead_a.size() > 1 ? prod(lead_a, 1, lead_a.size()) : 1;
  l.mm_m = m, l.mm_k = k, l.mm_n = n;
  // Views: per sample G x [M, K] and G x [K, N], whatever the operands' producers wrote.
  read_as(l, 0, Shape{nb, k, l.mm_groups * m, 1});
  read_as(l, 1, Shape{nb, n, l.mm_groups * k, 1});
  Dims od = lead_a;
  od.push_back(m);
  od.push_back(n);
  add_layer(std::move(l), od);
}

void Importer::batchnorm() {
  const Value& x = data(0);
  const Shape xs = x.dims.size() >= 3 ? cf_view(x.dims) : cl_view(x.dims);
  const int64_t c = xs.c;
  static const char* what[] = {"", "scale", "bias", "mean", "variance"};
  bool all_data = true;
  std::vector<float> p[5];
  for (int i = 1; i <= 4; ++i) {
    const Value& v = param(i, what[i]);
    if (v.dims_known && elements(v.dims, node().input(i)) != c)
      fail(fmt::format("{} '{}' has shape {}: expected [{}] for the input's {} channels", what[i], node().input(i),
                       dims_str(v.dims), c, c));
    if (!param_floats(i, &p[i]) || int64_t(p[i].size()) != c) all_data = false;
  }
  Layer l;
  l.op = Op::BatchNorm;
  read_as(l, 0, xs);
  if (all_data) {
    Tensors t;
    t.gamma = std::move(p[1]), t.beta = std::move(p[2]), t.mean = std::move(p[3]), t.var = std::move(p[4]);
    t.eps = attr_float("epsilon", 1e-5f);
    l.tensors = std::move(t);
  }
  add_layer(std::move(l), x.dims);
}

void Importer::layer_norm() {
  const Value& x = data(0);
  const int64_t axis = axis_attr("axis", -1, x.dims.size());
  if (axis != int64_t(x.dims.size()) - 1)
    fail(fmt::format("normalisation over axes {}.. of {} is not supported: only over the last axis", axis,
                     dims_str(x.dims)));
  Dims sd = param_dims(1, "scale", 0);
  if (elements(sd, node().input(1)) != x.dims.back())
    fail(fmt::format("scale '{}' has shape {}: expected [{}]", node().input(1), dims_str(sd), x.dims.back()));
  Layer l;
  l.op = Op::LayerNorm;
  l.fn = "LayerNormalization";
  l.elem_ops = 6;
  l.has_bias = true;
  read_as(l, 0, cl_view(x.dims));
  add_layer(std::move(l), x.dims);
}
}  // namespace onnx_detail

Graph load_onnx_model(const std::string& path, bool allow_unknown_ops) {
  return onnx_detail::Importer(path, allow_unknown_ops).run();
}

}  // namespace nnasim::graph
