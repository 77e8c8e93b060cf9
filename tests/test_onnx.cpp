// ONNX import: every supported operator on small graphs built here with the ONNX protobuf API,
// the errors (unsupported operator, truncated and random files), BN folding on real tensors, and
// the shipped model zoo against the MAC and parameter counts of its PyTorch definitions.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <onnx/onnx_pb.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "sim/graph/load.h"
#include "sim/graph/onnx_model.h"
#include "sim/graph/passes.h"
#include "helpers.h"
#include "sim/sched/layer_cost.h"

using namespace nnasim::graph;
using nnasim::InputError;
namespace fs = std::filesystem;

namespace {

// A folder for this process's files (ctest runs each TEST_CASE in its own process), removed at exit.
struct TempDir {
  fs::path path = fs::temp_directory_path() / fmt::format("nnasim_test_onnx_{}", ::getpid());
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
fs::path temp_dir() {
  static TempDir d;
  return d.path;
}

// Builds an onnx::ModelProto node by node.
struct OnnxBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;

  explicit OnnxBuilder(int opset = 13) {
    m.set_ir_version(7);
    m.set_producer_name("nnasim-test");
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  // A graph input with a declared float tensor type (the image, or a weight of a weight-less model).
  void input(const std::string& name, const std::vector<int64_t>& dims) {
    auto* in = g->add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  // A float initializer; raw = true stores it in raw_data, else in float_data.
  void init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v, bool raw = true) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    if (raw) t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    else
      for (float x : v) t->add_float_data(x);
  }
  void init_zeros(const std::string& name, const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    init(name, dims, std::vector<float>(n, 0.5f));
  }
  void init_i64(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(int64_t(v.size()));
    for (auto x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? outs.at(0) + "_node" : name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }
  // A Constant node holding one float.
  void constant(const std::string& out, float v) {
    auto* n = node("Constant", {}, {out});
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a->mutable_t()->set_raw_data(std::string(reinterpret_cast<const char*>(&v), sizeof v));
  }
  std::string save(const std::string& file) {
    fs::path p = temp_dir() / file;
    std::ofstream f(p, std::ios::binary);
    REQUIRE(m.SerializeToOstream(&f));
    return p.string();
  }
};

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void set_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void set_str(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

const Layer& layer(const Graph& g, const std::string& name) {
  int i = g.find(name);
  INFO("layer " << name);
  REQUIRE(i >= 0);
  return g.layers[i];
}
Shape S(int64_t n, int64_t c, int64_t h, int64_t w) { return {n, c, h, w}; }

// Expects an InputError whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, std::vector<std::string> parts) {
  try {
    fn();
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    INFO(e.line());
    for (const auto& p : parts) CHECK_THAT(e.line(), Catch::Matchers::Contains(p));
  }
}

}  // namespace

TEST_CASE("onnx: Conv grouped depthwise dilated padded and auto_pad", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 8, 16, 16});
  // Weights of a weight-less export: graph inputs with declared shapes.
  b.input("w_plain", {16, 8, 3, 3});
  b.input("b_plain", {16});
  b.input("w_group", {16, 4, 3, 3});
  b.input("w_dw", {8, 1, 3, 3});
  b.input("w_dil", {16, 8, 3, 3});
  b.input("w_same", {4, 8, 3, 3});
  b.input("w_valid", {4, 8, 3, 3});
  b.input("w_asym", {4, 8, 1, 1});
  auto* n = b.node("Conv", {"x", "w_plain", "b_plain"}, {"plain"}, "plain");
  set_ints(n, "pads", {1, 1, 1, 1});
  n = b.node("Conv", {"x", "w_group"}, {"group"}, "group");
  set_int(n, "group", 2);
  set_ints(n, "pads", {1, 1, 1, 1});
  n = b.node("Conv", {"x", "w_dw"}, {"dw"}, "dw");
  set_int(n, "group", 8);
  set_ints(n, "strides", {2, 2});
  set_ints(n, "pads", {1, 1, 1, 1});
  set_ints(n, "kernel_shape", {3, 3});
  n = b.node("Conv", {"x", "w_dil"}, {"dil"}, "dil");
  set_ints(n, "dilations", {2, 2});
  set_ints(n, "pads", {2, 2, 2, 2});
  n = b.node("Conv", {"x", "w_same"}, {"same"}, "same");
  set_str(n, "auto_pad", "SAME_UPPER");
  set_ints(n, "strides", {2, 2});
  n = b.node("Conv", {"x", "w_valid"}, {"valid"}, "valid");
  set_str(n, "auto_pad", "VALID");
  n = b.node("Conv", {"x", "w_asym"}, {"asym"}, "asym");
  set_ints(n, "pads", {0, 1, 2, 3});  // top, left, bottom, right
  Graph g = load_onnx_model(b.save("conv.onnx"));

  REQUIRE(g.layers.size() == 8);
  CHECK(g.layers[0].op == Op::Input);
  CHECK(g.layers[0].out == S(1, 8, 16, 16));

  const Layer& plain = layer(g, "plain");
  CHECK(plain.op == Op::Conv);
  CHECK(plain.out == S(1, 16, 16, 16));
  CHECK(plain.has_bias);
  CHECK(plain.cost.macs == 16 * 16 * 16 * 8 * 9);  // out pixels x Cout x Cin x 3x3
  CHECK(plain.cost.params == 16 * 8 * 9 + 16);
  CHECK(!plain.tensors);  // no initializers: shapes only

  const Layer& grp = layer(g, "group");
  CHECK(grp.groups == 2);
  CHECK(grp.out == S(1, 16, 16, 16));
  CHECK(grp.cost.macs == 16 * 16 * 16 * 4 * 9);  // Cin / groups = 4

  const Layer& dw = layer(g, "dw");
  CHECK(dw.depthwise());
  CHECK(dw.out == S(1, 8, 8, 8));  // floor((16 + 2 - 3) / 2) + 1 = 8
  CHECK(dw.cost.macs == 8 * 8 * 8 * 9);

  const Layer& dil = layer(g, "dil");
  CHECK(dil.dh == 2);
  CHECK(dil.out == S(1, 16, 16, 16));  // effective kernel 5, pad 2
  CHECK(dil.cost.macs == 16 * 16 * 16 * 8 * 9);

  const Layer& same = layer(g, "same");  // ceil(16 / 2) = 8; total pad (8-1)*2 + 3 - 16 = 1, at the end
  CHECK(same.out == S(1, 4, 8, 8));
  CHECK(same.pad_t == 0);
  CHECK(same.pad_b == 1);
  CHECK(same.pad_l == 0);
  CHECK(same.pad_r == 1);
  CHECK(same.cost.macs == 8 * 8 * 4 * 8 * 9);

  CHECK(layer(g, "valid").out == S(1, 4, 14, 14));
  const Layer& asym = layer(g, "asym");
  CHECK(asym.out == S(1, 4, 18, 20));  // 16 + 0 + 2, 16 + 1 + 3
  CHECK(asym.cost.macs == 18 * 20 * 4 * 8);
}

