// Lower bounds on the time of each layer and of the whole inference, against which the report
// measures the schedule (`efficiency` = bound / simulated). A simulated time below its bound is a
// bug (tests check every zoo network).
//
// A layer's bound is the larger of
//  - compute: the layer's whole GEMM mapped once on one MAC array (the systolic law of
//    sim/hw/systolic.h at the hardware's dataflow, weight preloading and drain convention, the
//    best of packing groups or running them one by one), stretched for operand widths, and at
//    least the cycles the OCM port needs to read every input and weight once and write every output
//    once; divided over the cores. Splitting a GEMM into tiles or over cores only adds folds, so
//    no schedule beats this. Vector layers: their element operations and bytes over the vector
//    unit's and the OCM port's rates.
//  - DRAM: the bytes every schedule must move (cold mode: the layer's weights; both modes: inputs
//    that are network inputs and outputs that are network outputs) over the channel's rate shared
//    by all cores (dram_share.h).
// The total bound is the larger of the summed compute bounds and all compulsory DRAM bytes over
// the rate (in steady mode this includes weights beyond what all OCM could hold), so it stays a
// bound when layers overlap.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"
#include "sim/program/gemm.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

struct LayerBound {
  double compute_seconds = 0;
  double dram_seconds = 0;
  int64_t dram_bytes = 0;  // compulsory DRAM traffic
  double seconds() const { return compute_seconds > dram_seconds ? compute_seconds : dram_seconds; }
};

struct Bounds {
  std::vector<LayerBound> layers;  // one per graph layer (the input layers' are zero)
  double compute_seconds = 0;      // sum over layers
  double dram_seconds = 0;         // all compulsory DRAM bytes over the channel
  int64_t dram_bytes = 0;
  double seconds() const { return compute_seconds > dram_seconds ? compute_seconds : dram_seconds; }
};

LayerBound layer_bound(const graph::Graph& g, const HardwareSpec& hw, int layer, Mode mode);
Bounds bounds(const graph::Graph& g, const HardwareSpec& hw, Mode mode);

// Cycles of a whole GEMM at the best packing of its groups on one array (the compute bound's
// systolic part, before operand-width stretching).
int64_t best_systolic_cycles(const HardwareSpec& hw, const program::Gemm& g);

}  // namespace nnasim::sched
