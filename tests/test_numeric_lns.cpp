// Logarithmic number system: codes, log-domain products, log->linear conversion
// (exact table and Mitchell's approximation), scaling and dot products. Expected
// values are computed here from the definitions, not taken from the encoder.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "sim/numeric/lns.h"

using nnasim::numeric::Convert;
using nnasim::numeric::LnsFormat;
using nnasim::numeric::LnsParams;

namespace {

// lns8 code fields by hand: bit 7 sign, bits 6..0 a two's-complement exponent in 1/8ths.
int lns8_exponent(unsigned code) {
  const int field = static_cast<int>(code & 0x7Fu);
  return field >= 64 ? field - 128 : field;
}
bool lns8_negative(unsigned code) { return (code & 0x80u) != 0; }
constexpr int kLns8Zero = -64;  // reserved code 1000000

}  // namespace

TEST_CASE("lns8 layout: sign + 7-bit two's-complement exponent in 1/8ths, zero reserved",
          "[numeric][lns]") {
  const LnsFormat f(LnsParams::for_total_bits(8));
  CHECK(f.params().int_bits == 4);
  CHECK(f.params().frac_bits == 3);
  CHECK(f.bits() == 8);
  CHECK(f.name() == "lns8");
  CHECK(f.max_exponent() == 63);
  CHECK(f.min_exponent() == -63);
  CHECK(f.zero_exponent() == kLns8Zero);
  CHECK(f.zero() == 0x40);
  CHECK(f.make_code(false, 63) == 0x3F);
  CHECK(f.make_code(true, -1) == 0xFF);
  CHECK_THROWS_AS(f.make_code(false, 64), nnasim::InternalError);

  for (unsigned code = 0; code < 256; ++code) {
    INFO("code 0x" << std::hex << code);
    const int e = lns8_exponent(code);
    const bool neg = lns8_negative(code);
    const float got = f.decode(static_cast<LnsFormat::Code>(code));
    CHECK(f.exponent(static_cast<LnsFormat::Code>(code)) == e);
    CHECK(f.is_negative(static_cast<LnsFormat::Code>(code)) == neg);
    CHECK(std::signbit(got) == neg);
    if (e == kLns8Zero) {
      CHECK(got == 0.0f);
      CHECK(f.is_zero(static_cast<LnsFormat::Code>(code)));
    } else {
      const double ref = (neg ? -1.0 : 1.0) * std::pow(2.0, e / 8.0);
      CHECK(got == static_cast<float>(ref));
    }
    CHECK(static_cast<unsigned>(f.encode(got)) == code);  // round trip, zeros included
  }
}

TEST_CASE("lns encode rounds in the log domain, saturates and flushes", "[numeric][lns]") {
  const LnsFormat f(LnsParams::for_total_bits(8));
  // Between codes e=0 (1.0) and e=1 (2^(1/8)) the threshold is the geometric mean
  // 2^(1/16) = 1.04427, not the arithmetic mean 1.04526.
  const double geo = std::pow(2.0, 1.0 / 16.0);
  const double arith = (1.0 + std::pow(2.0, 1.0 / 8.0)) / 2.0;
  CHECK(f.exponent(f.encode(static_cast<float>(geo * (1 - 1e-6)))) == 0);
  CHECK(f.exponent(f.encode(static_cast<float>(geo * (1 + 1e-6)))) == 1);
  CHECK(f.exponent(f.encode(static_cast<float>((geo + arith) / 2))) == 1);  // linear rounding would give 0
  CHECK(f.exponent(f.encode(-0.75f)) == static_cast<int>(std::lround(8 * std::log2(0.75))));
  CHECK(f.is_negative(f.encode(-0.75f)));
  // Saturation at the top, flush to zero below the smallest magnitude 2^(-63/8).
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(f.exponent(f.encode(1e30f)) == 63);
  CHECK(f.exponent(f.encode(-inf)) == 63);
  CHECK(f.is_negative(f.encode(-inf)));
  CHECK(f.is_zero(f.encode(1e-30f)));
  CHECK(f.is_zero(f.encode(static_cast<float>(std::pow(2.0, -63.5 / 8.0) * 0.999))));
  CHECK(f.exponent(f.encode(static_cast<float>(std::pow(2.0, -63.5 / 8.0) * 1.001))) == -63);
  // Zeros and NaN.
  CHECK(f.is_zero(f.encode(0.0f)));
  CHECK_FALSE(f.is_negative(f.encode(0.0f)));
  CHECK(f.is_negative(f.encode(-0.0f)));
  CHECK(f.is_zero(f.encode(std::nanf(""))));
}

