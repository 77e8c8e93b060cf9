// The YAML layer-graph format (see README "Model YAML").
#pragma once
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

Graph load_yaml_model(const std::string& path);

}  // namespace nnasim::graph
