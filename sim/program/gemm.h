// The GEMM view of one MAC tile: the shape every law (systolic cycles, accumulator traffic) and
// every Compute command speaks in. M output pixels x K reduction x N filters, `groups` times.
// A streamed tile (sched/stream.h) runs one fold of the array as several commands, each a chunk
// of the streamed extent: only the first fills the array's stationary operand (`fill`), only the
// last skews and drains it (`drain`). Both are true for a command that is a whole fold.
#pragma once
#include <cstdint>

namespace nnasim::program {

struct Gemm {
  int64_t m = 0;       // output pixels
  int64_t k = 0;       // reduction per group
  int64_t n = 0;       // filters per group
  int64_t groups = 1;  // independent GEMMs of the same size
  bool fill = true;    // this command loads the stationary operand (false: it continues the last one's fold)
  bool drain = true;   // this command drains the fold (false: the next command continues it)
};

}  // namespace nnasim::program
