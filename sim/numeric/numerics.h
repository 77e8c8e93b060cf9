// Numerical error of a number format on a whole network: per-layer SQNR against FP32, each
// layer fed the FP32 reference input (so errors do not compound), and the end-to-end SQNR of
// the network run entirely in the format. The engine behind `nnasim numerics`.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/numeric/functional.h"

namespace nnasim::numeric {

struct LayerNumerics {
  int layer = 0;        // index in the graph
  bool mac = false;     // Conv or FC
  double sqnr_db = 0;   // this layer's output in the format vs FP32, both on the FP32 input
};

struct NumericsResult {
  std::vector<LayerNumerics> layers;  // every layer but the inputs, in graph order
  double mean_sqnr_db = 0;            // mean of sqnr_db over the MAC layers (+inf if one is)
  double end_to_end_sqnr_db = 0;      // network outputs (all layers nobody consumes), end to end
  int mac_layers = 0;
};

struct NumericsOptions {
  uint64_t seed = 1;  // network input (the weights are materialised by the caller)
  int threads = 2;    // 2: the end-to-end pass runs beside the per-layer pass
};

// Every Conv/FC layer of g must have weights (materialize_weights). Input layers get
// seeded_input(shape, seed, index). Throws InternalError when a MAC layer has no weights.
// Throws InputError at the first layer the functional model cannot run (issue 10's operators,
// 3-D tensors, batches): it runs 2-D CNN operators at batch 1.
void check_functional(const graph::Graph& g);

NumericsResult analyse_numerics(const graph::Graph& g, const Datapath& dp, const NumericsOptions& opt = {});

// The same with the reference (FP32) computed on `ref` and the format run on `test`: the same
// graph with other weights, e.g. `test` cluster-compressed, so that the error counts both the
// compression and the format. Throws InternalError when the two graphs' layers differ in shape.
NumericsResult analyse_numerics(const graph::Graph& ref, const graph::Graph& test, const Datapath& dp,
                                const NumericsOptions& opt = {});

}  // namespace nnasim::numeric