TEST_CASE("lns8 products of representable values are exact (exhaustive)", "[numeric][lns]") {
  const LnsFormat f(LnsParams::for_total_bits(8));
  long exact = 0, saturated = 0, flushed = 0, zero_operand = 0;
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const auto p = f.mul(static_cast<LnsFormat::Code>(a), static_cast<LnsFormat::Code>(b));
      const int ea = lns8_exponent(a), eb = lns8_exponent(b);
      const bool neg = lns8_negative(a) != lns8_negative(b);
      CHECK(lns8_negative(p) == neg);
      if (ea == kLns8Zero || eb == kLns8Zero) {
        ++zero_operand;
        CHECK(lns8_exponent(p) == kLns8Zero);
        continue;
      }
      const int sum = ea + eb;
      if (sum > 63) {
        ++saturated;
        CHECK(lns8_exponent(p) == 63);
      } else if (sum < -63) {
        ++flushed;
        CHECK(lns8_exponent(p) == kLns8Zero);
      } else {
        ++exact;
        // Fail fast on the 60k in-range pairs (CHECK would report each one).
        if (lns8_exponent(p) != sum) FAIL("a=" << a << " b=" << b << " sum " << sum << " got " << lns8_exponent(p));
        const double want = (neg ? -1.0 : 1.0) * std::pow(2.0, sum / 8.0);
        if (f.decode(p) != static_cast<float>(want)) FAIL("decode mismatch a=" << a << " b=" << b);
        // The value equals the real product of the operands' values to float precision.
        const double real = static_cast<double>(f.decode(a)) * f.decode(b);
        if (std::fabs(f.decode(p) - real) > 2e-7 * std::fabs(real)) FAIL("product a=" << a << " b=" << b);
      }
    }
  }
  // 127 nonzero exponents per sign; pairs with |ea + eb| <= 63: 127^2 - 2 * (1 + ... + 63).
  CHECK(exact == 4 * (127L * 127 - 63L * 64));
  CHECK(saturated == 4 * 63L * 64 / 2);
  CHECK(flushed == saturated);
  CHECK(zero_operand == 256L * 256 - 4 * 127L * 127);
}

TEST_CASE("lns exact conversion is within half an LSB of the table's fixed point",
          "[numeric][lns]") {
  for (int n : {4, 6, 8, 12, 16}) {
    const LnsParams p = LnsParams::for_total_bits(n);
    const LnsFormat f(p);
    const int frac = p.frac_bits, lut = p.lut_frac_bits;
    INFO("lns" << n << " F=" << frac << " L=" << lut);
    CHECK(lut == 2 * frac + 2);
    CHECK(nnasim::numeric::lut_entries(p) == (1 << frac));
    CHECK(nnasim::numeric::lut_storage_bits(p) == (1L << frac) * lut);
    const long double half_lsb = std::ldexp(1.0L, -(lut + 1));
    long double worst = 0;
    for (int r = 0; r < (1 << frac); ++r) {
      const long double want = std::pow(2.0L, static_cast<long double>(r) / (1 << frac));
      const long double got = std::ldexp(static_cast<long double>(f.lut_entry(r)), -lut);
      worst = std::max(worst, std::fabs(got - want));
      CHECK(std::fabs(got - want) < half_lsb);
      CHECK(f.to_linear(r) == static_cast<double>(got));
      // Any exponent: 2^i times the entry of its fractional part, i = floor(e / 2^F).
      for (int i : {-9, -1, 1, 7}) CHECK(f.to_linear(i * (1 << frac) + r) == std::ldexp(static_cast<double>(got), i));
    }
    INFO("worst table error " << static_cast<double>(worst / half_lsb) << " half-LSBs");
    CHECK(worst < half_lsb);
  }
  CHECK(nnasim::numeric::lut_entries(LnsParams::for_total_bits(8)) == 8);
  CHECK(nnasim::numeric::lut_entries(LnsParams::for_total_bits(8, Convert::Mitchell)) == 0);
}

