// ONNX: graph::load_model on a .onnx file (protobuf parsing, the importer, shape checks), with
// unknown operators allowed so that the importer's element-wise path is reached too.
#include "fuzz/fuzz_common.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] {
    nnasim::graph::LoadOptions lo;
    lo.allow_unknown_ops = size % 2 == 0;
    auto g = nnasim::graph::load_model(nnasim::fuzz::write_scratch(data, size, ".onnx"), lo);
    nnasim::graph::prepare(g, {});
  });
}
