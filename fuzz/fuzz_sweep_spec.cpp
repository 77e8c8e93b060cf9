// Sweep spec YAML: sweep::load_sweep (axes, ranges, zip, hardware keys checked against the files).
// load_sweep reads the model zoo's list and the base hardware file for every spec: both come from
// a comment-free copy of the source tree written once at start-up (configs/hw/*.yaml and
// models/zoo.yaml as their YAML trees, the model files linked), so each input costs the spec's
// work, not a rescan of the shipped files' comments.
#include "fuzz/fuzz_common.h"
#include "sim/sweep/spec.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
static std::string tree;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tree = nnasim::fuzz::scratch_dir() + "/src";
  const fs::path src(NNASIM_SOURCE_DIR);
  fs::create_directories(tree + "/models");
  for (const auto& e : fs::directory_iterator(src / "configs" / "hw"))
    if (e.path().extension() == ".yaml")
      nnasim::fuzz::write_compact_yaml(e.path().string(), tree + "/configs/hw/" + e.path().filename().string());
  for (const auto& e : fs::directory_iterator(src / "models")) {
    const fs::path to = fs::path(tree) / "models" / e.path().filename();
    if (e.path().filename() == "zoo.yaml") nnasim::fuzz::write_compact_yaml(e.path().string(), to.string());
    else fs::create_symlink(fs::absolute(e.path()), to);
  }
  setenv("NNASIM_MODELS", (tree + "/models").c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return nnasim::fuzz::run([&] {
    nnasim::sweep::SpecOptions o;
    o.source_dir = tree;
    o.max_points = 64;  // the expansion is what is fuzzed, not a large grid
    nnasim::sweep::load_sweep(nnasim::fuzz::write_scratch(data, size, ".yaml"), o);
  });
}
