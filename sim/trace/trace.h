// Layer traces (record and replay) and the Chrome/Perfetto timeline.
#pragma once
#include <iosfwd>
#include <string>

#include "sim/graph/graph.h"
#include "sim/report/pipeline.h"

namespace nnasim::trace {

// The layer trace of a run: JSON Lines, a header then one record per layer (README "Layer traces").
void write_trace(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const report::RunOutput& run);

// Chrome trace-event JSON: one track per core unit and one for the DRAM channel.
void write_timeline(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const report::RunOutput& run);

}  // namespace nnasim::trace