TEST_CASE("onnx: Gemm MatMul Flatten and Reshape", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 4, 2, 2});
  b.input("fc1_w", {10, 16});  // transB = 1: [out, in]
  b.input("fc1_b", {10});
  b.init("fc2_w", {10, 6}, std::vector<float>(60, 0.25f));  // transB = 0: [in, out]
  b.input("mm_w", {6, 5});                                  // MatMul weight as a graph input
  b.init("mm2_w", {5, 3}, std::vector<float>(15, 1.0f));
  b.init("mm2_b", {3}, {1.0f, 2.0f, 3.0f});
  b.init_i64("shape", {1, -1});
  b.node("Flatten", {"x"}, {"flat"});
  auto* n = b.node("Gemm", {"flat", "fc1_w", "fc1_b"}, {"fc1"}, "fc1");
  set_int(n, "transB", 1);
  b.node("Reshape", {"fc1", "shape"}, {"r"});
  b.node("Gemm", {"r", "fc2_w"}, {"fc2"}, "fc2");
  b.node("MatMul", {"fc2", "mm_w"}, {"mm"}, "mm");
  b.node("MatMul", {"mm", "mm2_w"}, {"mm2"}, "mm2");
  b.node("Add", {"mm2", "mm2_b"}, {"y"}, "bias_add");  // MatMul + Add(bias) = one FC with a bias
  Graph g = load_onnx_model(b.save("fc.onnx"));

  REQUIRE(g.layers.size() == 5);  // input, fc1, fc2, mm, mm2: Flatten, Reshape and the bias Add make no layer
  const Layer& fc1 = layer(g, "fc1");
  CHECK(fc1.op == Op::FullyConnected);
  CHECK(fc1.inputs == std::vector<int>{0});  // reads the input through the Flatten
  CHECK(fc1.out == S(1, 10, 1, 1));
  CHECK(fc1.cost.macs == 16 * 10);
  CHECK(fc1.cost.params == 16 * 10 + 10);
  const Layer& fc2 = layer(g, "fc2");
  CHECK(fc2.out == S(1, 6, 1, 1));
  CHECK(!fc2.has_bias);
  CHECK(fc2.cost.macs == 10 * 6);
  REQUIRE(fc2.tensors);
  CHECK(fc2.tensors->weight.size() == 60);
  const Layer& mm = layer(g, "mm");
  CHECK(mm.op == Op::FullyConnected);
  CHECK(mm.out == S(1, 5, 1, 1));
  CHECK(mm.cost.macs == 6 * 5);
  const Layer& mm2 = layer(g, "mm2");
  CHECK(mm2.has_bias);
  CHECK(mm2.cost.params == 5 * 3 + 3);
  REQUIRE(mm2.tensors);
  CHECK(mm2.tensors->bias == std::vector<float>{1.0f, 2.0f, 3.0f});
}

TEST_CASE("onnx: Gemm and MatMul weights are stored out x in", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 3});
  // transB = 0: W is [K=3, N=2], W[i][o] = 10 i + o.
  b.init("w", {3, 2}, {0, 1, 10, 11, 20, 21}, /*raw=*/false);
  b.init("c", {2}, {5, 6});
  auto* n = b.node("Gemm", {"x", "w", "c"}, {"y"}, "gemm");
  set_float(n, "alpha", 2.0f);
  set_float(n, "beta", 0.5f);
  b.node("MatMul", {"y", "w2"}, {"z"}, "mm");
  b.init("w2", {2, 2}, {1, 2, 3, 4});
  // The initializer is listed after its use by MatMul: initializers are global, fine.
  Graph g = load_onnx_model(b.save("layout.onnx"));
  const Layer& gemm = layer(g, "gemm");
  REQUIRE(gemm.tensors);
  CHECK(gemm.tensors->weight == std::vector<float>{0, 20, 40, 2, 22, 42});  // alpha x W^T
  CHECK(gemm.tensors->bias == std::vector<float>{2.5f, 3.0f});             // beta x C
  const Layer& mm = layer(g, "mm");
  REQUIRE(mm.tensors);
  CHECK(mm.tensors->weight == std::vector<float>{1, 3, 2, 4});
}

TEST_CASE("onnx: BatchNormalization and activations with Clip as ReLU6", "[onnx]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 8, 8});
  b.input("w", {4, 4, 1, 1});
  for (const char* p : {"g", "beta", "mean", "var"}) b.input(p, {4});
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  auto* bn = b.node("BatchNormalization", {"c", "g", "beta", "mean", "var"}, {"bn"}, "bn");
  set_float(bn, "epsilon", 1e-3f);
  b.constant("zero", 0.0f);
  b.constant("six", 6.0f);
  b.constant("minus1", -1.0f);
  b.constant("one", 1.0f);
  b.node("Clip", {"bn", "zero", "six"}, {"r6"}, "relu6");
  b.node("Clip", {"r6", "zero"}, {"r"}, "clip_relu");  // no max: ReLU
  b.node("Clip", {"r", "minus1", "one"}, {"cl"}, "clip");
  b.node("Relu", {"cl"}, {"a1"}, "relu");
  b.node("Sigmoid", {"a1"}, {"a2"}, "sigmoid");
  auto* hs = b.node("HardSigmoid", {"a2"}, {"a3"}, "hardsigmoid");
  set_float(hs, "alpha", 0.2f);
  b.node("HardSwish", {"a3"}, {"a4"}, "hardswish");
  b.node("Identity", {"a4"}, {"a5"}, "identity");
  b.node("Dropout", {"a5"}, {"a6"}, "dropout");
  b.node("Tanh", {"a6"}, {"a7"}, "tanh");
  Graph g = load_onnx_model(b.save("act.onnx"));

  const Layer& l = layer(g, "bn");
  CHECK(l.op == Op::BatchNorm);
  CHECK(!l.tensors);  // parameters are declared graph inputs without values
  CHECK(l.cost.params == 8);
  CHECK(layer(g, "relu6").act == Act::Relu6);
  CHECK(layer(g, "clip_relu").act == Act::Relu);
  CHECK(layer(g, "clip").act == Act::Clip);
  CHECK(layer(g, "relu").act == Act::Relu);
  CHECK(layer(g, "sigmoid").act == Act::Sigmoid);
  CHECK(layer(g, "hardsigmoid").act == Act::HardSigmoid);
  CHECK(layer(g, "hardswish").act == Act::HardSwish);
  CHECK(g.find("identity") < 0);
  CHECK(g.find("dropout") < 0);
  CHECK(layer(g, "tanh").inputs == std::vector<int>{g.find("hardswish")});
  for (const auto& x : g.layers) {
    CHECK(x.cost.macs == (x.op == Op::Conv ? 8 * 8 * 4 * 4 : 0));
    if (x.op == Op::Activation) CHECK(x.out == S(1, 4, 8, 8));
  }

  // After prepare(): BN folded into the conv (which gains a bias), activations fused.
  prepare(g, {});
  REQUIRE(g.layers.size() == 2);
  CHECK(g.layers[1].bn_folded);
  CHECK(g.layers[1].has_bias);
  CHECK(g.layers[1].cost.params == 16 + 4);
  CHECK(g.layers[1].fused.size() == 8);
}

