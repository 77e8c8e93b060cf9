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
#include "sim/graph/onnx_model.h"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace nnasim::graph {
namespace {

using Dims = std::vector<int64_t>;

std::string dims_str(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

const char* kSupported =
    "Conv, Gemm, MatMul, BatchNormalization, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Add, Sub, Mul, "
    "Div, Concat, MaxPool, AveragePool, GlobalAveragePool, ReduceMean, Flatten, Reshape, Pad, Identity, Dropout, "
    "Constant";

// A named value of the ONNX graph as the importer sees it.
struct Value {
  enum class Kind { Data, Param };
  Kind kind = Kind::Param;
  int layer = -1;    // Data: the nnasim layer whose output this is
  Dims dims;         // the ONNX shape (Data: always known; Param: when dims_known)
  bool dims_known = false;
  const onnx::TensorProto* tensor = nullptr;  // Param: initializer or Constant tensor, when it holds data
  bool from_matmul = false;                   // Data: output of an FC made from a MatMul (bias may follow)
};

class Importer {
 public:
  Importer(const std::string& path, bool allow_unknown)
      : path_(path), allow_unknown_(allow_unknown), b_(std::filesystem::path(path).stem().string(), path) {}

  Graph run() {
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

 private:
  // ---------------------------------------------------------------- errors
  [[noreturn]] void fail_file(const std::string& msg) const { throw InputError({path_, 0}, msg); }
  SourceLoc loc() const { return {path_, node_ ? node_index_ + 1 : 0}; }
  [[noreturn]] void fail(const std::string& msg) const {
    if (!node_) fail_file(msg);
    throw InputError(loc(), fmt::format("node {} '{}' ({}): {}", node_index_ + 1, node_->name(), node_->op_type(), msg));
  }

  // ---------------------------------------------------------------- file
  void read_file() {
    std::ifstream f(path_, std::ios::binary);
    if (!f) fail_file("cannot open the ONNX file for reading");
    if (!model_.ParseFromIstream(&f))
      fail_file("not a valid ONNX model: the protobuf cannot be parsed (truncated or corrupt file?)");
    if (model_.ir_version() <= 0)
      fail_file("not an ONNX model: ir_version is missing (is this a different protobuf file?)");
    if (!model_.has_graph() || model_.graph().node_size() == 0)
      fail_file("the ONNX model has an empty graph: expected at least one node");
  }

  // ---------------------------------------------------------------- tensors
  // Sizes beyond these are a corrupt file, not a network; the limits keep every 64-bit count
  // (elements, MACs, bytes) far from overflow.
  static constexpr int64_t kMaxDim = int64_t(1) << 31, kMaxElements = int64_t(1) << 40;
  static constexpr int kMaxWindow = 1 << 16;  // kernel, stride, dilation, padding

  static int64_t checked_elements(const Dims& d, const std::function<void(const std::string&)>& bad) {
    int64_t n = 1;
    for (int64_t x : d) {
      if (x < 0) bad(fmt::format("dimension {} is negative", x));
      if (x > kMaxDim || (x != 0 && n > kMaxElements / x))
        bad(fmt::format("shape {} is implausibly large", dims_str(d)));
      n *= x;
    }
    return n;
  }
  int64_t elements(const Dims& d, const std::string& name) const {
    return checked_elements(d, [&](const std::string& m) { fail(fmt::format("tensor '{}': {}", name, m)); });
  }
  Dims tensor_dims(const onnx::TensorProto& t, const std::string& name) const {
    Dims d(t.dims().begin(), t.dims().end());
    elements(d, name);
    return d;
  }

  // Reads a tensor's values as floats (float, double and integer tensors); false when it holds no
  // readable data (external data, or an element type such as float16 or int8).
  bool floats_of(const onnx::TensorProto& t, const std::string& name, std::vector<float>* out) const {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
    const int64_t n = elements(tensor_dims(t, name), name);
    auto bad_size = [&](int64_t got) {
      fail(fmt::format("tensor '{}' has {} elements but holds {} values (corrupt file?)", name, n, got));
    };
    out->clear();
    const std::string& raw = t.raw_data();
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT:
        if (!raw.empty()) {
          if (int64_t(raw.size()) != n * 4) bad_size(int64_t(raw.size()) / 4);
          out->resize(n);
          std::memcpy(out->data(), raw.data(), raw.size());
        } else {
          if (t.float_data_size() != n) bad_size(t.float_data_size());
          out->assign(t.float_data().begin(), t.float_data().end());
        }
        return true;
      case onnx::TensorProto::DOUBLE:
        if (!raw.empty()) {
          if (int64_t(raw.size()) != n * 8) bad_size(int64_t(raw.size()) / 8);
          std::vector<double> d(n);
          std::memcpy(d.data(), raw.data(), raw.size());
          out->assign(d.begin(), d.end());
        } else {
          if (t.double_data_size() != n) bad_size(t.double_data_size());
          out->assign(t.double_data().begin(), t.double_data().end());
        }
        return true;
      case onnx::TensorProto::INT64:
      case onnx::TensorProto::INT32: {
        std::vector<int64_t> v;
        if (!ints_of(t, name, &v)) return false;
        out->assign(v.begin(), v.end());
        return true;
      }
      default: return false;
    }
  }

  bool ints_of(const onnx::TensorProto& t, const std::string& name, std::vector<int64_t>* out) const {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
    const int64_t n = elements(tensor_dims(t, name), name);
    auto bad_size = [&](int64_t got) {
      fail(fmt::format("tensor '{}' has {} elements but holds {} values (corrupt file?)", name, n, got));
    };
    out->clear();
    const std::string& raw = t.raw_data();
    if (t.data_type() == onnx::TensorProto::INT64) {
      if (!raw.empty()) {
        if (int64_t(raw.size()) != n * 8) bad_size(int64_t(raw.size()) / 8);
        out->resize(n);
        std::memcpy(out->data(), raw.data(), raw.size());
      } else {
        if (t.int64_data_size() != n) bad_size(t.int64_data_size());
        out->assign(t.int64_data().begin(), t.int64_data().end());
      }
      return true;
    }
    if (t.data_type() == onnx::TensorProto::INT32) {
      if (!raw.empty()) {
        if (int64_t(raw.size()) != n * 4) bad_size(int64_t(raw.size()) / 4);
        std::vector<int32_t> v(n);
        std::memcpy(v.data(), raw.data(), raw.size());
        out->assign(v.begin(), v.end());
      } else {
        if (t.int32_data_size() != n) bad_size(t.int32_data_size());
        out->assign(t.int32_data().begin(), t.int32_data().end());
      }
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- graph inputs
  // Positions at which an operator reads parameters (weights, biases, BN statistics, clip
  // bounds, pads, shapes, axes) rather than activations.
  static bool param_operand(const std::string& op, int i) {
    if (op == "Conv" || op == "Gemm" || op == "BatchNormalization" || op == "Clip" || op == "Pad") return i >= 1;
    if (op == "MatMul" || op == "Reshape" || op == "ReduceMean") return i == 1;
    return false;
  }
  static bool elementwise_binary(const std::string& op) {
    return op == "Add" || op == "Mul" || op == "Sub" || op == "Div";
  }

  // The image is the one graph input that is not an initializer and is read as an activation.
  // Inputs read only as parameter operands are weights of a model exported without them. If an
  // input is read as an activation only by element-wise Add/Mul (a learned scale or offset in a
  // weight-less export) it counts as a weight when another input is read by a real operator.
  void add_graph_inputs() {
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
    for (const auto& in : g.input()) {
      if (inits.count(in.name())) continue;
      if (&in == image) {
        add_image(in);
        continue;
      }
      Value v;
      v.kind = Value::Kind::Param;
      const onnx::ValueInfoProto* vi = &in;
      if (!declared_dims(*vi, &v.dims) && infos.count(in.name())) vi = infos[in.name()];
      v.dims_known = declared_dims(*vi, &v.dims);
      values_[in.name()] = v;
    }
  }

  // Fully known dims of a declared tensor type; false when the shape is absent or symbolic.
  bool declared_dims(const onnx::ValueInfoProto& vi, Dims* out) const {
    out->clear();
    if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return false;
    for (const auto& d : vi.type().tensor_type().shape().dim()) {
      if (!d.has_dim_value() || d.dim_value() < 0) return false;
      out->push_back(d.dim_value());
    }
    checked_elements(*out, [&](const std::string& m) { fail_file(fmt::format("graph input '{}': {}", vi.name(), m)); });
    return true;
  }

  void add_image(const onnx::ValueInfoProto& in) {
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
  const onnx::NodeProto& node() const { return *node_; }
  bool present(int i) const { return i < node().input_size() && !node().input(i).empty(); }

  const Value& value(int i) const {
    if (!present(i)) fail(fmt::format("input {} is missing", i));
    auto it = values_.find(node().input(i));
    if (it == values_.end())
      fail(fmt::format("reads '{}', which no earlier node produces and which is not a graph input or initializer "
                       "(nodes must be in topological order)",
                       node().input(i)));
    return it->second;
  }
  const Value& data(int i) const {
    const Value& v = value(i);
    if (v.kind != Value::Kind::Data)
      fail(fmt::format("input {} '{}' is a constant or weight; expected a tensor computed from the image input", i,
                       node().input(i)));
    return v;
  }
  const Value& param(int i, const char* what) const {
    const Value& v = value(i);
    if (v.kind != Value::Kind::Param)
      fail(fmt::format("the {} (input {} '{}') is computed from the image input; expected an initializer, a graph "
                       "input or a Constant",
                       what, i, node().input(i)));
    return v;
  }
  Dims param_dims(int i, const char* what, size_t rank) const {
    const Value& v = param(i, what);
    if (!v.dims_known)
      fail(fmt::format("the {} '{}' has no known shape: declare it as a graph input with a shape, or as an initializer",
                       what, node().input(i)));
    if (rank && v.dims.size() != rank)
      fail(fmt::format("the {} '{}' has shape {}: expected rank {}", what, node().input(i), dims_str(v.dims), rank));
    return v.dims;
  }
  bool param_floats(int i, std::vector<float>* out) const {
    const Value& v = value(i);
    return v.kind == Value::Kind::Param && v.tensor && floats_of(*v.tensor, node().input(i), out);
  }
  bool param_ints(int i, std::vector<int64_t>* out) const {
    const Value& v = value(i);
    return v.kind == Value::Kind::Param && v.tensor && ints_of(*v.tensor, node().input(i), out);
  }

  Shape shape_of(const Value& v) const { return b_.graph().layers[v.layer].out; }
  // Logical dims that describe the nnasim shape (rank 4, or rank 2 when H = W = 1).
  bool consistent(const Value& v) const {
    Shape s = shape_of(v);
    if (v.dims.size() == 4) return v.dims == Dims{s.n, s.c, s.h, s.w};
    if (v.dims.size() == 2) return s.h == 1 && s.w == 1 && v.dims == Dims{s.n, s.c};
    return false;
  }
  Shape spatial_input(int i) const {
    const Value& v = data(i);
    Shape s = shape_of(v);
    if (v.dims.size() != 4 || v.dims != Dims{s.n, s.c, s.h, s.w})
      fail(fmt::format("expects a 4-D [N, C, H, W] input; '{}' has shape {}{}", node().input(i), dims_str(v.dims),
                       v.dims.size() == 4 ? " after a Reshape that changes the layout (not supported)" : ""));
    return s;
  }

  const onnx::AttributeProto* attr(const char* name) const {
    for (const auto& a : node().attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  void check_type(const onnx::AttributeProto* a, onnx::AttributeProto::AttributeType t, const char* expect) const {
    if (a->type() != onnx::AttributeProto::UNDEFINED && a->type() != t)
      fail(fmt::format("attribute '{}' has the wrong type: expected {}", a->name(), expect));
  }
  int64_t attr_int(const char* name, int64_t def) const {
    auto* a = attr(name);
    if (!a) return def;
    check_type(a, onnx::AttributeProto::INT, "an integer");
    return a->i();
  }
  float attr_float(const char* name, float def) const {
    auto* a = attr(name);
    if (!a) return def;
    check_type(a, onnx::AttributeProto::FLOAT, "a float");
    return a->f();
  }
  std::string attr_str(const char* name, const std::string& def) const {
    auto* a = attr(name);
    if (!a) return def;
    check_type(a, onnx::AttributeProto::STRING, "a string");
    return a->s();
  }
  std::optional<Dims> attr_ints(const char* name) const {
    auto* a = attr(name);
    if (!a) return std::nullopt;
    check_type(a, onnx::AttributeProto::INTS, "a list of integers");
    return Dims(a->ints().begin(), a->ints().end());
  }
  // A pair attribute (kernel_shape, strides, dilations) of a 2-D operator.
  std::pair<int, int> attr_pair(const char* name, int def, bool required = false) const {
    auto v = attr_ints(name);
    if (!v) {
      if (required) fail(fmt::format("attribute '{}' is missing", name));
      return {def, def};
    }
    if (v->size() != 2)
      fail(fmt::format("attribute '{}' is {}: expected 2 values (only 2-D operators are supported)", name,
                       dims_str(*v)));
    for (int64_t x : *v)
      if (x < 1 || x > kMaxWindow) fail(fmt::format("attribute '{}' is {}: expected positive values", name, dims_str(*v)));
    return {int((*v)[0]), int((*v)[1])};
  }

  std::string layer_name() {
    std::string n = node().name();
    if (n.empty() || names_.count(n)) n = node().output_size() ? node().output(0) : "";
    if (n.empty() || names_.count(n)) n = fmt::format("{}_{}", node().op_type(), node_index_ + 1);
    while (names_.count(n)) n += "_";
    names_.insert(n);
    return n;
  }

  void define(const std::string& name, Value v) {
    if (name.empty()) return;
    if (values_.count(name)) fail(fmt::format("output '{}' is defined twice", name));
    values_[name] = std::move(v);
  }
  void define_data(int output, int layer, Dims dims, bool from_matmul = false) {
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
  int add_layer(Layer l, Dims out_dims, bool from_matmul = false) {
    if (node().output_size() == 0 || node().output(0).empty()) fail("has no output");
    l.name = layer_name();
    l.loc = loc();
    int idx = b_.add(std::move(l));
    check_size(b_.graph().layers[idx]);
    if (out_dims.empty()) out_dims = dims4(b_.graph().layers[idx].out);
    define_data(0, idx, std::move(out_dims), from_matmul);
    return idx;
  }
  static Dims dims4(const Shape& s) { return {s.n, s.c, s.h, s.w}; }

  // Rejects a layer whose output or MAC count could overflow the 64-bit counters (computed in
  // double from the shape's fields, before anything multiplies them as integers).
  void check_size(const Layer& l) const {
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
  void set_padding(Layer& l, const Shape& x) const {
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

  // ---------------------------------------------------------------- operators
  void convert_node() {
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

  void unknown(const std::string& op) {
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

  void conv() {
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

  void gemm() {
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

  void matmul() {
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

  void batchnorm() {
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

  void activation(Act a) {
    const Value& x = data(0);
    Layer l;
    l.op = Op::Activation;
    l.act = a;
    l.inputs = {x.layer};
    add_layer(std::move(l), x.dims);
  }

  // Clip(0, 6) is ReLU6 and Clip(0, +inf) is ReLU. Bounds come from attributes (opset < 11) or
  // from constant inputs (opset >= 11); bounds that are not constants leave a generic clip.
  void clip() {
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

  static Dims broadcast(Dims a, Dims b) {
    if (a.size() < b.size()) std::swap(a, b);
    Dims o = a;
    for (size_t i = 0; i < b.size(); ++i) {
      int64_t& d = o[a.size() - b.size() + i];
      d = std::max(d, b[i]);
    }
    return o;
  }

  void elementwise(Op op) {
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

  void concat() {
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

  void pool(Op op) {
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

  void global_pool() {
    Shape x = spatial_input(0);
    Layer l;
    l.op = Op::GlobalAvgPool;
    l.inputs = {data(0).layer};
    add_layer(std::move(l), {x.n, x.c, 1, 1});
  }

  void reduce_mean() {
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
  void alias(const Dims& dims) {
    Value v = value(0);
    v.dims = dims;
    if (v.kind == Value::Kind::Data) v.dims_known = true;
    v.from_matmul = v.from_matmul && uses_[node().input(0)] == 1;
    define(node().output(0), v);
  }

  void flatten() {
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

  void reshape() {
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

  void pad() {
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

  void constant() {
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

  // ---------------------------------------------------------------- state
  std::string path_;
  bool allow_unknown_;
  onnx::ModelProto model_;
  GraphBuilder b_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, int> uses_;  // how many node inputs and graph outputs read each value
  std::unordered_set<std::string> names_;      // layer names already used
  std::deque<onnx::TensorProto> owned_;        // tensors made from Constant's value_* attributes
  std::vector<std::string> unknown_;
  int node_index_ = 0;
  const onnx::NodeProto* node_ = nullptr;
};

}  // namespace

Graph load_onnx_model(const std::string& path, bool allow_unknown_ops) {
  return Importer(path, allow_unknown_ops).run();
}

}  // namespace nnasim::graph
