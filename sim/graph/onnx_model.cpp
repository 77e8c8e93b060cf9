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
// its errors are in onnx_importer.{h,cpp}, the protobuf readers in onnx_tensors.{h,cpp}.
#include "sim/graph/onnx_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "sim/graph/onnx_importer.h"

namespace nnasim::graph {
namespace onnx_detail {
namespace {

const char* kSupported =
    "Conv, Gemm, MatMul, BatchNormalization, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Add, Sub, Mul, "
    "Div, Concat, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Flatten, Reshape, Pad, Identity, Dropout, "
    "Constant";

Dims broadcast(Dims a, Dims b) {
  if (a.size() < b.size()) std::swap(a, b);
  Dims o = a;
  for (size_t i = 0; i < b.size(); ++i) {
    int64_t& d = o[a.size() - b.size() + i];
    d = std::max(d, b[i]);
  }
  return o;
}

}  // namespace

void Importer::convert_node() {
  const std::string& op = node().op_type();
  const std::string& dom = node().domain();
  if (!dom.empty() && dom != "ai.onnx") return unknown(fmt::format("{}.{}", dom, op));
  if (op == "Conv") return conv();
  if (op == "Gemm") return gemm();
  if (op == "MatMul") return matmul();
  if (op == "BatchNormalization") return batchnorm();
  if (op == "Relu") return activation(Act::Relu);
  if (op == "Sigmoid") return activation(Act::Sigmoid);
  if (op == "HardSigmoid") return activation(Act::HardSigmoid);
  if (op == "HardSwish") return activation(Act::HardSwish);
  if (op == "Tanh") return activation(Act::Tanh);
  if (op == "Clip") return clip();
  if (op == "Add" || op == "Sub") return elementwise(Op::Add);
  if (op == "Mul" || op == "Div") return elementwise(Op::Mul);
  if (op == "Concat") return concat();
  if (op == "MaxPool" || op == "AveragePool") return pool(op == "MaxPool" ? Op::MaxPool : Op::AvgPool);
  if (op == "GlobalAveragePool") return global_pool();
  if (op == "ReduceMean") return reduce_mean();
  if (op == "Flatten") return flatten();
  if (op == "Reshape") return reshape();
  if (op == "Pad") return pad();
  if (op == "Identity" || op == "Dropout") return alias(value(0).dims);
  if (op == "Constant") return constant();
  unknown(op);
}

void Importer::unknown(const std::string& op) {
  if (!allow_unknown_)
    fail(fmt::format("operator '{}' is not supported (supported: {}); allow unknown operators "
                     "(--allow-unknown-ops) to cost it as a zero-MAC element-wise layer",
                     op, kSupported));
  unknown_.push_back(fmt::format("{} (node {})", op, node_index_ + 1));
  // Costed as an element-wise layer on its first activation input, whose shape it keeps.
  int first = -1;
  for (int i = 0; i < node().input_size(); ++i)
    if (present(i) && value(i).kind == Value::Kind::Data) {
      first = i;
      break;
    }
  if (first < 0) {  // only constants in: its outputs are parameters of unknown value and shape
    for (const auto& o : node().output()) define(o, Value{});
    return;
  }
  const Value& x = data(first);
  Layer l;
  l.op = Op::Activation;
  l.act = Act::None;
  l.inputs = {x.layer};
  Dims d = x.dims;
  int idx = add_layer(std::move(l), d);
  for (int o = 1; o < node().output_size(); ++o) define_data(o, idx, d);
}

void Importer::conv() {
  Shape x = spatial_input(0);
  Dims w = param_dims(1, "weight", 0);
  if (w.size() != 4)
    fail(fmt::format("weight '{}' has shape {}: only 2-D convolutions ([M, C/group, kH, kW]) are supported",
                     node().input(1), dims_str(w)));
  Layer l;
  l.op = Op::Conv;
  l.inputs = {data(0).layer};
  int64_t g = attr_int("group", 1);
  if (g < 1 || g > x.c) fail(fmt::format("group {} must be between 1 and the input's {} channels", g, x.c));
  l.groups = int(g);
  if (x.c % g || w[1] != x.c / g)
    fail(fmt::format("weight '{}' {} with group {} expects {} x {} input channels; the input has {}",
                     node().input(1), dims_str(w), g, g, w[1], x.c));
  if (w[0] < 1 || w[2] < 1 || w[3] < 1 || w[2] > kMaxWindow || w[3] > kMaxWindow)
    fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  l.out_channels = w[0];
  l.kh = int(w[2]), l.kw = int(w[3]);
  if (auto ks = attr_ints("kernel_shape"); ks && *ks != Dims{w[2], w[3]})
    fail(fmt::format("kernel_shape {} disagrees with the weight's {}x{}", dims_str(*ks), w[2], w[3]));
  std::tie(l.sh, l.sw) = attr_pair("strides", 1);
  std::tie(l.dh, l.dw) = attr_pair("dilations", 1);
  set_padding(l, x);
  if (present(2)) {
    Dims bd = param_dims(2, "bias", 0);
    if (elements(bd, node().input(2)) != w[0])
      fail(fmt::format("bias '{}' has shape {}: expected [{}]", node().input(2), dims_str(bd), w[0]));
    l.has_bias = true;
  }
  Tensors t;
  param_floats(1, &t.weight);
  if (l.has_bias) param_floats(2, &t.bias);
  if (!t.empty()) l.tensors = std::move(t);
  add_layer(std::move(l), {});
}

void Importer::gemm() {
  const Value& a = data(0);
  if (a.dims.size() != 2)
    fail(fmt::format("input '{}' has shape {}: Gemm expects [N, K] (a Flatten before it is fine)", node().input(0),
                     dims_str(a.dims)));
  if (attr_int("transA", 0) != 0) fail("transA = 1 is not supported (the first operand must be the activations)");
  const bool tb = attr_int("transB", 0) != 0;
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

void Importer::matmul() {
  const Value& a = data(0);
  const Value& bv = value(1);
  if (bv.kind != Value::Kind::Param)
    fail("both operands are computed tensors (e.g. attention): only a MatMul by a 2-D weight is supported");
  Dims w = param_dims(1, "weight", 2);
  if (a.dims.size() != 2)
    fail(fmt::format("input '{}' has shape {}: a batched MatMul is not supported; expected [N, K]", node().input(0),
                     dims_str(a.dims)));
  const int64_t k = w[0], n = w[1];
  if (k != a.dims[1])
    fail(fmt::format("weight '{}' {} has {} input features; the input has {}", node().input(1), dims_str(w), k,
                     a.dims[1]));
  if (n < 1) fail(fmt::format("weight '{}' has shape {}: expected positive sizes", node().input(1), dims_str(w)));
  Layer l;
  l.op = Op::FullyConnected;
  l.inputs = {a.layer};
  l.out_channels = n;
  std::vector<float> wv;
  if (param_floats(1, &wv)) {
    Tensors t;
    t.weight.resize(wv.size());
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < k; ++i) t.weight[o * k + i] = wv[i * n + o];
    l.tensors = std::move(t);
  }
  add_layer(std::move(l), {a.dims[0], n}, /*from_matmul=*/true);
}

void Importer::batchnorm() {
  const Value& x = data(0);
  if (!consistent(x))
    fail(fmt::format("input '{}' has shape {}: expected [N, C, H, W] or [N, C]", node().input(0), dims_str(x.dims)));
  const int64_t c = shape_of(x).c;
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
  l.inputs = {x.layer};
  if (all_data) {
    Tensors t;
    t.gamma = std::move(p[1]), t.beta = std::move(p[2]), t.mean = std::move(p[3]), t.var = std::move(p[4]);
    t.eps = attr_float("epsilon", 1e-5f);
    l.tensors = std::move(t);
  }
  add_layer(std::move(l), x.dims);
}

void Importer::activation(Act a) {
  const Value& x = data(0);
  Layer l;
  l.op = Op::Activation;
  l.act = a;
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
  std::vector<int> ins;
  Dims dims;
  int data_input = -1, n_params = 0, param_input = -1;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (v.kind == Value::Kind::Data) {
      ins.push_back(v.layer);
      dims = dims.empty() ? v.dims : broadcast(dims, v.dims);
      if (data_input < 0) data_input = i;
    } else {
      ++n_params, param_input = i;
    }
  }
  if (ins.empty()) {  // arithmetic on constants (e.g. shape computations): a parameter, no layer
    define(node().output(0), Value{});
    return;
  }
  if (ins.size() == 1) {
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
    // An activation scaled or offset by a constant: one element-wise pass.
    Layer l;
    l.op = Op::Activation;
    l.act = Act::None;
    l.inputs = {x.layer};
    add_layer(std::move(l), x.dims);
    return;
  }
  Layer l;
  l.op = op;
  l.inputs = ins;
  add_layer(std::move(l), dims);
}

void Importer::concat() {
  auto* a = attr("axis");
  if (!a) fail("attribute 'axis' is missing");
  int64_t axis = attr_int("axis", 1);
  const Value& first = data(0);
  const int64_t rank = int64_t(first.dims.size());
  if (axis < 0) axis += rank;
  if (axis != 1) fail(fmt::format("concatenation along axis {} is not supported: only along channels (axis 1)", axis));
  Layer l;
  l.op = Op::Concat;
  Dims d = first.dims;
  d[1] = 0;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = data(i);
    if (int64_t(v.dims.size()) != rank)
      fail(fmt::format("inputs have different ranks ({} and {})", dims_str(first.dims), dims_str(v.dims)));
    if (!consistent(v) && rank != 2)
      fail(fmt::format("input '{}' has shape {} after a Reshape that changes the layout (not supported)",
                       node().input(i), dims_str(v.dims)));
    d[1] += v.dims[1];
    l.inputs.push_back(v.layer);
  }
  add_layer(std::move(l), d);
}