TEST_CASE("onnx: Clip bounds as attributes (opset 6)", "[onnx]") {
  OnnxBuilder b(6);
  b.input("x", {1, 2, 4, 4});
  auto* n = b.node("Clip", {"x"}, {"y"}, "relu6");
  set_float(n, "min", 0.0f);
  set_float(n, "max", 6.0f);
  n = b.node("Clip", {"y"}, {"z"}, "clip");
  set_float(n, "min", -2.0f);
  Graph g = load_onnx_model(b.save("clip6.onnx"));
  CHECK(layer(g, "relu6").act == Act::Relu6);
  CHECK(layer(g, "clip").act == Act::Clip);
}

TEST_CASE("onnx: Add and Mul with squeeze-excite broadcast and Concat", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 8, 8, 8});
  b.input("w", {8, 8, 1, 1});
  b.init("scale", {1, 8, 1, 1}, std::vector<float>(8, 2.0f));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Add", {"x", "c"}, {"sum"}, "add");
  b.node("GlobalAveragePool", {"sum"}, {"gap"}, "gap");
  b.node("Sigmoid", {"gap"}, {"gate"}, "gate");
  b.node("Mul", {"sum", "gate"}, {"se"}, "se_mul");      // [1,8,8,8] x [1,8,1,1]
  b.node("Mul", {"se", "scale"}, {"scaled"}, "scale");  // by a constant: one element-wise pass
  auto* n = b.node("Concat", {"scaled", "x", "c"}, {"cat"}, "cat");
  set_int(n, "axis", 1);
  Graph g = load_onnx_model(b.save("eltwise.onnx"));
  const Layer& add = layer(g, "add");
  CHECK(add.op == Op::Add);
  CHECK(add.out == S(1, 8, 8, 8));
  CHECK(add.cost.vector_ops == 8 * 8 * 8);
  const Layer& gap = layer(g, "gap");
  CHECK(gap.op == Op::GlobalAvgPool);
  CHECK(gap.out == S(1, 8, 1, 1));
  const Layer& se = layer(g, "se_mul");
  CHECK(se.op == Op::Mul);
  CHECK(se.out == S(1, 8, 8, 8));
  const Layer& sc = layer(g, "scale");
  CHECK(sc.op == Op::Activation);
  CHECK(sc.act == Act::None);
  CHECK(sc.cost.macs == 0);
  const Layer& cat = layer(g, "cat");
  CHECK(cat.op == Op::Concat);
  CHECK(cat.inputs.size() == 3);
  CHECK(cat.out == S(1, 24, 8, 8));
  CHECK(g.totals().macs == 8 * 8 * 8 * 8);
}

TEST_CASE("onnx: pooling and ReduceMean and Pad", "[onnx]") {
  OnnxBuilder b(13);
  b.input("x", {1, 4, 7, 7});
  auto* n = b.node("MaxPool", {"x"}, {"mp"}, "maxpool");
  set_ints(n, "kernel_shape", {3, 3});
  set_ints(n, "strides", {2, 2});
  set_ints(n, "pads", {1, 1, 1, 1});
  n = b.node("AveragePool", {"x"}, {"ap"}, "avgpool_ceil");
  set_ints(n, "kernel_shape", {2, 2});
  set_ints(n, "strides", {2, 2});
  set_int(n, "ceil_mode", 1);
  n = b.node("AveragePool", {"x"}, {"ap2"}, "avgpool_floor");
  set_ints(n, "kernel_shape", {2, 2});
  set_ints(n, "strides", {2, 2});
  n = b.node("ReduceMean", {"mp"}, {"rm"}, "reducemean");
  set_ints(n, "axes", {2, 3});
  set_int(n, "keepdims", 1);
  b.init_i64("pads", {0, 0, 1, 2, 0, 0, 3, 4});
  b.node("Pad", {"ap", "pads"}, {"pd"}, "pad");
  n = b.node("Pad", {"ap2"}, {"pd0"}, "pad_nothing");  // all-zero pads: no layer
  set_ints(n, "pads", {0, 0, 0, 0, 0, 0, 0, 0});
  b.node("GlobalAveragePool", {"pd0"}, {"g"}, "gap");
  Graph g = load_onnx_model(b.save("pool.onnx"));

  CHECK(layer(g, "maxpool").out == S(1, 4, 4, 4));      // floor((7 + 2 - 3) / 2) + 1
  CHECK(layer(g, "avgpool_ceil").out == S(1, 4, 4, 4));  // ceil((7 - 2) / 2) + 1
  CHECK(layer(g, "avgpool_ceil").ceil_mode);
  CHECK(layer(g, "avgpool_floor").out == S(1, 4, 3, 3));
  const Layer& rm = layer(g, "reducemean");
  CHECK(rm.op == Op::GlobalAvgPool);
  CHECK(rm.out == S(1, 4, 1, 1));
  const Layer& pd = layer(g, "pad");
  CHECK(pd.op == Op::Pad);
  CHECK(pd.pad_t == 1);
  CHECK(pd.pad_l == 2);
  CHECK(pd.pad_b == 3);
  CHECK(pd.pad_r == 4);
  CHECK(pd.out == S(1, 4, 8, 10));
  CHECK(g.find("pad_nothing") < 0);
  CHECK(layer(g, "gap").inputs == std::vector<int>{g.find("avgpool_floor")});
  CHECK(g.totals().macs == 0);
}

