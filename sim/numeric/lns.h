// Logarithmic number system (LNS): value = sign * 2^(e / 2^F) * scale, with e a signed
// fixed-point exponent of I integer bits (two's complement, so I includes the
// exponent's sign) and F fractional bits (Miyashita et al. arXiv 1603.01025;
// LNS-Madam, arXiv 2106.13914).
//
// Code layout (N = 1 + I + F bits): bit I+F is the value's sign, bits [I+F-1:0] hold e
// in two's complement. lns8 = 1 + 4 + 3 bits, so e is a signed 7-bit value and the
// magnitude is 2^(e/8), e in -63..63.
//
// Zero: the most negative exponent code, e = -2^(I+F-1) (0b1000000 for lns8), is
// reserved as zero; nonzero magnitudes use e in [-(2^(I+F-1) - 1), 2^(I+F-1) - 1].
// Zero keeps its sign bit (encode(-0.0f) decodes to -0.0f); all zero codes are equal
// in arithmetic.
//
// encode(x) rounds log2|x| * 2^F to the nearest integer (ties to even) — rounding in
// the log domain, so the threshold between two codes is their geometric mean.
// Exponents above the top saturate to it (also +-inf); exponents below the smallest
// nonzero code flush to zero. NaN has no code and encodes as (+)zero.
//
// Per-tensor scale: a power of two 2^k, the smallest one for which max|x| / 2^k is at
// most the largest magnitude 2^(e_max / 2^F); k is clamped to [-126, 127].
//
// Arithmetic, as an LNS MAC does it:
//   mul(a, b)   adds exponents; exact when the sum is a nonzero code, saturating to
//               the top exponent above, flushing to zero below.
//   to_linear   converts an exponent e = i * 2^F + r (0 <= r < 2^F) to linear 2^i * 2^(r/2^F):
//     Convert::Exact    2^(r/2^F) from a table of 2^F entries, each rounded to nearest
//                       with lut_frac_bits fraction bits (the leading 1 is implicit,
//                       so an entry stores lut_frac_bits bits). Error < 2^-(L+1).
//                       Default L = 2F + 2 (lns8: 8 bits), which keeps the conversion
//                       error (< 2^-9 relative) about 20x below the format's own
//                       rounding error (2^(1/16) - 1 = 4.4% for lns8).
//     Convert::Mitchell 2^f ~= 1 + f (no table); relative error (1+f)/2^f - 1 lies in
//                       [0, 2/(e ln 2) - 1 = 0.0615], maximal at f = 1/ln 2 - 1. (In the
//                       log domain that is log2(1+f) - f <= 0.0861.)
//   dot(a, b)   quantizes each vector with its own scale, multiplies in the log domain
//               at full width (the exponent sum is never saturated, as in hardware
//               where the adder has one extra bit), converts each product and
//               accumulates exactly in the linear domain (a double, which is exact as a
//               wide fixed-point accumulator would be while the products' span fits in
//               53 bits: always for lns8 up to 2^13 terms).
#pragma once
#include <cstdint>
#include <vector>

#include "sim/numeric/format.h"

namespace nnasim::numeric {

enum class Convert { Exact, Mitchell };

struct LnsParams {
  int int_bits = 4;   // integer bits of the exponent, including its two's-complement sign
  int frac_bits = 3;  // fractional bits of the exponent
  Convert convert = Convert::Exact;
  int lut_frac_bits = 8;  // linear fraction bits of each table entry (Exact only)

  int exp_bits() const { return int_bits + frac_bits; }
  int total_bits() const { return 1 + exp_bits(); }

  // Parameters of "lnsN": int_bits = min(4, N-1), frac_bits = N-1-int_bits,
  // lut_frac_bits = default_lut_frac_bits(frac_bits). Throws InputError unless 4 <= N <= 16.
  static LnsParams for_total_bits(int n, Convert convert = Convert::Exact,
                                  const SourceLoc& where = {});
};

// 2 * frac_bits + 2.
int default_lut_frac_bits(int frac_bits);
// Entries of the log->linear table: 2^frac_bits for Convert::Exact, 0 for Mitchell.
int lut_entries(const LnsParams& p);
// Bits of table storage: lut_entries(p) * lut_frac_bits (leading 1 implicit).
int64_t lut_storage_bits(const LnsParams& p);

class LnsFormat final : public NumberFormat {
 public:
  using Code = uint16_t;

  // Throws InputError unless int_bits >= 1, frac_bits >= 0, 4 <= total_bits <= 16 and
  // (for Exact) 0 <= lut_frac_bits <= 30.
  explicit LnsFormat(const LnsParams& p, const SourceLoc& where = {});

  // "lnsN" for the for_total_bits() parameters ("lnsN-mitchell" with Mitchell
  // conversion); otherwise "lnsN-i<I>f<F>[-lut<L>|-mitchell]" (not a factory spec).
  std::string name() const override;
  int bits() const override { return p_.total_bits(); }
  const LnsParams& params() const { return p_; }

  int max_exponent() const { return (1 << (p_.exp_bits() - 1)) - 1; }
  int min_exponent() const { return -max_exponent(); }  // smallest nonzero
  int zero_exponent() const { return -(1 << (p_.exp_bits() - 1)); }

  // Code fields. make_code throws InternalError if exponent is outside
  // [zero_exponent(), max_exponent()].
  Code make_code(bool negative, int exponent) const;
  Code zero(bool negative = false) const { return make_code(negative, zero_exponent()); }
  bool is_zero(Code c) const { return exponent(c) == zero_exponent(); }
  bool is_negative(Code c) const { return (c >> p_.exp_bits()) & 1u; }
  int exponent(Code c) const;  // signed, in units of 2^-F

  Code encode(float x) const;   // unscaled
  float decode(Code c) const;   // unscaled: +-2^(e/2^F) rounded to float, or +-0
  Code mul(Code a, Code b) const;

  // Linear value of 2^(e / 2^F) for any integer e (e.g. a full-width exponent sum),
  // through the configured converter.
  double to_linear(int exponent) const;
  // Signed linear value of the full-width product of two codes (0 if either is zero).
  double product_to_linear(Code a, Code b) const;
  // Exact table entry r as a fixed-point integer: round(2^(r/2^F) * 2^L), in [2^L, 2^(L+1)].
  uint32_t lut_entry(int r) const;

  float scale_for(const Eigen::Ref<const Eigen::ArrayXf>& x) const;
  Eigen::ArrayXf quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const override;
  // Round trip at a caller-chosen scale (a power of two for bit-exact results).
  Eigen::ArrayXf quantize_with_scale(const Eigen::Ref<const Eigen::ArrayXf>& x, float scale) const;
  // Log-domain multiply, linear-domain accumulate; a and b get their own scales.
  // Throws InternalError if the sizes differ.
  float dot(const Eigen::Ref<const Eigen::ArrayXf>& a, const Eigen::Ref<const Eigen::ArrayXf>& b) const;

 private:
  LnsParams p_;
  std::vector<uint32_t> lut_;  // Exact: 2^F entries; Mitchell: empty
};

}  // namespace nnasim::numeric
