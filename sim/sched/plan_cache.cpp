#include "sim/sched/plan_cache.h"

#include <fmt/format.h>

#include <limits>

namespace nnasim::sched {

// Adding a field to any of these structs needs a decision here: does stage 1 of the planner read
// it (then geometry_fingerprint must print it) or not (then geometry_view must poison it)? A wrong
// answer is a wrong plan served from the cache, so the sizes are pinned.
static_assert(sizeof(HardwareSpec) == 496, "HardwareSpec changed: update geometry_view and geometry_fingerprint");
static_assert(sizeof(MacArraySpec) == 80, "MacArraySpec changed: update geometry_fingerprint");
static_assert(sizeof(AccumulatorSpec) == 24, "AccumulatorSpec changed: update geometry_fingerprint");
static_assert(sizeof(ThroughputEntry) == 24, "ThroughputEntry changed: update geometry_fingerprint");
static_assert(sizeof(OcmSpec) == 16 && sizeof(VectorSpec) == 8, "OcmSpec/VectorSpec changed: update geometry_fingerprint");
static_assert(sizeof(LnsSpec) == 24, "LnsSpec changed: update geometry_fingerprint");
static_assert(sizeof(DramSpec) == 24 && sizeof(DmaSpec) == 16, "DramSpec/DmaSpec changed: update geometry_view");
static_assert(sizeof(SchedOptions) == 64, "SchedOptions changed: update geometry_fingerprint");

HardwareSpec geometry_view(const HardwareSpec& hw) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  HardwareSpec v;  // defaults everywhere, then the fields stage 1 may read
  v.cores = hw.cores;
  v.mac = hw.mac;
  v.ocm = hw.ocm;
  v.vector = hw.vector;
  v.lns = hw.lns;
  v.clock_hz = nan;
  v.dram.bandwidth = v.dram.latency_s = v.dram.efficiency = nan;
  v.dma.bytes_per_cycle = nan;
  v.dma.outstanding = 0;
  v.energy.lns_add_j = v.energy.lns_convert_j = v.energy.lns_accumulate_j = v.energy.vector_op_j = nan;
  v.energy.accumulator_read_j = v.energy.accumulator_write_j = nan;
  v.energy.ocm_read_j_per_byte = v.energy.ocm_write_j_per_byte = nan;
  v.energy.dram_read_j_per_byte = v.energy.dram_write_j_per_byte = nan;
  v.energy.static_power_w = v.energy.ocm_leakage_w = nan;
  v.technology.energy_scale = v.technology.area_scale = nan;
  return v;
}

std::string geometry_fingerprint(const HardwareSpec& v, const SchedOptions& o) {
  // Exact: doubles by their bits ({:a}).
  std::string s = fmt::format("cores {}|mac {} {} {} {} {} {} {} acc {:a} {} {:a}|tp", v.cores, v.mac.rows, v.mac.cols,
                              int(v.mac.dataflow), int(v.mac.arithmetic), int(v.mac.weight_preload), int(v.mac.os_drain),
                              int(v.mac.grouped), v.mac.accumulator.size_bytes, v.mac.accumulator.entry_bits,
                              v.mac.accumulator.entries_per_cycle);
  for (const auto& t : v.mac.throughput)
    s += fmt::format(" {},{},{},{}", int(t.format), t.weight_bits, t.act_bits, t.macs_per_cycle);
  s += fmt::format("|ocm {:a} {:a}|vector {:a}|lns {:a} {} {} {} {}", v.ocm.size_bytes, v.ocm.bytes_per_cycle,
                   v.vector.elements_per_cycle, v.lns.conversions_per_cycle, v.lns.latency_cycles, v.lns.int_bits,
                   v.lns.frac_bits, int(v.lns.convert));
  s += fmt::format("|opt {} {} {:a} {:a} {} {} {} {:a} {} {} {} {} {}", int(o.mode), int(o.objective), o.traffic_slack,
                   o.efficient_slack, o.steps, o.max_tiles_per_core, o.max_chunks, o.k_tile_ocm_fraction, o.streaming,
                   o.overlap, o.fusion, o.max_fuse_depth, o.reduction_split);
  return s;
}

static_assert(sizeof(Plan) == 96 && sizeof(LayerPlan) == 208 && sizeof(Tiling) == 120 && sizeof(StreamTiling) == 48 &&
                  sizeof(FusedGroup) == 88,
              "a plan struct changed: update emit_fingerprint");

std::string emit_fingerprint(const Plan& p, const HardwareSpec& hw) {
  fmt::memory_buffer b;
  auto out = std::back_inserter(b);
  fmt::format_to(out, "{}|{:a} {:a} {} {:a}|plan {} {} {} {} {} {}", geometry_fingerprint(geometry_view(hw), SchedOptions{}),
                 hw.clock_hz, hw.dram.latency_s, hw.dma.outstanding, hw.dma.bytes_per_cycle, int(p.mode),
                 p.pinned_weight_bytes, p.pinned_per_core, p.est_dram_bytes, p.overlap, p.prefetch);
  for (const auto& l : p.layers) {
    const Tiling& t = l.tiling;
    const StreamTiling& st = t.st;
    fmt::format_to(out, "|{} {} {} {} {} {} {} {}", l.layer, int(l.split), l.active_cores, l.output_on_chip,
                   l.pinned_weight_bytes, l.resident_bytes, l.fusion_group, l.input_on_chip.size());
    for (bool in : l.input_on_chip) fmt::format_to(out, "{}", in ? 1 : 0);
    fmt::format_to(out, " t {} {} {} {} {} {} {}", t.stream, t.channel_tiles, t.row_tiles, t.k_tiles, int(t.order),
                   t.working_set, t.dram_bytes);
    fmt::format_to(out, " s {} {} {} {} {} {} {} {} {} {}", st.gc, st.gp, st.gk, st.nb, st.kb, st.mb, st.hold_in,
                     st.hold_w, st.hold_ps, st.ps_acc);
  }
  for (const auto& g : p.groups)
    fmt::format_to(out, "|g {} {} {} {} {} {} {} {}", g.first, g.last, g.band_rows, g.hold_weights, g.weight_block,
                   g.active_cores, g.working_set, g.dram_bytes);
  return fmt::to_string(b);
}

RawLists& PlanCache::lists(const std::string& fingerprint) {
  for (auto it = by_print_.begin(); it != by_print_.end(); ++it)
    if (it->first == fingerprint) {
      by_print_.splice(by_print_.begin(), by_print_, it);
      return by_print_.front().second;
    }
  while (!by_print_.empty() && by_print_.size() >= max_views_) by_print_.pop_back();
  by_print_.emplace_front(fingerprint, RawLists{});
  return by_print_.front().second;
}

}  // namespace nnasim::sched
