// Functional execution (sim/numeric/functional.h) against naive reference loops, the SQNR of
// each number format on a small seeded conv, the LNS datapath against the scalar LNS MAC, and
// `nnasim numerics` / the LNS chip through the CLI.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <map>

#include "helpers.h"
#include "sim/graph/graph.h"
#include "sim/numeric/functional.h"
#include "sim/numeric/int_format.h"
#include "sim/numeric/lns.h"
#include "sim/numeric/metrics.h"

using namespace nnasim;
using numeric::Datapath;
using numeric::Tensor;

namespace {

struct ConvCase {
  const char* what;
  int64_t cin, h, w, cout;
  int k, stride, pad_t, pad_l, pad_b, pad_r, dil, groups;
};

graph::Layer conv_layer(const ConvCase& c, uint64_t seed, bool bias = true) {
  graph::Layer l;
  l.name = c.what;
  l.op = graph::Op::Conv;
  l.out_channels = c.cout;
  l.kh = l.kw = c.k;
  l.sh = l.sw = c.stride;
  l.pad_t = c.pad_t, l.pad_l = c.pad_l, l.pad_b = c.pad_b, l.pad_r = c.pad_r;
  l.dh = l.dw = c.dil;
  l.groups = c.groups;
  l.has_bias = bias;
  l.tensors = numeric::he_normal_tensors(l, c.cin, seed, 0);
  if (bias) l.tensors->bias = numeric::normal_samples(c.cout, 0.1f, seed + 7);
  return l;
}

// Direct 7-deep loop in double.
Tensor naive_conv(const Tensor& x, const graph::Layer& l) {
  const auto& s = x.shape;
  const int64_t oh = (s.h + l.pad_t + l.pad_b - l.dh * (l.kh - 1) - 1) / l.sh + 1;
  const int64_t ow = (s.w + l.pad_l + l.pad_r - l.dw * (l.kw - 1) - 1) / l.sw + 1;
  const int64_t cin_g = s.c / l.groups, cout_g = l.out_channels / l.groups;
  Tensor y(graph::Shape{s.n, l.out_channels, oh, ow});
  const auto& W = l.tensors->weight;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t o = 0; o < l.out_channels; ++o)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = l.tensors->bias.empty() ? 0.0 : l.tensors->bias[o];
          const int64_t g = o / cout_g;
          for (int64_t c = 0; c < cin_g; ++c)
            for (int i = 0; i < l.kh; ++i)
              for (int j = 0; j < l.kw; ++j) {
                const int64_t iy = oy * l.sh - l.pad_t + i * l.dh, ix = ox * l.sw - l.pad_l + j * l.dw;
                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                acc += double(W[((o * cin_g + c) * l.kh + i) * l.kw + j]) *
                       x.data[((n * s.c + g * cin_g + c) * s.h + iy) * s.w + ix];
              }
          y.data[((n * l.out_channels + o) * oh + oy) * ow + ox] = static_cast<float>(acc);
        }
  return y;
}

double max_rel_diff(const Eigen::ArrayXf& a, const Eigen::ArrayXf& b) {
  REQUIRE(a.size() == b.size());
  const double scale = std::max(1e-30, double(a.abs().maxCoeff()));
  return double((a - b).abs().maxCoeff()) / scale;
}

// The test conv of the SQNR figures: 32 -> 32 channels, 3x3, 16x16 input, He-normal weights,
// N(0, 1) input, seed 42.
struct SmallConv {
  graph::Layer layer;
  Tensor x, ref;
  SmallConv() {
    const ConvCase c{"small", 32, 16, 16, 32, 3, 1, 1, 1, 1, 1, 1, 1};
    layer = conv_layer(c, 42, false);
    x = numeric::seeded_input({1, 32, 16, 16}, 42);
    ref = numeric::conv2d(x, layer);
  }
  double sqnr(const Datapath& dp) const { return numeric::sqnr_db(ref.data, numeric::conv2d(x, layer, dp).data); }
  double sqnr(const std::string& spec) const { return sqnr(Datapath::from_spec(spec)); }
};

std::string tinynet() { return test::source_dir() + "/models/tinynet.yaml"; }

}  // namespace

