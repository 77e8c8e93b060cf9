#include "sim/sched/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include "sim/sched/fuse.h"
#include "sim/sched/layer_choice.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/plan_cache.h"
#include "sim/sched/stream.h"

namespace nnasim::sched {
namespace {

using graph::Graph;
using graph::Layer;
using graph::Op;

const char* unit_name(NumFormat f) { return f == NumFormat::Lns ? "log-domain (lns)" : "linear"; }

struct Evaluation {
  Plan plan;
  double est_seconds = 0;
};

void check_supported(const Graph& g, const HardwareSpec& hw) {
  for (const Layer& l : g.layers) {
    if (!l.has_weights()) continue;
    const graph::Quant& q = l.quant;
    if (hw.mac.arithmetic == NumFormat::Lns && q.format != NumFormat::Lns)
      throw InputError(l.loc, fmt::format("layer '{}' is {} but {}'s MAC arrays are {}: run it with --number-format lns",
                                          l.name, to_string(q.format), hw.name, unit_name(hw.mac.arithmetic)));
    if (hw.macs_per_cycle(q.format, q.weight_bits, q.act_bits) <= 0)
      throw InputError(l.loc, fmt::format("layer '{}' needs {} MACs of {}-bit weights and {}-bit activations, which "
                                          "{}'s MAC array does not support (see mac_array.throughput in {})",
                                          l.name, to_string(q.format), q.weight_bits, q.act_bits, hw.name, hw.file));
  }
}

// Plans every layer for one steady-state weight budget.
Plan plan_with_pinning(const Graph& g, const HardwareSpec& hw, const std::vector<int64_t>& pinned,
                       const std::vector<bool>& replicated,
                       const std::vector<int64_t>& min_ws, bool efficient_reserve, const SchedOptions& opt, double* est_total, double* est_joules_total,
                       int64_t* commands_total, CandidateCache* cache) {
  const int n = hw.cores;
  const int L = static_cast<int>(g.layers.size());
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);
  auto consumers = g.consumers();

  Plan plan;
  plan.mode = opt.mode;
  plan.layers.resize(L);
  for (int64_t p : pinned) plan.pinned_weight_bytes += p;
  // Pinned weights are spread over the cores with their output channels.
  // Resident weights: a core holds its channels' share, or all of a replicated layer's weights.
  for (size_t i = 0; i < pinned.size(); ++i)
    plan.pinned_per_core += replicated[i] ? pinned[i] : (pinned[i] + n - 1) / n;
  const int64_t avail = cap - plan.pinned_per_core;

  // proj[j]: bytes of activations held on chip per core while layer j runs.
  std::vector<int64_t> proj(L, 0);
  std::vector<bool> on_chip(L, false);
  auto per_core = [&](int64_t total) { return (total + n - 1) / n; };

  // What each layer keeps free for its buffers next to resident activations: its smallest tile,
  // or (efficient_reserve) the smallest working set that still runs it near its best speed.
  std::vector<int64_t> reserve(L, 0);
  for (int i = 1; i < L; ++i) {
    if (g.layers[i].op == Op::Input) continue;  // inputs come from DRAM; nothing to run
    const Layer& l = g.layers[i];
    LayerCtx ctx{hw, opt, layer_geo(g, i), l.cost.weight_bytes - pinned[i], std::vector<bool>(l.inputs.size(), false), false, i, cache, replicated[i]};
    reserve[i] = efficient_reserve ? std::max(min_ws[i], efficient_ws(ctx, n, avail)) : min_ws[i];
  }

  for (int i = 1; i < L; ++i) {
    if (g.layers[i].op == Op::Input) continue;  // inputs come from DRAM; nothing to run
    const Layer& l = g.layers[i];
    // Keep the output on chip when, over its whole lifetime, every layer still fits an efficient
    // working set next to it. The network's final output goes to DRAM.
    int last = i;
    for (int c : consumers[i]) last = std::max(last, c);
    if (last > i) {
      const int64_t bytes = per_core(l.cost.output_bytes);  // each core holds its share
      bool fits = true;
      for (int j = i; j <= last && fits; ++j) fits = proj[j] + bytes + reserve[j] <= avail;
      if (fits) {
        for (int j = i; j <= last; ++j) proj[j] += bytes;
        on_chip[i] = true;
      }
    }
  }