void Importer::pool(Op op) {
  Shape x = spatial_input(0);
  Layer l;
  l.op = op;
  l.inputs = {data(0).layer};
  std::tie(l.kh, l.kw) = attr_pair("kernel_shape", 1, /*required=*/true);
  std::tie(l.sh, l.sw) = attr_pair("strides", 1);
  auto dil = attr_pair("dilations", 1);
  if (dil.first != 1 || dil.second != 1) fail("dilated pooling is not supported");
  l.ceil_mode = attr_int("ceil_mode", 0) != 0;
  set_padding(l, x);
  add_layer(std::move(l), {});
}

void Importer::global_pool() {
  Shape x = spatial_input(0);
  Layer l;
  l.op = Op::GlobalAvgPool;
  l.inputs = {data(0).layer};
  add_layer(std::move(l), {x.n, x.c, 1, 1});
}

void Importer::reduce_mean() {
  Shape x = spatial_input(0);
  Dims axes;
  if (auto a = attr_ints("axes")) axes = *a;
  else if (present(1) && !param_ints(1, &axes))
    fail(fmt::format("the axes '{}' are not a constant", node().input(1)));
  for (auto& v : axes)
    if (v < 0) v += 4;
  std::sort(axes.begin(), axes.end());
  if (axes != Dims{2, 3})
    fail(fmt::format("ReduceMean over axes {} is not supported: only over H and W (axes [2, 3]), a global average "
                     "pool",
                     dims_str(axes)));
  const bool keep = attr_int("keepdims", 1) != 0;
  Layer l;
  l.op = Op::GlobalAvgPool;
  l.inputs = {data(0).layer};
  add_layer(std::move(l), keep ? Dims{x.n, x.c, 1, 1} : Dims{x.n, x.c});
}