TEST_CASE("lns Mitchell conversion error stays within its analytic bound", "[numeric][lns]") {
  // Mitchell: 2^f ~= 1 + f on [0, 1). Relative error g(f) - 1 with g(f) = (1 + f) / 2^f.
  // g'(f) = 0  <=>  1 = (1 + f) ln 2  <=>  f* = 1/ln2 - 1 = 0.4427, and since
  // 2^(1/ln2) = e, g(f*) = (1/ln2) / (e / 2) = 2 / (e ln2). The bound is 2/(e ln2) - 1
  // = 0.0615 relative; its log2, log2(1 + f*) - f* = 0.0861, is the classic Mitchell
  // log-domain error figure.
  const double ln2 = std::log(2.0);
  const double f_star = 1.0 / ln2 - 1.0;
  const double bound = 2.0 / (std::exp(1.0) * ln2) - 1.0;
  CHECK(bound == Approx((1.0 + f_star) / std::pow(2.0, f_star) - 1.0).epsilon(1e-12));
  CHECK(std::log2(1.0 + bound) == Approx(std::log2(1.0 + f_star) - f_star).epsilon(1e-12));
  CHECK(std::log2(1.0 + bound) == Approx(0.0861).margin(5e-5));

  for (int n : {8, 16}) {
    const LnsParams p = LnsParams::for_total_bits(n, Convert::Mitchell);
    const LnsFormat f(p);
    CHECK(f.name() == "lns" + std::to_string(n) + "-mitchell");
    const int frac = p.frac_bits;
    double worst = 0.0, worst_f = 0.0;
    for (int r = 0; r < (1 << frac); ++r) {
      const double fr = static_cast<double>(r) / (1 << frac);
      const double approx = f.to_linear(r);
      CHECK(approx == 1.0 + fr);  // exactly 1 + f
      const double rel = approx / std::pow(2.0, fr) - 1.0;
      CHECK(rel >= 0.0);
      CHECK(rel <= bound + 1e-15);
      if (rel > worst) worst = rel, worst_f = fr;
      // Integer part shifts: e = -3 * 2^F + r -> 2^-3 (1 + f).
      CHECK(f.to_linear(-3 * (1 << frac) + r) == std::ldexp(1.0 + fr, -3));
    }
    INFO("lns" << n << "-mitchell worst relative error " << worst << " at f = " << worst_f);
    if (n == 16) {  // F = 11: fine enough to attain the bound near f*
      CHECK(worst == Approx(bound).epsilon(1e-5));
      CHECK(std::fabs(worst_f - f_star) < 1.0 / (1 << frac));
    } else {  // F = 3: the nearest codes to f* (3/8, 4/8) come within 0.001 of it
      CHECK(worst > bound - 1e-3);
    }
  }
}

