// The mapper's decisions for one network on one hardware description, before any command is
// emitted: where each activation lives (on chip or in DRAM), which weights stay resident in steady
// state, and for each layer how it is split across cores and tiled within a core's OCM.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"

namespace nnasim::sched {

enum class Mode { Steady, Cold };
const char* to_string(Mode m);

enum class Split { Channels, Rows };
enum class LoopOrder { WeightsOuter, InputsOuter };

struct SchedOptions {
  Mode mode = Mode::Steady;
};

// How one layer runs on one core (all active cores get the same shape of work; the last may get
// less).
struct Tiling {
  int64_t channel_tiles = 1;  // tiles over this core's output channels
  int64_t row_tiles = 1;      // tiles over this core's output rows
  int64_t k_tiles = 1;        // dense MAC layers: tiles over the input channels (the reduction); the
                              // partial sums of an output tile stay in OCM as 32-bit accumulators
  LoopOrder order = LoopOrder::WeightsOuter;
  int64_t working_set = 0;    // per-core OCM bytes for buffers (double-buffered streams)
  int64_t dram_bytes = 0;     // estimated DRAM traffic of the whole layer (all cores)
  double est_seconds = 0;     // estimate used to choose among equal-traffic tilings
};

struct LayerPlan {
  int layer = 0;
  Split split = Split::Channels;
  int active_cores = 1;
  Tiling tiling;
  bool output_on_chip = false;      // the output stays in OCM for its consumers
  std::vector<bool> input_on_chip;  // per input
  int64_t pinned_weight_bytes = 0;  // weights resident across inferences (steady mode)
  int64_t resident_bytes = 0;       // per core: activations on chip while this layer runs (incl. its own)
};

struct Plan {
  Mode mode = Mode::Steady;
  std::vector<LayerPlan> layers;  // one per graph layer (the input layer has an empty plan)
  int64_t pinned_weight_bytes = 0;  // total, all cores
  int64_t pinned_per_core = 0;
  int64_t est_dram_bytes = 0;
  bool feasible = true;  // internal to the planner: false for a weight budget that leaves a layer no tiling
};

// Decides residency and tiling. Throws InputError (at the layer's SourceLoc) when a layer's
// smallest tile does not fit in OCM, naming the bytes it needs, and when the hardware cannot run a
// layer's number format or bit widths.
Plan make_plan(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt);

}  // namespace nnasim::sched
