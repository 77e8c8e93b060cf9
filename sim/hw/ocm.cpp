#include "sim/hw/ocm.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/error.h"

namespace nnasim::hw {

Ocm::Ocm(std::string name, const OcmSpec& spec, int64_t preload)
    : name_(std::move(name)), capacity_(static_cast<int64_t>(spec.size_bytes)), used_(0) {
  alloc(preload);
}

void Ocm::alloc(int64_t bytes) {
  used_ += bytes;
  stats_.peak_bytes = std::max(stats_.peak_bytes, used_);
  if (used_ > capacity_)
    throw InternalError(fmt::format("{}: the program overfills OCM ({} bytes in use, capacity {})", name_, used_,
                                    capacity_));
}

void Ocm::free(int64_t bytes) {
  used_ -= bytes;
  if (used_ < 0) throw InternalError(fmt::format("{}: the program frees more OCM than it allocated", name_));
}

}  // namespace nnasim::hw