TEST_CASE("numerics: functional conv equals a naive loop in FP32", "[numerics][functional]") {
  const ConvCase cases[] = {
      //  what           cin  h   w  cout k  s  pt pl pb pr d  g
      {"dense pad 1", 8, 9, 7, 12, 3, 1, 1, 1, 1, 1, 1, 1},
      {"grouped g=4", 8, 9, 9, 16, 3, 1, 1, 1, 1, 1, 1, 4},
      {"depthwise", 12, 10, 10, 12, 3, 1, 1, 1, 1, 1, 1, 12},
      {"depthwise x2", 6, 8, 8, 12, 3, 1, 1, 1, 1, 1, 1, 6},
      {"stride 2", 5, 11, 11, 7, 3, 2, 1, 1, 1, 1, 1, 1},
      {"stride 2 5x5 asym pad", 4, 12, 10, 6, 5, 2, 2, 1, 1, 2, 1, 1},
      {"dilation 2", 6, 12, 12, 8, 3, 1, 2, 2, 2, 2, 2, 1},
      {"dilated depthwise stride 2", 8, 13, 13, 8, 3, 2, 2, 2, 2, 2, 2, 8},
      {"1x1 (no im2col)", 16, 6, 6, 10, 1, 1, 0, 0, 0, 0, 1, 1},
      {"1x1 stride 2", 16, 6, 6, 10, 1, 2, 0, 0, 0, 0, 1, 1},
      {"7x7 stride 2 pad 3", 3, 20, 20, 8, 7, 2, 3, 3, 3, 3, 1, 1},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const graph::Layer l = conv_layer(c, 3);
    Tensor x = numeric::seeded_input({2, c.cin, c.h, c.w}, 5);  // batch of 2
    const Tensor got = numeric::conv2d(x, l);
    const Tensor want = naive_conv(x, l);
    REQUIRE(got.shape == want.shape);
    CHECK(max_rel_diff(want.data, got.data) < 1e-5);
  }
}

TEST_CASE("numerics: FC, pooling and element-wise ops", "[numerics][functional]") {
  // FC = W x + b on the flattened input.
  graph::Layer fc;
  fc.name = "fc";
  fc.op = graph::Op::FullyConnected;
  fc.out_channels = 5;
  fc.has_bias = true;
  fc.tensors = numeric::he_normal_tensors(fc, 2 * 3 * 3, 9, 1);
  fc.tensors->bias = {1, 2, 3, 4, 5};
  const Tensor x = numeric::seeded_input({1, 2, 3, 3}, 1);
  const Tensor y = numeric::fully_connected(x, fc);
  REQUIRE(y.shape == graph::Shape{1, 5, 1, 1});
  for (int o = 0; o < 5; ++o) {
    double acc = fc.tensors->bias[o];
    for (int k = 0; k < 18; ++k) acc += double(fc.tensors->weight[o * 18 + k]) * x.data[k];
    CHECK(y.data[o] == Approx(acc).epsilon(1e-5));
  }

  // 1x1x3x3 input 1..9.
  Tensor t({1, 1, 3, 3});
  for (int i = 0; i < 9; ++i) t.data[i] = float(i + 1);
  graph::Layer p;
  p.kh = p.kw = 2, p.sh = p.sw = 2, p.ceil_mode = true;  // windows {1,2,4,5} {3,6} {7,8} {9}
  CHECK((numeric::max_pool(t, p).data == (Eigen::ArrayXf(4) << 5, 6, 8, 9).finished()).all());
  CHECK((numeric::avg_pool(t, p).data == (Eigen::ArrayXf(4) << 3, 4.5, 7.5, 9).finished()).all());
  p.ceil_mode = false, p.kh = p.kw = 3, p.sh = p.sw = 1, p.pad_t = p.pad_l = p.pad_b = p.pad_r = 1;
  const Tensor ap = numeric::avg_pool(t, p);  // padding excluded from the count
  CHECK(ap.data[0] == Approx((1 + 2 + 4 + 5) / 4.0));
  CHECK(ap.data[4] == Approx(5));
  CHECK(numeric::global_avg_pool(t).data[0] == Approx(5));

  // Mul with a [N, C, 1, 1] operand (squeeze-excite), add, concat, pad.
  Tensor a({1, 2, 2, 2}), g({1, 2, 1, 1});
  a.data << 1, 2, 3, 4, 5, 6, 7, 8;
  g.data << 10, -1;
  CHECK((numeric::mul({&a, &g}).data == (Eigen::ArrayXf(8) << 10, 20, 30, 40, -5, -6, -7, -8).finished()).all());
  CHECK((numeric::add({&a, &a, &g}).data == (Eigen::ArrayXf(8) << 12, 14, 16, 18, 9, 11, 13, 15).finished()).all());
  const Tensor c = numeric::concat({&g, &g});
  CHECK(c.shape == graph::Shape{1, 4, 1, 1});
  graph::Layer pd;
  pd.pad_t = 1, pd.pad_l = 0, pd.pad_b = 0, pd.pad_r = 1;
  const Tensor padded = numeric::pad(a, pd);
  REQUIRE(padded.shape == graph::Shape{1, 2, 3, 3});
  CHECK((padded.data.head(9) == (Eigen::ArrayXf(9) << 0, 0, 0, 1, 2, 0, 3, 4, 0).finished()).all());

  Eigen::ArrayXf v(5);
  v << -4, -1, 0, 1, 7;
  Eigen::ArrayXf r6 = v, hs = v, hsig = v;
  numeric::apply_activation(r6, graph::Act::Relu6);
  numeric::apply_activation(hs, graph::Act::HardSwish);
  numeric::apply_activation(hsig, graph::Act::HardSigmoid);
  CHECK((r6 == (Eigen::ArrayXf(5) << 0, 0, 0, 1, 6).finished()).all());
  CHECK(hs[1] == Approx(-1.0 * 2 / 6));
  CHECK(hs[4] == Approx(7));
  CHECK(hsig[3] == Approx(4.0 / 6));
}

