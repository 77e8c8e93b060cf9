#include "sim/common/checked.h"

#include <fmt/format.h>

namespace nnasim {

int64_t checked_mul(int64_t a, int64_t b, const SourceLoc& loc, const std::string& what, int64_t limit) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r) || r > limit || r < -limit)
    throw InputError(loc, fmt::format("{} is too large ({} x {}): the limit is {}", what, a, b, limit));
  return r;
}

int64_t checked_add(int64_t a, int64_t b, const SourceLoc& loc, const std::string& what, int64_t limit) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r) || r > limit || r < -limit)
    throw InputError(loc, fmt::format("{} is too large ({} + {}): the limit is {}", what, a, b, limit));
  return r;
}

int64_t checked_product(std::initializer_list<int64_t> xs, const SourceLoc& loc, const std::string& what,
                        int64_t limit) {
  int64_t r = 1;
  for (int64_t x : xs) {
    int64_t n = 0;
    if (__builtin_mul_overflow(r, x, &n) || n > limit || n < -limit)
      throw InputError(loc, fmt::format("{} is too large: the limit is {}", what, limit));
    r = n;
  }
  return r;
}

void check_range(int64_t v, int64_t lo, int64_t hi, const SourceLoc& loc, const std::string& key) {
  if (v < lo || v > hi) throw InputError(loc, fmt::format("'{}': {} is out of range: expected {} to {}", key, v, lo, hi));
}

}  // namespace nnasim
