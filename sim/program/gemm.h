// The GEMM view of one MAC tile: the shape every law (systolic cycles, accumulator traffic) and
// every Compute command speaks in. M output pixels x K reduction x N filters, `groups` times.
#pragma once
#include <cstdint>

namespace nnasim::program {

struct Gemm {
  int64_t m = 0;       // output pixels
  int64_t k = 0;       // reduction per group
  int64_t n = 0;       // filters per group
  int64_t groups = 1;  // independent GEMMs of the same size
};

}  // namespace nnasim::program
