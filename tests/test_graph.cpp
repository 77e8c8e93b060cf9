// The layer-graph IR: YAML loading, shape inference, MACs/params by hand, BN folding and fusion.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"

using namespace nnasim;

TEST_CASE("graph: tinynet's MACs and params, counted by hand", "[graph]") {
  graph::Graph g = graph::load_model(test::source_dir() + "/models/tinynet.yaml");
  graph::prepare(g, {});
  // conv1 3->16 3x3 on 32x32: 16*32*32*3*9 = 442,368;  dw2 16 depthwise 3x3: 16*32*32*9 = 147,456;
  // pw2 16->16 1x1: 16*1024*16 = 262,144;  g3 16->32 3x3 groups 4 on 16x16: 32*256*4*9 = 294,912;
  // b3 16->32 1x1 on 16x16: 32*256*16 = 131,072;  fc 64->10: 640.
  CHECK(g.totals().macs == 442368 + 147456 + 262144 + 294912 + 131072 + 640);
  // Params: conv1 432 + 16 (bias from the folded BN); dw2 144; pw2 256+16; g3 1152+32; b3 512+32; fc 640+10.
  CHECK(g.totals().params == 448 + 144 + 272 + 1184 + 544 + 650);
  // bn1 folded, relu1 and relu2 fused; gate3 (sigmoid of a concat) stays.
  CHECK(g.find("bn1") < 0);
  CHECK(g.find("relu1") < 0);
  CHECK(g.find("gate3") >= 0);
  const auto& conv1 = g.layers[g.find("conv1")];
  CHECK(conv1.bn_folded);
  CHECK(conv1.fused.size() == 1);
  // Consumers of relu1 now read conv1.
  const auto& add2 = g.layers[g.find("add2")];
  CHECK(g.layers[add2.inputs[1]].name == "conv1");
  CHECK(g.layers[g.find("cat3")].out == graph::Shape{1, 64, 16, 16});
  CHECK(g.layers.back().out == graph::Shape{1, 10, 1, 1});
}

TEST_CASE("graph: weight bytes follow the bit width", "[graph]") {
  graph::Graph g = test::single_fc(1000, 100, true, 8);
  CHECK(g.layers[1].cost.weight_bytes == 100000 + 100 * 4);
  graph::set_weight_bits(g, 4);
  graph::annotate(g);
  CHECK(g.layers[1].cost.weight_bytes == 50000 + 100 * 4);
  graph::set_weight_bits(g, 6);
  graph::annotate(g);
  CHECK(g.layers[1].cost.weight_bytes == 75000 + 100 * 4);
}

TEST_CASE("graph: batch-norm folding is numerically exact", "[graph]") {
  graph::GraphBuilder b("bn", "<test>");
  graph::Layer in;
  in.name = "x", in.op = graph::Op::Input, in.out = {1, 2, 1, 1};
  b.add(in);
  graph::Layer fc;
  fc.name = "fc", fc.op = graph::Op::FullyConnected, fc.inputs = {0}, fc.out_channels = 2, fc.has_bias = true;
  fc.tensors = graph::Tensors{};
  fc.tensors->weight = {1, 2, 3, 4};
  fc.tensors->bias = {0.5f, -1};
  b.add(fc);
  graph::Layer bn;
  bn.name = "bn", bn.op = graph::Op::BatchNorm, bn.inputs = {1};
  bn.tensors = graph::Tensors{};
  bn.tensors->gamma = {2, 0.5f};
  bn.tensors->beta = {1, -2};
  bn.tensors->mean = {0.25f, 3};
  bn.tensors->var = {4, 1};
  bn.tensors->eps = 0;
  b.add(bn);
  graph::Graph g = b.finish();
  REQUIRE(graph::fold_batchnorm(g) == 1);
  const auto& t = *g.layers[1].tensors;
  // Channel 0: s = 2/sqrt(4) = 1 -> W' = [1, 2], b' = (0.5 - 0.25)*1 + 1 = 1.25.
  // Channel 1: s = 0.5/sqrt(1) = 0.5 -> W' = [1.5, 2], b' = (-1 - 3)*0.5 - 2 = -4.
  CHECK(t.weight == std::vector<float>{1, 2, 1.5f, 2});
  CHECK(t.bias == std::vector<float>{1.25f, -4});
}

TEST_CASE("graph: shapes that disagree are an error at the layer's line", "[graph][errors]") {
  auto path = test::temp_file("badadd.yaml",
                              "name: bad\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                              "  - { name: a, op: conv, out_channels: 4, kernel: 3, pad: 1 }\n"
                              "  - { name: b, op: conv, out_channels: 8, kernel: 3, pad: 1, inputs: [x] }\n");
  CHECK_THROWS_AS(graph::load_model(path), InputError);
  auto path2 = test::temp_file("badadd2.yaml",
                               "name: bad\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                               "  - { name: a, op: conv, out_channels: 4, kernel: 3, pad: 1 }\n"
                               "  - { name: b, op: conv, out_channels: 8, kernel: 3, pad: 1, inputs: [input] }\n"
                               "  - { name: c, op: add, inputs: [a, b] }\n");
  try {
    graph::load_model(path2);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.loc().line == 6);
    CHECK_THAT(e.message(), Catch::Contains("do not agree"));
  }
}
