// Layer trace, CSV: trace::read_trace on a .csv file.
#include "fuzz/fuzz_common.h"
#include "sim/trace/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] { nnasim::trace::read_trace(nnasim::fuzz::write_scratch(data, size, ".csv")); });
}