TEST_CASE("onnx: opset-2 Pad attribute and opset-18 ReduceMean axes input", "[onnx]") {
  OnnxBuilder b(18);
  b.input("x", {1, 2, 4, 4});
  auto* n = b.node("Pad", {"x"}, {"p"}, "pad");
  set_ints(n, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  set_str(n, "mode", "constant");
  b.init_i64("axes", {-1, -2});
  n = b.node("ReduceMean", {"p", "axes"}, {"m"}, "mean");
  set_int(n, "keepdims", 0);
  b.node("Flatten", {"m"}, {"f"});
  b.input("w", {3, 2});
  auto* gm = b.node("Gemm", {"f", "w"}, {"y"}, "fc");
  set_int(gm, "transB", 1);
  Graph g = load_onnx_model(b.save("opset18.onnx"));
  CHECK(layer(g, "pad").out == S(1, 2, 6, 6));
  CHECK(layer(g, "mean").op == Op::GlobalAvgPool);
  CHECK(layer(g, "fc").cost.macs == 6);

  // Reflect and edge padding move the same bytes as constant padding; an unknown mode is refused
  // with its node.
  OnnxBuilder r;
  r.input("x", {1, 2, 4, 4});
  n = r.node("Pad", {"x"}, {"p"}, "wrap_pad");
  set_str(n, "mode", "wrap");
  set_ints(n, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  expect_error([&] { load_onnx_model(r.save("wrap.onnx")); }, {"node 1", "wrap_pad", "wrap"});
}

TEST_CASE("onnx: an unsupported operator names the op and the node", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("GridSample", {"r", "x"}, {"gs"}, "my_grid_sample");
  b.node("LpNormalization", {"gs"}, {"n"}, "my_norm");
  b.node("Relu", {"n"}, {"y"}, "relu2");
  const std::string path = b.save("unknown.onnx");
  expect_error([&] { load_onnx_model(path); }, {path + ":2:", "node 2", "'my_grid_sample'", "'GridSample'"});

  // Allowed: zero-MAC 'unsupported' layers, one warning line for the whole model.
  std::stringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  Graph g;
  try {
    g = load_onnx_model(path, /*allow_unknown_ops=*/true);
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
  const std::string w = err.str();
  INFO(w);
  CHECK(std::count(w.begin(), w.end(), '\n') == 1);
  CHECK_THAT(w, Catch::Matchers::StartsWith("warning:"));
  CHECK_THAT(w, Catch::Matchers::Contains("GridSample (node 2)"));
  CHECK_THAT(w, Catch::Matchers::Contains("LpNormalization (node 3)"));
  const Layer& gs = layer(g, "my_grid_sample");
  CHECK(gs.op == Op::Unsupported);
  CHECK(gs.fn == "GridSample");
  CHECK(gs.inputs.size() == 2);      // both activation operands are read
  CHECK(gs.out == S(1, 4, 8, 8));    // ONNX shape inference cannot type this grid: the first input's shape
  CHECK(gs.cost.macs == 0);
  CHECK(layer(g, "relu2").inputs == std::vector<int>{g.find("my_norm")});

  // Through load_model, by extension and option.
  LoadOptions opt;
  opt.allow_unknown_ops = false;
  expect_error([&] { load_model(path, opt); }, {"GridSample"});
}

TEST_CASE("onnx: bad graphs are input errors naming the node", "[onnx]") {
  SECTION("two inputs read only by Add") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("y", {1, 4, 8, 8});
    b.node("Add", {"x", "y"}, {"s"}, "add");
    expect_error([&] { load_onnx_model(b.save("two_inputs.onnx")); }, {"'x', 'y'", "read only by Add/Mul"});
  }
  SECTION("a weight of unknown shape") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    auto* in = b.g->add_input();  // declared without a shape
    in->set_name("w");
    b.node("Conv", {"x", "w"}, {"c"}, "conv");
    expect_error([&] { load_onnx_model(b.save("noshape.onnx")); }, {":1:", "node 1 'conv'", "'w' has no known shape"});
  }
  SECTION("channels disagree with the weight") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("w", {8, 3, 3, 3});
    b.node("Relu", {"x"}, {"r"}, "relu");
    b.node("Conv", {"r", "w"}, {"c"}, "conv");
    expect_error([&] { load_onnx_model(b.save("channels.onnx")); }, {":2:", "node 2 'conv'", "expects 1 x 3 input channels"});
  }
  SECTION("nodes out of order") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.node("Relu", {"later"}, {"r"}, "relu");
    b.node("Relu", {"x"}, {"later"}, "relu0");
    expect_error([&] { load_onnx_model(b.save("order.onnx")); }, {"node 1 'relu'", "reads 'later'", "topological"});
  }
  SECTION("concat with a mismatched dimension") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("y", {1, 4, 6, 8});
    b.node("Relu", {"y"}, {"ry"}, "relu_y");
    auto* n = b.node("Concat", {"x", "ry"}, {"c"}, "cat");
    set_int(n, "axis", 1);
    expect_error([&] { load_onnx_model(b.save("cat2.onnx")); }, {"node 2 'cat'", "[1, 4, 6, 8]", "axis 1"});
  }
  SECTION("a reshape that changes the layout before a conv") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("w", {4, 16, 1, 1});
    b.init_i64("shape", {1, 16, 4, 4});
    b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
    b.node("Conv", {"r", "w"}, {"c"}, "conv");
    // ONNX tensors are row-major: the conv reads the reshaped tensor as [1, 16, 4, 4].
    Graph g = load_onnx_model(b.save("reshape.onnx"));
    CHECK(input_shape(g, layer(g, "conv"), 0) == S(1, 16, 4, 4));
    CHECK(layer(g, "conv").cost.macs == 4 * 4 * 4 * 16);
  }
  SECTION("a weight whose input channels disagree after a reshape") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("w", {4, 8, 1, 1});
    b.init_i64("shape", {1, 16, 4, 4});
    b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
    b.node("Conv", {"r", "w"}, {"c"}, "conv");
    expect_error([&] { load_onnx_model(b.save("reshape2.onnx")); }, {"node 2 'conv'", "16"});
  }
  SECTION("an empty graph") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    expect_error([&] { load_onnx_model(b.save("empty_graph.onnx")); }, {"empty graph"});
  }
}

TEST_CASE("onnx: missing or empty or truncated or random files are input errors", "[onnx]") {
  // A valid model with weights, to cut short.
  OnnxBuilder b;
  b.input("x", {1, 16, 8, 8});
  b.init_zeros("w", {32, 16, 3, 3});
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node("Relu", {"c"}, {"y"}, "relu");
  std::string good = b.m.SerializeAsString();
  REQUIRE_NOTHROW(load_onnx_model(b.save("good.onnx")));

  auto write = [](const std::string& name, const std::string& bytes) {
    fs::path p = temp_dir() / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  };
  expect_error([&] { load_onnx_model((temp_dir() / "absent.onnx").string()); }, {"absent.onnx", "cannot open"});
  expect_error([&] { load_model((temp_dir() / "absent.onnx").string()); }, {"absent.onnx"});
  expect_error([&] { load_onnx_model(write("empty.onnx", "")); }, {"empty.onnx"});
  for (size_t cut : {good.size() / 2, good.size() - 1, size_t(7)}) {
    INFO("truncated to " << cut << " of " << good.size() << " bytes");
    expect_error([&] { load_onnx_model(write("truncated.onnx", good.substr(0, cut))); }, {"truncated.onnx"});
  }
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 20; ++trial) {
    std::string junk(4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng() & 0xff);
    INFO("random file " << trial);
    expect_error([&] { load_onnx_model(write("random.onnx", junk)); }, {"random.onnx"});
  }
  // A corrupt initializer (wrong byte count) is an error, not an out-of-bounds read.
  OnnxBuilder c;
  c.input("x", {1, 16, 8, 8});
  c.init("w", {32, 16, 3, 3}, std::vector<float>(10, 1.0f));
  c.node("Conv", {"x", "w"}, {"y"}, "conv");
  expect_error([&] { load_onnx_model(c.save("short_init.onnx")); }, {"node 1 'conv'", "4608 elements but holds 10"});
}

