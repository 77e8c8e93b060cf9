// --set KEY=VALUE: the input is "KEY=VALUE" (or just a value for a fixed key), applied to the
// shipped series4-1core.yaml as the CLI does.
#include "fuzz/fuzz_common.h"
#include "sim/config/hw_config.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  auto eq = s.find('=');
  std::string key = eq == std::string::npos ? "dram.bandwidth" : s.substr(0, eq);
  std::string value = eq == std::string::npos ? s : s.substr(eq + 1);
  return nnasim::fuzz::run([&] {
    nnasim::config::load_hardware(std::string(NNASIM_SOURCE_DIR) + "/configs/hw/series4-1core.yaml",
                                  {{key, value, {"--set " + key, 0}}});
  });
}
