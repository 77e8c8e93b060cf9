// The whole flow for one inference: prepared graph + hardware -> plan -> Program -> SystemC ->
// report. Used by `nnasim run`, `nnasim replay` and sweep points.
#pragma once
#include "sim/report/report.h"

namespace nnasim::report {

struct RunOutput {
  sched::Schedule schedule;
  hw::SimResult sim;
  Report report;
};

// Simulates one inference. May be called once per process (one SystemC elaboration).
RunOutput simulate_inference(const graph::Graph& g, const HardwareSpec& hw, const sched::SchedOptions& opt);

}  // namespace nnasim::report
