// The planner's vocabulary on its own: modes, objectives, the mapper's options (--mapper KEY=VALUE)
// and the one-line description of a chosen mapping. The search itself is in plan.cpp.
#include <fmt/format.h>

#include <string>

#include "sim/common/error.h"
#include "sim/common/parse.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

const char* to_string(Mode m) { return m == Mode::Steady ? "steady" : "cold"; }

std::string describe(const LayerPlan& lp, Dataflow df) {
  const Tiling& t = lp.tiling;
  if (t.stream) {
    const StreamTiling& st = t.st;
    const bool ws = df == Dataflow::WeightStationary;
    std::string s = fmt::format("stream {} {}x{} cores (ch x px), ", ws ? "ws" : "os", st.gc, st.gp);
    if (ws)
      s += fmt::format("blocks {}ch x {}k, chunks {}px", st.nb, st.kb, st.mb);
    else
      s += fmt::format("blocks {}ch x {}px, chunks {}k", st.nb, st.mb, st.kb);
    if (st.hold_in) s += ", inputs held";
    if (st.hold_w) s += ", weights held";
    if (ws && st.ps_acc)
      s += ", partial sums in the accumulator";
    else if (ws && !st.hold_ps)
      s += ", partial sums via DRAM";
    return s;
  }
  return fmt::format("tiles {} cores by {}, {}ch x {}rows x {}k, {} outer", lp.active_cores,
                     lp.split == Split::Channels ? "channels" : "rows", t.channel_tiles, t.row_tiles, t.k_tiles,
                     t.order == LoopOrder::WeightsOuter ? "weights" : "inputs");
}

const char* to_string(Objective o) {
  switch (o) {
    case Objective::Latency: return "latency";
    case Objective::Energy: return "energy";
    case Objective::Edp: return "edp";
  }
  return "latency";
}

Objective parse_objective(const std::string& s) {
  if (s == "latency") return Objective::Latency;
  if (s == "energy") return Objective::Energy;
  if (s == "edp") return Objective::Edp;
  throw InputError({"--objective", 0}, fmt::format("unknown objective '{}': expected latency, energy or edp", s));
}

void set_option(SchedOptions& o, const std::string& key, const std::string& value, const std::string& where) {
  auto number = [&](double lo) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(value, &used);
    } catch (...) {
      used = 0;
    }
    if (used != value.size() || value.empty() || !(v >= lo) || !std::isfinite(v))
      throw InputError({where, 0}, fmt::format("mapper option {}: '{}' is not a number >= {}", key, value, lo));
    return v;
  };
  auto integer = [&](int lo) {
    const double v = number(lo);
    if (v != std::floor(v) || v > 1e6)
      throw InputError({where, 0}, fmt::format("mapper option {}: '{}' is not a whole number from {} to 1000000", key, value, lo));
    return static_cast<int>(v);
  };
  auto boolean = [&] {
    if (value == "true" || value == "on" || value == "1") return true;
    if (value == "false" || value == "off" || value == "0") return false;
    throw InputError({where, 0}, fmt::format("mapper option {}: '{}' is not true or false", key, value));
  };
  if (key == "traffic_slack") o.traffic_slack = number(1);
  else if (key == "efficient_slack") o.efficient_slack = number(1);
  else if (key == "steps") o.steps = integer(1);
  else if (key == "max_tiles_per_core") o.max_tiles_per_core = integer(1);
  else if (key == "max_chunks") o.max_chunks = integer(1);
  else if (key == "k_tile_ocm_fraction") {
    o.k_tile_ocm_fraction = number(0);
    if (o.k_tile_ocm_fraction > 1)
      throw InputError({where, 0}, fmt::format("mapper option {}: '{}' is not a fraction from 0 to 1", key, value));
  } else if (key == "streaming") o.streaming = boolean();
  else if (key == "overlap") o.overlap = boolean();
  else if (key == "prefetch") o.prefetch = boolean();
  else if (key == "fusion") o.fusion = boolean();
  else if (key == "max_fuse_depth") o.max_fuse_depth = integer(1);
  else
    throw InputError({where, 0}, fmt::format("unknown mapper option '{}': expected traffic_slack, efficient_slack, "
                                             "steps, max_tiles_per_core, max_chunks, k_tile_ocm_fraction, "
                                             "streaming, overlap, prefetch, fusion or max_fuse_depth", key));
}

}  // namespace nnasim::sched
