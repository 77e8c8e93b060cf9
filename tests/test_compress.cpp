// Cluster compression (sim/graph/compress.h): parsing, exact reconstruction when K equals the
// number of distinct kernels, the byte formula, which layers it applies to, and the CLI.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>
#include <set>

#include "helpers.h"
#include "sim/graph/compress.h"
#include "sim/graph/passes.h"
#include "sim/numeric/functional.h"

using namespace nnasim;
using graph::CompressSpec;

namespace {

// n kernels drawn from `distinct` directions, each with +0.5 at the centre and three more +-0.5
// entries (norm 1), scaled by +-powers of two: every normalisation (which divides by the norm
// times the sign of the centre, so w and -w share a direction), mean and fit is then exact in
// floating point.
std::vector<float> dyadic_kernels(int64_t n, int distinct, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<float>> dirs;
  std::set<std::vector<float>> seen;
  while (int(dirs.size()) < distinct) {
    std::vector<float> d(9, 0.0f);
    d[4] = 0.5f;
    for (int placed = 0; placed < 3;) {
      const int pos = int(rng() % 9);
      if (d[pos] != 0) continue;
      d[pos] = (rng() & 1) ? 0.5f : -0.5f;
      ++placed;
    }
    if (seen.insert(d).second) dirs.push_back(d);
  }
  std::vector<float> w;
  for (int64_t i = 0; i < n; ++i) {
    const auto& d = dirs[i < distinct ? i : rng() % distinct];  // every direction used at least once
    const float s = std::ldexp(1.0f, int(rng() % 7) - 3) * ((rng() & 1) ? 1.0f : -1.0f);
    for (float x : d) w.push_back(x * s);
  }
  return w;
}

std::string tinynet() { return test::source_dir() + "/models/tinynet.yaml"; }

}  // namespace

TEST_CASE("compress: parse cluster:K", "[compress]") {
  CHECK(graph::parse_compress("cluster:64", {}).clusters == 64);
  CHECK(graph::parse_compress("cluster:2", {}).clusters == 2);
  CHECK(graph::parse_compress("cluster:65536", {}).clusters == 65536);
  for (const char* bad : {"cluster:1", "cluster:0", "cluster:", "cluster:x", "cluster:064", "kmeans:64", "cluster:-4",
                          "cluster:65537", "cluster:64 ", "64"})
    CHECK_THROWS_AS(graph::parse_compress(bad, {"--compress", 0}), InputError);
}

TEST_CASE("compress: K equal to the number of distinct kernels reconstructs exactly", "[compress]") {
  for (int distinct : {2, 7, 40}) {
    INFO(distinct << " distinct kernels");
    const std::vector<float> w = dyadic_kernels(500, distinct, 17 + distinct);
    const graph::KernelClusters c = graph::cluster_kernels(w.data(), 500, 9, distinct, 3);
    CHECK(graph::reconstruct(c) == w);
    CHECK(c.iterations == 1);  // seeding found them all; the first update changes nothing
    // With fewer clusters the reconstruction is no longer exact.
    const graph::KernelClusters fewer = graph::cluster_kernels(w.data(), 500, 9, distinct - 1, 3);
    CHECK(graph::reconstruct(fewer) != w);
  }
  // Through the graph pass, on a layer with real weights: 32 x 16 = 512 kernels, 24 distinct.
  graph::Graph g = test::single_conv(16, 8, 32, 3);
  g.layers[1].tensors = graph::Tensors{};
  g.layers[1].tensors->weight = dyadic_kernels(512, 24, 5);
  const std::vector<float> before = g.layers[1].tensors->weight;
  graph::cluster_compress(g, {24}, 9);
  CHECK(g.layers[1].tensors->weight == before);
  CHECK(g.layers[1].compression.clusters == 24);
  CHECK(g.layers[1].compression.index_bits == 5);
}