TEST_CASE("numerics: SQNR ordering of the formats on a small seeded conv", "[numerics][sqnr]") {
  const SmallConv c;
  std::map<std::string, double> s;
  for (const char* f : {"int8", "int6", "int4", "fp8-e4m3", "fp8-e5m2", "lns8", "lns8-mitchell"}) s[f] = c.sqnr(f);
  for (const auto& [f, db] : s) fmt::print("small conv 32->32 3x3 16x16, seed 42: {:<14} SQNR {:6.2f} dB\n", f, db);
  CHECK(s["int8"] > s["fp8-e4m3"]);
  CHECK(s["fp8-e4m3"] > s["fp8-e5m2"]);
  CHECK(s["int8"] > s["int4"] + 12.0);
  CHECK(s["int8"] > s["int6"]);
  CHECK(s["int6"] > s["int4"]);
  CHECK(s["lns8"] > s["lns8-mitchell"]);
  CHECK(c.sqnr(Datapath::from_spec("lns8", numeric::Convert::Mitchell)) == s["lns8-mitchell"]);
  CHECK(std::isinf(c.sqnr("fp32")));
}

TEST_CASE("numerics: the LNS conv is the scalar LNS MAC, product by product", "[numerics][lns]") {
  // lns8 (3 fractional bits) and lns12 (7: more than 64 remainder classes), both converters;
  // a narrow grouped conv (2 outputs per group: the direct loop) and a wide one (the split GEMMs).
  const ConvCase convs[] = {{"narrow", 6, 7, 7, 4, 3, 2, 1, 1, 1, 1, 1, 2}, {"wide", 3, 7, 7, 24, 3, 2, 1, 1, 1, 1, 1, 1}};
  for (const ConvCase& cc : convs) {
    const graph::Layer l = conv_layer(cc, 11, false);
    const Tensor x = numeric::seeded_input({1, cc.cin, 7, 7}, 12);
    const int64_t cin_g = cc.cin / cc.groups, cout_g = cc.cout / cc.groups, K = cin_g * 9, oh = 4, ow = 4;
    for (const char* spec : {"lns8", "lns8-mitchell", "lns12", "lns12-mitchell", "lns5"}) {
      INFO(cc.what << " " << spec);
      const Datapath dp = Datapath::from_spec(spec);
      const numeric::LnsFormat& f = *dp.lns_format();
      const Tensor got = numeric::conv2d(x, l, dp);
      // Reference: per-channel weight scales, one activation scale, LnsFormat::product_to_linear.
      const Eigen::Map<const Eigen::ArrayXf> w(l.tensors->weight.data(), l.tensors->weight.size());
      const float sx = f.scale_for(x.data);
      double worst = 0, top = 0;
      for (int64_t o = 0; o < cc.cout; ++o) {
        const float sw = f.scale_for(w.segment(o * K, K));
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            double acc = 0;
            for (int64_t c = 0; c < cin_g; ++c)
              for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) {
                  const int64_t iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j;
                  if (iy < 0 || iy >= 7 || ix < 0 || ix >= 7) continue;
                  const float wv = w[o * K + (c * 3 + i) * 3 + j];
                  const float xv = x.data[((o / cout_g) * cin_g + c) * 49 + iy * 7 + ix];
                  acc += f.product_to_linear(f.encode(wv / sw), f.encode(xv / sx));
                }
            const double want = acc * sw * sx;
            worst = std::max(worst, std::abs(want - got.data[(o * oh + oy) * ow + ox]));
            top = std::max(top, std::abs(want));
          }
      }
      CHECK(worst <= 1e-6 * top);  // FP32 accumulation of the same converted products
    }
  }
}