TEST_CASE("onnx: nnasim info exits with status 2 on a corrupt file", "[onnx][cli]") {
  const std::string bin = NNASIM_BINARY;
  if (!fs::exists(bin) || std::system((bin + " info --help > /dev/null 2>&1").c_str()) != 0) {
    WARN("the nnasim CLI (" << bin << ") has no 'info' subcommand yet: skipped");
    return;
  }
  fs::path bad = temp_dir() / "bad.onnx";
  std::ofstream(bad, std::ios::binary) << "this is not a protobuf \xff\xff\xff\xff";
  fs::path err = temp_dir() / "bad.err";
  int rc = std::system(fmt::format("{} info --model {} > /dev/null 2> {}", bin, bad.string(), err.string()).c_str());
  REQUIRE(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
  std::ifstream f(err);
  std::string line;
  std::getline(f, line);
  CHECK_THAT(line, Catch::Matchers::StartsWith("error: " + bad.string()));
}

namespace {

// Naive NCHW convolution (batch 1) in double: out[co][y][x] = b[co] + sum w * in.
std::vector<double> conv_ref(const std::vector<float>& in, int cin, int h, int w, const std::vector<float>& wt,
                             const std::vector<float>& bias, int cout, int k, int pad, int groups, int* oh, int* ow) {
  *oh = h + 2 * pad - k + 1;
  *ow = w + 2 * pad - k + 1;
  const int cpg = cin / groups, opg = cout / groups;
  std::vector<double> out(size_t(cout) * *oh * *ow, 0.0);
  for (int co = 0; co < cout; ++co)
    for (int y = 0; y < *oh; ++y)
      for (int x = 0; x < *ow; ++x) {
        double s = bias.empty() ? 0.0 : bias[co];
        for (int ci = 0; ci < cpg; ++ci)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              int iy = y + ky - pad, ix = x + kx - pad;
              if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
              int c = (co / opg) * cpg + ci;
              s += double(wt[((size_t(co) * cpg + ci) * k + ky) * k + kx]) * in[(size_t(c) * h + iy) * w + ix];
            }
        out[(size_t(co) * *oh + y) * *ow + x] = s;
      }
  return out;
}

}  // namespace

