#include "sim/graph/load.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "sim/common/files.h"
#include "sim/graph/onnx_model.h"
#include "sim/graph/scalesim_csv.h"
#include "sim/graph/yaml_model.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

namespace nnasim::graph {
namespace fs = std::filesystem;

std::string models_dir() {
  if (const char* env = std::getenv("NNASIM_MODELS")) return env;
  return std::string(NNASIM_SOURCE_DIR) + "/models";
}

std::string resolve_model_path(const std::string& name) {
  if (path_exists(name) || name.find('/') != std::string::npos || fs::path(name).has_extension()) return name;
  for (const char* ext : {".onnx", ".yaml", ".csv"}) {
    fs::path p = fs::path(models_dir()) / (name + ext);
    if (path_exists(p.string())) return p.string();
  }
  return name;
}

Graph load_model(const std::string& name_or_path, const LoadOptions& opt) {
  std::string path = resolve_model_path(name_or_path);
  if (!path_exists(path))
    throw InputError({path, 0}, fmt::format("no such model file (nor a model named '{}' in {})", name_or_path,
                                            models_dir()));
  std::string ext = fs::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml") return load_yaml_model(path);
  if (ext == ".onnx") return load_onnx_model(path, opt.allow_unknown_ops);
  if (ext == ".csv") return load_scalesim_csv(path);
  throw InputError({path, 0}, fmt::format("unknown model type '{}': expected .yaml, .onnx or .csv (SCALE-Sim topology)", ext));
}

}  // namespace nnasim::graph
