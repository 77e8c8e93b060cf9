#include "sim/numeric/format.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdlib>

#include "sim/numeric/fp8.h"
#include "sim/numeric/int_format.h"
#include "sim/numeric/lns.h"

namespace nnasim::numeric {

namespace {

// If spec is prefix followed by a decimal number without sign or leading zero (and
// nothing else), returns that number; otherwise -1.
int parse_suffix_number(const std::string& spec, const std::string& prefix) {
  if (spec.size() <= prefix.size() || spec.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = spec.substr(prefix.size());
  if (digits.size() > 3 || digits[0] == '0') return -1;
  for (char c : digits)
    if (c < '0' || c > '9') return -1;
  return std::atoi(digits.c_str());
}

[[noreturn]] void unknown(const std::string& spec, const SourceLoc& where) {
  throw InputError(where, fmt::format("unknown number format '{}'; valid formats: {}", spec,
                                      fmt::join(valid_format_specs(), ", ")));
}

}  // namespace

std::vector<std::string> valid_format_specs() {
  return {"fp32",     "int8",         "int6",     "int4",         "intN (N = 2..16)",
          "fp8-e4m3", "fp8-e5m2",     "fp8-e4m3-raw", "fp8-e5m2-raw", "lns8",
          "lnsN (N = 4..16)", "lnsN-mitchell"};
}

Eigen::ArrayXf NumberFormat::quantize_per_channel(const Eigen::Ref<const Eigen::ArrayXf>& x,
                                                  int channels) const {
  const Eigen::Index k = channel_block(x, channels);
  Eigen::ArrayXf y(x.size());
  for (int c = 0; c < channels; ++c) y.segment(c * k, k) = quantize(x.segment(c * k, k));
  return y;
}

float max_abs_finite(const Eigen::Ref<const Eigen::ArrayXf>& x) {
  float m = 0.0f;
  for (Eigen::Index i = 0; i < x.size(); ++i)
    if (std::isfinite(x[i])) m = std::max(m, std::fabs(x[i]));
  return m;
}

Eigen::Index channel_block(const Eigen::Ref<const Eigen::ArrayXf>& x, int channels) {
  if (channels <= 0 || x.size() % channels != 0)
    throw InternalError(fmt::format("per-channel quantization: {} channels do not split {} values",
                                    channels, x.size()));
  return x.size() / channels;
}

std::unique_ptr<NumberFormat> make_format(const std::string& spec, const SourceLoc& where) {
  if (spec == "fp32") return std::make_unique<Fp32Format>();
  if (spec == "fp8-e4m3") return std::make_unique<Fp8Format>(Fp8Kind::E4M3);
  if (spec == "fp8-e5m2") return std::make_unique<Fp8Format>(Fp8Kind::E5M2);
  if (spec == "fp8-e4m3-raw") return std::make_unique<Fp8Format>(Fp8Kind::E4M3, Fp8Format::Scaling::Raw);
  if (spec == "fp8-e5m2-raw") return std::make_unique<Fp8Format>(Fp8Kind::E5M2, Fp8Format::Scaling::Raw);
  if (const int n = parse_suffix_number(spec, "int"); n >= 2 && n <= 16)
    return std::make_unique<IntFormat>(n, where);
  const std::string mitchell = "-mitchell";
  const bool is_mitchell = spec.size() > mitchell.size() &&
                           spec.compare(spec.size() - mitchell.size(), mitchell.size(), mitchell) == 0;
  const std::string lns = is_mitchell ? spec.substr(0, spec.size() - mitchell.size()) : spec;
  if (const int n = parse_suffix_number(lns, "lns"); n >= 4 && n <= 16)
    return std::make_unique<LnsFormat>(
        LnsParams::for_total_bits(n, is_mitchell ? Convert::Mitchell : Convert::Exact, where), where);
  unknown(spec, where);
}

}  // namespace nnasim::numeric
