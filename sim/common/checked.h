// Overflow-checked integer arithmetic for sizes, shapes and byte counts built from user input.
// Every product of user-given dimensions goes through these: a result that does not fit is an
// InputError naming what was being computed, never a wrapped value.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>

#include "sim/common/error.h"

namespace nnasim {

// Documented limits (README "Limits"): any one dimension (channels, height, width, kernel,
// stride, pad, dilation, groups, features) is at most 2^31 - 1; any tensor or weight set is at
// most 2^48 bytes; MAC counts stay below 2^62.
constexpr int64_t kMaxDim = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxTensorBytes = int64_t(1) << 48;
constexpr int64_t kMaxCount = int64_t(1) << 62;

// a * b, a + b: throw InputError(loc, "<what> overflows ...") when the result leaves int64 or
// exceeds `limit`.
int64_t checked_mul(int64_t a, int64_t b, const SourceLoc& loc, const std::string& what, int64_t limit = kMaxCount);
int64_t checked_add(int64_t a, int64_t b, const SourceLoc& loc, const std::string& what, int64_t limit = kMaxCount);
int64_t checked_product(std::initializer_list<int64_t> xs, const SourceLoc& loc, const std::string& what,
                        int64_t limit = kMaxCount);

// Non-throwing forms: false on overflow.
inline bool mul_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool add_overflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

// A dimension-like value: `lo <= v <= hi`, else InputError "'key': v is ... expected lo..hi".
void check_range(int64_t v, int64_t lo, int64_t hi, const SourceLoc& loc, const std::string& key);

}  // namespace nnasim
