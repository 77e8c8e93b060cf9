// Sweep spec YAML: sweep::load_sweep (axes, ranges, zip, hardware keys checked against the files).
// load_sweep reads the model zoo's list and the base hardware file for every spec: both come from
// a copy of the source tree written once at start-up (configs/hw/*.yaml as their YAML trees
// without comments, models/zoo.yaml cut to what load_zoo reads, the model files linked), so each
// input costs the spec's work, not a rescan of the shipped files' comments and catalogue.
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
    if (e.path().filename() != "zoo.yaml") fs::create_symlink(fs::absolute(e.path()), to);
  }
  // The zoo list holds only what load_zoo reads (the classifiers' names and top-1 figures: a
  // third of its bytes); checked to give the same Zoo as the shipped file.
  const std::string zoo = (src / "models" / "zoo.yaml").string();
  YAML::Node nets;
  for (const auto& n : YAML::LoadFile(zoo)["networks"]) {
    if (n["task"]) continue;
    YAML::Node k;
    for (const char* key : {"name", "file", "top1", "top1_by_weight_bits"})
      if (n[key]) k[key] = n[key];
    nets.push_back(k);
  }
  YAML::Node root;
  root["networks"] = nets;
  const std::string trimmed = tree + "/models/zoo.yaml";
  std::ofstream(trimmed) << YAML::Dump(root) << "\n";
  const auto a = nnasim::sweep::load_zoo(zoo), b = nnasim::sweep::load_zoo(trimmed);
  auto same = [](const auto& x, const auto& y) {
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
      if (i->first != j->first || i->second.size() != j->second.size()) return false;
    return true;
  };
  if (a.names != b.names || a.top1 != b.top1 || !same(a.top1_by_bits, b.top1_by_bits)) std::abort();
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