  double total_s = 0, total_j = 0;
  int64_t commands = 0;
  for (int i = 1; i < L; ++i) {
    if (g.layers[i].op == Op::Input) continue;  // inputs come from DRAM; nothing to run
    const Layer& l = g.layers[i];
    LayerPlan& lp = plan.layers[i];
    lp.layer = i;
    lp.output_on_chip = on_chip[i];
    lp.pinned_weight_bytes = pinned[i];
    for (int p : l.inputs) lp.input_on_chip.push_back(g.layers[p].op != Op::Input && on_chip[p]);
    lp.resident_bytes = proj[i];
    LayerCtx ctx{hw, opt, layer_geo(g, i), l.cost.weight_bytes - pinned[i], lp.input_on_chip, lp.output_on_chip, i, cache, replicated[i]};
    Choice c = choose_tiling(ctx, n, avail - lp.resident_bytes);
    if (!c.ok) {
      // Resident weights can rule out the tiling that gave a layer its smallest working set (a
      // row split): this budget does not work; the planner tries others. Without resident
      // weights the residency pass guarantees the smallest working set, so the plan without
      // them always exists.
      plan.feasible = false;
      return plan;
    }
    lp.split = c.split;
    lp.tiling = c.t;
    lp.active_cores = c.t.stream ? c.t.st.cores() : tile_shape(ctx.geo, n, c.split, c.t, ctx.streamed_w).active_cores;
    plan.est_dram_bytes += c.t.dram_bytes;
    total_s += c.t.est_seconds;
    total_j += c.t.est_joules;
    commands += c.commands;
  }
  if (est_total) *est_total = total_s;
  if (commands_total) *commands_total = commands;
  if (est_joules_total) *est_joules_total = total_j;
  return plan;
}

}  // namespace

Plan make_plan(const Graph& g, const HardwareSpec& hw, const SchedOptions& opt) { return make_plan(g, hw, opt, nullptr); }

