// Loads a model by file type: .yaml/.yml (nnasim layer graph), .onnx, .csv (SCALE-Sim topology).
// A bare name ("resnet50") is looked up in the model zoo folder (models/).
#pragma once
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

struct LoadOptions {
  bool allow_unknown_ops = false;  // ONNX: cost unknown operators as zero-MAC element-wise layers
};

// Resolves "resnet50" to "<models dir>/resnet50.onnx" (or .yaml); a path is returned unchanged.
std::string resolve_model_path(const std::string& name_or_path);
// The models/ folder: $NNASIM_MODELS, else <source dir>/models.
std::string models_dir();

Graph load_model(const std::string& name_or_path, const LoadOptions& opt = {});

}  // namespace nnasim::graph
