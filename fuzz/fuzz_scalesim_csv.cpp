// SCALE-Sim topology CSV: graph::load_model on a .csv file.
#include "fuzz/fuzz_common.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] {
    auto g = nnasim::graph::load_model(nnasim::fuzz::write_scratch(data, size, ".csv"), {});
    nnasim::graph::prepare(g, {});
  });
}
