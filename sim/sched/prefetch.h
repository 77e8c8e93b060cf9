// Deep weight prefetch: a pass over an emitted Program that moves weight loads of coming layers
// into the DMA streams of earlier layers, as far ahead as each core's OCM allows — the weight
// double-buffering of TPU-like accelerators stretched across layers, so that the DRAM channel,
// idle while compute-bound layers run, fetches what memory-bound layers will need.
//
// On each core, the weight loads that layers issue themselves are taken in order (across layers,
// and a prefix of each layer's) and given to the earliest earlier layer after which, on every
// layer up to the consumer, the OCM the Program allocates there (walking the core's allocations
// in stream order, plus the partial sums a compute may spill) and the bytes already moved ahead
// stay within the capacity (no load moves into, out of or across a fused group, fuse.h). The first load that does not fit stops the core's queue there, so the
// order of weight arrival follows the order of use.
//
// A moved load waits only for the start of the layer it is issued in, allocates its bytes when it
// starts and frees them when its consumer ends; it is marked `background`: the DMA engine runs
// background loads as a stream of their own, on lanes of their own (half as many), and the DRAM
// channel gives them only the bandwidth the other transfers leave (hw/dram_channel.h), so a
// prefetch never slows the layer it runs beside. Its readers keep waiting for it, so no compute
// reads weights before they arrive; the loads a layer still issues itself keep their buffer
// dependencies (conservative). The Ocm module checks at run time that nothing overfills.
#pragma once
#include "sim/config/hw_spec.h"
#include "sim/program/program.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

struct PrefetchStats {
  int64_t loads = 0;  // weight loads moved to an earlier layer
  int64_t bytes = 0;  // their bytes
};

// Rewrites `prog` in place (command order, dependencies, allocations); returns what it moved.
PrefetchStats prefetch_weights(program::Program& prog, const HardwareSpec& hw, const Plan& plan);

}  // namespace nnasim::sched
