#include "sim/numeric/fp8.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/numeric/int_format.h"  // round_half_even

namespace nnasim::numeric {

Fp8Format::Fp8Format(Fp8Kind kind, Scaling scaling) : kind_(kind), scaling_(scaling) {
  if (kind == Fp8Kind::E4M3) {
    ebits_ = 4;
    mbits_ = 3;
    bias_ = 7;
    max_code_ = 0x7E;  // 0.1111.110 = 1.75 * 2^8 = 448 (1111.111 is NaN)
    nan_code_ = 0x7F;  // 0.1111.111
  } else {
    ebits_ = 5;
    mbits_ = 2;
    bias_ = 15;
    max_code_ = 0x7B;  // 0.11110.11 = 1.75 * 2^15 = 57344 (11111.xx is inf/NaN)
    nan_code_ = 0x7E;  // 0.11111.10, quiet NaN
  }
}

std::string Fp8Format::name() const {
  std::string n = kind_ == Fp8Kind::E4M3 ? "fp8-e4m3" : "fp8-e5m2";
  return scaling_ == Scaling::Raw ? n + "-raw" : n;
}

float Fp8Format::max_finite() const { return decode(max_code_); }
float Fp8Format::min_normal() const { return std::ldexp(1.0f, 1 - bias_); }
float Fp8Format::min_subnormal() const { return std::ldexp(1.0f, 1 - bias_ - mbits_); }

bool Fp8Format::is_nan(uint8_t code) const {
  const int c = code & 0x7F;
  if (kind_ == Fp8Kind::E4M3) return c == 0x7F;
  return (c >> mbits_) == (1 << ebits_) - 1 && (c & ((1 << mbits_) - 1)) != 0;
}

float Fp8Format::decode(uint8_t code) const {
  const bool neg = (code & 0x80) != 0;
  const int e = (code >> mbits_) & ((1 << ebits_) - 1);
  const int m = code & ((1 << mbits_) - 1);
  if (is_nan(code)) return std::copysign(std::numeric_limits<float>::quiet_NaN(), neg ? -1.0f : 1.0f);
  if (kind_ == Fp8Kind::E5M2 && e == (1 << ebits_) - 1) {
    const float inf = std::numeric_limits<float>::infinity();
    return neg ? -inf : inf;
  }
  // e == 0: subnormal m * 2^(1 - bias - mbits); else (2^mbits + m) * 2^(e - bias - mbits).
  const double v = e == 0 ? std::ldexp(static_cast<double>(m), 1 - bias_ - mbits_)
                          : std::ldexp(static_cast<double>((1 << mbits_) + m), e - bias_ - mbits_);
  return static_cast<float>(neg ? -v : v);
}

uint8_t Fp8Format::encode(float x) const {
  const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  if (std::isnan(x)) return sign | nan_code_;
  if (std::isinf(x)) return sign | (kind_ == Fp8Kind::E5M2 ? 0x7C : max_code_);
  const double a = std::fabs(static_cast<double>(x));
  if (a == 0.0) return sign;

  // Quantum (spacing of representable values) in a's binade; subnormals share the
  // quantum of the lowest normal binade.
  const int emin = 1 - bias_;
  int k = 0;
  std::frexp(a, &k);  // a in [2^(k-1), 2^k)
  const int e = std::max(k - 1, emin);
  const double quantum = std::ldexp(1.0, e - mbits_);
  const double n = round_half_even(a / quantum);  // a / quantum is exact (power of two)
  const double v = n * quantum;                    // the rounded magnitude, exact
  if (v > static_cast<double>(max_finite())) return sign | max_code_;  // saturate
  if (v == 0.0) return sign;

  // v is representable: split it into fields. Rounding up may have moved it to the
  // next binade (e.g. 7.5 * 2^-9 -> 2^-6), so take its exponent afresh.
  std::frexp(v, &k);
  const int ev = k - 1;
  if (ev < emin) {
    const int m = static_cast<int>(std::ldexp(v, -(emin - mbits_)));
    return sign | static_cast<uint8_t>(m);
  }
  const int m = static_cast<int>(std::ldexp(v, -(ev - mbits_))) - (1 << mbits_);
  return sign | static_cast<uint8_t>(((ev + bias_) << mbits_) | m);
}

float Fp8Format::scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  if (scaling_ == Scaling::Raw) return 1.0f;
  const float m = max_abs_finite(x);
  return m > 0.0f ? m / max_finite() : 1.0f;
}

Eigen::ArrayXf Fp8Format::quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                              float scale) const {
  if (!(scale > 0.0f) || std::isinf(scale))
    throw InternalError(fmt::format("Fp8Format: bad scale {}", scale));
  Eigen::ArrayXf y(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) y[i] = decode(encode(x[i] / scale)) * scale;
  return y;
}

Eigen::ArrayXf Fp8Format::quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  return quantize_with_scale(x, scale_for(x));
}

}  // namespace nnasim::numeric
