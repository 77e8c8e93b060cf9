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
// This file converts each operator; the importer's walk over the graph, its per-node helpers and
// its errors are in onnx_importer.{h,cpp}, the protobuf readers in onnx_tensors.{h,cpp}, the layout
// and shape operators in onnx_layout.cpp.
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
    param_dims(2, "bias", 0);
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

void Importer::softmax() {
  const Value& x = data(0);
  const int64_t axis = axis_attr("axis", -1, x.dims.size());
  Layer l;
  l.op = Op::Softmax;
  l.fn = "Softmax";
  l.elem_ops = 5;  // max, subtract, exp, sum, scale by the reciprocal
  // The reduced axis is the view's channel axis (a softmax over the last axis, the usual case).
  Dims d = x.dims;
  if (axis != int64_t(d.size()) - 1) std::rotate(d.begin() + axis, d.begin() + axis + 1, d.end());
  read_as(l, 0, cl_view(d));
  add_layer(std::move(l), x.dims);
  (void)x;
}

void Importer::activation(Act a, const char* fn) {
  const Value& x = data(0);
  Layer l;
  l.op = Op::Activation;
  l.act = a;
  l.fn = fn ? fn : node().op_type();
  l.inputs = {x.layer};
  add_layer(std::move(l), x.dims);
}

// Clip(0, 6) is ReLU6 and Clip(0, +inf) is ReLU. Bounds come from attributes (opset < 11) or
// from constant inputs (opset >= 11); bounds that are not constants leave a generic clip.
void Importer::clip() {
  const float inf = std::numeric_limits<float>::infinity();
  float lo = attr_float("min", -inf), hi = attr_float("max", inf);
  bool known = true;
  auto bound = [&](int i, float* out) {
    if (!present(i)) return;
    std::vector<float> v;
    if (param_floats(i, &v) && v.size() == 1) *out = v[0];
    else if (value(i).kind == Value::Kind::Data)
      fail(fmt::format("the clip bound '{}' is computed from the image input; expected a constant", node().input(i)));
    else known = false;
  };
  bound(1, &lo);
  bound(2, &hi);
  Act a = Act::Clip;
  if (known && lo == 0.0f && hi == 6.0f) a = Act::Relu6;
  else if (known && lo == 0.0f && hi == inf) a = Act::Relu;
  activation(a);
}

void Importer::elementwise(Op op) {
  Dims dims;
  int data_input = -1, n_params = 0, param_input = -1;
  std::vector<int> data_idx;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (v.kind == Value::Kind::Data) {
      dims = dims.empty() ? v.dims : broadcast(dims, v.dims);
      data_idx.push_back(i);
      if (data_input < 0) data_input = i;
    } else {
      ++n_params, param_input = i;
      if (v.dims_known) dims = dims.empty() ? v.dims : broadcast(dims, v.dims);
    }
  }
  if (data_idx.empty()) {  // arithmetic on constants (e.g. shape computations): a parameter, no layer
    define(node().output(0), Value{});
    return;
  }
  // Numpy broadcasting: aligned from the last axis, each size equals the result's or is 1.
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (!v.dims_known) continue;
    for (size_t j = 0; j < v.dims.size(); ++j) {
      const int64_t o = dims[dims.size() - v.dims.size() + j];
      if (v.dims[j] != o && v.dims[j] != 1)
        fail(fmt::format("input shapes {} and {} do not agree (expected equal sizes or 1 on each axis)",
                         dims_str(v.dims), dims_str(dims)));
    }
  }
  if (data_idx.size() == 1) {
    const Value& x = data(data_input);
    // MatMul + Add(bias) is a linear layer with a bias.
    if (node().op_type() == "Add" && n_params == 1 && x.from_matmul && uses_[node().input(data_input)] == 1) {
      Layer& fc = b_.mutable_graph().layers[x.layer];
      const Value& p = value(param_input);
      if (!fc.has_bias && p.dims_known && elements(p.dims, node().input(param_input)) == fc.out_channels) {
        fc.has_bias = true;
        std::vector<float> bias;
        if (param_floats(param_input, &bias)) {
          if (!fc.tensors) fc.tensors = Tensors{};
          fc.tensors->bias = std::move(bias);
        }
        define_data(0, x.layer, x.dims);
        return;
      }
    }
    // An activation scaled or offset by a constant: one element-wise pass. A constant larger than
    // the activation (broadcast up) is read as a further input.
    if (elements(dims, node().output(0)) != elements(x.dims, node().input(data_input)))
      fail(fmt::format("broadcasting {} against a constant to {} is not supported: expected the constant to fit the "
                       "activation",
                       dims_str(x.dims), dims_str(dims)));
    Layer l;
    l.op = Op::Activation;
    l.act = Act::None;
    l.fn = node().op_type();
    l.inputs = {x.layer};
    add_layer(std::move(l), x.dims);
    return;
  }
  Layer l;
  l.op = op;
  l.fn = node().op_type();
  // The output in the view of the largest data input; broadcast operands in the same convention.
  int big = data_idx[0];
  for (int i : data_idx)
    if (elements(value(i).dims, node().input(i)) > elements(value(big).dims, node().input(big))) big = i;
  const bool cf = is_cf(value(big)) && dims.size() >= 3;
  for (int i : data_idx) {
    Dims d = value(i).dims;
    while (d.size() < dims.size()) d.insert(d.begin(), 1);
    read_as(l, i, cf ? cf_view(d) : cl_view(d));
  }
  add_layer(std::move(l), dims);
}

