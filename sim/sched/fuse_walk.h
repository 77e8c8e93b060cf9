// The work of a fused group on one core as a sequence of steps (loads, computes, stores), walked
// once by the planner's estimate and once by the emitter, so that both always agree on what a
// fused group does (as layer_cost.h is for single layers). Internal to fuse*.cpp.
#pragma once
#include <cstdint>
#include <climits>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/common/int_math.h"
#include "sim/graph/graph.h"
#include "sim/program/gemm.h"
#include "sim/sched/fuse.h"
#include "sim/sched/layer_cost.h"

namespace nnasim::sched::fuse_detail {

using nnasim::bytes_of;
using nnasim::ceil_div;
using nnasim::share;

// The group's layers as the walk sees them.
struct GroupGeo {
  int first = 0, last = 0;
  std::vector<LayerGeo> geo;
  std::vector<RowMap> maps;
  std::vector<int64_t> streamed_w, weight_bytes;  // per layer
  std::vector<int> extra;         // per layer: a join's input index read from outside the group, or -1
  std::vector<bool> extra_dram;   // ... and whether it comes from DRAM (else it lies in OCM)
  bool in_dram = true;   // the group's input comes from DRAM (else it lies in OCM)
  bool out_dram = true;  // the group's output goes to DRAM (else it stays in OCM)
  int G() const { return static_cast<int>(geo.size()); }
};
GroupGeo group_geo(const graph::Graph& g, const Plan& plan, int first, int last);

enum class StepKind { InLoad, XLoad, WLoad, Compute, Store };  // XLoad: a join's other operand
struct Step {
  StepKind kind = StepKind::Compute;
  int j = 0;              // layer of the group
  int64_t bytes = 0;      // loads, stores: DRAM bytes
  program::Gemm gemm;     // compute on the MAC array (geo.mac)
  int64_t ops = 0;        // compute: MACs or vector ops
  int64_t ocm_read = 0, ocm_write = 0;
  bool first_block = false;  // compute: the first of its layer in this band
  bool band_start = false;   // the first step of a band
};

// Per-core figures of a walk.
struct WalkSum {
  int64_t buffers = 0;          // OCM of the group's buffers (what the emitter allocates)
  int64_t spill = 0;            // the most partial-sum OCM a compute may spill (MacArray allocates it)
  int64_t dram = 0, transfers = 0, first_bytes = 0, last_bytes = 0;
  int64_t compute_cycles = 0;
  int64_t ocm_read = 0, ocm_write = 0, dram_write = 0;
  int64_t macs = 0, commands = 0;
  // The steps' timeline: the in-order DMA engine (latency overlapped over dma.outstanding
  // transfers, the channel's share per core from dram_share.h) and the in-order MAC/vector units,
  // each compute after the loads it reads and the layer before it in the band, each load into a
  // double-buffered slot after the computes that read it two loads ago, each store after its
  // compute and issued after the next band's first load (as the emitter does).
  double seconds = 0;
};

// Walks core `core`'s share of the group (of `fg.active_cores`), calling `on(step)` for each step
// in issue order; returns the sums. When the buffers exceed `limit` bytes, returns before the
// steps (buffers set, nothing else).
template <class F>
WalkSum walk(const HardwareSpec& hw, const GroupGeo& gg, const FusedGroup& fg, int core, F&& on,
             int64_t limit = INT64_MAX);
WalkSum walk_sum(const HardwareSpec& hw, const GroupGeo& gg, const FusedGroup& fg, int core, int64_t limit = INT64_MAX);

}  // namespace nnasim::sched::fuse_detail

#include "sim/sched/fuse_walk_impl.h"
