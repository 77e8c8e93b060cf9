// ONNX import of the workloads beyond classifiers (issue 10): 1-D and 3-D convolutions,
// ConvTranspose, a transformer block, shape operators, unknown operators kept with ONNX-inferred
// shapes, and their lowering into the scheduler's LayerGeo.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <sstream>

#include "onnx_builder.h"
#include "sim/graph/load.h"
#include "sim/graph/onnx_model.h"
#include "sim/graph/passes.h"
#include "sim/sched/layer_cost.h"

using namespace nnasim::graph;
using namespace nnasim::test;
using nnasim::InputError;

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
