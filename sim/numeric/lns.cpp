#include "sim/numeric/lns.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/numeric/int_format.h"  // round_half_even

namespace nnasim::numeric {

namespace {

// floor(e / 2^f) for any sign of e.
int floor_shift(int e, int f) { return e >= 0 ? e >> f : -((-e + (1 << f) - 1) >> f); }

}  // namespace

int default_lut_frac_bits(int frac_bits) { return 2 * frac_bits + 2; }

LnsParams LnsParams::for_total_bits(int n, Convert convert, const SourceLoc& where) {
  if (n < 4 || n > 16)
    throw InputError(where, fmt::format("LNS format needs 4..16 bits in total, got {}", n));
  LnsParams p;
  p.int_bits = std::min(4, n - 1);
  p.frac_bits = n - 1 - p.int_bits;
  p.convert = convert;
  p.lut_frac_bits = default_lut_frac_bits(p.frac_bits);
  return p;
}

int lut_entries(const LnsParams& p) { return p.convert == Convert::Exact ? 1 << p.frac_bits : 0; }

int64_t lut_storage_bits(const LnsParams& p) {
  return static_cast<int64_t>(lut_entries(p)) * p.lut_frac_bits;
}

LnsFormat::LnsFormat(const LnsParams& p, const SourceLoc& where) : p_(p) {
  if (p.int_bits < 1 || p.frac_bits < 0 || p.total_bits() < 4 || p.total_bits() > 16)
    throw InputError(where, fmt::format("LNS format needs int_bits >= 1, frac_bits >= 0 and 4..16 "
                                        "bits in total, got int_bits {}, frac_bits {}",
                                        p.int_bits, p.frac_bits));
  if (p.convert == Convert::Exact) {
    if (p.lut_frac_bits < 0 || p.lut_frac_bits > 30)
      throw InputError(where, fmt::format("LNS lut_frac_bits must be 0..30, got {}", p.lut_frac_bits));
    const int n = 1 << p.frac_bits;
    lut_.resize(n);
    for (int r = 0; r < n; ++r) {
      // 2^(r/2^F) is irrational for 0 < r < 2^F, so no entry sits on a rounding tie
      // and double precision rounds it correctly.
      const double v = std::exp2(static_cast<double>(r) / n);
      lut_[r] = static_cast<uint32_t>(round_half_even(std::ldexp(v, p.lut_frac_bits)));
    }
  }
}

std::string LnsFormat::name() const {
  const int n = p_.total_bits();
  const LnsParams d = LnsParams::for_total_bits(n, p_.convert);
  const bool standard_split = p_.int_bits == d.int_bits && p_.frac_bits == d.frac_bits;
  if (standard_split && p_.convert == Convert::Mitchell) return fmt::format("lns{}-mitchell", n);
  if (standard_split && p_.lut_frac_bits == d.lut_frac_bits) return fmt::format("lns{}", n);
  return fmt::format("lns{}-i{}f{}-{}", n, p_.int_bits, p_.frac_bits,
                     p_.convert == Convert::Mitchell ? std::string("mitchell")
                                                     : fmt::format("lut{}", p_.lut_frac_bits));
}

LnsFormat::Code LnsFormat::make_code(bool negative, int exponent) const {
  if (exponent < zero_exponent() || exponent > max_exponent())
    throw InternalError(fmt::format("LNS exponent {} outside [{}, {}]", exponent, zero_exponent(),
                                    max_exponent()));
  const int eb = p_.exp_bits();
  const unsigned field = static_cast<unsigned>(exponent) & ((1u << eb) - 1u);
  return static_cast<Code>((negative ? 1u << eb : 0u) | field);
}

int LnsFormat::exponent(Code c) const {
  const int eb = p_.exp_bits();
  const int field = c & ((1 << eb) - 1);
  return field >= (1 << (eb - 1)) ? field - (1 << eb) : field;  // two's complement
}

LnsFormat::Code LnsFormat::encode(float x) const {
  if (std::isnan(x)) return zero();
  const bool neg = std::signbit(x);
  if (std::isinf(x)) return make_code(neg, max_exponent());
  if (x == 0.0f) return zero(neg);
  const double t = std::log2(std::fabs(static_cast<double>(x))) * (1 << p_.frac_bits);
  // |t| <= 150 * 2^11, well inside int range; clamp before the cast anyway.
  const double e = round_half_even(std::clamp(t, -1e9, 1e9));
  if (e > max_exponent()) return make_code(neg, max_exponent());
  if (e < min_exponent()) return zero(neg);
  return make_code(neg, static_cast<int>(e));
}

float LnsFormat::decode(Code c) const {
  const float sign = is_negative(c) ? -1.0f : 1.0f;
  if (is_zero(c)) return sign * 0.0f;
  const double m = std::exp2(static_cast<double>(exponent(c)) / (1 << p_.frac_bits));
  return sign * static_cast<float>(m);
}

LnsFormat::Code LnsFormat::mul(Code a, Code b) const {
  const bool neg = is_negative(a) != is_negative(b);
  if (is_zero(a) || is_zero(b)) return zero(neg);
  const int e = exponent(a) + exponent(b);
  if (e > max_exponent()) return make_code(neg, max_exponent());
  if (e < min_exponent()) return zero(neg);
  return make_code(neg, e);
}

uint32_t LnsFormat::lut_entry(int r) const {
  if (p_.convert != Convert::Exact || r < 0 || r >= static_cast<int>(lut_.size()))
    throw InternalError(fmt::format("LNS lut_entry({}) on a table of {} entries", r, lut_.size()));
  return lut_[r];
}

double LnsFormat::to_linear(int exponent) const {
  const int f = p_.frac_bits;
  const int i = floor_shift(exponent, f);
  const int r = exponent - i * (1 << f);  // 0 <= r < 2^F
  if (p_.convert == Convert::Exact) return std::ldexp(static_cast<double>(lut_[r]), i - p_.lut_frac_bits);
  return std::ldexp(static_cast<double>((1 << f) + r), i - f);  // 2^i * (1 + r/2^F)
}

double LnsFormat::product_to_linear(Code a, Code b) const {
  if (is_zero(a) || is_zero(b)) return 0.0;
  const double m = to_linear(exponent(a) + exponent(b));
  return is_negative(a) != is_negative(b) ? -m : m;
}

float LnsFormat::scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  const float m = max_abs_finite(x);
  if (m == 0.0f) return 1.0f;
  const double top = static_cast<double>(max_exponent()) / (1 << p_.frac_bits);
  const double lm = std::log2(static_cast<double>(m));
  int k = static_cast<int>(std::ceil(lm - top));
  while (lm - k > top) ++k;      // guard against rounding in ceil's argument
  while (lm - (k - 1) <= top) --k;
  return std::ldexp(1.0f, std::clamp(k, -126, 127));
}

Eigen::ArrayXf LnsFormat::quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                              float scale) const {
  if (!(scale > 0.0f) || std::isinf(scale))
    throw InternalError(fmt::format("LnsFormat: bad scale {}", scale));
  Eigen::ArrayXf y(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) y[i] = decode(encode(x[i] / scale)) * scale;
  return y;
}

Eigen::ArrayXf LnsFormat::quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  return quantize_with_scale(x, scale_for(x));
}

float LnsFormat::dot(const Eigen::Ref<const Eigen::ArrayXf>& a,
                     const Eigen::Ref<const Eigen::ArrayXf>& b) const {
  if (a.size() != b.size())
    throw InternalError(fmt::format("LnsFormat::dot: sizes {} and {} differ", a.size(), b.size()));
  const float sa = scale_for(a), sb = scale_for(b);
  double acc = 0.0;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    acc += product_to_linear(encode(a[i] / sa), encode(b[i] / sb));
  return static_cast<float>(acc * static_cast<double>(sa) * static_cast<double>(sb));
}

}  // namespace nnasim::numeric