TEST_CASE("numerics: the int and FP8 datapaths round exactly like IntFormat and Fp8Format", "[numerics][int][fp8]") {
  // Values on and next to the rounding ties of a per-channel scale.
  Eigen::ArrayXf w(16);
  w << 127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.4999, 63.5, 64.5, -127, 3, 0, 1e-9f, -126.5, 126.5;
  for (int bits : {8, 6, 4}) {
    const Datapath dp = Datapath::from_spec(fmt::format("int{}", bits));
    const numeric::IntFormat f(bits);
    CHECK((dp.quantize_weights(w, 2) == f.quantize_per_channel(w, 2)).all());
    CHECK((dp.quantize_activations(w) == f.quantize(w)).all());
  }
  // FP8: ties, subnormals, saturation, infinities, signed zeros, and a Gaussian sweep.
  Eigen::ArrayXf v(4096);
  v.head(16) << 448, 464, -480, 1e-4f, -3e-3f, 2.0f / 512, 3.0f / 1024, 0, -0.0f, 57344, 61440,
      std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 1.0625f, 1.1875f, 2.5e-5f;
  v.tail(4080) = numeric::seeded_input({1, 1, 1, 4080}, 3).data * 30.0f;
  for (const char* spec : {"fp8-e4m3", "fp8-e5m2", "fp8-e4m3-raw", "fp8-e5m2-raw"}) {
    INFO(spec);
    const Datapath dp = Datapath::from_spec(spec);
    const auto f = numeric::make_format(spec);
    const Eigen::ArrayXf a = dp.quantize_weights(v, 4), b = f->quantize_per_channel(v, 4);
    bool same = true;
    for (Eigen::Index i = 0; i < v.size(); ++i)
      same &= (a[i] == b[i] && std::signbit(a[i]) == std::signbit(b[i])) || (std::isnan(a[i]) && std::isnan(b[i]));
    CHECK(same);
    const Eigen::ArrayXf fin = v.tail(4080);
    CHECK((dp.quantize_activations(fin) == f->quantize(fin)).all());
  }
}

TEST_CASE("numerics: seeded weights are He-normal and deterministic", "[numerics][weights]") {
  graph::Graph g = test::single_conv(64, 8, 128, 3);
  CHECK(numeric::materialize_weights(g, 5) == 1);
  CHECK(numeric::materialize_weights(g, 5) == 0);  // already there
  const auto& w = g.layers[1].tensors->weight;
  REQUIRE(w.size() == 128u * 64 * 9);
  double ss = 0, mean = 0;
  for (float v : w) ss += double(v) * v, mean += v;
  mean /= double(w.size());
  CHECK(std::sqrt(ss / double(w.size())) == Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.02));
  CHECK(std::abs(mean) < 0.002);
  graph::Graph h = test::single_conv(64, 8, 128, 3);
  numeric::materialize_weights(h, 5);
  CHECK(h.layers[1].tensors->weight == w);
  graph::Graph k = test::single_conv(64, 8, 128, 3);
  numeric::materialize_weights(k, 6);
  CHECK(k.layers[1].tensors->weight != w);
}

