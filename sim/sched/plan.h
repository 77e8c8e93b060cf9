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

// What the mapper minimises, per layer and over the whole plan.
enum class Objective { Latency, Energy, Edp };
const char* to_string(Objective o);
Objective parse_objective(const std::string& s);  // throws InputError({"--objective", 0}, ...)

// The planner's options. The tuning constants were fixed numbers; they are documented here and in
// the README (section "Mapper options"), and set from the command line with --mapper KEY=VALUE.
struct SchedOptions {
  Mode mode = Mode::Steady;
  Objective objective = Objective::Latency;
  // Plans whose estimated DRAM traffic exceeds the least traffic of any plan by more than this
  // factor are not chosen (latency objective). Default 1000: off in practice, the fastest estimate
  // wins (the estimate prices DRAM time at the shared bandwidth). It was 1.05, which made steady
  // state pin every weight that fits even when that forced channel-only core splits: HarDNet85 on
  // series4-8core ran 2x slower at 8-bit weights than at 4-bit (a residency cliff).
  double traffic_slack = 1000;
  // The OCM a layer reserves next to resident activations: its smallest working set that still
  // runs within this factor of its best estimated time.
  double efficient_slack = 1.10;
  // Resident-weight budgets tried in steady state: 1/steps, 2/steps, ... of what the OCM can spare.
  int steps = 8;
  // Tiles per core per layer at most (bounds the commands of one layer, hence simulation time).
  int max_tiles_per_core = 256;
  // Streamed chunks per fold at most (streaming tiles, see stream.h).
  int max_chunks = 64;
  // Reduction (K) tiling of whole tiles is tried when one array-width of filters cannot be
  // double-buffered in this fraction of the OCM.
  double k_tile_ocm_fraction = 0.5;
  // Streaming tiles (stream.h) may be chosen; off gives the whole-tile mapper alone.
  bool streaming = true;
  // Layers may overlap: a layer waits only for the layers it reads and for OCM, not for every core
  // to finish the layer before it; the next layer's weights are prefetched.
  bool overlap = true;
  // Deep weight prefetch (prefetch.h): weight loads of coming layers move into the DMA streams of
  // earlier layers with channel time to spare, as far ahead as OCM allows (needs overlap).
  bool prefetch = true;
  // Layer fusion (fuse.h): chains of layers may run band by band with their intermediates in OCM.
  bool fusion = true;
  // Layers in one fused group at most.
  int max_fuse_depth = 8;
};

// Sets one option by name from text ("traffic_slack", "efficient_slack", "steps",
// "max_tiles_per_core", "max_chunks", "k_tile_ocm_fraction", "streaming", "overlap", "prefetch"); throws
// InputError at `where` for an unknown name or a bad value.
void set_option(SchedOptions& o, const std::string& key, const std::string& value, const std::string& where);

// A streaming tiling of a dense MAC layer (stream.h): the cores form a grid over output channels
// and output pixels; each core runs its work as blocks of the array's stationary operand (WS:
// weights of nb channels x kb of the reduction; OS: outputs of mb pixels x nb channels) and
// streams the moving operand through them in chunks (WS: mb pixels; OS: kb of the reduction).
struct StreamTiling {
  int gc = 1, gp = 1;    // core grid: groups over output channels x groups over output pixels
  int64_t nb = 0;        // output channels per block
  int64_t kb = 0;        // WS: reduction per block; OS: reduction per streamed chunk
  int64_t mb = 0;        // WS: pixels per streamed chunk; OS: pixels per block
  bool hold_in = false;  // the core's inputs are loaded once and kept for all its channel blocks
  bool hold_w = false;   // OS: a channel block's weights are loaded once and kept for its pixel blocks
  bool hold_ps = true;   // WS: partial sums stay in OCM between reduction blocks (else DRAM and back)
  bool ps_acc = false;   // WS: ... or stay in the accumulator memory, which holds all of them (hw/accumulator.h)
};

// How one layer runs on one core (all active cores get the same shape of work; the last may get
// less).
struct Tiling {
  bool stream = false;        // a streaming tiling (the fields below `st` are then unused)
  StreamTiling st;
  int64_t channel_tiles = 1;  // tiles over this core's output channels
  int64_t row_tiles = 1;      // tiles over this core's output rows
  int64_t k_tiles = 1;        // dense MAC layers: tiles over the input channels (the reduction); the
                              // partial sums of an output tile stay in OCM as 32-bit accumulators
  LoopOrder order = LoopOrder::WeightsOuter;
  int64_t working_set = 0;    // per-core OCM bytes for buffers (double-buffered streams)
  int64_t dram_bytes = 0;     // estimated DRAM traffic of the whole layer (all cores)
  double est_seconds = 0;     // estimate used to choose among equal-traffic tilings
  double est_joules = 0;      // estimated energy of the layer (energy model, estimated actions)
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
  int fusion_group = -1;            // index into Plan::groups when the layer runs fused (fuse.h), else -1
};

// A fused group (fuse.h): graph layers first..last, a chain, run band by band over the last
// layer's output rows; intermediates stay in OCM and their halo rows are kept (cached), never
// recomputed on one core. With several cores each core takes a contiguous share of the rows and
// recomputes the halo rows at the start of its share.
struct FusedGroup {
  int first = 0, last = 0;
  int64_t band_rows = 0;       // output rows of the last layer per band
  bool hold_weights = false;   // every streamed weight of the group loaded once and kept for all bands
  int64_t weight_block = 0;    // streamed weights: bytes per block at most (each band re-loads every block)
  int active_cores = 1;        // cores sharing the rows
  int64_t working_set = 0;     // per core: OCM of the group's buffers (input, intermediates, output, weights)
  int64_t dram_bytes = 0;      // estimated DRAM traffic (all cores)
  double est_seconds = 0, est_joules = 0;
  double unfused_seconds = 0, unfused_joules = 0;  // the same layers' estimates without fusion
};

struct Plan {
  Mode mode = Mode::Steady;
  std::vector<LayerPlan> layers;  // one per graph layer (the input layer has an empty plan)
  int64_t pinned_weight_bytes = 0;  // total, all cores
  int64_t pinned_per_core = 0;
  int64_t est_dram_bytes = 0;
  bool overlap = true;   // layers wait for their producers, not for the layer before; weights prefetched
  bool prefetch = true;  // weights of coming layers loaded during earlier layers (prefetch.h)
  std::vector<FusedGroup> groups;  // fused groups, in layer order (fuse.h)
  bool feasible = true;  // internal to the planner: false for a weight budget that leaves a layer no tiling
};

// The mapping of one layer in words, for reports: e.g. "stream ws 2x4 cores, blocks 64ch x 576k,
// chunks 392px, partial sums in OCM" or "tiles 2ch x 4rows x 1k, weights outer".
std::string describe(const LayerPlan& lp, Dataflow df);

// Decides residency and tiling. Throws InputError (at the layer's SourceLoc) when a layer's
// smallest tile does not fit in OCM, naming the bytes it needs, and when the hardware cannot run a
// layer's number format or bit widths.
Plan make_plan(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt);

}  // namespace nnasim::sched
