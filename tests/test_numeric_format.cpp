// The NumberFormat factory and the SQNR of each format on Gaussian data.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include "sim/numeric/format.h"
#include "sim/numeric/fp8.h"
#include "sim/numeric/int_format.h"
#include "sim/numeric/lns.h"
#include "sim/numeric/metrics.h"

using namespace nnasim::numeric;

namespace {

// N(0, 1) samples by Box-Muller on std::mt19937 (whose output sequence the standard
// fixes), so the data do not depend on the library's normal_distribution.
Eigen::ArrayXf gaussian(Eigen::Index n, uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng()) + 0.5) / 4294967296.0; };  // (0, 1)
  const double two_pi = 2.0 * std::acos(-1.0);
  Eigen::ArrayXf x(n);
  for (Eigen::Index i = 0; i < n; i += 2) {
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double t = two_pi * uniform();
    x[i] = static_cast<float>(r * std::cos(t));
    if (i + 1 < n) x[i + 1] = static_cast<float>(r * std::sin(t));
  }
  return x;
}

}  // namespace

TEST_CASE("make_format builds every listed format", "[numeric][format]") {
  struct Row {
    const char* spec;
    int bits;
  };
  for (const Row& r : {Row{"fp32", 32}, Row{"int8", 8}, Row{"int6", 6}, Row{"int4", 4}, Row{"int2", 2},
                       Row{"int16", 16}, Row{"int12", 12}, Row{"fp8-e4m3", 8}, Row{"fp8-e5m2", 8},
                       Row{"fp8-e4m3-raw", 8}, Row{"lns8", 8}, Row{"lns4", 4}, Row{"lns16", 16},
                       Row{"lns8-mitchell", 8}}) {
    INFO(r.spec);
    const auto f = make_format(r.spec);
    REQUIRE(f);
    CHECK(f->name() == r.spec);
    CHECK(f->bits() == r.bits);
  }
  CHECK(dynamic_cast<IntFormat*>(make_format("int6").get()) != nullptr);
  CHECK(dynamic_cast<Fp8Format*>(make_format("fp8-e5m2").get())->kind() == Fp8Kind::E5M2);
  const auto lns = make_format("lns8");
  const auto* l = dynamic_cast<LnsFormat*>(lns.get());
  REQUIRE(l != nullptr);
  CHECK(l->params().frac_bits == 3);
  CHECK(l->params().convert == Convert::Exact);
  // fp32 is the identity.
  const Eigen::ArrayXf x = gaussian(16, 1);
  CHECK((make_format("fp32")->quantize(x) == x).all());
}

TEST_CASE("make_format rejects unknown specs with the list of valid ones", "[numeric][format]") {
  for (const char* bad : {"int1", "int17", "int08", "int", "fp8", "fp8-e3m4", "lns3", "lns17", "lns8-foo",
                          "INT8", "", "float16"}) {
    INFO("spec '" << bad << "'");
    try {
      make_format(bad, nnasim::SourceLoc{"hw.yaml", 12});
      FAIL("no error");
    } catch (const nnasim::InputError& e) {
      const std::string msg = e.what();
      CHECK(msg.find("hw.yaml:12") != std::string::npos);
      CHECK(msg.find("fp8-e4m3") != std::string::npos);
      CHECK(msg.find("lnsN") != std::string::npos);
      CHECK(msg.find("intN") != std::string::npos);
    }
  }
}

TEST_CASE("sqnr_db definition", "[numeric][metrics]") {
  Eigen::ArrayXf ref(2), test(2);
  ref << 3.0f, 4.0f;  // signal 25
  test << 3.0f, 3.5f; // noise 0.25 -> 100x -> 20 dB
  CHECK(sqnr_db(ref, test) == Approx(20.0));
  CHECK(std::isinf(sqnr_db(ref, ref)));
  Eigen::ArrayXf short_one(1);
  CHECK_THROWS_AS(sqnr_db(ref, short_one), nnasim::InternalError);
}

TEST_CASE("SQNR on Gaussian data orders the formats", "[numeric][metrics]") {
  const Eigen::ArrayXf x = gaussian(1 << 16, 20240601u);
  // The generator really is N(0, 1).
  CHECK(x.mean() == Approx(0.0).margin(0.02));
  CHECK(std::sqrt(x.square().mean()) == Approx(1.0).epsilon(0.02));

  auto sqnr = [&x](const char* spec) { return sqnr_db(x, make_format(spec)->quantize(x)); };
  const double int8 = sqnr("int8"), int6 = sqnr("int6"), int4 = sqnr("int4");
  const double e4m3 = sqnr("fp8-e4m3"), e5m2 = sqnr("fp8-e5m2");
  const double lns8 = sqnr("lns8");
  WARN("SQNR on 65536 N(0,1) samples, per-tensor scale: int8 " << int8 << " dB, int6 " << int6
       << " dB, int4 " << int4 << " dB, fp8-e4m3 " << e4m3 << " dB, fp8-e5m2 " << e5m2
       << " dB, lns8 " << lns8 << " dB");
  CHECK(int8 > e4m3);
  CHECK(e4m3 > e5m2);
  CHECK(int8 > int4 + 12.0);
  CHECK(int8 > int6);
  CHECK(int6 > int4);
  // Uniform quantizer: ~6.02 dB per bit.
  CHECK(int8 - int4 == Approx(4 * 6.02).margin(1.5));
}
