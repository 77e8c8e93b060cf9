// Comparison of two run reports (`nnasim run --format json` files): totals and per-layer seconds,
// DRAM bytes, energy and efficiency side by side with ratios (B / A), layers matched by name, the
// biggest changes first.
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "sim/report/writers.h"

namespace nnasim::report {

struct Metric {
  std::string name;            // "seconds", "dram_bytes", "energy_joules", "efficiency", ...
  std::optional<double> a, b;  // absent when that report lacks the figure (or the layer)
  // b / a: exactly 1 when equal; nothing when either is absent, or a is 0 and b is not.
  std::optional<double> ratio() const;
};

struct LayerDiff {
  std::string name, op;
  std::string presence;  // "both", "only A", "only B"
  std::vector<Metric> metrics;  // seconds, dram_bytes, energy_joules, efficiency (when either has it)
};

struct RunComparison {
  std::string file_a, file_b;
  std::string model_a, model_b, hardware_a, hardware_b;
  std::vector<Metric> totals;
  std::vector<LayerDiff> layers;  // by |seconds B - seconds A|, then |energy B - energy A|, largest first
};

// Reads two report files; a file that is not a report is an InputError naming it.
RunComparison compare_runs(const std::string& file_a, const std::string& file_b);
RunComparison compare_reports(const nlohmann::json& a, const nlohmann::json& b, const std::string& file_a,
                              const std::string& file_b);

void write_comparison(std::ostream& os, const RunComparison& c, Format f);

}  // namespace nnasim::report
