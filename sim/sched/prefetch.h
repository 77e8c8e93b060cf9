// Deep weight prefetch: a pass over an emitted Program that moves weight loads of coming layers
// into the DMA streams of earlier layers whose DRAM channel would otherwise idle (compute-bound
// layers), as far ahead as each core's OCM allows — the weight double-buffering of TPU-like
// accelerators stretched across layers, so that a memory-bound network keeps its channel busy.
//
// On each core, a layer's weight loads are taken in order (a prefix of them) and, in that order
// across layers, given to the earliest earlier layer that
//  - has channel time to spare: its compute lower bound (bound.h; a conservative duration) times the
//    channel's rate per core, less the DRAM bytes it moves itself, and
//  - leaves room for them in OCM: on every layer from that one to the consumer, the OCM the
//    Program allocates there (computed by walking the core's allocations in stream order) plus
//    the bytes already moved ahead stay within the capacity.
// A moved load waits only for the start of the layer it is issued in, allocates its bytes when it
// starts and frees them when its layer ends; it is spread among that layer's own transfers in the
// in-order DMA stream. Its readers keep waiting for it, so no compute reads weights before they
// arrive; the loads the layer still issues itself keep their buffer dependencies (conservative).
// The Ocm module checks at run time that nothing overfills.
#pragma once
#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"
#include "sim/program/program.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

struct PrefetchStats {
  int64_t loads = 0;  // weight loads moved to an earlier layer
  int64_t bytes = 0;  // their bytes
};

// Rewrites `prog` in place (command order and dependencies); returns what it moved.
PrefetchStats prefetch_weights(program::Program& prog, const graph::Graph& g, const HardwareSpec& hw, const Plan& plan);

}  // namespace nnasim::sched
