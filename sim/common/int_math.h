// Integer helpers shared by the planner, the emitter and the bounds: rounding-up division, bytes
// of packed elements, and the exact share of a total split over parts (every byte and MAC is
// counted once: the shares of 0..n sum to the total).
#pragma once
#include <cstdint>

namespace nnasim {

// ceil(a / b) for a >= 0; 0 when b <= 0 (an empty split).
inline int64_t ceil_div(int64_t a, int64_t b) { return b <= 0 ? 0 : (a + b - 1) / b; }

// Bytes of `elements` values of `bits` each, packed.
inline int64_t bytes_of(int64_t elements, int bits) { return ceil_div(elements * bits, 8); }

// The share [a, b) of `total` split over `n` parts: total*b/n - total*a/n, exact under summation.
// In 64 bits when total*b fits (nearly always), else in 128 (total bytes up to 2^48 times an index
// up to 2^31); the same value either way.
inline int64_t share(int64_t total, int64_t a, int64_t b, int64_t n) {
  if (!n) return 0;
  int64_t tb = 0, ta = 0;
  if (!__builtin_mul_overflow(total, b, &tb) && !__builtin_mul_overflow(total, a, &ta)) return tb / n - ta / n;
  return static_cast<int64_t>((__int128)total * b / n - (__int128)total * a / n);
}

}  // namespace nnasim