Plan make_plan(const Graph& g, const HardwareSpec& hw, const SchedOptions& opt, PlanCache* plan_cache) {
  check_supported(g, hw);
  const int L = static_cast<int>(g.layers.size());
  const int n = hw.cores;
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);

  CandidateCache cache;
  cache.geometry = geometry_view(hw);
  if (plan_cache) cache.raw = &plan_cache->lists(geometry_fingerprint(cache.geometry, opt));
  // Smallest working set of each layer (inputs from DRAM, output to DRAM, no pinned weights).
  std::vector<int64_t> min_ws(L, 0);
  int64_t max_min_ws = 0;
  for (int i = 1; i < L; ++i) {
    if (g.layers[i].op == Op::Input) continue;  // inputs come from DRAM; nothing to run
    const Layer& l = g.layers[i];
    LayerCtx ctx{hw, opt, layer_geo(g, i), l.cost.weight_bytes, std::vector<bool>(l.inputs.size(), false), false, i, &cache};
    Choice c = smallest_tiling(ctx, n);
    min_ws[i] = c.ws;
    if (c.ws > cap)
      throw InputError(l.loc, fmt::format("layer '{}' does not fit in OCM: its smallest tile needs {} bytes per core "
                                          "(input band, weights of one output channel, output band, double-buffered) "
                                          "but {} has {} bytes of OCM per core",
                                          l.name, c.ws, hw.name, cap));
    max_min_ws = std::max(max_min_ws, c.ws);
  }

  // Candidate plans: activations kept on chip as long as layers keep their smallest tile, or only
  // while they keep an efficient one; in steady state, for a range of resident-weight budgets.
  struct Option {
    Plan plan;
    double est_s = 0, est_j = 0;
    int64_t commands = 0;
  };
  std::vector<Option> options;
  std::vector<bool> replicated(L, false);
  auto try_pinning = [&](const std::vector<int64_t>& pinned) {
    for (bool efficient : {false, true}) {
      Option o;
      o.plan = plan_with_pinning(g, hw, pinned, replicated, min_ws, efficient, opt, &o.est_s, &o.est_j, &o.commands, &cache);
      if (o.plan.feasible) options.push_back(std::move(o));
    }
  };
  try_pinning(std::vector<int64_t>(L, 0));
  if (options.empty())  // never dereference a missing plan: say which input cannot be planned
    throw InputError({g.file, 0}, fmt::format("no feasible schedule of '{}' on {}: a layer is too large to tile "
                                              "in {} bytes of OCM per core", g.name, hw.name, cap));

  if (opt.mode == Mode::Steady) {
    // Weights that stay resident are never re-read. Rank layers by the traffic a resident byte
    // saves (weight DRAM bytes per weight byte in a plan without residency: > 1 when a layer
    // re-fetches), then try budgets from none to the most the OCM can spare.
    // With several cores, a layer the base plan splits by rows either keeps its resident weights
    // whole on every core (n times the OCM for the same saving) or splits by channels instead;
    // both are tried.
    if (options.empty()) throw InternalError("planner: no feasible plan although every layer's smallest tile fits");
    const Plan base = options.front().plan;
    std::vector<bool> variants = {false};
    if (n > 1) variants.push_back(true);
    for (bool replicate : variants) {
      std::vector<int> order;
      std::vector<double> density(L, 0);
      int64_t total_w = 0;
      for (int i = 1; i < L; ++i) {
        if (g.layers[i].op == Op::Input) continue;  // inputs come from DRAM; nothing to run
        const Layer& l = g.layers[i];
        if (l.cost.weight_bytes <= 0) continue;
        order.push_back(i);
        replicated[i] = replicate && base.layers[i].split == Split::Rows;
        total_w += l.cost.weight_bytes * (replicated[i] ? n : 1);
        LayerCtx ctx{hw, opt, layer_geo(g, i), l.cost.weight_bytes, base.layers[i].input_on_chip,
                     base.layers[i].output_on_chip, i, &cache};
        const Tiling& bt = base.layers[i].tiling;
        if (bt.stream) {
          density[i] = double(stream_cost(hw, ctx.geo, bt.st, ctx.streamed_w, ctx.in_on_chip[0], ctx.out_on_chip).weight_dram) /
                       l.cost.weight_bytes;
        } else {
          TileShape s = tile_shape(ctx.geo, n, base.layers[i].split, bt, ctx.streamed_w);
          density[i] = double(s.weight_tile_bytes * s.weight_loads * s.active_cores) / l.cost.weight_bytes;
        }
        if (replicated[i]) density[i] /= n;
      }
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return density[a] > density[b]; });
      const int64_t max_pin = std::min<int64_t>(total_w, std::max<int64_t>(0, (cap - max_min_ws)) * n);
      const int steps = std::max(1, opt.steps);
      for (int k = 1; k <= steps && max_pin > 0; ++k) {
        int64_t left = max_pin * k / steps;
        std::vector<int64_t> pinned(L, 0);
        for (int i : order) {
          const int64_t copies = replicated[i] ? n : 1;
          const int64_t take = std::min(left, g.layers[i].cost.weight_bytes * copies);
          pinned[i] = take / copies;
          left -= pinned[i] * copies;
          if (left < copies) break;
        }
        try_pinning(pinned);
      }
    }
  }

  if (options.empty())
    throw InternalError("planner: no feasible plan although every layer's smallest tile fits");
  // Latency: the fastest estimate among the plans within traffic_slack of the least DRAM
  // traffic. Energy, EDP: the least estimated energy or energy x time.
  int64_t least = std::numeric_limits<int64_t>::max();
  for (const auto& o : options) least = std::min(least, o.plan.est_dram_bytes);
  const Option* best = nullptr;
  double best_v = 0;
  for (const auto& o : options) {
    if (opt.objective == Objective::Latency && double(o.plan.est_dram_bytes) > double(least) * opt.traffic_slack)
      continue;
    const double v = objective_value(opt.objective, o.est_s, o.est_j) * (1 + kPerCommand * double(o.commands));
    if (!best || v < best_v * (1 - 1e-9) ||
        (v <= best_v * (1 + 1e-9) && o.plan.est_dram_bytes < best->plan.est_dram_bytes)) {
      best = &o;
      best_v = v;
    }
  }
  Plan chosen = best->plan;
  chosen.overlap = opt.overlap;
  chosen.prefetch = opt.prefetch;
  if (opt.fusion) fuse_layers(g, hw, opt, chosen);
  return chosen;
}

}  // namespace nnasim::sched
