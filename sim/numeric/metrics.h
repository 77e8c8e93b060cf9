// Error metrics for comparing a quantized tensor against its reference.
#pragma once
#include <Eigen/Core>

namespace nnasim::numeric {

// Signal-to-quantization-noise ratio in dB:
//   10 log10( sum ref^2 / sum (ref - test)^2 ),
// accumulated in double. Identical tensors give +inf; an all-zero reference with a
// nonzero error gives -inf. Throws InternalError if the sizes differ or either
// tensor is empty.
double sqnr_db(const Eigen::Ref<const Eigen::ArrayXf>& ref, const Eigen::Ref<const Eigen::ArrayXf>& test);

}  // namespace nnasim::numeric
