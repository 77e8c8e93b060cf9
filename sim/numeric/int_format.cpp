#include "sim/numeric/int_format.h"

#include <fmt/format.h>

#include <cmath>

namespace nnasim::numeric {

double round_half_even(double v) {
  const double lo = std::floor(v);
  const double diff = v - lo;  // exact for |v| < 2^52
  if (diff > 0.5) return lo + 1.0;
  if (diff < 0.5) return lo;
  return std::fmod(lo, 2.0) == 0.0 ? lo : lo + 1.0;
}

IntFormat::IntFormat(int bits, const SourceLoc& where) : bits_(bits), qmax_(0) {
  if (bits < 2 || bits > 16)
    throw InputError(where, fmt::format("integer format needs 2..16 bits, got {}", bits));
  qmax_ = (1 << (bits - 1)) - 1;
}

std::string IntFormat::name() const { return fmt::format("int{}", bits_); }

float IntFormat::scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  return max_abs_finite(x) / static_cast<float>(qmax_);
}

Eigen::ArrayXf IntFormat::channel_scales(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                         int channels) const {
  const Eigen::Index k = channel_block(x, channels);
  Eigen::ArrayXf s(channels);
  for (int c = 0; c < channels; ++c) s[c] = scale_for(x.segment(c * k, k));
  return s;
}

int32_t IntFormat::encode(float x, float scale) const {
  if (!(scale >= 0.0f)) throw InternalError(fmt::format("IntFormat::encode: bad scale {}", scale));
  if (std::isnan(x) || scale == 0.0f) return 0;
  // Divide in double: x / scale is then exact enough that the only rounding is
  // the round-half-even to an integer (no double rounding at .5 points).
  const double v = static_cast<double>(x) / static_cast<double>(scale);
  if (v >= qmax_) return qmax_;
  if (v <= -qmax_) return -qmax_;
  return static_cast<int32_t>(round_half_even(v));
}

Eigen::ArrayXf IntFormat::quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                              float scale) const {
  Eigen::ArrayXf y(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i) y[i] = decode(encode(x[i], scale), scale);
  return y;
}

Eigen::ArrayXf IntFormat::quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  return quantize_with_scale(x, scale_for(x));
}

Eigen::ArrayXf IntFormat::quantize_per_channel(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                               int channels) const {
  const Eigen::Index k = channel_block(x, channels);
  Eigen::ArrayXf y(x.size());
  for (int c = 0; c < channels; ++c) {
    const auto block = x.segment(c * k, k);
    y.segment(c * k, k) = quantize_with_scale(block, scale_for(block));
  }
  return y;
}

}  // namespace nnasim::numeric
