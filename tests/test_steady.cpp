// Steady state (back-to-back inferences, weights resident across them) against cold runs.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/graph/passes.h"

using namespace nnasim;
using test::literal_hw;
using test::simulate_forked;

namespace {
// conv 3x3 64 -> 64 on 8x8 (36,864 B of weights), then FC 4096 -> 64 (262,144 B): 299,008 B in all,
// small activations (4 KiB each).
graph::Graph two_layers() {
  graph::GraphBuilder b("two", "<test>");
  graph::Layer in;
  in.name = "x", in.op = graph::Op::Input, in.out = {1, 64, 8, 8};
  b.add(in);
  graph::Layer c;
  c.name = "conv", c.op = graph::Op::Conv, c.inputs = {0}, c.out_channels = 64, c.kh = c.kw = 3;
  c.pad_t = c.pad_b = c.pad_l = c.pad_r = 1;
  b.add(c);
  graph::Layer f;
  f.name = "fc", f.op = graph::Op::FullyConnected, f.inputs = {1}, f.out_channels = 64;
  b.add(f);
  graph::Graph g = b.finish();
  graph::prepare(g, {});
  return g;
}
constexpr int64_t kWeights = 36864 + 262144;
}  // namespace

TEST_CASE("steady: weights that fit in OCM are never read from DRAM", "[steady]") {
  auto g = two_layers();
  REQUIRE(g.totals().weight_bytes == kWeights);
  auto j = simulate_forked(g, literal_hw(64, 64, 1 << 20, 1e9), sched::Mode::Steady);
  CHECK(j["dram"]["weight_read_bytes"] == 0);
  CHECK(j["dram"]["resident_weight_bytes"] == kWeights);
  // Only the input image comes in and the result goes out.
  CHECK(j["dram"]["read_bytes"] == 64 * 8 * 8);
  CHECK(j["dram"]["write_bytes"] == 64);
}

TEST_CASE("steady: weights that almost fit read only the part that does not", "[steady]") {
  auto g = two_layers();
  // 288 KiB = 294,912 B of OCM: less than the 299,008 B of weights.
  auto j = simulate_forked(g, literal_hw(64, 64, 288 << 10, 1e9), sched::Mode::Steady);
  const int64_t resident = j["dram"]["resident_weight_bytes"];
  const int64_t read = j["dram"]["weight_read_bytes"];
  INFO("resident " << resident << " B, weights read " << read << " B");
  CHECK(resident > 0);
  CHECK(read > 0);
  CHECK(read == kWeights - resident);
  CHECK(read < kWeights / 4);
}

TEST_CASE("steady: cold mode reads every weight", "[steady]") {
  auto g = two_layers();
  auto hw = literal_hw(64, 64, 1 << 20, 1e9);
  auto cold = simulate_forked(g, hw, sched::Mode::Cold);
  auto steady = simulate_forked(g, hw, sched::Mode::Steady);
  CHECK(cold["dram"]["weight_read_bytes"] == kWeights);
  CHECK(cold["dram"]["resident_weight_bytes"] == 0);
  CHECK(cold["inference"]["seconds"].get<double>() > steady["inference"]["seconds"].get<double>());
}
