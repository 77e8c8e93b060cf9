// The ONNX importer's walk over the graph and its per-node helpers (see onnx_importer.h); the
// operators are converted in onnx_model.cpp.
#include "sim/graph/onnx_importer.h"

#include "sim/common/files.h"

#include <fmt/format.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace nnasim::graph::onnx_detail {
namespace {

// Positions at which an operator reads parameters (weights, biases, BN statistics, clip
// bounds, pads, shapes, axes) rather than activations.
bool param_operand(const std::string& op, int i) {
  if (op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "BatchNormalization" || op == "Clip" ||
      op == "Pad" || op == "LayerNormalization" || op == "Resize" || op == "Upsample" || op == "Slice" ||
      op == "Split")
    return i >= 1;
  if (op == "MatMul" || op == "Reshape" || op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" ||
      op == "Squeeze" || op == "Unsqueeze" || op == "Expand" || op == "Gather" || op == "Pow" || op == "Tile")
    return i == 1;
  return false;
}
// Reads that do not make a graph input an activation input when another input is one: learned
// offsets and scales (Add/Mul), and learned tokens broadcast over the batch (Expand).
bool elementwise_binary(const std::string& op) {
  return op == "Add" || op == "Mul" || op == "Sub" || op == "Div" || op == "Expand";
}

// The ONNX dims [N, C, H, W] of an nnasim shape.
Dims dims4(const Shape& s) { return {s.n, s.c, s.h, s.w}; }

}  // namespace

Importer::Importer(const std::string& path, bool allow_unknown)
    : path_(path), allow_unknown_(allow_unknown), b_(std::filesystem::path(path).stem().string(), path) {}

Graph Importer::run() {
  read_file();
  const auto& g = model_.graph();
  for (const auto& t : g.initializer()) {
    Value v;
    v.kind = Value::Kind::Param;
    v.dims = tensor_dims(t, t.name());
    v.dims_known = true;
    v.tensor = &t;
    values_[t.name()] = v;
  }
  for (const auto& n : g.node())
    for (const auto& in : n.input()) ++uses_[in];
  for (const auto& n : g.node())
    for (int i = 0; i < n.input_size(); ++i) readers_[n.input(i)].push_back(n.op_type());
  for (const auto& o : g.output()) readers_[o.name()].push_back("");
  for (const auto& o : g.output()) ++uses_[o.name()];
  add_graph_inputs();
  for (node_index_ = 0; node_index_ < g.node_size(); ++node_index_) {
    node_ = &g.node(node_index_);
    convert_node();
  }
  node_ = nullptr;
  if (!unknown_.empty()) {
    std::string list;
    for (size_t i = 0; i < unknown_.size() && i < 5; ++i) list += (i ? ", " : "") + unknown_[i];
    if (unknown_.size() > 5) list += fmt::format(", and {} more", unknown_.size() - 5);
    std::cerr << fmt::format(
        "warning: {}: {} node(s) with unsupported operators kept as zero-MAC 'unsupported' layers with "
        "ONNX-inferred shapes (--allow-unknown-ops): {}\n",
        path_, unknown_.size(), list);
  }
  return b_.finish();
}

// ---------------------------------------------------------------- errors
[[noreturn]] void Importer::fail_file(const std::string& msg) const { throw InputError({path_, 0}, msg); }
SourceLoc Importer::loc() const { return {path_, node_ ? node_index_ + 1 : 0}; }
[[noreturn]] void Importer::fail(const std::string& msg) const {
  if (!node_) fail_file(msg);
  throw InputError(loc(), fmt::format("node {} '{}' ({}): {}", node_index_ + 1, node_->name(), node_->op_type(), msg));
}
Fail Importer::fail_fn() const {
  return [this](const std::string& msg) { fail(msg); };
}

// ---------------------------------------------------------------- file
void Importer::read_file() {
  const std::string bytes = nnasim::read_file(path_, "an ONNX model");  // directory, empty: InputError
  if (!model_.ParseFromString(bytes))
    fail_file("not a valid ONNX model: the protobuf cannot be parsed (truncated or corrupt file?)");
  if (model_.ir_version() <= 0)
    fail_file("not an ONNX model: ir_version is missing (is this a different protobuf file?)");
  if (!model_.has_graph() || model_.graph().node_size() == 0)
    fail_file("the ONNX model has an empty graph: expected at least one node");
}