TEST_CASE("onnx: BN folded into a conv matches conv + BN numerically", "[onnx][bn]") {
  for (int groups : {1, 2}) {
    for (bool with_bias : {false, true}) {
      INFO("groups " << groups << ", conv bias " << with_bias);
      const int cin = 4, cout = 6, k = 3, h = 7, w = 5, pad = 1;
      std::mt19937 rng(42 + groups * 2 + with_bias);
      std::uniform_real_distribution<float> u(-1.0f, 1.0f), pos(0.1f, 2.0f);
      auto rnd = [&](size_t n, bool positive = false) {
        std::vector<float> v(n);
        for (auto& x : v) x = positive ? pos(rng) : u(rng);
        return v;
      };
      auto wt = rnd(size_t(cout) * (cin / groups) * k * k), bias = with_bias ? rnd(cout) : std::vector<float>{};
      auto gamma = rnd(cout), beta = rnd(cout), mean = rnd(cout), var = rnd(cout, true);
      auto x = rnd(size_t(cin) * h * w);
      const float eps = 1e-3f;

      OnnxBuilder b;
      b.input("x", {1, cin, h, w});
      b.init("w", {cout, cin / groups, k, k}, wt);
      std::vector<std::string> conv_in = {"x", "w"};
      if (with_bias) {
        b.init("b", {cout}, bias, /*raw=*/false);
        conv_in.push_back("b");
      }
      b.init("gamma", {cout}, gamma);
      b.init("beta", {cout}, beta, /*raw=*/false);
      b.init("mean", {cout}, mean);
      b.init("var", {cout}, var);
      auto* c = b.node("Conv", conv_in, {"c"}, "conv");
      set_int(c, "group", groups);
      set_ints(c, "pads", {pad, pad, pad, pad});
      auto* bn = b.node("BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"y"}, "bn");
      set_float(bn, "epsilon", eps);
      Graph g = load_onnx_model(b.save("bn_fold.onnx"));
      REQUIRE(layer(g, "bn").tensors);
      CHECK(layer(g, "bn").tensors->eps == eps);
      REQUIRE(layer(g, "conv").tensors);
      CHECK(layer(g, "conv").tensors->weight == wt);

      // Reference: the conv, then BN, in double.
      int oh, ow;
      auto ref = conv_ref(x, cin, h, w, wt, bias, cout, k, pad, groups, &oh, &ow);
      for (int co = 0; co < cout; ++co)
        for (int i = 0; i < oh * ow; ++i) {
          double& v = ref[size_t(co) * oh * ow + i];
          v = gamma[co] * (v - mean[co]) / std::sqrt(double(var[co]) + eps) + beta[co];
        }

      prepare(g, {});
      REQUIRE(g.layers.size() == 2);
      const Layer& folded = g.layers[1];
      CHECK(folded.bn_folded);
      REQUIRE(folded.tensors);
      REQUIRE(folded.tensors->bias.size() == size_t(cout));
      int oh2, ow2;
      auto got = conv_ref(x, cin, h, w, folded.tensors->weight, folded.tensors->bias, cout, k, pad, groups, &oh2, &ow2);
      REQUIRE(got.size() == ref.size());
      CHECK(folded.out == S(1, cout, oh, ow));
      double max_abs = 0, max_err = 0;
      for (size_t i = 0; i < ref.size(); ++i) {
        max_abs = std::max(max_abs, std::abs(ref[i]));
        max_err = std::max(max_err, std::abs(ref[i] - got[i]));
      }
      INFO("max |error| " << max_err << " for max |y| " << max_abs);
      CHECK(max_err <= 1e-5 * max_abs);  // relative to the output's scale
    }
  }
}

TEST_CASE("onnx: the model zoo matches its PyTorch MACs and folded parameter counts", "[onnx][zoo]") {
  const fs::path zoo = fs::path(NNASIM_SOURCE_DIR) / "models" / "zoo.yaml";
  if (!fs::exists(zoo)) {
    WARN(zoo.string() << " is absent: zoo check skipped");
    return;
  }
  YAML::Node root = YAML::LoadFile(zoo.string());
  REQUIRE(root["networks"].IsSequence());
  CHECK(root["networks"].size() >= 11);
  for (const auto& n : root["networks"]) {
    if (!n["top1"]) continue;  // the classifiers; the other networks are checked in test_workloads.cpp
    const std::string name = n["name"].as<std::string>();
    const fs::path file = zoo.parent_path() / n["file"].as<std::string>();
    INFO(name << " (" << file.string() << ")");
    auto t0 = std::chrono::steady_clock::now();
    Graph g = load_model(file.string());
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    // MACs of conv and FC layers, counted by PyTorch forward hooks; nnasim's annotate() counts
    // the same (conv: out pixels x Cout x Cin/groups x kh x kw; FC: in x out).
    CHECK(g.totals().macs == n["torch_macs"].as<int64_t>());
    // PyTorch's parameters include BN's weight and bias (2 C per BN); folding removes them and
    // gives each conv without a bias a C-element bias (torch_bn_fold_bias).
    const int64_t torch_params = n["torch_params"].as<int64_t>(), bn = n["torch_bn_params"].as<int64_t>(),
                  fold_bias = n["torch_bn_fold_bias"].as<int64_t>();
    prepare(g, {});
    for (const auto& l : g.layers) CHECK(l.op != Op::BatchNorm);
    CHECK(g.totals().params == torch_params - bn + fold_bias);
    CHECK(ms < 2000.0);  // a weight-less zoo file loads in milliseconds
  }
}

// ---------------------------------------------------------------- issue 10: any rank, transformers
namespace {
// A float input with a symbolic dimension `i`.
void symbolic_input(OnnxBuilder& b, const std::string& name, const std::vector<int64_t>& dims, size_t i) {
  b.input(name, dims);
  auto* d = b.g->mutable_input(b.g->input_size() - 1)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(int(i));
  d->set_dim_param("N");
}
}  // namespace

TEST_CASE("onnx: 1-D and 3-D convolutions lower to the GEMM view K = C/g x kernel volume", "[onnx][workloads]") {
  OnnxBuilder b;
  b.input("x", {1, 8, 100});  // audio: [N, C, L]
  b.input("w1", {16, 4, 5});  // grouped (g = 2), dilated 2, stride 2, pad 4
  auto* n = b.node("Conv", {"x", "w1"}, {"c1"}, "conv1d");
  set_int(n, "group", 2);
  set_ints(n, "strides", {2});
  set_ints(n, "dilations", {2});
  set_ints(n, "pads", {4, 4});
  Graph g = load_onnx_model(b.save("conv1d.onnx"));
  const Layer& c = layer(g, "conv1d");
  // L_out = floor((100 + 8 - 2*4 - 1) / 2) + 1 = 50 (PyTorch's Conv1d formula)
  CHECK(c.out == S(1, 16, 1, 50));
  CHECK(c.cost.macs == 50 * 16 * 4 * 5);
  CHECK(c.cost.weights == 16 * 4 * 5);

  OnnxBuilder v;
  v.input("x", {1, 4, 6, 10, 12});  // [N, C, D, H, W]
  v.input("w", {8, 4, 3, 3, 3});
  n = v.node("Conv", {"x", "w"}, {"c"}, "conv3d");
  set_ints(n, "strides", {2, 1, 2});
  set_ints(n, "pads", {1, 1, 1, 1, 1, 1});
  Graph g3 = load_onnx_model(v.save("conv3d.onnx"));
  const Layer& c3 = layer(g3, "conv3d");
  Shape want{1, 8, 10, 6, 3};  // D = (6+2-3)/2+1 = 3, H = 10, W = (12+2-3)/2+1 = 6
  CHECK(c3.out == want);
  CHECK(c3.cost.macs == 3 * 10 * 6 * 8 * (4 * 27));
}

TEST_CASE("onnx: ConvTranspose output shape and MACs follow PyTorch", "[onnx][workloads]") {
  OnnxBuilder b;
  b.input("x", {1, 16, 8, 8});
  b.input("w", {16, 4, 4, 4});  // [C, M/g, kh, kw], g = 2 -> M = 8
  auto* n = b.node("ConvTranspose", {"x", "w"}, {"y"}, "up");
  set_int(n, "group", 2);
  set_ints(n, "strides", {2, 2});
  set_ints(n, "pads", {1, 1, 1, 1});
  Graph g = load_onnx_model(b.save("convt.onnx"));
  const Layer& u = layer(g, "up");
  // H_out = (8-1)*2 - 2 + (4-1) + 0 + 1 = 16 (torch.nn.ConvTranspose2d docs)
  CHECK(u.out == S(1, 8, 16, 16));
  // Every input element meets M/g filters of k^2 taps: 8*8*16 * 4 * 16.
  CHECK(u.cost.macs == 8 * 8 * 16 * 4 * 16);
  CHECK(u.cost.weights == 16 * 4 * 16);
}

TEST_CASE("onnx: a transformer block: attention MatMuls of two activations, Softmax, LayerNorm and GELU fused",
          "[onnx][workloads]") {
  // x [1, 8, 16] -> LN (decomposed) -> q, k, v (MatMul by weights) -> heads 2 x 8 -> scores, softmax,
  // context -> FC -> GELU (decomposed).
  OnnxBuilder b;
  b.input("x", {1, 8, 16});
  for (const char* w : {"wq", "wk", "wv", "wo"}) b.input(w, {16, 16});
  b.input("gamma", {16});
  b.input("beta", {16});
  b.init_i64("ax", {-1});
  b.init_i64("heads", {1, 8, 2, 8});
  b.init_i64("back", {1, 8, 16});
  b.constant("two", 2.0f);
  b.constant("eps", 1e-5f);
  b.constant("sqrt2", 1.4142135f);
  b.constant("one", 1.0f);
  b.constant("half", 0.5f);
  auto rm = [&](const std::string& in, const std::string& out) {
    auto* n = b.node("ReduceMean", {in}, {out});
    set_ints(n, "axes", {-1});
  };
  rm("x", "mean");
  b.node("Sub", {"x", "mean"}, {"d"});
  b.node("Pow", {"d", "two"}, {"d2"});
  rm("d2", "var");
  b.node("Add", {"var", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"sd"});
  b.node("Div", {"d", "sd"}, {"nrm"});
  b.node("Mul", {"nrm", "gamma"}, {"sc"});
  b.node("Add", {"sc", "beta"}, {"h"});
  for (const char* p : {"q", "k", "v"}) {
    b.node("MatMul", {"h", std::string("w") + p}, {std::string(p) + "0"});
    b.node("Reshape", {std::string(p) + "0", "heads"}, {std::string(p) + "1"});
    auto* t = b.node("Transpose", {std::string(p) + "1"}, {std::string(p) + "h"});
    set_ints(t, "perm", {0, 2, 1, 3});  // [1, 2, 8, 8]
  }
  auto* kt = b.node("Transpose", {"kh"}, {"kT"}, "k_transposed");
  set_ints(kt, "perm", {0, 1, 3, 2});
  b.node("MatMul", {"qh", "kT"}, {"s"}, "scores");
  auto* sm = b.node("Softmax", {"s"}, {"p"}, "softmax");
  set_int(sm, "axis", -1);
  b.node("MatMul", {"p", "vh"}, {"ctx"}, "context");
  auto* t = b.node("Transpose", {"ctx"}, {"ctx1"}, "merge_heads");
  set_ints(t, "perm", {0, 2, 1, 3});
  b.node("Reshape", {"ctx1", "back"}, {"ctx2"});
  b.node("MatMul", {"ctx2", "wo"}, {"o"}, "out_proj");
  b.node("Div", {"o", "sqrt2"}, {"g0"});
  b.node("Erf", {"g0"}, {"g1"});
  b.node("Add", {"g1", "one"}, {"g2"});
  b.node("Mul", {"o", "g2"}, {"g3"});
  b.node("Mul", {"g3", "half"}, {"y"});
  Graph g = load_onnx_model(b.save("block.onnx"));
  prepare(g, {});
  int ln = 0, gelu_fused = 0;
  for (const auto& l : g.layers) {
    ln += l.op == Op::LayerNorm;
    CHECK(l.op != Op::Reduce);  // every statistic went into the LayerNorm
    for (Act a : l.fused) gelu_fused += a == Act::Gelu;
  }
  CHECK(ln == 1);
  CHECK(gelu_fused == 1);
  CHECK(std::find_if(g.layers.begin(), g.layers.end(), [](const Layer& l) { return l.fn == "Erf"; }) ==
        g.layers.end());
  // Q.K^T: per sample 2 heads of [8, 8] x [8, 8]; the K^T transpose is read by the array as it loads.
  const Layer& s = layer(g, "scores");
  CHECK(s.op == Op::MatMul);
  CHECK(s.cost.macs == 2 * 8 * 8 * 8);
  CHECK(s.cost.weights == 0);
  CHECK(g.find("k_transposed") < 0);
  CHECK(layer(g, "context").cost.macs == 2 * 8 * 8 * 8);
  CHECK(layer(g, "softmax").cost.vector_ops == 5 * 2 * 8 * 8);
  CHECK(layer(g, "merge_heads").op == Op::Transpose);  // moves data: head-major to token-major
  CHECK(layer(g, "out_proj").cost.macs == 8 * 16 * 16);
  // Params: 4 projections + LayerNorm's gamma and beta.
  CHECK(g.totals().params == 4 * 16 * 16 + 2 * 16);
  CHECK(g.totals().macs == 4 * 8 * 16 * 16 + 2 * (2 * 8 * 8 * 8));
}

TEST_CASE("onnx: Resize, Slice, Split, Gather, Concat on any axis and views", "[onnx][workloads]") {
  OnnxBuilder b;
  b.input("x", {1, 4, 8, 8});
  b.init("scales", {4}, {1, 1, 2, 2});
  b.init("roi", {0}, {});
  auto* r = b.node("Resize", {"x", "roi", "scales"}, {"up"}, "bilinear");
  set_str(r, "mode", "linear");
  r = b.node("Resize", {"x", "roi", "scales"}, {"up2"}, "nearest");
  set_str(r, "mode", "nearest");
  auto* c = b.node("Concat", {"up", "up2"}, {"cat"}, "cat_h");
  set_int(c, "axis", 2);
  b.init_i64("starts", {0});
  b.init_i64("ends", {2});
  b.init_i64("axes1", {1});
  b.node("Slice", {"cat", "starts", "ends", "axes1"}, {"part"}, "channel_slice");
  b.init_i64("axes3", {3});
  b.node("Slice", {"cat", "starts", "ends", "axes3"}, {"cols"}, "column_slice");
  auto* sp = b.node("Split", {"part"}, {"s0", "s1"}, "split");
  set_int(sp, "axis", 2);
  b.init_i64("idx", {3});
  auto* ga = b.node("Gather", {"s1", "idx"}, {"row"}, "gather");
  set_int(ga, "axis", 2);
  b.node("Relu", {"cols"}, {"rc"}, "relu_cols");
  b.node("Relu", {"s0"}, {"rs"}, "relu_s0");
  Graph g = load_onnx_model(b.save("layout.onnx"));
  CHECK(layer(g, "bilinear").out == S(1, 4, 16, 16));
  CHECK(layer(g, "bilinear").cost.vector_ops == 4 * 16 * 16 * 4);  // 4 taps per output
  CHECK(layer(g, "nearest").cost.vector_ops == 4 * 16 * 16);
  CHECK(layer(g, "cat_h").out == S(1, 4, 32, 16));
  // A slice of channels of a [1, C, H, W] tensor is one contiguous run: a view, no vector work.
  CHECK(layer(g, "channel_slice").cost.vector_ops == 0);
  CHECK(layer(g, "channel_slice").out.elements() == 2 * 32 * 16);
  // Columns are strided: a copy.
  CHECK(layer(g, "column_slice").cost.vector_ops == 4 * 32 * 2);
  CHECK(layer(g, "split").out.elements() == 2 * 16 * 16);
  CHECK(layer(g, "split:1").out.elements() == 2 * 16 * 16);
  CHECK(layer(g, "gather").out.elements() == 2 * 16);
}

TEST_CASE("onnx: bad transformer and shape input is one error naming the node", "[onnx][workloads]") {
  SECTION("attention with mismatched heads") {
    OnnxBuilder b;
    b.input("q", {1, 12, 16, 64});
    b.input("k", {1, 8, 64, 16});
    b.node("MatMul", {"q", "k"}, {"s"}, "scores");
    expect_error([&] { load_onnx_model(b.save("heads.onnx")); },
                 {":1:", "node 1 'scores'", "[1, 12]", "[1, 8]", "mismatched attention heads"});
  }
  SECTION("a shape mismatch") {
    OnnxBuilder b;
    b.input("x", {1, 4, 8, 8});
    b.input("y", {1, 4, 4, 4});
    b.node("Relu", {"y"}, {"ry"});
    b.node("Relu", {"x"}, {"rx"});
    b.node("Add", {"rx", "ry"}, {"s"}, "residual");
    expect_error([&] { load_onnx_model(b.save("mismatch.onnx")); }, {":3:", "'residual'", "do not agree"});
  }
  SECTION("a dynamic dimension that cannot be fixed") {
    OnnxBuilder b;
    symbolic_input(b, "x", {1, 128, 768}, 1);  // a symbolic sequence length
    b.node("Relu", {"x"}, {"y"});
    expect_error([&] { load_onnx_model(b.save("dynamic.onnx")); }, {"'x'", "symbolic", "dimension 1", "'N'"});
  }
  SECTION("a symbolic batch is fixed to 1, a fixed batch is used") {
    OnnxBuilder b;
    symbolic_input(b, "x", {1, 4, 8, 8}, 0);
    b.node("Relu", {"x"}, {"y"});
    Graph g = load_onnx_model(b.save("dynbatch.onnx"));
    CHECK(g.batch == 1);
    OnnxBuilder f;
    f.input("x", {4, 4, 8, 8});
    f.node("Relu", {"x"}, {"y"}, "relu");
    Graph g4 = load_onnx_model(f.save("batch4.onnx"));
    CHECK(g4.batch == 4);
    CHECK(g4.shape_batch == 4);
    CHECK(layer(g4, "relu").cost.vector_ops == 4 * 4 * 8 * 8);
    set_batch(g4, 8, {"--batch", 0});
    CHECK(layer(g4, "relu").cost.vector_ops == 8 * 4 * 8 * 8);
    expect_error([&] { set_batch(g4, 6, {"--batch", 0}); }, {"--batch", "multiple of 4"});
  }
}

TEST_CASE("onnx: unknown operators keep ONNX-inferred shapes", "[onnx][workloads]") {
  // TopK is not an nnasim operator; ONNX shape inference gives its outputs [1, 4, 3] from k = 3.
  OnnxBuilder b;
  b.input("x", {1, 4, 10});
  b.init_i64("k", {3});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("TopK", {"r", "k"}, {"vals", "idx"}, "topk");
  b.node("Relu", {"vals"}, {"y"}, "after");
  const std::string path = b.save("topk.onnx");
  expect_error([&] { load_onnx_model(path); }, {"'TopK'", "--allow-unknown-ops"});
  std::stringstream err;
  auto* old = std::cerr.rdbuf(err.rdbuf());
  Graph g;
  try {
    g = load_onnx_model(path, true);
  } catch (...) {
    std::cerr.rdbuf(old);
    throw;
  }
  std::cerr.rdbuf(old);
  const Layer& t = layer(g, "topk");
  CHECK(t.op == Op::Unsupported);
  CHECK(t.out.elements() == 1 * 4 * 3);
  CHECK(t.cost.macs == 0);
  CHECK(layer(g, "after").out.elements() == 12);
}

TEST_CASE("onnx: the CLI reports unsupported operators as rows and bad input as one line", "[onnx][workloads][cli]") {
  using nnasim::test::run_cli;
  OnnxBuilder b;
  b.input("x", {1, 4, 10});
  b.init_i64("k", {3});
  b.node("Relu", {"x"}, {"r"}, "relu");
  b.node("TopK", {"r", "k"}, {"vals", "idx"}, "topk");
  b.node("Relu", {"vals"}, {"y"}, "after");
  const std::string path = b.save("topk_cli.onnx");
  auto r = run_cli("run --allow-unknown-ops --format json --model " + path);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::Matchers::StartsWith("warning:") && Catch::Matchers::Contains("TopK (node 2)"));
  auto j = nlohmann::json::parse(r.out);
  bool row = false;
  for (const auto& l : j["layers"]) row = row || (l["name"] == "topk" && l["op"] == "unsupported:TopK" && l["macs"] == 0);
  CHECK(row);
  CHECK(j["unsupported"] == nlohmann::json::array({"topk"}));
  auto t = run_cli("run --allow-unknown-ops --model " + path);
  CHECK_THAT(t.out, Catch::Matchers::Contains("unsupported:TopK") && Catch::Matchers::Contains("1 layer(s)"));

  OnnxBuilder m;
  m.input("q", {1, 12, 16, 64});
  m.input("k", {1, 8, 64, 16});
  m.node("MatMul", {"q", "k"}, {"s"}, "scores");
  const std::string bad = m.save("heads_cli.onnx");
  auto e = run_cli("run --model " + bad);
  CHECK(e.status == 2);
  CHECK(std::count(e.err.begin(), e.err.end(), '\n') == 1);
  CHECK_THAT(e.err, Catch::Matchers::StartsWith("error: " + bad + ":1: node 1 'scores'"));
}