// No layer: the output is the input under another shape.
void Importer::alias(const Dims& dims) {
  Value v = value(0);
  v.dims = dims;
  if (v.kind == Value::Kind::Data) v.dims_known = true;
  v.from_matmul = v.from_matmul && uses_[node().input(0)] == 1;
  define(node().output(0), v);
}

void Importer::flatten() {
  const Value& x = value(0);
  if (!x.dims_known) return alias({});
  int64_t axis = attr_int("axis", 1);
  const int64_t rank = int64_t(x.dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) fail(fmt::format("axis {} is out of range for a rank-{} input", axis, rank));
  int64_t a = 1, b = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? a : b) *= x.dims[i];
  alias({a, b});
}

void Importer::reshape() {
  const Value& x = value(0);
  Dims shape;
  if (!param_ints(1, &shape))
    fail(fmt::format("the target shape '{}' is not a constant: expected an int64 initializer or Constant",
                     node().input(1)));
  if (!x.dims_known) return alias({});
  const bool allow_zero = attr_int("allowzero", 0) != 0;
  const int64_t total = elements(x.dims, node().input(0));
  int64_t known = 1, infer = -1;
  Dims out = shape;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allow_zero) {
      if (i >= x.dims.size()) fail(fmt::format("shape {} copies a dimension the input {} lacks", dims_str(shape), dims_str(x.dims)));
      out[i] = x.dims[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) fail(fmt::format("shape {} has more than one -1", dims_str(shape)));
      infer = int64_t(i);
    } else if (out[i] < 0 || out[i] > kMaxDim) {
      fail(fmt::format("shape {} has a negative or implausibly large size", dims_str(shape)));
    } else {
      if (out[i] && known > kMaxElements / out[i])
        fail(fmt::format("shape {} is implausibly large", dims_str(shape)));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || total % known) fail(fmt::format("cannot reshape {} to {}", dims_str(x.dims), dims_str(shape)));
    out[infer] = total / known;
  } else if (known != total) {
    fail(fmt::format("cannot reshape {} ({} elements) to {}", dims_str(x.dims), total, dims_str(shape)));
  }
  alias(out);
}

