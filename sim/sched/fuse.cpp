// Layer fusion: band geometry, which layers may fuse, and the choice of groups (see fuse.h).
#include "sim/sched/fuse.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>

#include "sim/energy/energy_model.h"
#include "sim/sched/fuse_walk.h"

namespace nnasim::sched {

namespace fuse_detail {

GroupGeo group_geo(const graph::Graph& g, const Plan& plan, int first, int last) {
  GroupGeo gg;
  gg.first = first, gg.last = last;
  gg.maps = row_maps(g, first, last);
  for (int i = first; i <= last; ++i) {
    // A join's operand from outside the group (the one that is not the layer before).
    const graph::Layer& l = g.layers[size_t(i)];
    int extra = -1;
    if (i > first && l.inputs.size() == 2) extra = l.inputs[0] == i - 1 ? 1 : 0;
    gg.extra.push_back(extra);
    gg.extra_dram.push_back(extra >= 0 && !plan.layers[size_t(i)].input_on_chip[size_t(extra)]);
    gg.geo.push_back(layer_geo(g, i));
    gg.weight_bytes.push_back(g.layers[size_t(i)].cost.weight_bytes);
    gg.streamed_w.push_back(g.layers[size_t(i)].cost.weight_bytes - plan.layers[size_t(i)].pinned_weight_bytes);
  }
  const auto& lp0 = plan.layers[size_t(first)];
  gg.in_dram = lp0.input_on_chip.empty() || !lp0.input_on_chip[0];
  gg.out_dram = !plan.layers[size_t(last)].output_on_chip;
  return gg;
}

WalkSum walk_sum(const HardwareSpec& hw, const GroupGeo& gg, const FusedGroup& fg, int core, int64_t limit) {
  return walk(hw, gg, fg, core, [](const Step&) {}, limit);
}
}  // namespace fuse_detail

using namespace fuse_detail;

int64_t RowMap::lo(int64_t b) const { return std::clamp<int64_t>(b * sh - pad, 0, in_rows); }
int64_t RowMap::hi(int64_t e) const { return e <= 0 ? 0 : std::clamp<int64_t>((e - 1) * sh - pad + kh, 0, in_rows); }

std::vector<RowMap> row_maps(const graph::Graph& g, int first, int last) {
  std::vector<RowMap> maps;
  for (int i = first; i <= last; ++i) {
    const graph::Layer& l = g.layers[size_t(i)];
    const LayerGeo q = layer_geo(g, i);
    RowMap m;
    m.in_rows = q.in.empty() ? 0 : q.in[0].h;
    m.out_rows = q.ho;
    const bool windowed = l.op == graph::Op::Conv || l.op == graph::Op::MaxPool || l.op == graph::Op::AvgPool;
    m.kh = windowed ? q.kh_eff : 1;
    m.sh = windowed ? q.sh : 1;
    m.pad = windowed ? l.pad_t : 0;
    maps.push_back(m);
  }
  return maps;
}

// Backwards from the last layer's rows: each layer computes the rows the next one's window needs
// that it has not computed yet (halo rows cached). A core's first band also computes the rows
// before its share that its windows read; the band that ends the tensor computes every row left
// (rows no window reads, e.g. dropped by a floor-mode pooling, are still computed, as unfused).
std::vector<FuseBand> fuse_bands(const std::vector<RowMap>& maps, int64_t r0, int64_t r1, int64_t band_rows) {
  std::vector<FuseBand> out;
  const int G = static_cast<int>(maps.size());
  if (G == 0 || r1 <= r0) return out;
  std::vector<int64_t> done(static_cast<size_t>(G)), need(static_cast<size_t>(G));
  done[size_t(G) - 1] = r0;
  for (int j = G - 1; j > 0; --j) done[size_t(j) - 1] = maps[size_t(j)].lo(done[size_t(j)]);
  int64_t in_done = maps[0].lo(done[0]);
  const bool ends_tensor = r1 >= maps.back().out_rows;
  for (int64_t t0 = r0; t0 < r1; t0 += band_rows) {
    const int64_t t1 = std::min(r1, t0 + band_rows);
    const bool final_band = t1 == r1 && ends_tensor;
    need[size_t(G) - 1] = final_band ? maps.back().out_rows : t1;
    for (int j = G - 1; j > 0; --j)
      need[size_t(j) - 1] = final_band ? maps[size_t(j) - 1].out_rows : maps[size_t(j)].hi(need[size_t(j)]);
    FuseBand b;
    b.begin.resize(size_t(G)), b.end.resize(size_t(G)), b.read_begin.resize(size_t(G));
    for (int j = 0; j < G; ++j) {
      b.begin[size_t(j)] = done[size_t(j)];
      b.end[size_t(j)] = std::max(done[size_t(j)], need[size_t(j)]);
      b.read_begin[size_t(j)] = maps[size_t(j)].lo(b.begin[size_t(j)]);
      done[size_t(j)] = b.end[size_t(j)];
    }
    b.in_begin = in_done;
    b.in_end = std::max(in_done, final_band ? maps[0].in_rows : maps[0].hi(b.end[0]));
    in_done = b.in_end;
    out.push_back(std::move(b));
  }
  return out;
}

bool fusable(const graph::Graph& g, const HardwareSpec& hw, int i) {
  using graph::Op;
  const graph::Layer& l = g.layers[size_t(i)];
  if (hw.mac.arithmetic == NumFormat::Lns || l.quant.format == NumFormat::Lns) return false;
  if (g.replicas() != 1 || l.out.n != 1 || l.out.d != 1 || l.inputs.empty()) return false;
  const graph::Shape& x = graph::input_shape(g, l, 0);
  if (x.n != 1 || x.d != 1) return false;
  // Residual joins: an element-wise Add or Mul of two tensors of the output's shape (no broadcast);
  // inside a group, one operand is the layer before, the other is read band by band.
  const bool join = (l.op == Op::Add || l.op == Op::Mul) && l.inputs.size() == 2 &&
                    graph::input_shape(g, l, 0) == l.out && graph::input_shape(g, l, 1) == l.out;
  if (!join && l.inputs.size() != 1) return false;
  switch (l.op) {
    case Op::Conv:
      if (l.spatial_dims != 2 || l.dh != 1 || l.kd != 1) return false;
      break;
    case Op::MaxPool:
    case Op::AvgPool:
      if (l.dh != 1 || l.kd != 1) return false;
      break;
    case Op::Activation: break;
    case Op::Add:
    case Op::Mul:
      if (!join) return false;
      break;
    default: return false;
  }
  const LayerGeo q = layer_geo(g, i);
  for (const auto& in : q.in)
    if (in.whole || in.h != x.h) return false;
  return q.spatial && q.in.size() == l.inputs.size() && q.ho == l.out.h && q.ho > 0;
}

bool chains(const graph::Graph& g, const std::vector<std::vector<int>>& consumers, int i, int next) {
  if (next != i + 1 || size_t(next) >= g.layers.size()) return false;
  const graph::Layer& n = g.layers[size_t(next)];
  // `next` reads i (once; a join also reads one tensor from outside the group), and only it reads i.
  const int reads = static_cast<int>(std::count(n.inputs.begin(), n.inputs.end(), i));
  return reads == 1 && n.inputs.size() <= 2 && consumers[size_t(i)].size() == 1 && consumers[size_t(i)][0] == next;
}

namespace {

double value(Objective o, double s, double j, double s_tot, double j_tot) {
  switch (o) {
    case Objective::Latency: return s;
    case Objective::Energy: return j;
    case Objective::Edp: return s * j_tot + j * s_tot;  // the product's change, to first order
  }
  return s;
}

std::vector<int64_t> band_candidates(int64_t rows) {
  std::vector<int64_t> v;
  for (int64_t b = 1; b < rows; b *= 2) v.push_back(b);
  for (int64_t k = 2; k <= 8; ++k) v.push_back(ceil_div(rows, k));
  v.push_back(rows);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Per-core OCM bytes of on-chip tensors, other than the group's own intermediates, that are alive
// at some point while the group runs.
int64_t resident_around(const graph::Graph& g, const Plan& plan, const std::vector<int>& last_use, int first, int last,
                        int cores) {
  int64_t b = 0;
  for (int p = 1; p < static_cast<int>(g.layers.size()); ++p) {
    if (!plan.layers[size_t(p)].output_on_chip) continue;
    if (p >= first && p < last) continue;  // an intermediate of the group
    if (p > last || last_use[size_t(p)] < first) continue;
    b += ceil_div(g.layers[size_t(p)].cost.output_bytes, cores);
  }
  return b;
}

// A group must beat its layers' estimate by 0.5 % (5 % on several cores).
constexpr double kMinGain = 0.005, kMinGainMultiCore = 0.05;
constexpr int kShorterBands = 3;
constexpr double kMinWholeGain = 1e-4;  // ... and save 0.01 % of the whole inference's estimate

struct Best {
  bool ok = false;
  FusedGroup fg;
};

// The best band height and weight policy of one group within `avail` bytes per core.
Best best_group(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt, const Plan& plan, int first,
                int last, int64_t avail, double s_tot, double j_tot) {
  Best best;
  const GroupGeo gg = group_geo(g, plan, first, last);
  const int n = hw.cores;
  const LayerGeo& lastg = gg.geo.back();
  const int active = static_cast<int>(std::min<int64_t>(n, lastg.ho));
  int64_t wmax = 0, macs = 0;
  for (int j = 0; j < gg.G(); ++j) {
    wmax = std::max(wmax, gg.streamed_w[size_t(j)]);
    macs += g.layers[size_t(first + j)].cost.macs;
  }
  std::vector<std::pair<bool, int64_t>> policies = {{true, 0}};
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);
  if (wmax > 0)
    for (int64_t blk : {wmax, cap / 4, cap / 8, cap / 16, cap / 32})
      if (blk > 0 && blk <= wmax) policies.push_back({false, blk});
  double best_v = 0;
  // Tallest bands first (fewest commands, least fill and drain per row); once some fit, the next
  // kShorterBands shorter ones are tried and no more: shorter bands only add per-band costs.
  std::vector<int64_t> bands = band_candidates(ceil_div(lastg.ho, active));
  std::reverse(bands.begin(), bands.end());
  int fitted = 0;
  for (int64_t band : bands) {
    if (fitted > kShorterBands) break;
    if (best.ok) ++fitted;
    bool held_fits = false;
    for (auto [hold, blk] : policies) {
      // Where every weight fits for the group, streaming them (re-loaded every band) is not tried.
      if (!hold && held_fits) break;
      FusedGroup fg;
      fg.first = first, fg.last = last, fg.band_rows = band, fg.hold_weights = hold, fg.weight_block = blk;
      fg.active_cores = active;
      // Every core's share: the most OCM and time of any core, the bytes and MACs of all.
      bool fits = true;
      int64_t ws = 0, commands = 0, dram = 0, dram_write = 0, ocm_r = 0, ocm_w = 0, all_macs = 0;
      double secs = 0;
      for (int c = 0; c < active && fits; ++c) {
        const WalkSum w = walk_sum(hw, gg, fg, c, avail);
        fits = w.buffers + w.spill <= avail;
        ws = std::max(ws, w.buffers + w.spill);
        commands = std::max(commands, w.commands);
        secs = std::max(secs, w.seconds);
        dram += w.dram, dram_write += w.dram_write, ocm_r += w.ocm_read, ocm_w += w.ocm_write, all_macs += w.macs;
      }
      if (!fits) continue;
      held_fits |= hold;
      if (commands > int64_t(opt.max_tiles_per_core) * opt.max_chunks) continue;
      fg.working_set = ws;
      fg.dram_bytes = dram;
      fg.est_seconds = secs;
      energy::Actions a;  // MACs beyond the layers' own (halo rows recomputed across cores) are priced
      a.format = gg.geo[0].format, a.weight_bits = gg.geo[0].weight_bits, a.act_bits = gg.geo[0].act_bits;
      a.macs = std::max<int64_t>(0, all_macs - macs);
      a.dram_read = dram - dram_write;
      a.dram_write = dram_write;
      a.ocm_read = ocm_r;
      a.ocm_write = ocm_w;
      a.seconds = fg.est_seconds;
      fg.est_joules = energy::energy_of(a, hw).total();
      const double v = value(opt.objective, fg.est_seconds, fg.est_joules, s_tot, j_tot) * (1 + 1e-7 * double(commands));
      if (!best.ok || v < best_v * (1 - 1e-9) || (v <= best_v * (1 + 1e-9) && fg.dram_bytes < best.fg.dram_bytes)) {
        best.ok = true;
        best.fg = fg;
        best_v = v;
      }
    }
  }
  return best;
}

}  // namespace

void fuse_layers(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt, Plan& plan) {
  const int L = static_cast<int>(g.layers.size());
  const int n = hw.cores;
  const auto consumers = g.consumers();
  std::vector<int> last_use(size_t(L), -1);
  for (int i = 0; i < L; ++i)
    for (int c : consumers[size_t(i)]) last_use[size_t(i)] = std::max(last_use[size_t(i)], c);
  double s_tot = 0, j_tot = 0;
  for (const auto& lp : plan.layers) s_tot += lp.tiling.est_seconds, j_tot += lp.tiling.est_joules;
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);
  // Resident weights are spread over the cores by channel; a group splits rows, so on several
  // cores it needs every weight streamed.
  auto ok_layer = [&](int i) {
    return g.layers[size_t(i)].op != graph::Op::Input && fusable(g, hw, i) &&
           (n == 1 || plan.layers[size_t(i)].pinned_weight_bytes == 0);
  };
  auto unfused = [&](int i) {
    return value(opt.objective, plan.layers[size_t(i)].tiling.est_seconds, plan.layers[size_t(i)].tiling.est_joules,
                 s_tot, j_tot);
  };
  std::vector<FusedGroup> chosen;
  std::map<std::vector<int64_t>, Best> cache;
  for (int a = 1; a < L;) {
    if (!ok_layer(a)) {
      ++a;
      continue;
    }
    int b = a;
    while (b + 1 < L && ok_layer(b + 1) && chains(g, consumers, b, b + 1)) ++b;
    // Best split of the run a..b into groups: best[k] for the layers a..a+k-1.
    const int R = b - a + 1;
    std::vector<double> best(size_t(R) + 1, std::numeric_limits<double>::infinity());
    std::vector<int> from(size_t(R) + 1, -1);
    std::vector<FusedGroup> group_at(size_t(R) + 1);
    best[0] = 0;
    for (int e = 1; e <= R; ++e) {
      best[size_t(e)] = best[size_t(e) - 1] + unfused(a + e - 1);
      from[size_t(e)] = e - 1;
      for (int s = std::max(0, e - opt.max_fuse_depth); s + 1 < e; ++s) {
        const int f = a + s, l = a + e - 1;
        double sum_s = 0, sum_j = 0, sum_v = 0;
        bool through_dram = false;  // an intermediate goes through DRAM layer by layer
        bool any_mac = false;       // groups of pooling and activations alone gain too little
        for (int i = f; i <= l; ++i) {
          any_mac |= g.layers[size_t(i)].has_weights();
          if (i < l && !plan.layers[size_t(i)].output_on_chip) through_dram = true;
          sum_s += plan.layers[size_t(i)].tiling.est_seconds, sum_j += plan.layers[size_t(i)].tiling.est_joules;
          sum_v += unfused(i);
        }
        if (!any_mac || g.layers[size_t(f)].inputs.size() != 1) continue;  // a join does not start a group
        if (!through_dram) continue;  // (see below)
        const int64_t avail = cap - plan.pinned_per_core - resident_around(g, plan, last_use, f, l, n);
        if (avail <= 0) continue;
        // Networks repeat blocks: a group of the same shapes, placement and room is the same group.
        std::vector<int64_t> key{avail, l - f};
        for (int i = f; i <= l; ++i) {
          const LayerGeo q = layer_geo(g, i);
          const graph::Layer& li = g.layers[size_t(i)];
          key.insert(key.end(), {int64_t(li.op), q.co, q.ho, q.wo, q.k, q.cpg_out, q.kh_eff, q.sh, li.pad_t, q.in[0].c,
                                 q.in[0].h, q.in[0].w, q.weight_bytes, li.cost.weight_bytes - plan.layers[size_t(i)].pinned_weight_bytes,
                                 q.vector_ops, q.act_bits, q.weight_bits, int64_t(q.format)});
        }
        key.push_back(plan.layers[size_t(f)].input_on_chip.empty() || !plan.layers[size_t(f)].input_on_chip[0]);
        key.push_back(plan.layers[size_t(l)].output_on_chip);
        auto hit = cache.find(key);
        if (hit == cache.end()) hit = cache.emplace(key, best_group(g, hw, opt, plan, f, l, avail, s_tot, j_tot)).first;
        Best bg = hit->second;
        bg.fg.first = f, bg.fg.last = l;
        if (!bg.ok) continue;
        const double v = value(opt.objective, bg.fg.est_seconds, bg.fg.est_joules, s_tot, j_tot);
        // Fusion only where it wins by more than the estimate's noise.
        // ... and by a part of the whole inference that the simulation's noise does not hide.
        const double whole = value(opt.objective, s_tot, j_tot, s_tot, j_tot);
        // A group must keep an intermediate out of DRAM: where all fit on chip, the layer-by-layer
        // schedule overlaps its layers (deep weight prefetch, prefetch.h) in ways the estimates
        // leave out. On several cores layers also overlap across cores: a group must win by
        // kMinGainMultiCore there.
        if (!through_dram) continue;
        const double need = n == 1 ? kMinGain : kMinGainMultiCore;
        if (v >= sum_v * (1 - need) || sum_v - v < kMinWholeGain * whole) continue;
        if (best[size_t(s)] + v < best[size_t(e)]) {
          best[size_t(e)] = best[size_t(s)] + v;
          from[size_t(e)] = s;
          bg.fg.unfused_seconds = sum_s, bg.fg.unfused_joules = sum_j;
          group_at[size_t(e)] = bg.fg;
        }
      }
    }
    std::vector<FusedGroup> run;
    for (int e = R; e > 0; e = from[size_t(e)])
      if (from[size_t(e)] < e - 1) run.push_back(group_at[size_t(e)]);
    std::reverse(run.begin(), run.end());
    chosen.insert(chosen.end(), run.begin(), run.end());
    a = b + 1;
  }
  for (const FusedGroup& fg : chosen) {
    const int id = static_cast<int>(plan.groups.size());
    plan.groups.push_back(fg);
    for (int i = fg.first; i <= fg.last; ++i) {
      LayerPlan& lp = plan.layers[size_t(i)];
      lp.fusion_group = id;
      if (i < fg.last) lp.output_on_chip = false;  // in the group's band buffers instead
      if (i > fg.first)  // the layer before is in the band buffers; a join's other operand stays where it is
        for (size_t k = 0; k < lp.input_on_chip.size(); ++k)
          if (g.layers[size_t(i)].inputs[k] == i - 1) lp.input_on_chip[k] = false;
      lp.active_cores = fg.active_cores;
    }
    // The layers' estimates: the group's, split in proportion to their layer-by-layer estimates.
    for (int i = fg.first; i <= fg.last; ++i) {
      Tiling& t = plan.layers[size_t(i)].tiling;
      t.est_seconds = fg.unfused_seconds > 0 ? fg.est_seconds * t.est_seconds / fg.unfused_seconds : 0;
      t.est_joules = fg.unfused_joules > 0 ? fg.est_joules * t.est_joules / fg.unfused_joules : 0;
    }
    // The plan's traffic: the group's estimate replaces its layers'.
    for (int i = fg.first; i <= fg.last; ++i) plan.est_dram_bytes -= plan.layers[size_t(i)].tiling.dram_bytes;
    plan.est_dram_bytes += fg.dram_bytes;
  }
}

std::string describe(const FusedGroup& fg, int id, const graph::Graph& g) {
  std::string w = fg.hold_weights ? "weights held" : fmt::format("weights streamed in blocks of <= {} B", fg.weight_block);
  return fmt::format("fused group {} ({} .. {}, {} layers): bands of {} rows on {} core{}, halo rows cached, {}", id,
                     g.layers[size_t(fg.first)].name, g.layers[size_t(fg.last)].name, fg.last - fg.first + 1,
                     fg.band_rows, fg.active_cores, fg.active_cores > 1 ? "s" : "", w);
}

}  // namespace nnasim::sched
