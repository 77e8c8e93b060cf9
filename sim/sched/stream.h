// Streaming tiles of a dense MAC layer (convolution with one group, fully connected).
//
// A tile of whole operands must sit in OCM with its inputs, weights and outputs at once, so a
// small OCM forces small tiles and every tile re-pays the array's fill and drain. A streaming
// tile instead keeps the array's stationary operand for a block and streams the moving one
// through it in chunks staged in double-buffered OCM blocks, as real arrays (and SCALE-Sim) do:
//   weight stationary  for each block of nb channels x kb of the reduction (its weights, loaded once)
//                        stream the core's pixels in chunks of mb (inputs of those kb, in DRAM or OCM);
//                      partial sums of the nb channels stay in the accumulator memory between
//                      reduction blocks when all of them fit it (ps_acc), else in OCM (hold_ps) or
//                      go to DRAM and back. A block of several row folds whose pixels' partial
//                      sums would spill from the accumulator may instead stream its pixels in
//                      chunks that fit, each chunk re-filling the array (chunking vs spill).
//   output stationary  for each block of mb pixels x nb channels (its outputs, in the array)
//                        stream the reduction in chunks of kb (inputs and weights of that chunk).
// When the block is one fold of the array, its chunks continue the fold (Gemm::fill/drain): the
// array fills and drains once per fold whatever the chunk size, so a small OCM costs re-fetched
// inputs (one pass per channel block unless hold_in) rather than array time. A block of several
// folds runs each chunk as whole folds.
//
// The cores form a grid: gc groups over output channels x gp groups over output pixels.
//
// The planner's estimate (stream_cost) and the emitter (emit_stream_core) describe the same loop
// nest; the estimate uses the same law (hw::mac_tile_cycles) per command as the MacArray module.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/program/program.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

// Whether a layer can be mapped as streaming tiles: a dense MAC layer with one input.
bool can_stream(const LayerGeo& geo);

// Per-core figures of a streaming tiling, for the core with the most work.
struct StreamCost {
  int active_cores = 1;
  int64_t ws = 0;               // OCM bytes of buffers (per core), allocated by the emitted Program
  int64_t spill = 0;            // and of accumulator spill the MacArray allocates while a command runs
  int64_t dram = 0;             // DRAM bytes of the layer, all cores
  int64_t weight_dram = 0;      // of which weights
  int64_t write_dram = 0;       // of which writes (outputs, spilled partial sums)
  int64_t ocm = 0;              // OCM bytes read and written, all cores
  int64_t array_reads = 0;      // of which the operands streamed into the MAC arrays (hw/systolic.h)
                                // (the rest: loads, results, partial sums, accumulator spills)
  int64_t acc_reads = 0, acc_writes = 0;  // accumulator entries, all cores (hw/accumulator.h)
  int64_t transfers = 0;        // DMA transfers of the busiest core
  int64_t commands = 0;         // compute commands of the busiest core
  int64_t compute_cycles = 0;   // MAC array cycles of the busiest core
  int64_t core_dram = 0;        // DRAM bytes of the busiest core
  int64_t first_bytes = 0;      // bytes loaded before the first compute can start
  int64_t last_bytes = 0;       // bytes stored after the last compute ends
};

// `in_on_chip`/`out_on_chip`: where the layer's input and output live; `streamed_w`: weight bytes
// that come from DRAM (the rest are resident).
StreamCost stream_cost(const HardwareSpec& hw, const LayerGeo& geo, const StreamTiling& t, int64_t streamed_w,
                       bool in_on_chip, bool out_on_chip);

// Streaming tilings worth evaluating for a layer on `cores` cores. `grid_ok`: the layer's weights
// may be split other than evenly by output channel over all cores (no resident weights, or
// resident weights replicated on every core).
std::vector<StreamTiling> stream_tilings(const HardwareSpec& hw, const LayerGeo& geo, int cores, bool grid_ok,
                                         bool in_on_chip, const SchedOptions& opt);

// Emits one core's commands of a streamed layer after its start sync `start_id`. `prefetched`:
// the Load of the first weight block, already issued by the layer before (UINT32_MAX: none);
// `before_last_store` is called with the id of the last compute before the last store is issued
// (the next layer's prefetch goes there, while the DMA engine would idle).
void emit_stream_core(program::Program& prog, const HardwareSpec& hw, const LayerGeo& geo, const LayerPlan& lp,
                      int layer, int core, int64_t streamed_w, int64_t weight_bytes, uint32_t start_id, bool lns,
                      uint32_t prefetched, const std::function<void(uint32_t)>& before_last_store);

}  // namespace nnasim::sched
