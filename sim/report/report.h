// What a run reports: per inference and per layer, time, traffic and energy. Built from the
// simulation's counters (build_report) and written by the writers in writers.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/energy/area.h"
#include "sim/energy/energy_model.h"
#include "sim/graph/graph.h"
#include "sim/hw/system.h"
#include "sim/sched/scheduler.h"

namespace nnasim::report {

struct LayerReport {
  std::string name;
  std::string op;
  int64_t macs = 0;
  int64_t params = 0;
  int64_t weight_bytes = 0;
  double start_seconds = 0;
  double seconds = 0;  // wall time attributed to the layer (end of previous layer to its end)
  int64_t cycles = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t dram_weight_bytes = 0;  // part of dram_read that is weights
  int64_t ocm_read_bytes = 0, ocm_write_bytes = 0;
  int64_t lns_conversions = 0;
  int64_t lns_macs = 0;
  int64_t vector_ops = 0;
  int64_t accumulator_reads = 0, accumulator_writes = 0;  // partial-sum entries (sim/hw/accumulator.h)
  int64_t accumulator_spill_bytes = 0;                    // of them, bytes spilled to OCM and read back (each way)
  energy::Breakdown energy;
  std::string bound;  // "compute" or "memory"
  // Lower bound on the layer's time (sim/sched/bound.h) and bound / seconds.
  double bound_seconds = 0, efficiency = 1;
  double compute_seconds = 0, dma_seconds = 0;  // busiest core's unit time in this layer
  std::string split;
  std::string mapping;  // the mapper's choice in words (sched::describe)
  double planned_seconds = 0;  // the mapper's estimate of the layer's time
  double exclusive_seconds = 0;  // the part of the window after the layer before ended (these add up to the total)
  int cores = 1;
  int64_t tiles = 0;
  bool output_on_chip = false;
  int fusion_group = -1;  // the fused group (sched/fuse.h) the layer runs in, or -1
  int64_t resident_weight_bytes = 0;
  int weight_bits = 8, act_bits = 8;
  std::string format;
  // From a replayed trace that carries a device's figures.
  std::optional<double> measured_seconds, measured_energy_joules;
  // (measured / simulated - 1) x 100: positive when the device was slower than simulated.
  std::optional<double> error_pct() const {
    if (!measured_seconds || seconds <= 0) return std::nullopt;
    return (*measured_seconds / seconds - 1.0) * 100.0;
  }
  // The same for energy: (measured / simulated - 1) x 100, positive when the device used more.
  std::optional<double> energy_error_pct() const {
    if (!measured_energy_joules || energy.total() <= 0) return std::nullopt;
    return (*measured_energy_joules / energy.total() - 1.0) * 100.0;
  }
};

struct Report {
  std::string model;
  std::string hardware;
  std::string mode;
  int cores = 1;
  double clock_hz = 0;
  double seconds = 0;   // one run of the graph: the latency of a batch (of one inference at batch 1)
  int64_t cycles = 0;
  int64_t batch = 1;    // inferences per run (--batch, or a batch fixed in the model's input)
  double inferences_per_second = 0;  // batch / seconds
  // Per inference (= the run's figure / batch).
  double seconds_per_inference() const { return seconds / double(batch); }
  double joules_per_inference() const { return energy.total() / double(batch); }
  std::vector<std::string> unsupported;  // layers of operators nnasim does not know (zero MACs)
  std::vector<std::string> fusion_groups;  // each fused group in words (sched::describe), by group id
  double mac_utilization = 0;
  double bound_seconds = 0, efficiency = 1;  // whole inference (sim/sched/bound.h)
  int64_t macs = 0, params = 0, weight_bytes = 0;
  int64_t dram_read_bytes = 0, dram_write_bytes = 0, dram_weight_bytes = 0;
  int64_t ocm_read_bytes = 0, ocm_write_bytes = 0;
  int64_t accumulator_reads = 0, accumulator_writes = 0, accumulator_spill_bytes = 0;
  int64_t resident_weight_bytes = 0;  // steady mode: weights that stay in OCM across inferences
  int64_t ocm_peak_bytes = 0;         // highest per-core occupancy seen
  energy::Breakdown energy;
  double tops_per_watt = 0;
  // OCM cost per core as used (from its capacity, or pinned by the config) and chip static power.
  double ocm_read_j_per_byte = 0, ocm_write_j_per_byte = 0, ocm_leakage_w = 0;
  bool ocm_cost_pinned = false;
  double static_power_w = 0;
  // Area (when the hardware has an area table), peak and achieved tera-operations per second.
  std::optional<energy::Area> area;
  std::string technology_node;
  double peak_tops = 0;
  double tops() const { return seconds > 0 ? 2.0 * double(macs) / seconds / 1e12 : 0; }
  int64_t events = 0;  // commands simulated
  std::vector<LayerReport> layers;
};

// Comparison of one figure (time or energy) with a device's measurements.
struct MetricComparison {
  int layers = 0;                 // layers with a measured figure
  double measured = 0;            // sum over those layers (s or J)
  double simulated = 0;           // same layers, simulated
  double error_pct = 0;           // total: (measured / simulated - 1) x 100
  double mean_abs_error_pct = 0;  // over layers
  std::vector<int> worst;         // indices into Report::layers, largest |error| first (at most 5)
};
// Comparison with measured figures (when any layer has them): time and energy separately, each
// over the layers that carry it.
struct Comparison {
  MetricComparison time, energy;
};
std::optional<Comparison> compare_measured(const Report& r);

// Builds the report of one simulated inference. Totals are the sums of the layers; the DRAM and
// OCM module counters are checked against them (a mismatch is an InternalError).
Report build_report(const graph::Graph& g, const HardwareSpec& hw, const sched::Schedule& s,
                    const hw::SimResult& r);

}  // namespace nnasim::report
