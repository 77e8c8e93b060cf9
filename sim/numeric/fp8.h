// FP8 E4M3 and E5M2, bit-exact per Micikevicius et al., "FP8 Formats for Deep
// Learning", arXiv 2209.05433, Table 1:
//
//            sign/exp/mant  bias  max finite  min normal  min subnormal  inf        NaN
//   E4M3     1/4/3          7     448         2^-6        2^-9           none       S.1111.111 only
//   E5M2     1/5/2          15    57344       2^-14       2^-16          S.11111.00 S.11111.{01,10,11}
//
// encode(float) rounds to nearest, ties to even, with subnormals, and:
//   - finite overflow saturates to +-max finite, in both formats (no overflow to inf);
//   - +-inf: E5M2 -> +-inf (0x7C / 0xFC); E4M3 has no inf, so +-inf saturates to +-448;
//   - NaN -> E4M3 0x7F (sign kept), E5M2 0x7E (quiet NaN, sign kept);
//   - -0.0 -> 0x80, +0.0 -> 0x00.
// decode(uint8_t) is exact (every FP8 value is a float).
//
// quantize() with Scaling::PerTensor divides by s = max|x| / max_finite (finite
// elements; s = 1 when there are none or all are 0), so the largest magnitude maps
// exactly onto the format's max finite value; the division and the final
// multiplication by s are done in float, as an FP32 datapath would. Scaling::Raw
// encodes the values as they are (s = 1).
#pragma once
#include <cstdint>

#include "sim/numeric/format.h"

namespace nnasim::numeric {

enum class Fp8Kind { E4M3, E5M2 };

class Fp8Format final : public NumberFormat {
 public:
  enum class Scaling { PerTensor, Raw };

  explicit Fp8Format(Fp8Kind kind, Scaling scaling = Scaling::PerTensor);

  std::string name() const override;  // "fp8-e4m3" / "fp8-e5m2" (raw: "...-raw")
  int bits() const override { return 8; }
  Fp8Kind kind() const { return kind_; }
  Scaling scaling() const { return scaling_; }

  int exponent_bits() const { return ebits_; }
  int mantissa_bits() const { return mbits_; }
  int bias() const { return bias_; }
  float max_finite() const;     // 448 / 57344
  float min_normal() const;     // 2^-6 / 2^-14
  float min_subnormal() const;  // 2^-9 / 2^-16

  uint8_t encode(float x) const;
  float decode(uint8_t code) const;
  bool is_nan(uint8_t code) const;

  // Per-tensor scale used by quantize() (1 in raw mode).
  float scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const;
  Eigen::ArrayXf quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const override;
  // Round trip at a caller-chosen scale: decode(encode(x / scale)) * scale.
  Eigen::ArrayXf quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x, float scale) const;

 private:
  Fp8Kind kind_;
  Scaling scaling_;
  int ebits_, mbits_, bias_;
  uint8_t max_code_;  // positive code of the max finite value
  uint8_t nan_code_;  // positive canonical NaN
};

}  // namespace nnasim::numeric