// ---------------------------------------------------------------- tensors (messages at the current node)
int64_t Importer::elements(const Dims& d, const std::string& name) const {
  return onnx_detail::elements(d, name, fail_fn());
}
Dims Importer::tensor_dims(const onnx::TensorProto& t, const std::string& name) const {
  return onnx_detail::tensor_dims(t, name, fail_fn());
}

// ---------------------------------------------------------------- graph inputs
// The image is the one graph input that is not an initializer and is read as an activation.
// Inputs read only as parameter operands are weights of a model exported without them. If an
// input is read as an activation only by element-wise Add/Mul (a learned scale or offset in a
// weight-less export) it counts as a weight when another input is read by a real operator.
void Importer::add_graph_inputs() {
  const auto& g = model_.graph();
  std::unordered_set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  std::unordered_map<std::string, int> strong, weak;  // activation reads by other ops / by Add-Mul only
  // A MatMul's second operand of rank 3 or more is an activation (a value cache), not a weight.
  std::unordered_map<std::string, int> rank;
  for (const auto& in : g.input())
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape())
      rank[in.name()] = in.type().tensor_type().shape().dim_size();
  for (const auto& n : g.node())
    for (int i = 0; i < n.input_size(); ++i) {
      const bool cache = n.op_type() == "MatMul" && i == 1 && rank.count(n.input(i)) && rank[n.input(i)] >= 3;
      if (n.input(i).empty() || (param_operand(n.op_type(), i) && !cache)) continue;
      // A transposed matrix (a projection weight, as nn.MultiheadAttention exports it) is weak;
      // a transposed tensor of rank 3 or more (a key cache) is an activation.
      const bool weight_t = n.op_type() == "Transpose" && rank.count(n.input(i)) && rank[n.input(i)] <= 2;
      (elementwise_binary(n.op_type()) || weight_t ? weak : strong)[n.input(i)]++;
    }
  std::vector<const onnx::ValueInfoProto*> strong_c, weak_c;
  for (const auto& in : g.input()) {
    if (inits.count(in.name())) continue;
    if (strong.count(in.name())) strong_c.push_back(&in);
    else if (weak.count(in.name())) weak_c.push_back(&in);
  }
  // Every input read as an activation is a network input (an image, or a key/value cache next to
  // the new token's hidden state); with none, a single input read only by Add/Mul.
  std::unordered_set<const onnx::ValueInfoProto*> images(strong_c.begin(), strong_c.end());
  if (strong_c.empty() && weak_c.size() == 1) images.insert(weak_c[0]);
  else if (strong_c.empty() && weak_c.empty())
    fail_file("no graph input is read as an activation: expected one image input (every input is an "
              "initializer or a weight operand)");
  else if (strong_c.empty()) {
    std::string names;
    for (auto* c : weak_c) names += (names.empty() ? "'" : ", '") + c->name() + "'";
    fail_file(fmt::format("the model's inputs ({}) are read only by Add/Mul: cannot tell the activation input "
                          "from learned offsets; expected one input read by a real operator",
                          names));
  }

  std::unordered_map<std::string, const onnx::ValueInfoProto*> infos;
  for (const auto& vi : g.value_info()) infos[vi.name()] = &vi;
  const Fail fail_file_fn = [this](const std::string& m) { fail_file(m); };
  for (const auto& in : g.input()) {
    if (inits.count(in.name())) continue;
    if (images.count(&in)) {
      add_image(in);
      continue;
    }
    Value v;
    v.kind = Value::Kind::Param;
    const onnx::ValueInfoProto* vi = &in;
    if (!declared_dims(*vi, &v.dims, fail_file_fn) && infos.count(in.name())) vi = infos[in.name()];
    v.dims_known = declared_dims(*vi, &v.dims, fail_file_fn);
    values_[in.name()] = v;
  }
}


