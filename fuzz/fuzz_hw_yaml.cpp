// Hardware YAML: config::load_hardware.
#include "fuzz/fuzz_common.h"
#include "sim/config/hw_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] { nnasim::config::load_hardware(nnasim::fuzz::write_scratch(data, size, ".yaml")); });
}
