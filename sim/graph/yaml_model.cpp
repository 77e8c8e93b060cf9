#include "sim/graph/yaml_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "sim/common/checked.h"
#include "sim/common/parse.h"
#include "sim/config/section.h"

namespace nnasim::graph {
namespace {

using config::Kind;
using config::Param;
using config::Section;

Param p(std::string key, Kind k, std::string desc, bool required = false, std::string def = "") {
  Param x;
  x.key = std::move(key), x.kind = k, x.desc = std::move(desc), x.required = required, x.default_value = std::move(def);
  return x;
}

const std::vector<Param>& top_params() {
  static const std::vector<Param> t = {
      p("name", Kind::String, "model name", true),
      p("input", Kind::Section, "the input tensor: {name, shape: [N, C, H, W]}", true),
      p("defaults", Kind::Section, "graph-wide quantisation: weight_bits, act_bits, bias_bits, format"),
      p("layers", Kind::List, "layers in execution order", true),
  };
  return t;
}
const std::vector<Param>& input_params() {
  static const std::vector<Param> t = {p("name", Kind::String, "input name", false, "input"),
                                       p("shape", Kind::List, "[N, C, H, W]", true)};
  return t;
}
std::vector<Param> quant_params() {
  Param wb = p("weight_bits", Kind::Int, "weight bits", false, "8");
  wb.min = 1, wb.max = 32;
  Param ab = p("act_bits", Kind::Int, "activation bits", false, "8");
  ab.min = 1, ab.max = 32;
  Param bb = p("bias_bits", Kind::Int, "bias bits", false, "32");
  bb.min = 1, bb.max = 64;
  Param f = p("format", Kind::Choice, "number format", false, "int");
  f.choices = {"int", "fp8-e4m3", "fp8-e5m2", "lns"};
  return {wb, ab, bb, f};
}
const std::vector<Param>& layer_params() {
  static const std::vector<Param> t = [] {
    std::vector<Param> v = {
        p("name", Kind::String, "unique layer name", true),
        p("op", Kind::String, "conv, fc, maxpool, avgpool, globalavgpool, add, mul, concat, batchnorm, pad, or an activation (relu, relu6, sigmoid, hardsigmoid, hardswish, tanh, silu)", true),
        p("inputs", Kind::List, "producer names (default: the previous layer)"),
        p("out_channels", Kind::Int, "conv output channels"),
        p("out_features", Kind::Int, "fc output features"),
        p("kernel", Kind::List, "k or [kh, kw]"),
        p("stride", Kind::List, "s or [sh, sw]", false, "1"),
        p("pad", Kind::List, "p, [ph, pw] or [top, left, bottom, right]", false, "0"),
        p("dilation", Kind::List, "d or [dh, dw]", false, "1"),
        p("groups", Kind::Int, "conv groups (= channels for depthwise)", false, "1"),
        p("bias", Kind::String, "conv/fc has a bias: true|false", false, "true"),
        p("ceil_mode", Kind::String, "pooling output rounds up: true|false", false, "false"),
    };
    for (auto& q : quant_params()) v.push_back(q);
    return v;
  }();
  return t;
}

std::vector<int64_t> int_list(const Section& s, const std::string& key, size_t max_len) {
  YAML::Node n = s.node(key);
  std::vector<int64_t> out;
  auto one = [&](const YAML::Node& v) {
    int64_t x = 0;
    if (!v.IsScalar() || !parse_integer(v.Scalar(), &x)) s.fail(key, fmt::format("'{}' is not an integer", v.Scalar()));
    if (x > kMaxDim) s.fail(key, fmt::format("{} is larger than the limit {}", x, kMaxDim));
    out.push_back(x);
  };
  if (!n) return out;
  if (n.IsScalar()) one(n);
  else if (n.IsSequence()) for (const auto& v : n) one(v);
  else s.fail(key, "expected an integer or a list of integers");
  if (out.empty() || out.size() > max_len) s.fail(key, fmt::format("expected 1 to {} integers", max_len));
  for (auto v : out)
    if (v < 0) s.fail(key, fmt::format("{} is negative", v));
  return out;
}

bool boolean(const Section& s, const std::string& key) {
  std::string v = s.str(key);
  if (v == "true") return true;
  if (v == "false") return false;
  s.fail(key, fmt::format("'{}' is not true or false", v));
}

Quant read_quant(const Section& s, Quant base) {
  if (s.has("weight_bits")) base.weight_bits = static_cast<int>(s.integer("weight_bits"));
  if (s.has("act_bits")) base.act_bits = static_cast<int>(s.integer("act_bits"));
  if (s.has("bias_bits")) base.bias_bits = static_cast<int>(s.integer("bias_bits"));
  if (s.has("format")) parse_num_format(s.choice("format"), &base.format);
  return base;
}

}  // namespace

Graph load_yaml_model(const std::string& path) {
  YAML::Node root = config::load_yaml_file(path);
  config::Origin origin{path, {}};
  Section top(root, "", origin, top_params());
  GraphBuilder b(top.str("name"), path);

  Quant defaults;
  if (top.has("defaults")) {
    static const std::vector<Param> qp = quant_params();
    defaults = read_quant(Section(top.node("defaults"), "defaults", origin, qp), defaults);
  }

  Section in(top.node("input"), "input", origin, input_params());
  auto shape = int_list(in, "shape", 4);
  if (shape.size() != 4) in.fail("shape", "expected [N, C, H, W]");
  Layer input;
  input.name = in.str("name");
  input.op = Op::Input;
  input.loc = in.loc();
  input.quant = defaults;
  input.out = {shape[0], shape[1], shape[2], shape[3]};
  b.add(input);

  YAML::Node layers = top.node("layers");
  if (!layers.IsSequence() || layers.size() == 0) top.fail("layers", "expected a non-empty list of layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    Section s(layers[i], fmt::format("layers[{}]", i), origin, layer_params());
    Layer l;
    l.name = s.str("name");
    l.loc = s.loc();
    std::string op = s.str("op");
    // The operators of the YAML format; the others of the IR (matmul, softmax, layernorm, ...)
    // come from ONNX, which gives them the fields they need.
    static const Op kYamlOps[] = {Op::Conv, Op::FullyConnected, Op::MaxPool, Op::AvgPool, Op::GlobalAvgPool,
                                  Op::Add, Op::Mul, Op::Concat, Op::BatchNorm, Op::Pad};
    if (!parse_op(op, &l.op) || std::find(std::begin(kYamlOps), std::end(kYamlOps), l.op) == std::end(kYamlOps)) {
      Act a;
      if (!parse_act(op, &a) || a == Act::None)
        s.fail("op", fmt::format("unknown op '{}': expected {}", op, layer_params()[1].desc));
      l.op = Op::Activation;
      l.act = a;
    }
    // A key of another operator is an error, not ignored: {op: relu, stride: 2} does nothing.
    for (const auto& kv : layers[i]) {
      const std::string key = kv.first.Scalar();
      static const std::set<std::string> common = {"name", "op", "inputs", "weight_bits", "act_bits", "bias_bits", "format"};
      const bool window = l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::AvgPool;
      const bool applies = common.count(key) || (window && (key == "kernel" || key == "stride" || key == "dilation")) ||
                           ((window || l.op == Op::Pad) && key == "pad") ||
                           (l.op == Op::Conv && (key == "out_channels" || key == "groups")) ||
                           (l.op == Op::FullyConnected && key == "out_features") ||
                           ((l.op == Op::Conv || l.op == Op::FullyConnected) && key == "bias") ||
                           ((l.op == Op::MaxPool || l.op == Op::AvgPool) && key == "ceil_mode");
      if (!applies) s.fail(key, fmt::format("does not apply to op '{}'", op));
    }
    l.quant = read_quant(s, defaults);
    if (s.has("inputs")) {
      YAML::Node ins = s.node("inputs");
      std::vector<std::string> names;
      if (ins.IsScalar()) names.push_back(ins.Scalar());
      else if (ins.IsSequence())
        for (const auto& n : ins) {
          if (!n.IsScalar()) s.fail("inputs", "expected a list of layer names, each a single name");
          names.push_back(n.Scalar());
        }
      else s.fail("inputs", "expected a layer name or a list of names");
      for (const auto& n : names) {
        int idx = b.find(n);
        if (idx < 0)
          s.fail("inputs", fmt::format("'{}' is not a layer defined before '{}' (layers must be in execution order; "
                                       "a cycle or a dangling input is not allowed)", n, l.name));
        l.inputs.push_back(idx);
      }
    } else {
      l.inputs.push_back(static_cast<int>(b.graph().layers.size()) - 1);
    }
    auto pair = [&](const std::string& key, int* a, int* c) {
      auto v = int_list(s, key, 2);
      if (v.empty()) return;
      *a = static_cast<int>(v[0]);
      *c = static_cast<int>(v.size() > 1 ? v[1] : v[0]);
    };
    bool spatial = l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::AvgPool;
    if (spatial) {
      if (!s.has("kernel")) s.fail("kernel", fmt::format("op '{}' needs a kernel size", op));
      pair("kernel", &l.kh, &l.kw);
      pair("stride", &l.sh, &l.sw);
      pair("dilation", &l.dh, &l.dw);
      if (l.sh == 0 || l.sw == 0 || l.kh == 0 || l.kw == 0 || l.dh == 0 || l.dw == 0)
        s.fail("kernel", "kernel, stride and dilation must be positive");
    }
    if (spatial || l.op == Op::Pad) {
      auto pads = int_list(s, "pad", 4);
      if (pads.size() == 1) l.pad_t = l.pad_l = l.pad_b = l.pad_r = static_cast<int>(pads[0]);
      else if (pads.size() == 2) l.pad_t = l.pad_b = static_cast<int>(pads[0]), l.pad_l = l.pad_r = static_cast<int>(pads[1]);
      else if (pads.size() == 4)
        l.pad_t = static_cast<int>(pads[0]), l.pad_l = static_cast<int>(pads[1]), l.pad_b = static_cast<int>(pads[2]),
        l.pad_r = static_cast<int>(pads[3]);
      else if (!pads.empty()) s.fail("pad", "expected 1, 2 or 4 integers");
    }
    if (l.op == Op::Conv) {
      if (!s.has("out_channels")) s.fail("out_channels", "a conv layer needs out_channels");
      l.out_channels = s.integer("out_channels");
      const int64_t groups = s.integer("groups");
      if (groups < 1 || groups > kMaxDim) s.fail("groups", fmt::format("{} is out of range: expected 1 to {}", groups, kMaxDim));
      l.groups = static_cast<int>(groups);
      l.has_bias = boolean(s, "bias");
    } else if (l.op == Op::FullyConnected) {
      if (!s.has("out_features")) s.fail("out_features", "an fc layer needs out_features");
      l.out_channels = s.integer("out_features");
      l.has_bias = boolean(s, "bias");
    }
    if (l.op == Op::MaxPool || l.op == Op::AvgPool) l.ceil_mode = boolean(s, "ceil_mode");
    b.add(std::move(l));
  }
  return b.finish();
}

}  // namespace nnasim::graph
