// Sweep spec YAML: sweep::load_sweep (axes, ranges, zip, hardware keys checked against the files).
#include "fuzz/fuzz_common.h"
#include "sim/sweep/spec.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] {
    nnasim::sweep::SpecOptions o;
    o.source_dir = NNASIM_SOURCE_DIR;
    o.max_points = 64;  // the expansion is what is fuzzed, not a large grid
    nnasim::sweep::load_sweep(nnasim::fuzz::write_scratch(data, size, ".yaml"), o);
  });
}