void Importer::add_image(const onnx::ValueInfoProto& in) {
  if (!in.type().has_tensor_type() || !in.type().tensor_type().has_shape())
    fail_file(fmt::format("the input '{}' has no declared shape: expected e.g. [N, C, H, W] or [N, S, E]", in.name()));
  Dims d;
  const auto& dims = in.type().tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i) {
    if (dims[i].has_dim_value() && dims[i].dim_value() > 0) d.push_back(dims[i].dim_value());
    else if (i == 0 && dims.size() > 1) d.push_back(1);  // a symbolic (dynamic) batch size: one inference, --batch sets it
    else
      fail_file(fmt::format("the input '{}' has a symbolic or zero dimension {} ('{}') that nnasim cannot fix: "
                            "expected fixed sizes (only the batch, dimension 0, may be symbolic)",
                            in.name(), i, dims[i].dim_param()));
  }
  checked_elements(d, [&](const std::string& m) { fail_file(fmt::format("the input '{}': {}", in.name(), m)); });
  if (d.empty() || d.size() > 5)
    fail_file(fmt::format("the input '{}' has shape {}: expected rank 1 to 5", in.name(), dims_str(d)));
  Layer l;
  l.op = Op::Input;
  l.name = in.name();
  l.loc = {path_, 0};
  // Images and spatial tensors are channels-first; 3-D token tensors [N, S, E] channels-last.
  l.out = d.size() == 3 ? cl_view(d) : cf_view(d);
  // A fixed batch in the first input's shape: the graph computes that many inferences.
  if (d.size() >= 2 && b_.graph().layers.empty() && dims[0].has_dim_value() && d[0] > 1)
    b_.mutable_graph().batch = b_.mutable_graph().shape_batch = d[0];
  names_.insert(l.name);
  Value v;
  v.kind = Value::Kind::Data;
  v.layer = b_.add(std::move(l));
  v.dims = d;
  v.dims_known = true;
  values_[in.name()] = v;
}

Shape Importer::cf_view(const Dims& d) const {
  switch (d.size()) {
    case 0: return {1, 1, 1, 1};
    case 1: return {1, d[0], 1, 1};
    case 2: return {d[0], d[1], 1, 1};
    case 3: return {d[0], d[1], 1, d[2]};
    case 4: return {d[0], d[1], d[2], d[3]};
    case 5: return {d[0], d[1], d[3], d[4], d[2]};
    default: break;
  }
  fail(fmt::format("a tensor of shape {} has rank {}: spatial tensors of rank up to 5 are supported", dims_str(d),
                   d.size()));
}
Shape Importer::cl_view(const Dims& d) {
  if (d.empty()) return {1, 1, 1, 1};
  if (d.size() == 1) return {1, d[0], 1, 1};
  int64_t mid = 1;
  for (size_t i = 1; i + 1 < d.size(); ++i) mid *= d[i];
  return {d[0], d.back(), mid, 1};
}
bool Importer::is_cf(const Value& v) const {
  if (v.dims.size() > 5) return false;
  return shape_of(v) == cf_view(v.dims);
}
void Importer::read_as(Layer& l, int i, const Shape& view) const {
  const Value& v = data(i);
  const Shape& s = shape_of(v);
  if (s.elements() != view.elements())
    fail(fmt::format("input '{}' has {} elements as computed, but its shape {} has {} (inconsistent shapes)",
                     node().input(i), s.elements(), dims_str(v.dims), view.elements()));
  l.inputs.push_back(v.layer);
  l.in_views.resize(l.inputs.size());
  if (!(s == view)) l.in_views.back() = view;
}
int64_t Importer::axis_attr(const char* name, int64_t def, size_t rank) const {
  int64_t a = attr_int(name, def);
  const int64_t r = int64_t(rank);
  if (r == 0) fail(fmt::format("{} {} of a rank-0 (scalar) input: expected a tensor of rank 1 or more", name, a));
  if (a < -r || a >= r) fail(fmt::format("{} {} is out of range for rank {}", name, a, rank));
  return a < 0 ? a + r : a;
}
Dims Importer::int_input(int i, const char* what) const {
  Dims v;
  if (!present(i)) fail(fmt::format("the {} (input {}) is missing", what, i));
  if (!param_ints(i, &v))
    fail(fmt::format("the {} '{}' is not a constant: expected an int64 initializer, a Constant or a value computed "
                     "from shapes",
                     what, node().input(i)));
  return v;
}

