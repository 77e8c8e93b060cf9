// The ONNX importer's walk over the graph and its per-node helpers (see onnx_importer.h); the
// operators are converted in onnx_model.cpp.
#include "sim/graph/onnx_importer.h"

#include "sim/common/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace nnasim::graph::onnx_detail {
namespace {

// Positions at which an operator reads parameters (weights, biases, BN statistics, clip
// bounds, pads, shapes, axes) rather than activations.
bool param_operand(const std::string& op, int i) {
  if (op == "Conv" || op == "Gemm" || op == "BatchNormalization" || op == "Clip" || op == "Pad") return i >= 1;
  if (op == "MatMul" || op == "Reshape" || op == "ReduceMean") return i == 1;
  return false;
}
bool elementwise_binary(const std::string& op) {
  return op == "Add" || op == "Mul" || op == "Sub" || op == "Div";
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
        "warning: {}: {} node(s) with unsupported operators costed as zero-MAC element-wise layers "
        "(--allow-unknown-ops): {}\n",
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
  for (const auto& n : g.node())
    for (int i = 0; i < n.input_size(); ++i) {
      if (n.input(i).empty() || param_operand(n.op_type(), i)) continue;
      (elementwise_binary(n.op_type()) ? weak : strong)[n.input(i)]++;
    }
  std::vector<const onnx::ValueInfoProto*> strong_c, weak_c;
  for (const auto& in : g.input()) {
    if (inits.count(in.name())) continue;
    if (strong.count(in.name())) strong_c.push_back(&in);
    else if (weak.count(in.name())) weak_c.push_back(&in);
  }
  const onnx::ValueInfoProto* image = nullptr;
  if (strong_c.size() == 1) image = strong_c[0];
  else if (strong_c.empty() && weak_c.size() == 1) image = weak_c[0];
  else if (strong_c.empty() && weak_c.empty())
    fail_file("no graph input is read as an activation: expected one image input (every input is an "
              "initializer or a weight operand)");
  else {
    std::string names;
    for (auto* c : strong_c.empty() ? weak_c : strong_c) names += (names.empty() ? "'" : ", '") + c->name() + "'";
    fail_file(fmt::format("the model has several activation inputs ({}): expected exactly one image input", names));
  }

  std::unordered_map<std::string, const onnx::ValueInfoProto*> infos;
  for (const auto& vi : g.value_info()) infos[vi.name()] = &vi;
  const Fail fail_file_fn = [this](const std::string& m) { fail_file(m); };
  for (const auto& in : g.input()) {
    if (inits.count(in.name())) continue;
    if (&in == image) {
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
    fail_file(fmt::format("the image input '{}' has no declared shape: expected [N, C, H, W]", in.name()));
  Dims d;
  const auto& dims = in.type().tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i) {
    if (dims[i].has_dim_value() && dims[i].dim_value() > 0) d.push_back(dims[i].dim_value());
    else if (i == 0) d.push_back(1);  // a symbolic (dynamic) batch size: simulate one image
    else
      fail_file(fmt::format("the image input '{}' has a symbolic or zero dimension {} ('{}'): expected fixed sizes",
                            in.name(), i, dims[i].dim_param()));
  }
  checked_elements(d, [&](const std::string& m) { fail_file(fmt::format("the image input '{}': {}", in.name(), m)); });
  Layer l;
  l.op = Op::Input;
  l.name = in.name();
  l.loc = {path_, 0};
  if (d.size() == 4) l.out = {d[0], d[1], d[2], d[3]};
  else if (d.size() == 2) l.out = {d[0], d[1], 1, 1};
  else
    fail_file(fmt::format("the image input '{}' has shape {}: expected [N, C, H, W] (or [N, features])", in.name(),
                          dims_str(d)));
  names_.insert(l.name);
  Value v;
  v.kind = Value::Kind::Data;
  v.layer = b_.add(std::move(l));
  v.dims = d;
  v.dims_known = true;
  values_[in.name()] = v;
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
  return v.kind == Value::Kind::Param && v.tensor && ints_of(*v.tensor, node().input(i), out, fail_fn());
}

// Logical dims that describe the nnasim shape (rank 4, or rank 2 when H = W = 1).
bool Importer::consistent(const Value& v) const {
  Shape s = shape_of(v);
  if (v.dims.size() == 4) return v.dims == Dims{s.n, s.c, s.h, s.w};
  if (v.dims.size() == 2) return s.h == 1 && s.w == 1 && v.dims == Dims{s.n, s.c};
  return false;
}
Shape Importer::spatial_input(int i) const {
  const Value& v = data(i);
  Shape s = shape_of(v);
  if (v.dims.size() != 4 || v.dims != Dims{s.n, s.c, s.h, s.w})
    fail(fmt::format("expects a 4-D [N, C, H, W] input; '{}' has shape {}{}", node().input(i), dims_str(v.dims),
                     v.dims.size() == 4 ? " after a Reshape that changes the layout (not supported)" : ""));
  return s;
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
  if (out_dims.empty()) out_dims = dims4(b_.graph().layers[idx].out);
  define_data(0, idx, std::move(out_dims), from_matmul);
  return idx;
}

// Rejects a layer whose output or MAC count could overflow the 64-bit counters (computed in
// double from the shape's fields, before anything multiplies them as integers).
void Importer::check_size(const Layer& l) const {
  const Shape& o = l.out;
  const double elems = double(o.n) * double(o.c) * double(o.h) * double(o.w);
  double per_output = 1;
  if (l.op == Op::Conv) per_output = double(b_.graph().layers[l.inputs[0]].out.c / l.groups) * l.kh * l.kw;
  if (l.op == Op::FullyConnected) {
    const Shape& x = b_.graph().layers[l.inputs[0]].out;
    per_output = double(x.c) * double(x.h) * double(x.w);
  }
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