TEST_CASE("compress: weight bytes follow the formula", "[compress]") {
  // conv 16 -> 32, 3x3, 8-bit weights, no bias: 32 * 16 = 512 kernels.
  //   uncompressed: 512 * 9 * 8 bits = 4608 bytes;
  //   cluster:64:   index 6 bits + FP16 scale per kernel: ceil(512 * 22 / 8) = 1408 bytes,
  //                 codebook 64 * 9 entries at 8 bits = 576 bytes  -> 1984 bytes, ratio 2.32.
  graph::Graph g = test::single_conv(16, 8, 32, 3);
  const int64_t before = g.layers[1].cost.weight_bytes;
  CHECK(before == 4608);
  graph::cluster_compress(g, {64});
  graph::annotate(g);
  const auto& z = g.layers[1].compression;
  CHECK(z.clusters == 64);
  CHECK(z.index_bits == 6);
  CHECK(z.kernels == 512);
  CHECK(z.codebook_entries == 576);
  CHECK(z.scale_bits == 16);
  CHECK(g.layers[1].cost.weight_bytes == 1408 + 576);
  CHECK(graph::uncompressed_weight_bytes(g.layers[1]) == 4608);
  CHECK(graph::compression_ratio(g.layers[1]) == Approx(4608.0 / 1984));
  CHECK(!g.layers[1].tensors);  // no weights: only the bookkeeping changes

  // 4-bit weights, K = 5 (index 3 bits), with a 32-bit bias:
  //   ceil(512 * 19 / 8) = 1216, codebook ceil(45 * 4 / 8) = 23, bias 32 * 4 = 128 -> 1367.
  graph::Graph h = test::single_conv(16, 8, 32, 3, 1, 4);
  h.layers[1].has_bias = true;
  graph::annotate(h);
  graph::cluster_compress(h, {5});
  graph::annotate(h);
  CHECK(h.layers[1].cost.weight_bytes == 1216 + 23 + 128);
  CHECK(graph::uncompressed_weight_bytes(h.layers[1]) == 2304 + 128);
  const auto t = graph::compression_totals(h);
  CHECK(t.compressed_layers == 1);
  CHECK(t.compressed_bytes == 1367);
  CHECK(t.uncompressed_bytes == 2432);
}

TEST_CASE("compress: which layers are compressed", "[compress]") {
  // Depthwise 3x3 with 64 kernels: compressed at K = 8 (ceil(64 * 19 / 8) + 72 = 224 < 576 bytes);
  // K = 48 would not save a byte (ceil(64 * 22 / 8) + 432 = 608 >= 576); K = 65 > 64 kernels.
  graph::Graph dw = test::single_conv(64, 8, 64, 3, 64);
  graph::cluster_compress(dw, {8});
  CHECK(dw.layers[1].compression.clusters == 8);
  CHECK(dw.layers[1].compression.kernels == 64);
  graph::annotate(dw);
  CHECK(dw.layers[1].cost.weight_bytes == 224);
  graph::cluster_compress(dw, {32});  // ceil(64 * 21 / 8) + 288 = 456 < 576
  CHECK(dw.layers[1].compression.clusters == 32);
  graph::cluster_compress(dw, {48});
  CHECK(dw.layers[1].compression.clusters == 0);
  graph::cluster_compress(dw, {65});
  CHECK(dw.layers[1].compression.clusters == 0);
  // 1x1 and 5x5: never.
  graph::Graph pw = test::single_conv(64, 8, 64, 1);
  graph::cluster_compress(pw, {4});
  CHECK(pw.layers[1].compression.clusters == 0);
  graph::Graph k5 = test::single_conv(64, 8, 64, 5);
  graph::cluster_compress(k5, {4});
  CHECK(k5.layers[1].compression.clusters == 0);
  // Grouped: 32 x 16/4 = 128 kernels.
  graph::Graph gr = test::single_conv(16, 8, 32, 3, 4);
  graph::cluster_compress(gr, {8});
  CHECK(gr.layers[1].compression.kernels == 128);
}