// Kernel, strides, dilations and pads of a window over 1, 2 or 3 spatial dims (D, H, W; a 1-D
// window is W, a 2-D one H and W). `x` is the input's ONNX dims [N, C, spatial...].
void Importer::spatial_attrs(Layer& l, const Dims& x, const Dims& kernel, bool transposed) const {
  const size_t sd = kernel.size();
  l.spatial_dims = int(sd);
  auto list = [&](const char* name, int64_t def, size_t n, int64_t lo) {
    Dims v(n, def);
    if (auto a = attr_ints(name)) {
      if (a->size() != n) fail(fmt::format("attribute '{}' is {}: expected {} values", name, dims_str(*a), n));
      v = *a;
    }
    for (int64_t e : v)
      if (e < lo || e > kMaxWindow)
        fail(fmt::format("attribute '{}' is {}: expected values in [{}, {}]", name, dims_str(v), lo, kMaxWindow));
    return v;
  };
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxWindow) fail(fmt::format("kernel {} must be positive", dims_str(kernel)));
  if (auto ks = attr_ints("kernel_shape"); ks && *ks != kernel)
    fail(fmt::format("kernel_shape {} disagrees with the weight's {}", dims_str(*ks), dims_str(kernel)));
  Dims s = list("strides", 1, sd, 1), d = list("dilations", 1, sd, 1), p(2 * sd, 0), op(sd, 0);
  if (transposed) {
    op = list("output_padding", 0, sd, 0);
    for (size_t i = 0; i < sd; ++i)  // ONNX: output_padding is less than the stride or the dilation
      if (op[i] >= std::max(s[i], d[i]))
        fail(fmt::format("output_padding {} must be less than the stride {} or the dilation {} of each axis",
                         dims_str(op), dims_str(s), dims_str(d)));
  }
  const std::string ap = attr_str("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    p = list("pads", 0, 2 * sd, 0);
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    if (transposed) fail("auto_pad SAME on ConvTranspose is not supported: give explicit pads");
    for (size_t i = 0; i < sd; ++i) {
      const int64_t in = x[2 + i], out = (in + s[i] - 1) / s[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * s[i] + (kernel[i] - 1) * d[i] + 1 - in);
      const int64_t small = total / 2, big = total - small;
      p[i] = ap == "SAME_UPPER" ? small : big;
      p[sd + i] = ap == "SAME_UPPER" ? big : small;
    }
  } else if (ap != "VALID") {
    fail(fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", ap));
  }
  if (transposed && attr("output_shape")) fail("attribute 'output_shape' is not supported: give pads and output_padding");
  // Axis j of the window (0-based among sd) maps to D, H or W.
  auto set = [&](size_t j, int* k, int* st, int* dl, int* p0, int* p1, int* o) {
    *k = int(kernel[j]), *st = int(s[j]), *dl = int(d[j]), *p0 = int(p[j]), *p1 = int(p[sd + j]), *o = int(op[j]);
  };
  int dummy = 0;
  if (sd == 1) set(0, &l.kw, &l.sw, &l.dw, &l.pad_l, &l.pad_r, &l.out_pad_w);
  else if (sd == 2) {
    set(0, &l.kh, &l.sh, &l.dh, &l.pad_t, &l.pad_b, &l.out_pad_h);
    set(1, &l.kw, &l.sw, &l.dw, &l.pad_l, &l.pad_r, &l.out_pad_w);
  } else if (sd == 3) {
    set(0, &l.kd, &l.sd, &l.dd, &l.pad_f, &l.pad_k, &l.out_pad_d);
    set(1, &l.kh, &l.sh, &l.dh, &l.pad_t, &l.pad_b, &l.out_pad_h);
    set(2, &l.kw, &l.sw, &l.dw, &l.pad_l, &l.pad_r, &l.out_pad_w);
  } else {
    fail(fmt::format("a window over {} spatial dimensions: expected 1, 2 or 3", sd));
  }
  (void)dummy;
}

// A parameter read as data (a learned class token concatenated to the patches): a tensor read from
// DRAM, like a further network input.
int Importer::constant_input(int i) {
  const Value& v = value(i);
  if (!v.dims_known)
    fail(fmt::format("the constant '{}' has no known shape: declare it with a shape", node().input(i)));
  Layer l;
  l.op = Op::Input;
  std::string n = node().input(i);
  while (names_.count(n)) n += "_";
  names_.insert(n);
  l.name = n;
  l.loc = loc();
  l.out = v.dims.size() == 3 ? cl_view(v.dims) : cf_view(v.dims);
  if (l.out.elements() <= 0) fail(fmt::format("the constant '{}' is empty", node().input(i)));
  return b_.add(std::move(l));
}