TEST_CASE("numerics: CLI JSON on tinynet", "[numerics][cli]") {
  std::map<std::string, nlohmann::json> out;
  for (const char* f : {"int8", "int6", "int4", "fp8-e4m3", "fp8-e5m2", "lns8"}) {
    const auto r = test::run_cli(fmt::format("numerics --model {} --number-format {} --format json", tinynet(), f));
    INFO(f << ": " << r.err);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["model"] == "tinynet");
    CHECK(j["format"] == f);
    REQUIRE(j["mean_sqnr_db"].is_number());
    REQUIRE(j["end_to_end_sqnr_db"].is_number());
    REQUIRE(j["layers"].is_array());
    CHECK(j["layers"].size() == 13u);  // tinynet after BN folding and activation fusion
    for (const auto& l : j["layers"]) {
      CHECK(l.contains("name"));
      CHECK(l.contains("op"));
      CHECK(l["sqnr_db"].is_number());
    }
    fmt::print("tinynet {:<9} mean SQNR {:6.2f} dB, end to end {:6.2f} dB\n", f, j["mean_sqnr_db"].get<double>(),
               j["end_to_end_sqnr_db"].get<double>());
    out[f] = j;
  }
  CHECK(out["int8"]["mean_sqnr_db"] > out["int6"]["mean_sqnr_db"]);
  CHECK(out["int6"]["mean_sqnr_db"] > out["int4"]["mean_sqnr_db"]);
  CHECK(out["fp8-e4m3"]["mean_sqnr_db"] > out["fp8-e5m2"]["mean_sqnr_db"]);

  // Mitchell's conversion is visible; one thread gives the same bytes as two; same seed, same bytes.
  const std::string base = "numerics --model " + tinynet() + " --number-format lns8 --format json";
  const auto exact = test::run_cli(base + " --lns-convert exact");
  const auto mitchell = test::run_cli(base + " --lns-convert mitchell");
  REQUIRE(mitchell.status == 0);
  CHECK(nlohmann::json::parse(mitchell.out)["format"] == "lns8-mitchell");
  CHECK(nlohmann::json::parse(exact.out)["mean_sqnr_db"] > nlohmann::json::parse(mitchell.out)["mean_sqnr_db"]);
  CHECK(exact.out == out["lns8"].dump(2) + "\n");
  CHECK(test::run_cli(base + " --threads 1").out == exact.out);
  CHECK(test::run_cli(base + " --seed 2").out != exact.out);
}

TEST_CASE("numerics: bad formats are one error line and status 2", "[numerics][cli][errors]") {
  for (const std::string args : {"--number-format int1", "--number-format fp16", "--number-format lns3",
                                 "--number-format int8 --lns-convert mitchell",
                                 "--number-format lns8 --lns-convert table", "--number-format int8 --compress cluster:1"}) {
    const auto r = test::run_cli("numerics --model " + tinynet() + " " + args);
    INFO(args << " -> " << r.err);
    CHECK(r.status == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.err.rfind("error: ", 0) == 0);
  }
  const auto r = test::run_cli("numerics --model " + tinynet() + " --number-format fp16");
  CHECK_THAT(r.err, Catch::Contains("unknown number format 'fp16'"));
  CHECK_THAT(r.err, Catch::Contains("--number-format"));
}

TEST_CASE("numerics: the LNS chip's parameters drive numerics", "[numerics][cli][lns]") {
  const std::string hw = test::source_dir() + "/configs/hw/lns-chip.yaml";
  const auto r = test::run_cli("numerics --model " + tinynet() + " --hw " + hw + " --format json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["format"] == "lns8");  // int_bits 4, frac_bits 3, exact
  const auto m = test::run_cli("numerics --model " + tinynet() + " --hw " + hw + " --lns-convert mitchell --format json");
  CHECK(nlohmann::json::parse(m.out)["format"] == "lns8-mitchell");
}

TEST_CASE("numerics: an LNS chip spends energy in the LNS unit, none on integer multipliers", "[numerics][cli][lns][energy]") {
  const auto r = test::run_cli("run --hw " + test::source_dir() + "/configs/hw/lns-chip.yaml --model " + tinynet() +
                               " --number-format lns --format json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto& b = j["energy"]["breakdown"];
  CHECK(b["lns"].get<double>() > 0);
  CHECK(b["mac"].get<double>() == 0);
  CHECK(j["totals"]["macs"].get<int64_t>() > 0);
}
