// Layer traces: the per-layer record of a network's execution, recorded by nnasim, written by
// hand, or converted from a device profiler, replayed on other hardware without the model file.
// Two forms of the same records: JSON Lines (a header line, then one record per layer in
// execution order) and CSV (one row per layer, header names = record keys). See README
// "Layer traces" for the keys. Also the Chrome/Perfetto timeline of a run.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/run/run.h"

namespace nnasim::trace {

constexpr int kTraceVersion = 1;

// Version 1 holds 2-D CNN layers on 4-D tensors (README "Layer traces"). Throws InputError({option,
// 0}, ...) naming the first layer of `g` it cannot hold, so that --trace-out never writes a trace
// that replay would refuse or read differently. Called before simulating.
void check_traceable(const graph::Graph& g, const std::string& option);

// Writes the trace of a run (JSON Lines).
void write_trace(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const run::RunOutput& run);

// A loaded trace: the graph it describes and, per layer (same order as graph layers), what the
// recording run or a device measured.
struct Measured {
  std::optional<double> seconds, energy_joules;
};
struct Trace {
  std::string model, hardware;
  std::string mode;                // steady or cold, as recorded; empty when the trace does not say
  graph::Graph graph;              // already prepared (folded, fused, quantised): replay only schedules it
  std::vector<Measured> measured;  // per graph layer
};

// Reads a .jsonl or .csv trace; every malformed record is an InputError at its line.
Trace read_trace(const std::string& path);

// Copies measured figures into a report's layers (matched by name).
void attach_measured(report::Report& r, const Trace& t);

// Chrome trace-event JSON (Perfetto, chrome://tracing): one track per core's MAC array, DMA, LNS
// unit and vector unit, one for the DRAM channel, and DRAM bandwidth as a counter track. Above
// `max_slices` commands, consecutive commands of one layer on one track merge into one slice (the
// metadata says so).
void write_timeline(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const run::RunOutput& run,
                    size_t max_slices = 200000);

}  // namespace nnasim::trace