// Concat along any axis; constant parts (a learned class token) are tensors read from DRAM.
void Importer::concat() {
  if (!attr("axis")) fail("attribute 'axis' is missing");
  const Value* first = nullptr;
  for (int i = 0; i < node().input_size(); ++i)
    if (value(i).kind == Value::Kind::Data && !first) first = &value(i);
  if (!first) return define(node().output(0), Value{});
  const size_t rank = first->dims.size();
  const int64_t axis = axis_attr("axis", 1, rank);
  Dims d = first->dims;
  d[axis] = 0;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (!v.dims_known) fail(fmt::format("input '{}' has no known shape", node().input(i)));
    if (v.dims.size() != rank)
      fail(fmt::format("inputs have different ranks ({} and {})", dims_str(first->dims), dims_str(v.dims)));
    for (size_t j = 0; j < rank; ++j)
      if (int64_t(j) != axis && v.dims[j] != first->dims[j])
        fail(fmt::format("cannot concatenate {} with {} along axis {}: the other dims must agree",
                         dims_str(v.dims), dims_str(first->dims), axis));
    d[axis] += v.dims[axis];
  }
  const bool cf = is_cf(*first);
  Layer l;
  l.op = Op::Concat;
  l.fn = "Concat";
  const bool channels = cf && axis == 1 && rank >= 2;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (v.kind == Value::Kind::Data) {
      read_as(l, i, cf ? cf_view(v.dims) : cl_view(v.dims));
    } else {
      int idx = constant_input(i);
      l.inputs.push_back(idx);
      l.in_views.resize(l.inputs.size());
      l.in_views.back() = cf ? cf_view(v.dims) : cl_view(v.dims);
    }
  }
  if (!channels) {
    l.out_given = true;
    l.out = cf ? cf_view(d) : cl_view(d);
  }
  add_layer(std::move(l), d);
}

void Importer::pool(Op op) {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Layer l;
  l.op = op;
  read_as(l, 0, x);
  auto ks = attr_ints("kernel_shape");
  if (!ks) fail("attribute 'kernel_shape' is missing");
  if (ks->size() != xv.dims.size() - 2)
    fail(fmt::format("kernel_shape {} does not match the {} spatial dims of {}", dims_str(*ks), xv.dims.size() - 2,
                     dims_str(xv.dims)));
  if (auto dil = attr_ints("dilations"))
    for (int64_t v : *dil)
      if (v != 1) fail("dilated pooling is not supported");
  l.ceil_mode = attr_int("ceil_mode", 0) != 0;
  spatial_attrs(l, xv.dims, *ks, false);
  int idx = add_layer(std::move(l), {});
  const Shape& o = b_.graph().layers[idx].out;
  Dims od = xv.dims;
  if (od.size() == 3) od[2] = o.w;
  if (od.size() == 4) od[2] = o.h, od[3] = o.w;
  if (od.size() == 5) od[2] = o.d, od[3] = o.h, od[4] = o.w;
  values_[node().output(0)].dims = od;
}

void Importer::global_pool() {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Layer l;
  l.op = Op::GlobalAvgPool;
  read_as(l, 0, x);
  Dims od(xv.dims.size(), 1);
  od[0] = x.n, od[1] = x.c;
  add_layer(std::move(l), od);
}

// ReduceMean over the spatial axes of a [N, C, ...] tensor is a global average pool; over other
// axes (a LayerNorm's statistics over the last axis) a Reduce layer on the vector unit.
void Importer::reduce(const std::string& op) {
  const Value& x = data(0);
  const size_t rank = x.dims.size();
  Dims axes;
  if (auto a = attr_ints("axes")) axes = *a;
  else if (present(1)) axes = int_input(1, "axes");
  else
    for (size_t i = 0; i < rank; ++i) axes.push_back(int64_t(i));
  for (auto& v : axes) {
    if (v < -int64_t(rank) || v >= int64_t(rank)) fail(fmt::format("axis {} is out of range for {}", v, dims_str(x.dims)));
    if (v < 0) v += int64_t(rank);
  }
  std::sort(axes.begin(), axes.end());
  const bool keep = attr_int("keepdims", 1) != 0;
  Dims od, kd = x.dims;
  for (size_t i = 0; i < rank; ++i) {
    bool r = std::find(axes.begin(), axes.end(), int64_t(i)) != axes.end();
    if (r) kd[i] = 1;
    if (!r) od.push_back(x.dims[i]);
    else if (keep) od.push_back(1);
  }
  Dims spatial;
  for (size_t i = 2; i < rank; ++i) spatial.push_back(int64_t(i));
  if (op == "ReduceMean" && rank >= 3 && rank <= 5 && axes == spatial && (rank != 3 || is_cf(x))) {
    Layer l;
    l.op = Op::GlobalAvgPool;
    read_as(l, 0, cf_view(x.dims));
    add_layer(std::move(l), od);
    return;
  }
  Layer l;
  l.op = Op::Reduce;
  l.fn = op;
  const bool last = axes.size() == 1 && axes[0] == int64_t(rank) - 1;
  read_as(l, 0, last ? cl_view(x.dims) : view_like(x, x.dims));
  l.out_given = true;
  l.out = last ? cl_view(kd) : view_like(x, kd);
  add_layer(std::move(l), od);
}

