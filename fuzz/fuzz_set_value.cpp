// --set KEY=VALUE: the input is "KEY=VALUE" (or just a value for a fixed key), applied as the CLI
// applies it (config::load_hardware with one override) to a base hardware file. The base is the
// smallest complete description (every required key, one line each, written once at start-up), not
// a shipped config: what is fuzzed here is the override's path (the key's lookup, the value's YAML,
// its parse, unit and range, the tree it leaves), which is the same on any base, and the shipped
// files' own content is the hw_yaml harness's. Parsing series4-1core.yaml for every input was nine
// tenths of this harness's time under ASan (bench/fuzz_long_run.md).
#include "fuzz/fuzz_common.h"
#include "sim/config/hw_config.h"

static std::string base;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  base = nnasim::fuzz::scratch_dir() + "/base.yaml";
  std::ofstream out(base);
  out << "name: base\n"
         "clock: 1 GHz\n"
         "cores: {count: 2}\n"
         "mac_array: {rows: 32, cols: 32, dataflow: weight_stationary, accumulator: {size: 64 KiB, entries_per_cycle: 32},\n"
         "  throughput: [{format: int, weight_bits: 8, act_bits: 8, macs_per_cycle: 1024}]}\n"
         "ocm: {size: 1 MiB, bytes_per_cycle: 64}\n"
         "dma: {bytes_per_cycle: 32, outstanding: 2}\n"
         "vector: {elements_per_cycle: 16}\n"
         "dram: {bandwidth: 10 GB/s, latency: 50 ns}\n"
         "energy: {mac: [{format: int, weight_bits: 8, act_bits: 8, energy: 0.2 pJ}], vector_op: 1 pJ,\n"
         "  dram_read: 20 pJ/B, dram_write: 20 pJ/B, static_power: 0.1 W}\n";
  if (!out) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  auto eq = s.find('=');
  std::string key = eq == std::string::npos ? "dram.bandwidth" : s.substr(0, eq);
  std::string value = eq == std::string::npos ? s : s.substr(eq + 1);
  return nnasim::fuzz::run([&] { nnasim::config::load_hardware(base, {{key, value, {"--set " + key, 0}}}); });
}
