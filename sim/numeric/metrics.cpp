#include "sim/numeric/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "sim/common/error.h"

namespace nnasim::numeric {

double sqnr_db(const Eigen::Ref<const Eigen::ArrayXf>& ref, const Eigen::Ref<const Eigen::ArrayXf>& test) {
  if (ref.size() != test.size() || ref.size() == 0)
    throw InternalError(fmt::format("sqnr_db: sizes {} and {}", ref.size(), test.size()));
  double signal = 0.0, noise = 0.0;
  for (Eigen::Index i = 0; i < ref.size(); ++i) {
    const double r = ref[i], d = r - static_cast<double>(test[i]);
    signal += r * r;
    noise += d * d;
  }
  if (noise == 0.0) return std::numeric_limits<double>::infinity();
  if (signal == 0.0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace nnasim::numeric
