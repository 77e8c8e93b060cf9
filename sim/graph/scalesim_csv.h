// SCALE-Sim v2 topology CSV import.
#pragma once
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

Graph load_scalesim_csv(const std::string& path);

}  // namespace nnasim::graph
