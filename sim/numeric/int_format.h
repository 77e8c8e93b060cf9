// Signed N-bit symmetric integer quantization ("intN", N in 2..16).
//
//   q = clamp(round_half_even(x / s), -qmax, +qmax),   qmax = 2^(N-1) - 1,
//   x' = q * s.
// The code -2^(N-1) is never produced (symmetric range). The scale is
//   per tensor:  s = max|x| / qmax  over the finite elements,
//   per channel: the same over each channel's block (channel-major layout).
// An all-zero (or all non-finite) tensor or channel gets scale 0 and quantizes to 0.
// Non-finite inputs: +-inf saturate to +-qmax; NaN maps to 0 (integers have no NaN).
#pragma once
#include <cstdint>

#include "sim/numeric/format.h"

namespace nnasim::numeric {

// Round to nearest integer, ties to even (2.5 -> 2, 3.5 -> 4, -2.5 -> -2); independent
// of the floating-point environment's rounding mode.
double round_half_even(double v);

class IntFormat final : public NumberFormat {
 public:
  // Throws InputError (at `where`) unless 2 <= bits <= 16.
  explicit IntFormat(int bits, const SourceLoc& where = {});

  std::string name() const override;
  int bits() const override { return bits_; }
  int qmax() const { return qmax_; }

  // s = max|x| / qmax (0 for an all-zero tensor).
  float scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const;
  // One scale per channel of a channel-major tensor.
  Eigen::ArrayXf channel_scales(const Eigen::Ref<const Eigen::ArrayXf>& x, int channels) const;

  // Integer code of x at the given scale (scale 0 -> 0). Scale must be >= 0.
  int32_t encode(float x, float scale) const;
  float decode(int32_t q, float scale) const { return static_cast<float>(q) * scale; }

  Eigen::ArrayXf quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const override;
  Eigen::ArrayXf quantize_per_channel(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                      int channels) const override;
  // Round trip at a caller-chosen scale (e.g. a per-filter exponent chosen elsewhere).
  Eigen::ArrayXf quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x, float scale) const;

 private:
  int bits_;
  int qmax_;
};

}  // namespace nnasim::numeric