void Importer::pad() {
  std::string mode = attr_str("mode", "constant");
  if (mode != "constant") fail(fmt::format("pad mode '{}' is not supported: only constant", mode));
  Shape x = spatial_input(0);
  Dims pads;
  if (auto a = attr_ints("pads")) pads = *a;
  else if (!present(1) || !param_ints(1, &pads))
    fail("the pads are not given as an attribute or a constant int64 input");
  Dims axes = {0, 1, 2, 3};
  if (present(3)) {
    if (!param_ints(3, &axes)) fail(fmt::format("the axes '{}' are not a constant", node().input(3)));
    for (auto& v : axes)
      if (v < 0) v += 4;
  }
  if (pads.size() != 2 * axes.size())
    fail(fmt::format("pads {} do not have 2 values per padded axis ({} axes)", dims_str(pads), axes.size()));
  int64_t begin[4] = {0, 0, 0, 0}, end[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] > 3) fail(fmt::format("axis {} is out of range", axes[i]));
    begin[axes[i]] = pads[i], end[axes[i]] = pads[axes.size() + i];
  }
  for (int i = 0; i < 4; ++i)
    if (begin[i] < 0 || end[i] < 0 || begin[i] > kMaxWindow || end[i] > kMaxWindow)
      fail(fmt::format("pads {} must be non-negative (cropping is not supported)", dims_str(pads)));
  if (begin[0] || end[0] || begin[1] || end[1])
    fail(fmt::format("pads {} pad the batch or channel axis: only H and W padding is supported", dims_str(pads)));
  if (!begin[2] && !end[2] && !begin[3] && !end[3]) return alias(value(0).dims);
  Layer l;
  l.op = Op::Pad;
  l.inputs = {data(0).layer};
  l.pad_t = int(begin[2]), l.pad_l = int(begin[3]), l.pad_b = int(end[2]), l.pad_r = int(end[3]);
  add_layer(std::move(l), {x.n, x.c, x.h + begin[2] + end[2], x.w + begin[3] + end[3]});
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
