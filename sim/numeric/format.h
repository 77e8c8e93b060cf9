// NumberFormat: the one interface behind which every bit-accurate number format of
// nnasim sits (integers, FP8, LNS, and FP32 as the identity), plus the factory that
// turns a format spec string ("int8", "fp8-e4m3", "lns8", ...) into one.
//
// quantize(x) returns the values x takes after a round trip through the format,
// i.e. decode(encode(x / s)) * s with the format's own per-tensor scale s.
#pragma once
#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "sim/common/error.h"

namespace nnasim::numeric {

class NumberFormat {
 public:
  virtual ~NumberFormat() = default;

  // Canonical spec of the format; make_format(name()) builds an equivalent format.
  virtual std::string name() const = 0;
  // Storage bits per value (32 for fp32).
  virtual int bits() const = 0;
  // Round trip with one scale for the whole tensor.
  virtual Eigen::ArrayXf quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const = 0;
  // Round trip with one scale per output channel. Layout is channel-major: x holds
  // `channels` contiguous blocks of x.size() / channels values each. The default
  // quantizes each block as a tensor of its own. Throws InternalError when
  // channels <= 0 or does not divide x.size() (a caller's bug, not a user's input).
  virtual Eigen::ArrayXf quantize_per_channel(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                              int channels) const;
};

// FP32: the identity (values are already FP32).
class Fp32Format final : public NumberFormat {
 public:
  std::string name() const override { return "fp32"; }
  int bits() const override { return 32; }
  Eigen::ArrayXf quantize(const Eigen::Ref<const Eigen::ArrayXf>& x) const override { return x; }
};

// Builds a format from its spec:
//   "fp32"                         identity
//   "int8", "int6", "int4", "intN"  signed symmetric N-bit integer, N in 2..16
//   "fp8-e4m3", "fp8-e5m2"         FP8 per arXiv 2209.05433, per-tensor scaled
//   "lns8", "lnsN"                 sign + (N-1)-bit fixed-point log2 exponent, N in 4..16
// Unknown or out-of-range specs throw InputError (at `where`) listing the valid ones.
std::unique_ptr<NumberFormat> make_format(const std::string& spec, const SourceLoc& where = {});

// Human-readable list of the accepted specs (used in the error message).
std::vector<std::string> valid_format_specs();

// Largest |x| over the finite elements of x (0 if there are none). Per-tensor scales
// are derived from it, so NaN/inf inputs never poison a scale.
float max_abs_finite(const Eigen::Ref<const Eigen::ArrayXf>& x);

// Checks that `channels` splits x into equal blocks and returns the block length.
Eigen::Index channel_block(const Eigen::Ref<const Eigen::ArrayXf>& x, int channels);

}  // namespace nnasim::numeric