// ONNX shape inference (the onnx library) over a copy of the model, run when an operator nnasim
// does not know needs its output shapes.
const Dims* Importer::inferred(const std::string& name) {
  if (!inferred_done_) {
    inferred_done_ = true;
    onnx::ModelProto m = model_;
    // The library reads constant tensors as they claim to be: a corrupt one is an input error here.
    int opset = 1;
    for (const auto& o : m.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset = int(o.version());
    check_graph_tensors(m.graph(), opset, [this](const std::string& msg) { fail(msg); });
    try {
      onnx::shape_inference::InferShapes(m);
    } catch (const std::exception&) {
      // partial results are kept in m; a failing node leaves its outputs unknown
    }
    const Fail ignore = [](const std::string&) { throw std::runtime_error("bad shape"); };
    auto take = [&](const onnx::ValueInfoProto& vi) {
      Dims d;
      try {
        if (declared_dims(vi, &d, ignore)) inferred_[vi.name()] = d;
      } catch (const std::exception&) {
      }
    };
    for (const auto& vi : m.graph().value_info()) take(vi);
    for (const auto& vi : m.graph().output()) take(vi);
  }
  auto it = inferred_.find(name);
  return it == inferred_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- node helpers
const Value& Importer::value(int i) const {
  if (!present(i)) fail(fmt::format("input {} is missing", i));
  auto it = values_.find(node().input(i));
  if (it == values_.end())
    fail(fmt::format("reads '{}', which no earlier node produces and which is not a graph input or initializer "
                     "(nodes must be in topological order)",
                     node().input(i)));
  return it->second;
}
const Value& Importer::data(int i) const {
  const Value& v = value(i);
  if (v.kind != Value::Kind::Data)
    fail(fmt::format("input {} '{}' is a constant or weight; expected a tensor computed from the image input", i,
                     node().input(i)));
  return v;
}
const Value& Importer::param(int i, const char* what) const {
  const Value& v = value(i);
  if (v.kind != Value::Kind::Param)
    fail(fmt::format("the {} (input {} '{}') is computed from the image input; expected an initializer, a graph "
                     "input or a Constant",
                     what, i, node().input(i)));
  return v;
}
Dims Importer::param_dims(int i, const char* what, size_t rank) const {
  const Value& v = param(i, what);
  if (!v.dims_known)
    fail(fmt::format("the {} '{}' has no known shape: declare it as a graph input with a shape, or as an initializer",
                     what, node().input(i)));
  if (rank && v.dims.size() != rank)
    fail(fmt::format("the {} '{}' has shape {}: expected rank {}", what, node().input(i), dims_str(v.dims), rank));
  return v.dims;
}
bool Importer::param_floats(int i, std::vector<float>* out) const {
  const Value& v = value(i);
  return v.kind == Value::Kind::Param && v.tensor && floats_of(*v.tensor, node().input(i), out, fail_fn());
}
bool Importer::param_ints(int i, std::vector<int64_t>* out) const {
  const Value& v = value(i);
  if (v.kind == Value::Kind::Param && v.ints) return *out = *v.ints, true;
  return v.kind == Value::Kind::Param && v.tensor && ints_of(*v.tensor, node().input(i), out, fail_fn());
}

// Logical dims that describe the nnasim shape (rank 4, or rank 2 when H = W = 1).
bool Importer::consistent(const Value& v) const {
  Shape s = shape_of(v);
  if (v.dims.size() == 4) return v.dims == Dims{s.n, s.c, s.h, s.w};
  if (v.dims.size() == 2) return s.h == 1 && s.w == 1 && v.dims == Dims{s.n, s.c};
  return false;
}
// A spatial input [N, C, L], [N, C, H, W] or [N, C, D, H, W], in its channels-first view.
Shape Importer::spatial_input(int i) const {
  const Value& v = data(i);
  if (v.dims.size() < 3 || v.dims.size() > 5)
    fail(fmt::format("expects a spatial input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; '{}' has shape {}",
                     node().input(i), dims_str(v.dims)));
  return cf_view(v.dims);
}

// Attributes of the current node (onnx_tensors.h), failing at the node.
void Importer::check_type(const onnx::AttributeProto* a, onnx::AttributeProto::AttributeType t,
                          const char* expect) const {
  check_attribute_type(a, t, expect, fail_fn());
}
int64_t Importer::attr_int(const char* name, int64_t def) const { return attribute_int(node(), name, def, fail_fn()); }
float Importer::attr_float(const char* name, float def) const { return attribute_float(node(), name, def, fail_fn()); }
std::string Importer::attr_str(const char* name, const std::string& def) const {
  return attribute_string(node(), name, def, fail_fn());
}
std::optional<Dims> Importer::attr_ints(const char* name) const { return attribute_ints(node(), name, fail_fn()); }
std::pair<int, int> Importer::attr_pair(const char* name, int def, bool required) const {
  return attribute_pair(node(), name, def, required, fail_fn());
}

std::string Importer::layer_name() {
  std::string n = node().name();
  if (n.empty() || names_.count(n)) n = node().output_size() ? node().output(0) : "";
  if (n.empty() || names_.count(n)) n = fmt::format("{}_{}", node().op_type(), node_index_ + 1);
  while (names_.count(n)) n += "_";
  names_.insert(n);
  return n;
}

void Importer::define(const std::string& name, Value v) {
  if (name.empty()) return;
  if (values_.count(name)) fail(fmt::format("output '{}' is defined twice", name));
  // Every shape an operator computes (from attributes, constants or folded shape arithmetic) is
  // checked here once: no negative extent, none over 2^31 - 1, no overflowing element count.
  if (v.dims_known) checked_elements(v.dims, [&](const std::string& m) { fail(fmt::format("output '{}': {}", name, m)); });
  values_[name] = std::move(v);
}
void Importer::define_data(int output, int layer, Dims dims, bool from_matmul) {
  if (output >= node().output_size()) return;
  Value v;
  v.kind = Value::Kind::Data;
  v.layer = layer;
  v.dims = std::move(dims);
  v.dims_known = true;
  v.from_matmul = from_matmul;
  define(node().output(output), v);
}
// Adds the node's layer; its output 0 gets `out_dims`, or the layer's 4-D shape when empty.
int Importer::add_layer(Layer l, Dims out_dims, bool from_matmul) {
  if (node().output_size() == 0 || node().output(0).empty()) fail("has no output");
  l.name = layer_name();
  l.loc = loc();
  int idx = b_.add(std::move(l));
  check_size(b_.graph().layers[idx]);
  if (out_dims.empty()) {
    const Shape& o = b_.graph().layers[idx].out;
    out_dims = o.d != 1 ? Dims{o.n, o.c, o.d, o.h, o.w} : dims4(o);
  }
  define_data(0, idx, std::move(out_dims), from_matmul);
  return idx;
}

// Rejects a layer whose output or MAC count could overflow the 64-bit counters (computed in
// double from the shape's fields, before anything multiplies them as integers).
void Importer::check_size(const Layer& l) const {
  const Shape& o = l.out;
  const double elems = double(o.n) * double(o.c) * double(o.d) * double(o.h) * double(o.w);
  double per_output = 1;
  const Graph& g = b_.graph();
  if (l.op == Op::Conv || l.op == Op::ConvTranspose)
    per_output = double(input_shape(g, l, 0).c / l.groups) * l.kd * l.kh * l.kw;
  if (l.op == Op::FullyConnected) {
    const Shape& x = input_shape(g, l, 0);
    per_output = double(x.elements()) / double(std::max<int64_t>(1, x.n));
  }
  if (l.op == Op::MatMul) per_output = double(l.mm_k);
  if (elems > double(kMaxElements) * 1024 || elems * per_output > 0x1p60)
    fail(fmt::format("the layer's output {} is implausibly large (corrupt file?)", o.str()));
}

// Explicit pads or auto_pad for a 2-D window of kernel (kh, kw), strides and dilations.
void Importer::set_padding(Layer& l, const Shape& x) const {
  std::string ap = attr_str("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    auto p = attr_ints("pads");
    if (!p) return;
    if (p->size() != 4) fail(fmt::format("attribute 'pads' is {}: expected [top, left, bottom, right]", dims_str(*p)));
    for (int64_t v : *p)
      if (v < 0 || v > kMaxWindow) fail(fmt::format("attribute 'pads' is {}: expected non-negative values", dims_str(*p)));
    l.pad_t = int((*p)[0]), l.pad_l = int((*p)[1]), l.pad_b = int((*p)[2]), l.pad_r = int((*p)[3]);
  } else if (ap == "VALID") {
    l.pad_t = l.pad_l = l.pad_b = l.pad_r = 0;
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    // ONNX: output = ceil(input / stride); the total padding is split evenly, the odd one at
    // the end (SAME_UPPER) or at the beginning (SAME_LOWER).
    auto same = [&](int64_t in, int k, int s, int d, int* begin, int* end) {
      int64_t out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + int64_t(k - 1) * d + 1 - in);
      int64_t small = total / 2, big = total - small;
      *begin = int(ap == "SAME_UPPER" ? small : big);
      *end = int(ap == "SAME_UPPER" ? big : small);
    };
    same(x.h, l.kh, l.sh, l.dh, &l.pad_t, &l.pad_b);
    same(x.w, l.kw, l.sw, l.dw, &l.pad_l, &l.pad_r);
  } else {
    fail(fmt::format("auto_pad '{}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER", ap));
  }
}

}  // namespace nnasim::graph::onnx_detail