void Importer::pad() {
  std::string mode = attr_str("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    fail(fmt::format("pad mode '{}' is not supported: expected constant, reflect or edge", mode));
  const Value& xv = data(0);
  const size_t rank = xv.dims.size();
  if (rank < 3 || rank > 5)
    fail(fmt::format("expects a spatial input [N, C, ...]; '{}' has shape {}", node().input(0), dims_str(xv.dims)));
  Shape x = cf_view(xv.dims);
  Dims pads;
  if (auto a = attr_ints("pads")) pads = *a;
  else if (!present(1) || !param_ints(1, &pads))
    fail("the pads are not given as an attribute or a constant int64 input");
  Dims axes;
  for (size_t i = 0; i < rank; ++i) axes.push_back(int64_t(i));
  if (present(3)) {
    if (!param_ints(3, &axes)) fail(fmt::format("the axes '{}' are not a constant", node().input(3)));
    for (auto& v : axes)
      if (v < 0) v += int64_t(rank);
  }
  if (pads.size() != 2 * axes.size())
    fail(fmt::format("pads {} do not have 2 values per padded axis ({} axes)", dims_str(pads), axes.size()));
  Dims begin(rank, 0), end(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= int64_t(rank)) fail(fmt::format("axis {} is out of range", axes[i]));
    begin[axes[i]] = pads[i], end[axes[i]] = pads[axes.size() + i];
  }
  for (size_t i = 0; i < rank; ++i)
    if (begin[i] < 0 || end[i] < 0 || begin[i] > kMaxWindow || end[i] > kMaxWindow)
      fail(fmt::format("pads {} must be non-negative (cropping is not supported)", dims_str(pads)));
  if (begin[0] || end[0] || begin[1] || end[1])
    fail(fmt::format("pads {} pad the batch or channel axis: only spatial padding is supported", dims_str(pads)));
  Dims od = xv.dims;
  bool any = false;
  for (size_t i = 2; i < rank; ++i) od[i] += begin[i] + end[i], any = any || begin[i] || end[i];
  if (!any) return alias(xv.dims);
  Layer l;
  l.op = Op::Pad;
  read_as(l, 0, x);
  // Spatial axes from the last: W, H, D.
  const size_t W = rank - 1;
  l.pad_l = int(begin[W]), l.pad_r = int(end[W]);
  if (rank >= 4) l.pad_t = int(begin[W - 1]), l.pad_b = int(end[W - 1]);
  if (rank == 5) l.pad_f = int(begin[2]), l.pad_k = int(end[2]);
  add_layer(std::move(l), od);
}

void Importer::constant() {
  Value v;
  v.kind = Value::Kind::Param;
  if (auto* a = attr("value")) {
    check_type(a, onnx::AttributeProto::TENSOR, "a tensor");
    v.tensor = &a->t();
    v.dims = tensor_dims(a->t(), node().output_size() ? node().output(0) : "");
    v.dims_known = true;
  } else if (auto* a = attr("value_float")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_float_data(a->f());
    v.tensor = &t, v.dims_known = true;
  } else if (auto* a = attr("value_floats")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(a->floats_size());
    for (float f : a->floats()) t.add_float_data(f);
    v.tensor = &t, v.dims = {a->floats_size()}, v.dims_known = true;
  } else if (auto* a = attr("value_int")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_int64_data(a->i());
    v.tensor = &t, v.dims_known = true;
  } else if (auto* a = attr("value_ints")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(a->ints_size());
    for (int64_t i : a->ints()) t.add_int64_data(i);
    v.tensor = &t, v.dims = {a->ints_size()}, v.dims_known = true;
  }  // sparse or string constants: a parameter of unknown value
  if (node().output_size() < 1) fail("has no output");
  define(node().output(0), v);
}

}  // namespace onnx_detail

Graph load_onnx_model(const std::string& path, bool allow_unknown_ops) {
  return onnx_detail::Importer(path, allow_unknown_ops).run();
}

}  // namespace nnasim::graph