TEST_CASE("compress: k-means is deterministic and more clusters fit better", "[compress]") {
  graph::Graph g = test::single_conv(32, 8, 64, 3);
  numeric::materialize_weights(g, 4);
  const std::vector<float> w = g.layers[1].tensors->weight;
  auto err = [&](int k) {
    graph::Graph c = g;
    graph::cluster_compress(c, {k}, 1);
    const auto& r = c.layers[1].tensors->weight;
    double e = 0, s = 0;
    for (size_t i = 0; i < w.size(); ++i) e += std::pow(double(w[i]) - r[i], 2), s += double(w[i]) * w[i];
    return std::make_pair(10 * std::log10(s / e), r);
  };
  const auto [db4, r4] = err(4);
  const auto [db64, r64] = err(64);
  const auto [db1024, r1024] = err(1024);
  fmt::print("cluster compression of 2048 He-normal 3x3 kernels: K=4 {:.2f} dB, K=64 {:.2f} dB, K=1024 {:.2f} dB\n",
             db4, db64, db1024);
  CHECK(db4 < db64);
  CHECK(db64 < db1024);
  CHECK(err(64).second == r64);  // same seed, same codebook
  graph::Graph other = g;
  graph::cluster_compress(other, {64}, 2);
  CHECK(other.layers[1].tensors->weight != r64);
}

TEST_CASE("compress: FP16 rounding of the scales", "[compress]") {
  CHECK(graph::round_to_fp16(1.0f) == 1.0f);
  CHECK(graph::round_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 1.0f);                              // tie -> even
  CHECK(graph::round_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 1.0f + std::ldexp(1.0f, -9));    // tie -> even
  CHECK(graph::round_to_fp16(-0.1f) == -0.0999755859375f);
  CHECK(graph::round_to_fp16(65504.0f) == 65504.0f);
  CHECK(graph::round_to_fp16(70000.0f) == 65504.0f);
  CHECK(graph::round_to_fp16(-1e9f) == -65504.0f);
  CHECK(graph::round_to_fp16(std::ldexp(1.0f, -24)) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(graph::round_to_fp16(std::ldexp(1.0f, -26)) == 0.0f);
  CHECK(graph::round_to_fp16(std::ldexp(3.0f, -25)) == std::ldexp(1.0f, -23));  // 1.5 quanta -> 2
}

TEST_CASE("compress: run, info and numerics agree on the compressed bytes", "[compress][cli]") {
  const auto info = test::run_cli("info --model " + tinynet() + " --compress cluster:8 --format json");
  REQUIRE(info.status == 0);
  const auto plain = test::run_cli("info --model " + tinynet() + " --format json");
  const auto num = test::run_cli("numerics --model " + tinynet() + " --number-format int8 --compress cluster:8 --format json");
  INFO(num.err);
  REQUIRE(num.status == 0);
  const auto ji = nlohmann::json::parse(info.out), jp = nlohmann::json::parse(plain.out), jn = nlohmann::json::parse(num.out);
  const auto& c = jn["compression"];
  CHECK(c["weight_bytes"] == ji["totals"]["weight_bytes"]);
  CHECK(c["uncompressed_weight_bytes"] == jp["totals"]["weight_bytes"]);
  CHECK(c["compressed_layers"] == 3);  // conv1, dw2 and g3 (3x3); pw2, b3 (1x1) and fc stay
  CHECK(c["compression_ratio"].get<double>() > 1.0);
  fmt::print("tinynet cluster:8: {} -> {} weight bytes, ratio {:.3f}\n", c["uncompressed_weight_bytes"].get<int64_t>(),
             c["weight_bytes"].get<int64_t>(), c["compression_ratio"].get<double>());
  for (const auto& l : jn["layers"]) CHECK(l.contains("compression_ratio"));
  // The clustered weights cost accuracy.
  const auto ref = test::run_cli("numerics --model " + tinynet() + " --number-format int8 --format json");
  CHECK(nlohmann::json::parse(ref.out)["end_to_end_sqnr_db"] > jn["end_to_end_sqnr_db"]);

  const std::string hw = test::source_dir() + "/configs/hw/series4-1core.yaml";
  const auto r0 = test::run_cli("run --hw " + hw + " --model " + tinynet() + " --mode cold --format json");
  const auto r1 = test::run_cli("run --hw " + hw + " --model " + tinynet() + " --mode cold --compress cluster:8 --format json");
  REQUIRE(r1.status == 0);
  const auto j0 = nlohmann::json::parse(r0.out), j1 = nlohmann::json::parse(r1.out);
  CHECK(j1["totals"]["weight_bytes"] == c["weight_bytes"]);
  CHECK(j1["dram"]["read_bytes"].get<int64_t>() < j0["dram"]["read_bytes"].get<int64_t>());
}
