#include "sim/sched/layer_choice.h"

#include <algorithm>
#include <cmath>

#include "sim/common/int_math.h"
#include "sim/energy/energy_model.h"
#include "sim/hw/accumulator.h"
#include "sim/hw/systolic.h"
#include "sim/sched/stream.h"

namespace nnasim::sched {
namespace {

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
  // dropped here, once per geometry, instead of being priced at every sweep point. (Its commands
  // too: choose_tiling breaks ties by them. The estimates are monotone in these arguments up to
  // the rounding of `pow`, which could order two nearly equal times the other way by an ulp; the
  // 10,000-point sweep of bench/sweep_10k.yaml is byte for byte the same with and without it.)
  std::vector<RawCandidate> sorted;
  sorted.reserve(out.size());
  for (const auto& o : order) {
    const RawCandidate& b = out[o.second];
    const bool dominated = std::any_of(sorted.begin(), sorted.end(), [&b](const RawCandidate& a) {
      return a.active == b.active && a.first_bytes <= b.first_bytes && a.cycles <= b.cycles &&
             a.computes <= b.computes && a.core_dram <= b.core_dram && a.transfers <= b.transfers &&
             a.last_bytes <= b.last_bytes && a.dram <= b.dram && a.write_dram <= b.write_dram &&
             a.dram - a.write_dram <= b.dram - b.write_dram && a.ocm <= b.ocm && a.acc_reads <= b.acc_reads &&
             a.acc_writes <= b.acc_writes && a.commands <= b.commands;
    });
    if (!dominated) sorted.push_back(std::move(out[o.second]));
  }
  return sorted;
}

}  // namespace

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

Choice smallest_tiling(const LayerCtx& c, int cores) {
  const auto& all = candidates(c, cores);
  const Candidate* best = nullptr;
  for (const auto& k : all)
    if (!best || k.ws < best->ws) best = &k;
  return best ? make_choice(*best) : Choice{};
}

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

}  // namespace nnasim::sched
