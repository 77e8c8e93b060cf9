#include "sim/sched/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <cmath>
#include <limits>

#include "sim/energy/energy_model.h"
#include "sim/hw/dram_share.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/fuse.h"
#include "sim/sched/plan_cache.h"
#include "sim/sched/stream.h"

namespace nnasim::sched {
namespace {

using graph::Graph;
using graph::Layer;
using graph::Op;

const char* unit_name(NumFormat f) { return f == NumFormat::Lns ? "log-domain (lns)" : "linear"; }

// Candidate tile counts: powers of two up to n, the exact divisors of n up to 16, and n itself.
std::vector<int64_t> tile_counts(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t t = 1; t < n; t *= 2) v.push_back(t);
  for (int64_t d = 3; d <= 16 && d < n; ++d)
    if (n % d == 0 && (d & (d - 1))) v.push_back(d);
  v.push_back(std::max<int64_t>(1, n));
  std::sort(v.begin(), v.end());
  return v;
}

struct Choice {
  bool ok = false;
  Split split = Split::Channels;
  Tiling t;
  int64_t ws = 0;
  int64_t commands = 0;  // per core: compute commands (events to simulate)
};

// Each command to simulate weighs this fraction of an objective's value, in a layer's choice of
// tiling and in the choice among whole plans: a sliver of estimated time is not bought with many
// times the events to simulate (SCALE-Sim's ResNet-50 at 192 KiB, steady: 0.07 % of estimated
// time for 6.5x the commands).
constexpr double kPerCommand = 1e-7;

// Per-core DRAM rate when `active` cores stream at once: the channel's max-min sharing law.
double core_bandwidth(const HardwareSpec& hw, int active) { return hw::core_dram_rate(hw, active); }


struct Candidate {
  Split split;
  Tiling t;
  int64_t ws, dram;
  double secs;
  int64_t ocm = 0;      // estimated OCM bytes moved (all cores)
  double joules = 0;    // estimated energy (energy model on the estimated actions)
  int active = 1;
  int64_t commands = 0;  // per core: compute commands (events to simulate)
};

// Candidate lists depend only on the layer, its streamed weights and where its tensors live; the
// planner asks for the same ones many times (each residency policy and weight budget), so they
// are computed once per process of planning.
// Keyed by the layer's shape rather than its index: networks repeat blocks, and a layer of the same
// shape, bits and placement has the same candidates.
// Per plan: the finished candidate lists by key; the geometry view of the hardware; the lists of
// stage 1 kept across plans (when the caller gives a PlanCache) under this view's fingerprint.
struct CandidateCache {
  CandidateMap<std::vector<Candidate>> lists;
  HardwareSpec geometry;
  RawLists* raw = nullptr;  // in the PlanCache, or null
};

struct LayerCtx {
  const HardwareSpec& hw;
  const SchedOptions& opt;
  LayerGeo geo;
  int64_t streamed_w = 0;
  std::vector<bool> in_on_chip;
  bool out_on_chip = false;
  int layer = 0;
  CandidateCache* cache = nullptr;
  bool weights_replicated = false;  // resident weights held whole on every core (row-split layers)
};

// DRAM bytes of the layer (all cores) for a split and tiling.
int64_t dram_bytes(const LayerCtx& c, const TileShape& s) {
  int64_t b = 0;
  bool any_dram_input = false;
  for (bool on : c.in_on_chip) any_dram_input |= !on;
  if (any_dram_input) {
    // The band covers all inputs; count only the DRAM-resident share.
    int64_t dram_share = 0, all = 0;
    for (size_t i = 0; i < c.geo.in.size(); ++i) {
      int64_t e = c.geo.in[i].c * c.geo.in[i].h * c.geo.in[i].w;
      all += e;
      if (!c.in_on_chip[i]) dram_share += e;
    }
    b += static_cast<int64_t>(std::llround(double(s.in_band_bytes) * s.input_loads * dram_share / std::max<int64_t>(all, 1))) *
         s.active_cores;
  }
  b += s.weight_tile_bytes * s.weight_loads * s.active_cores;
  if (!c.out_on_chip) b += s.out_tile_bytes * s.tiles * s.active_cores;
  return b;
}

// Time of a layer: the first loads, then the MAC array and the DMA engine (which pays the DRAM
// latency once per transfer, in order) overlapped. Their overlap is imperfect when both are
// nearly as busy (a chunk's transfer sometimes waits for a compute and the reverse): a soft
// maximum (c^p + d^p)^(1/p), p = 6: 12 % above the larger at equal load and within 0.3 % of it at
// half, matches the simulated time of streamed layers better than max(c, d) (p was 8 before the
// partial sums could stay in the accumulator: those tilings balance DMA and compute more often,
// and their double-buffered weight loads then wait for computes more than 5 %).
constexpr bool with_last_store = true;  // the last store is not overlapped
constexpr double kOverlapP = 6;
// `lower_bound`: the time with the overlap taken as the larger of compute and DMA alone (a hair
// below it, to be safe from rounding), which the soft maximum never goes under: a bound the
// candidate lists use to skip, without its powers, a candidate that cannot be kept.
double layer_seconds(const HardwareSpec& hw, int active, int64_t first_bytes, double compute_s, int64_t core_dram,
                     int64_t transfers, int64_t last_bytes, bool lower_bound = false) {
  const double bw = core_bandwidth(hw, active);
  // With dma.outstanding transfers in flight, their latencies overlap.
  const double dma_s =
      double(core_dram) / bw + double(transfers) * hw.dram.latency_s / std::max(1, hw.dma.outstanding);
  const double first = double(first_bytes) / bw + hw.dram.latency_s;
  const double hi = std::max(compute_s, dma_s), lo = std::min(compute_s, dma_s);
  const double overlap = lower_bound ? hi * (1 - 1e-12)
                         : hi > 0    ? hi * std::pow(1 + std::pow(lo / hi, kOverlapP), 1.0 / kOverlapP)
                                     : 0;
  // The last store follows the last compute.
  const double last = last_bytes > 0 && with_last_store ? double(last_bytes) / bw + hw.dram.latency_s : 0;
  return first + overlap + last;
}

// OCM bytes one compute of a whole tile reads into its unit: on the MAC array, the array's stream
// of operands (sim/hw/systolic.h, as the emitter charges it); elsewhere the input band and weights.
// `g`: the hardware's geometry view (plan_cache.h).
int64_t tile_reads(const LayerCtx& c, const HardwareSpec& g, const TileShape& s) {
  const bool whole = std::any_of(c.geo.in.begin(), c.geo.in.end(), [](const InputGeo& i) { return i.whole; });
  if (!c.geo.mac || whole) return s.in_band_bytes + s.weight_tile_bytes;
  return hw::array_read_bytes(g.mac, s.gemm, c.geo.act_bits, s.weight_tile_bytes);
}

// Energy of a layer from estimated actions, by the energy model the report uses.
// `acc_r`, `acc_w`: accumulator entries read and written (they differ with the reduction per
// command); `ocm` includes partial sums the accumulator spills.
double est_joules(const LayerCtx& c, int64_t dram, int64_t dram_write, int64_t ocm, double secs, int64_t acc_r,
                  int64_t acc_w) {
  energy::Actions a;  // MAC energy is the same for every mapping of a layer: left out
  a.acc_reads = acc_r;
  a.acc_writes = acc_w;
  a.format = c.geo.format, a.weight_bits = c.geo.weight_bits, a.act_bits = c.geo.act_bits;
  a.dram_read = dram - dram_write;
  a.dram_write = dram_write;
  a.ocm_read = ocm / 2;
  a.ocm_write = ocm - ocm / 2;
  a.seconds = secs;
  return energy::energy_of(a, c.hw).total();
}


// Stage 1: every split and tiling of a layer with its working set, DRAM traffic and the arguments
// of its time estimate, in order of working set (equal ones in the order generated). Reads the
// hardware only through `g`, the geometry view (plan_cache.h).
std::vector<RawCandidate> raw_candidates(const LayerCtx& c, const HardwareSpec& g, int cores) {
  std::vector<RawCandidate> out;
  std::vector<Split> splits = {Split::Channels};
  // A row split needs every weight on every core: a layer's resident weights are spread over the
  // cores by output channel, unless the planner replicated them on every core.
  const bool pinned = c.streamed_w < c.geo.weight_bytes;
  if (c.geo.spatial && c.geo.ho > 1 && cores > 1 && (!pinned || c.weights_replicated)) splits.push_back(Split::Rows);
  const bool all_in_on_chip = std::all_of(c.in_on_chip.begin(), c.in_on_chip.end(), [](bool b) { return b; });
  bool any_dram_input = false;
  for (bool on : c.in_on_chip) any_dram_input |= !on;
  // A layer whose data is many times the OCM (a batch of 3-D cost volumes, issue 10) may need
  // more tiles than the usual bound: as many as eight per OCM-full of its data.
  int64_t data_bytes = c.geo.co * c.geo.ho * c.geo.wo;
  for (const auto& in : c.geo.in) data_bytes += in.c * in.h * in.w;
  data_bytes = data_bytes * c.geo.act_bits / 8;
  const int64_t max_tiles = std::max<int64_t>(
      int64_t(c.opt.max_tiles_per_core), 8 * data_bytes / std::max<int64_t>(1, static_cast<int64_t>(g.ocm.size_bytes)));
  for (Split sp : splits) {
    TileShape base = tile_shape(c.geo, cores, sp, Tiling{}, c.streamed_w);
    // Reduction chunks only where one array's width of filters cannot be double-buffered.
    const std::vector<int64_t> k_counts =
        wants_k_tiles(c.geo, c.geo.weight_bytes, g.mac.cols,
                          static_cast<int64_t>(double(g.ocm.size_bytes) * c.opt.k_tile_ocm_fraction))
            ? tile_counts(c.geo.in[0].c)
            : std::vector<int64_t>{1};
    for (int64_t tc : tile_counts(base.co_core)) {
      for (int64_t th : c.geo.spatial ? tile_counts(base.rows_core) : std::vector<int64_t>{1}) {
        for (int64_t tk : k_counts) {
          if (tc * th * tk > max_tiles) continue;
          for (LoopOrder order : {LoopOrder::WeightsOuter, LoopOrder::InputsOuter}) {
            if (tk > 1 && order == LoopOrder::InputsOuter) continue;  // both streams move per chunk
            Tiling t;
            t.channel_tiles = tc, t.row_tiles = th, t.k_tiles = tk, t.order = order;
            TileShape s = tile_shape(c.geo, cores, sp, t, c.streamed_w);
            int64_t dram = dram_bytes(c, s);
            // Operands into the array per compute, results out per tile, and partial sums in and
            // out of OCM between reduction chunks.
            // And what the accumulator does, and spills through OCM, per compute (hw/accumulator.h).
            const hw::AccumulatorUse u = c.geo.mac ? hw::accumulator_use(g.mac, s.gemm) : hw::AccumulatorUse{};
            const int64_t ocm = (s.computes * (tile_reads(c, g, s) + 2 * u.spill_bytes) + s.tiles * s.out_tile_bytes +
                                 s.tiles * s.acc_bytes * (2 * s.k_tiles - 2)) *
                                s.active_cores;
            const int64_t acc_r = s.computes * u.reads * s.active_cores, acc_w = s.computes * u.writes * s.active_cores;
            // Room for the partial sums a tile spills from the accumulator (sim/hw/accumulator.h):
            // the MacArray allocates it while the tile runs, the emitter does not.
            const int64_t spill = c.geo.mac ? hw::accumulator_spill_footprint(g.mac, s.gemm) : 0;
            const int64_t wr = c.out_on_chip ? 0 : s.out_tile_bytes * s.tiles * s.active_cores;
            // The time estimate (est_seconds): the first loads, then the MAC array and the DMA
            // engine overlapped, then the last store.
            const int64_t tile_ocm = tile_reads(c, g, s) + s.out_tile_bytes;
            RawCandidate r;
            r.split = sp, r.t = t, r.ws = working_set(s, all_in_on_chip, c.out_on_chip) + spill;
            r.dram = dram, r.ocm = ocm, r.write_dram = wr, r.active = s.active_cores, r.commands = s.computes;
            r.first_bytes = s.in_band_bytes + s.weight_tile_bytes;
            r.cycles = tile_cycles(g, c.geo, s.gemm, s.tile_ops, tile_ocm);
            r.computes = s.computes;
            r.acc_reads = acc_r, r.acc_writes = acc_w;
            r.core_dram = dram / s.active_cores;
            r.transfers = (any_dram_input ? s.input_loads : 0) + s.weight_loads + (c.out_on_chip ? 0 : s.tiles);
            r.last_bytes = c.out_on_chip ? 0 : s.out_tile_bytes;
            out.push_back(std::move(r));
          }
        }
      }
    }
  }
  if (c.opt.streaming && can_stream(c.geo)) {
    const bool in_chip = c.in_on_chip[0];
    for (const StreamTiling& st : stream_tilings(g, c.geo, cores, !pinned || c.weights_replicated, in_chip, c.opt)) {
      const StreamCost k = stream_cost(g, c.geo, st, c.streamed_w, in_chip, c.out_on_chip);
      // Bounds the commands of one layer (memory and simulation time), as whole tiles are bounded.
      if (k.commands > max_tiles * int64_t(c.opt.max_chunks)) continue;
      RawCandidate r;
      r.split = st.gp > 1 ? Split::Rows : Split::Channels;
      r.t.stream = true;
      r.t.st = st;
      r.ws = k.ws + k.spill, r.dram = k.dram, r.ocm = k.ocm, r.write_dram = k.write_dram;
      r.active = k.active_cores, r.commands = k.commands;
      r.first_bytes = k.first_bytes, r.cycles = k.compute_cycles, r.computes = 1;
      r.core_dram = k.core_dram, r.transfers = k.transfers, r.last_bytes = k.last_bytes;
      r.acc_reads = k.acc_reads, r.acc_writes = k.acc_writes;
      out.push_back(std::move(r));
    }
  }
  // In order of working set, equal ones in the order generated (a stable sort, done on indices so
  // that the candidates themselves move once).
  std::vector<std::pair<int64_t, uint32_t>> order(out.size());
  for (size_t i = 0; i < out.size(); ++i) order[i] = {out[i].ws, uint32_t(i)};
  std::sort(order.begin(), order.end());
  // A candidate that an earlier one (no larger working set) matches or beats in every argument of
  // the estimates, on as many cores, can never be kept by stage 2 (candidates() below): whatever
  // the hardware's prices, its time, energy, their product and DRAM traffic are no better. It is
  // dropped here, once per geometry, instead of being priced at every sweep point.
  std::vector<RawCandidate> sorted;
  sorted.reserve(out.size());
  for (const auto& o : order) {
    const RawCandidate& b = out[o.second];
    const bool dominated = std::any_of(sorted.begin(), sorted.end(), [&b](const RawCandidate& a) {
      return a.active == b.active && a.first_bytes <= b.first_bytes && a.cycles <= b.cycles &&
             a.computes <= b.computes && a.core_dram <= b.core_dram && a.transfers <= b.transfers &&
             a.last_bytes <= b.last_bytes && a.dram <= b.dram && a.write_dram <= b.write_dram &&
             a.dram - a.write_dram <= b.dram - b.write_dram && a.ocm <= b.ocm && a.acc_reads <= b.acc_reads &&
             a.acc_writes <= b.acc_writes;
    });
    if (!dominated) sorted.push_back(std::move(out[o.second]));
  }
  return sorted;
}

// Every split and tiling of a layer with its working set, DRAM traffic and time estimate.
const std::vector<Candidate>& candidates(const LayerCtx& c, int cores) {
  uint64_t bits = 0;
  for (size_t i = 0; i < c.in_on_chip.size() && i < 64; ++i) bits |= uint64_t(c.in_on_chip[i]) << i;
  if (c.weights_replicated) bits |= uint64_t(1) << 63;
  const LayerGeo& q = c.geo;
  // One key buffer, reused: the planner looks candidates up thousands of times per plan.
  static thread_local CandidateKey key;
  key.assign({q.mac, q.spatial, q.dense, q.co, q.ho, q.wo, q.kh_eff, q.sh, q.k, q.cpg_out, q.groups,
              q.weight_bytes, q.vector_ops, q.act_bits, q.weight_bits, int64_t(q.format), c.streamed_w,
              int64_t(bits), c.out_on_chip, int64_t(cores)});
  for (const auto& in : q.in) key.insert(key.end(), {in.c, in.h, in.w});
  auto it = c.cache->lists.find(key);
  if (it != c.cache->lists.end()) return it->second;
  std::vector<Candidate>& out = c.cache->lists[key];
  std::vector<RawCandidate> fresh;
  const std::vector<RawCandidate>* raw = nullptr;
  if (c.cache->raw) {
    auto r = c.cache->raw->find(key);
    if (r == c.cache->raw->end()) r = c.cache->raw->emplace(key, raw_candidates(c, c.cache->geometry, cores)).first;
    raw = &r->second;
  } else {
    fresh = raw_candidates(c, c.cache->geometry, cores);
    raw = &fresh;
  }
  // Stage 2, in order of working set: the estimates; keep only candidates that some budget and
  // objective could choose: one that improves on every smaller one in time, energy, their product
  // or DRAM traffic (the smallest working set, and each objective's best within any budget, always
  // stay).
  double best_s = 0, best_j = 0, best_e = 0;
  int64_t best_d = 0;
  for (const RawCandidate& r : *raw) {
    const double compute_s = double(r.cycles) / c.hw.clock_hz * double(r.computes);
    if (!out.empty() && r.dram >= best_d) {
      // Skipped when even its lower bound of time (and the energy at that time: energy grows with
      // time) improves on nothing kept; what is kept is the same as without this test.
      const double lo_s =
          layer_seconds(c.hw, r.active, r.first_bytes, compute_s, r.core_dram, r.transfers, r.last_bytes, true);
      if (lo_s >= best_s) {
        const double lo_j = est_joules(c, r.dram, r.write_dram, r.ocm, lo_s, r.acc_reads, r.acc_writes);
        if (lo_j >= best_j && lo_s * lo_j >= best_e) continue;
      }
    }
    const double secs = layer_seconds(c.hw, r.active, r.first_bytes, compute_s, r.core_dram, r.transfers, r.last_bytes);
    const double joules = est_joules(c, r.dram, r.write_dram, r.ocm, secs, r.acc_reads, r.acc_writes);
    const double e = secs * joules;
    if (out.empty() || secs < best_s || joules < best_j || e < best_e || r.dram < best_d) {
      if (out.empty()) best_s = secs, best_j = joules, best_e = e, best_d = r.dram;
      best_s = std::min(best_s, secs), best_j = std::min(best_j, joules), best_e = std::min(best_e, e);
      best_d = std::min(best_d, r.dram);
      out.push_back({r.split, r.t, r.ws, r.dram, secs, r.ocm, joules, r.active, r.commands});
    }
  }
  return out;
}

Choice make_choice(const Candidate& k) {
  Choice ch{true, k.split, k.t, k.ws, k.commands};
  ch.t.working_set = k.ws;
  ch.t.dram_bytes = k.dram;
  ch.t.est_seconds = k.secs;
  ch.t.est_joules = k.joules;
  return ch;
}

// Within `free_bytes`: the least value of the objective (latency: estimated time; energy:
// estimated energy of the actions that differ between mappings, DRAM and OCM traffic and static
// power over the time; edp: their product). Ties go to less DRAM traffic, then fewer commands.
double objective_value(Objective o, double secs, double joules) {
  switch (o) {
    case Objective::Latency: return secs;
    case Objective::Energy: return joules;
    case Objective::Edp: return secs * joules;
  }
  return secs;
}
Choice choose_tiling(const LayerCtx& c, int cores, int64_t free_bytes) {
  const auto& all = candidates(c, cores);
  const Candidate* best = nullptr;
  double best_v = 0;
  for (const auto& k : all) {
    if (k.ws > free_bytes) break;  // candidates are in order of working set
    // Within kTie of each other, values tie: then less DRAM traffic, then fewer commands. Each
    // command also weighs kPerCommand of the value, so that a sliver of estimated time (a
    // smaller first chunk) is not bought with ten times the events to simulate.
    constexpr double kTie = 1e-6;
    const double v = objective_value(c.opt.objective, k.secs, k.joules) * (1 + kPerCommand * double(k.commands));
    const bool tie = best && v <= best_v * (1 + kTie) && v >= best_v * (1 - kTie);
    if (!best || (!tie && v < best_v) ||
        (tie && (k.dram < best->dram || (k.dram == best->dram && k.commands < best->commands)))) {
      best = &k;
      best_v = v;
    }
  }
  return best ? make_choice(*best) : Choice{};
}

// The smallest working set of any tiling (ok is false only for an empty candidate list).
Choice smallest_tiling(const LayerCtx& c, int cores) {
  const auto& all = candidates(c, cores);
  const Candidate* best = nullptr;
  for (const auto& k : all)
    if (!best || k.ws < best->ws) best = &k;
  return best ? make_choice(*best) : Choice{};
}

// The smallest working set that still runs the layer within kEfficientSlack of its best time in
// `cap` bytes: what the planner reserves next to resident activations.
int64_t efficient_ws(const LayerCtx& c, int cores, int64_t cap) {
  Choice best = choose_tiling(c, cores, cap);
  if (!best.ok) return 0;
  int64_t ws = best.ws;
  for (const auto& k : candidates(c, cores)) {
    if (k.ws > cap) break;  // in order of working set
    if (k.secs <= best.t.est_seconds * c.opt.efficient_slack) ws = std::min(ws, k.ws);
  }
  return ws;
}

struct Evaluation {
  Plan plan;
  double est_seconds = 0;
};

}  // namespace

namespace {

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
