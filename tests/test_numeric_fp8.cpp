// FP8 E4M3 / E5M2 against Micikevicius et al., arXiv 2209.05433, Table 1 (FACTS.md,
// "Number formats"). Expected values are computed here from the bit fields, not by
// the encoder.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "sim/numeric/format.h"
#include "sim/numeric/fp8.h"

using nnasim::numeric::Fp8Format;
using nnasim::numeric::Fp8Kind;

namespace {

struct Spec {
  Fp8Kind kind;
  int ebits, mbits, bias;
  bool ieee_special;  // E5M2: exponent all ones = inf (mantissa 0) / NaN; E4M3: only S.1111.111 is NaN
};
const Spec kE4M3{Fp8Kind::E4M3, 4, 3, 7, false};
const Spec kE5M2{Fp8Kind::E5M2, 5, 2, 15, true};

// The value of an FP8 code straight from the paper's definition.
double reference_value(const Spec& s, unsigned code) {
  const double sign = (code >> 7) ? -1.0 : 1.0;
  const unsigned e = (code >> s.mbits) & ((1u << s.ebits) - 1u);
  const unsigned m = code & ((1u << s.mbits) - 1u);
  const unsigned e_all = (1u << s.ebits) - 1u, m_all = (1u << s.mbits) - 1u;
  if (s.ieee_special && e == e_all)
    return m == 0 ? sign * std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (!s.ieee_special && e == e_all && m == m_all) return std::numeric_limits<double>::quiet_NaN();
  const double frac = static_cast<double>(m) / std::pow(2.0, s.mbits);
  if (e == 0) return sign * frac * std::pow(2.0, 1 - s.bias);  // subnormal: 0.m * 2^(1-bias)
  return sign * (1.0 + frac) * std::pow(2.0, static_cast<int>(e) - s.bias);
}

void check_all_codes(const Spec& s) {
  const Fp8Format f(s.kind, Fp8Format::Scaling::Raw);
  int nan_codes = 0, inf_codes = 0;
  for (unsigned code = 0; code < 256; ++code) {
    INFO(f.name() << " code 0x" << std::hex << code);
    const double ref = reference_value(s, code);
    const float got = f.decode(static_cast<uint8_t>(code));
    if (std::isnan(ref)) {
      ++nan_codes;
      CHECK(std::isnan(got));
      CHECK(f.is_nan(static_cast<uint8_t>(code)));
      continue;
    }
    CHECK_FALSE(f.is_nan(static_cast<uint8_t>(code)));
    if (std::isinf(ref)) ++inf_codes;
    CHECK(static_cast<double>(got) == ref);
    CHECK(std::signbit(got) == ((code & 0x80u) != 0));  // -0 and +0 are distinct
    CHECK(static_cast<unsigned>(f.encode(got)) == code);
  }
  if (s.ieee_special) {
    CHECK(nan_codes == 6);  // S.11111.{01,10,11}
    CHECK(inf_codes == 2);
  } else {
    CHECK(nan_codes == 2);  // S.1111.111 only
    CHECK(inf_codes == 0);
  }
}

}  // namespace

TEST_CASE("fp8 E4M3 decodes every code per the spec and round-trips", "[numeric][fp8]") {
  check_all_codes(kE4M3);
}

TEST_CASE("fp8 E5M2 decodes every code per the spec and round-trips", "[numeric][fp8]") {
  check_all_codes(kE5M2);
}

TEST_CASE("fp8 range constants match Table 1", "[numeric][fp8]") {
  const Fp8Format e4(Fp8Kind::E4M3), e5(Fp8Kind::E5M2);
  CHECK(e4.max_finite() == 448.0f);
  CHECK(e5.max_finite() == 57344.0f);
  CHECK(e4.min_normal() == std::ldexp(1.0f, -6));
  CHECK(e5.min_normal() == std::ldexp(1.0f, -14));
  CHECK(e4.min_subnormal() == std::ldexp(1.0f, -9));
  CHECK(e5.min_subnormal() == std::ldexp(1.0f, -16));
  // The constants are attained by codes: largest finite and smallest subnormal.
  CHECK(e4.decode(0x7E) == 448.0f);
  CHECK(e5.decode(0x7B) == 57344.0f);
  CHECK(e4.decode(0x01) == std::ldexp(1.0f, -9));
  CHECK(e5.decode(0x01) == std::ldexp(1.0f, -16));
}

