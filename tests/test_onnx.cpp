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
#include "onnx_builder.h"
#include "sim/sched/layer_cost.h"

using namespace nnasim::graph;
using namespace nnasim::test;
using nnasim::InputError;
namespace fs = std::filesystem;

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

