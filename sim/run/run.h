// The run recipe, in one place: load a model, prepare it (passes, quantisation, compression),
// schedule it, simulate it and build its report. Called by every CLI command, traces, sweeps,
// benchmarks and tests, so that none of them keeps its own copy of the sequence.
#pragma once
#include <optional>
#include <string>

#include "sim/config/hw_spec.h"
#include "sim/graph/compress.h"
#include "sim/graph/graph.h"
#include "sim/graph/passes.h"
#include "sim/report/report.h"

namespace nnasim::run {

// What to load and how to prepare it.
struct ModelSpec {
  std::string model;               // a file (.onnx, .yaml, SCALE-Sim .csv) or a zoo name
  bool allow_unknown_ops = false;
  graph::PrepareOptions prepare;   // bit widths and number format
  std::string compress;            // "cluster:K" or empty
  SourceLoc compress_loc{"--compress", 0};
};

// Wall-clock time of the recipe's steps (for bench/, never in a report).
struct StepTimes {
  double load_ms = 0, prepare_ms = 0, schedule_ms = 0, simulate_ms = 0;
};

// Loads and prepares a model: passes, quantisation, then compression (re-annotated).
graph::Graph load_prepared(const ModelSpec& m, StepTimes* times = nullptr);

// The compression step of load_prepared on its own (numerics keeps the uncompressed graph as its
// reference): clusters the eligible layers' kernels, then re-annotates costs.
void compress(graph::Graph& g, const graph::CompressSpec& spec, uint64_t seed = 1);

struct RunOutput {
  sched::Schedule schedule;
  hw::SimResult sim;
  report::Report report;
  StepTimes times;
};

// Schedules and simulates one inference of a prepared graph. One SystemC elaboration per
// process: call it once per process (a sweep forks a child per point).
RunOutput simulate_inference(const graph::Graph& g, const HardwareSpec& hw, const sched::SchedOptions& opt);

// The second half of simulate_inference, for a schedule made already (a sweep worker plans before
// it forks the point's child): simulates it and builds the report.
RunOutput simulate_schedule(const graph::Graph& g, const HardwareSpec& hw, sched::Schedule schedule);

}  // namespace nnasim::run