TEST_CASE("fp8 rounds to nearest, ties to even", "[numeric][fp8]") {
  const Fp8Format e4(Fp8Kind::E4M3, Fp8Format::Scaling::Raw);
  const Fp8Format e5(Fp8Kind::E5M2, Fp8Format::Scaling::Raw);
  const float s9 = std::ldexp(1.0f, -9);  // E4M3 subnormal quantum
  // E4M3 near 1: neighbours 1.0 (m=000), 1.125 (m=001), 1.25 (m=010).
  CHECK(e4.decode(e4.encode(1.0625f)) == 1.0f);   // tie -> even mantissa 000
  CHECK(e4.decode(e4.encode(1.1875f)) == 1.25f);  // tie -> even mantissa 010
  CHECK(e4.decode(e4.encode(std::nextafter(1.0625f, 2.0f))) == 1.125f);  // just above -> up
  CHECK(e4.decode(e4.encode(-1.0625f)) == -1.0f);
  // Subnormals: ties between 0 and 2^-9, and between 2^-9 and 2^-8.
  CHECK(e4.encode(0.5f * s9) == 0x00);
  CHECK(e4.decode(e4.encode(1.5f * s9)) == 2.0f * s9);
  CHECK(e4.decode(e4.encode(std::nextafter(0.5f * s9, 1.0f))) == s9);
  // Subnormal/normal boundary: 7.5 * 2^-9 lies between 0.111 x 2^-6 and 1.000 x 2^-6.
  CHECK(e4.encode(7.5f * s9) == 0x08);
  // Near the top (quantum 32): 432 is the tie between 416 (m=101) and 448 (m=110).
  CHECK(e4.decode(e4.encode(432.0f)) == 448.0f);
  CHECK(e4.decode(e4.encode(std::nextafter(432.0f, 0.0f))) == 416.0f);
  CHECK(e4.decode(e4.encode(400.0f)) == 384.0f);  // tie of 384 (m=100) and 416 (m=101)
  // E5M2 near 1: neighbours 1.0, 1.25, 1.5.
  CHECK(e5.decode(e5.encode(1.125f)) == 1.0f);
  CHECK(e5.decode(e5.encode(1.375f)) == 1.5f);
  // E5M2 subnormal tie: 2^-17 between 0 and 2^-16.
  CHECK(e5.encode(std::ldexp(1.0f, -17)) == 0x00);
  CHECK(e5.encode(std::ldexp(3.0f, -17)) == 0x02);  // 1.5 quanta -> 2 (even)
}

TEST_CASE("fp8 saturates finite overflow, and specials are as documented", "[numeric][fp8]") {
  const Fp8Format e4(Fp8Kind::E4M3, Fp8Format::Scaling::Raw);
  const Fp8Format e5(Fp8Kind::E5M2, Fp8Format::Scaling::Raw);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(e4.decode(e4.encode(1e6f)) == 448.0f);
  CHECK(e4.decode(e4.encode(-1e6f)) == -448.0f);
  CHECK(e4.decode(e4.encode(464.0f)) == 448.0f);  // tie of 448 and 480, whose code 1111.111 is NaN
  CHECK(e5.decode(e5.encode(1e6f)) == 57344.0f);
  CHECK(e5.decode(e5.encode(-1e6f)) == -57344.0f);
  CHECK(e5.decode(e5.encode(61440.0f)) == 57344.0f);  // IEEE would round this tie to inf
  // inf: E4M3 has none and saturates; E5M2 keeps it.
  CHECK(e4.encode(inf) == 0x7E);
  CHECK(e4.encode(-inf) == 0xFE);
  CHECK(e5.encode(inf) == 0x7C);
  CHECK(e5.encode(-inf) == 0xFC);
  // NaN -> NaN.
  CHECK(e4.is_nan(e4.encode(std::nanf(""))));
  CHECK(e5.is_nan(e5.encode(std::nanf(""))));
  // Zeros keep their sign.
  CHECK(e4.encode(0.0f) == 0x00);
  CHECK(e4.encode(-0.0f) == 0x80);
  CHECK(e5.encode(-0.0f) == 0x80);
  // Below half the smallest subnormal: flush to (signed) zero.
  CHECK(e4.encode(std::ldexp(-1.0f, -11)) == 0x80);
}

TEST_CASE("fp8 per-tensor scaling maps max|x| onto the max finite value", "[numeric][fp8]") {
  for (auto kind : {Fp8Kind::E4M3, Fp8Kind::E5M2}) {
    const Fp8Format f(kind);
    Eigen::ArrayXf x(5);
    x << 0.0f, -3.0f, 0.001f, 2.5f, 1.0f;
    const float s = f.scale_for(x);
    CHECK(s == 3.0f / f.max_finite());
    const Eigen::ArrayXf y = f.quantize(x);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == Approx(-3.0f).epsilon(1e-6));  // the max maps to max finite, then back
    // Every output is a scaled FP8 value: dividing by s gives a decodable value.
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      const float v = y[i] / s;
      CHECK(f.decode(f.encode(v)) == Approx(v).epsilon(1e-6));
    }
    // Raw mode does not scale: 1e6 saturates.
    const Fp8Format raw(kind, Fp8Format::Scaling::Raw);
    Eigen::ArrayXf big(1);
    big << 1e6f;
    CHECK(raw.quantize(big)[0] == raw.max_finite());
    CHECK(f.quantize(big)[0] == Approx(1e6f).epsilon(1e-6));
    // All-zero tensor: zeros, no NaN from a zero scale.
    const Eigen::ArrayXf z = Eigen::ArrayXf::Zero(4);
    CHECK((f.quantize(z) == 0.0f).all());
  }
}