TEST_CASE("lns zero and sign handling in products and dot products", "[numeric][lns]") {
  const LnsFormat f(LnsParams::for_total_bits(8));
  const auto two = f.encode(2.0f), mtwo = f.encode(-2.0f), half = f.encode(0.5f);
  CHECK(f.exponent(two) == 8);
  CHECK(f.exponent(half) == -8);
  CHECK(f.decode(f.mul(two, half)) == 1.0f);
  CHECK(f.decode(f.mul(mtwo, half)) == -1.0f);
  CHECK(f.decode(f.mul(mtwo, mtwo)) == 4.0f);
  CHECK(f.is_zero(f.mul(f.zero(), two)));
  CHECK(f.is_zero(f.mul(mtwo, f.zero())));
  CHECK(f.is_negative(f.mul(mtwo, f.zero())));
  CHECK(f.product_to_linear(mtwo, half) == -1.0);
  CHECK(f.product_to_linear(f.zero(), mtwo) == 0.0);
  // Full width in dot products: 2^(63/8) * 2^(63/8) is not clamped.
  const auto top = f.make_code(false, 63);
  CHECK(f.product_to_linear(top, top) == Approx(std::pow(2.0, 126.0 / 8.0)).epsilon(1.0 / 512));

  Eigen::ArrayXf a(4), b(4);
  a << 1.0f, -2.0f, 0.0f, 0.5f;
  b << -4.0f, -0.25f, 3.0f, 2.0f;
  // Powers of two are exact in lns8 and the power-of-two scales are exact: -4 + 0.5 + 0 + 1.
  CHECK(f.dot(a, b) == -2.5f);
  Eigen::ArrayXf c(3);
  CHECK_THROWS_AS(f.dot(a, c), nnasim::InternalError);
}

TEST_CASE("lns per-tensor scale is the smallest power of two that fits max|x|", "[numeric][lns]") {
  const LnsFormat f(LnsParams::for_total_bits(8));
  const double top = std::pow(2.0, 63.0 / 8.0);
  for (float m : {1.0f, 3.0f, 100.0f, 1e-5f, 7e4f, 236.0f, 237.0f}) {
    Eigen::ArrayXf x(3);
    x << -m, 0.5f * m, 0.0f;
    const float s = f.scale_for(x);
    INFO("max " << m << " scale " << s);
    int k = 0;
    CHECK(std::frexp(s, &k) == 0.5f);   // a power of two
    CHECK(m / s <= top);                // fits
    CHECK(m / s > top / 2);             // and is the smallest that does
    const Eigen::ArrayXf y = f.quantize(x);
    const double step = std::pow(2.0, 1.0 / 16.0);  // worst log-domain rounding
    CHECK(std::fabs(y[0] / x[0]) <= step);
    CHECK(std::fabs(y[0] / x[0]) >= 1 / step);
    CHECK(y[0] < 0);
    CHECK(y[2] == 0.0f);
  }
  CHECK(f.scale_for(Eigen::ArrayXf::Zero(3)) == 1.0f);
}

TEST_CASE("lns dot accumulates converted products within the converter's error", "[numeric][lns]") {
  const int n = 64;
  Eigen::ArrayXf a(n), b(n);
  for (int i = 0; i < n; ++i) {
    a[i] = std::sin(0.7f * i + 0.3f) * (1.0f + 0.1f * (i % 7));
    b[i] = std::cos(1.3f * i) * 0.01f * (1 + i % 5);
  }
  for (Convert cv : {Convert::Exact, Convert::Mitchell}) {
    const LnsParams p = LnsParams::for_total_bits(8, cv);
    const LnsFormat f(p);
    const Eigen::ArrayXf qa = f.quantize(a), qb = f.quantize(b);
    double ref = 0.0, mag = 0.0;
    for (int i = 0; i < n; ++i) {
      ref += static_cast<double>(qa[i]) * qb[i];
      mag += std::fabs(static_cast<double>(qa[i]) * qb[i]);
    }
    // Each product's conversion error is relative: < 2^-(L+1) for the table (an entry
    // is >= 1), <= 2/(e ln2) - 1 for Mitchell. Plus float rounding of the result.
    const double rel = cv == Convert::Exact ? std::ldexp(1.0, -(p.lut_frac_bits + 1))
                                            : 2.0 / (std::exp(1.0) * std::log(2.0)) - 1.0;
    const double got = f.dot(a, b);
    INFO((cv == Convert::Exact ? "exact" : "mitchell") << " dot " << got << " ref " << ref);
    CHECK(std::fabs(got - ref) <= rel * mag + 1e-6 * mag);
    if (cv == Convert::Mitchell) CHECK(got != Approx(ref).epsilon(1e-4));  // visibly approximate
  }
}