TEST_CASE("onnx: new operators lower into the scheduler's LayerGeo", "[onnx][workloads][sched]") {
  using nnasim::sched::layer_geo;
  // ConvTranspose 2x2 stride 2, 16 -> 8 channels on an 8x8 map: sub-pixel decomposition = 4 phases
  // of a 1x1 stride-1 conv over the 8x8 input grid.
  OnnxBuilder b;
  b.input("x", {1, 16, 8, 8});
  b.input("w", {16, 8, 2, 2});
  auto* n = b.node("ConvTranspose", {"x", "w"}, {"y"}, "up");
  set_ints(n, "strides", {2, 2});
  Graph g = load_onnx_model(b.save("geo_convt.onnx"));
  auto geo = layer_geo(g, g.find("up"));
  CHECK(geo.mac);
  CHECK(geo.co == 8 * 4);
  CHECK(geo.ho == 8);
  CHECK(geo.wo == 8);
  CHECK(geo.k == 16);  // C x ceil(2/2)^2
  CHECK(geo.kh_eff == 1);
  // The array's MACs (M x K x N) are the layer's: no zero is multiplied.
  CHECK(geo.ho * geo.wo * geo.k * geo.co == layer(g, "up").cost.macs);

  // Q.K^T of 2 heads, 8 tokens, 4 dims per head; at batch 3 the samples are more groups.
  OnnxBuilder a;
  a.input("q", {1, 2, 8, 4});
  a.input("k", {1, 2, 4, 8});
  a.node("MatMul", {"q", "k"}, {"s"}, "scores");
  Graph ga = load_onnx_model(a.save("geo_mm.onnx"));
  set_batch(ga, 3, {"--batch", 0});
  auto mg = layer_geo(ga, ga.find("scores"));
  CHECK(mg.mac);
  CHECK(mg.groups == 3 * 2);
  CHECK(mg.cpg_out == 8);
  CHECK(mg.co == 6 * 8);
  CHECK(mg.ho == 8);
  CHECK(mg.k == 4);
  REQUIRE(mg.in.size() == 2);
  CHECK_FALSE(mg.in[0].whole);
  CHECK(mg.in[1].whole);  // K^T is read whole by every tile, as weights are
  CHECK(mg.weight_bytes == 0);
  CHECK(mg.ho * mg.wo * mg.k * mg.co == layer(ga, "scores").cost.macs);
  CHECK(layer(ga, "scores").cost.macs == 3 * 2 * 8 * 4 * 8);
}
