// Cluster compression of convolution kernels (Son, Nah, Lee, ECCV 2018; see FACTS.md).
#pragma once
#include <cstdint>
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

struct CompressSpec {
  int clusters = 0;  // K; 0 = none
};

// Parses "cluster:K" (K >= 2); throws InputError at `where` otherwise.
CompressSpec parse_compress(const std::string& text, const SourceLoc& where);

// Applies cluster compression to every eligible conv layer, setting Layer::compression (and, when
// the layer has real weights, replacing them by their reconstruction). Re-run annotate() after.
void cluster_compress(Graph& g, const CompressSpec& spec, uint64_t seed = 1);

}  // namespace nnasim::graph
