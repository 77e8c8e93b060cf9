#include "sim/sched/stream.h"

#include <algorithm>
#include <optional>

#include "sim/common/int_math.h"
#include "sim/hw/accumulator.h"
#include "sim/hw/systolic.h"

namespace nnasim::sched {
namespace {

using program::Command;
using program::Kind;
using program::Program;

constexpr int64_t kPsumBytes = kAccumulatorBytes;

struct Range {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};
Range part(int64_t n, int64_t parts, int64_t i) { return {n * i / parts, n * (i + 1) / parts}; }

// Input elements (all channels) that output pixels [p0, p1) read.
int64_t band_elems(const LayerGeo& g, int64_t p0, int64_t p1) {
  const auto& in = g.in[0];
  if (!g.spatial || p1 <= p0) return p1 > p0 ? in.c * in.h * in.w : 0;
  const int64_t r0 = p0 / g.wo, r1 = (p1 - 1) / g.wo + 1;
  const int64_t a = std::min(in.h, r0 * g.sh), b = std::min(in.h, (r1 - 1) * g.sh + g.kh_eff);
  return std::max<int64_t>(0, b - a) * in.w * in.c;
}

// The same for a chunk of s pixels that starts on a row when s is a whole number of rows, for
// estimates.
int64_t band_elems_of(const LayerGeo& g, int64_t s) {
  const auto& in = g.in[0];
  if (s <= 0) return 0;
  if (!g.spatial) return in.c * in.h * in.w;
  const int64_t rows = std::min(g.ho, ceil_div(s, g.wo) + (s % g.wo ? 1 : 0));
  return std::min(in.h, (rows - 1) * g.sh + g.kh_eff) * in.w * in.c;
}

// An extent split in blocks of `b`: full blocks and the edge.
struct Blocks {
  int64_t b = 0, full = 0, edge = 0;
  int64_t count() const { return full + (edge > 0); }
};
Blocks blocks(int64_t extent, int64_t b) {
  b = std::max<int64_t>(1, std::min(b, extent));
  return {b, extent / b, extent % b};
}

// Calls fn(size, multiplicity) for the full blocks and the edge.
template <typename Fn>
void for_each_class(const Blocks& bl, Fn fn) {
  if (bl.full) fn(bl.b, bl.full);
  if (bl.edge) fn(bl.edge, int64_t(1));
}

bool weight_stationary(const HardwareSpec& hw) { return hw.mac.dataflow == Dataflow::WeightStationary; }

// Cycles of one stationary block (WS: a x n = k x n; OS: a x n = m x n) with its streamed extent
// `e` in chunks of `s`, and the OCM bytes its commands read into the array (systolic.h's law);
// ocm(g) gives the other OCM bytes of a command (results, partial sums), weights(x) the weights a
// chunk of x reads.
struct Chain {
  int64_t cycles = 0, reads = 0;
  int64_t spill = 0;             // partial sums spilled from the accumulator to OCM and back (both ways)
  int64_t acc_r = 0, acc_w = 0;  // accumulator entries read and written (hw/accumulator.h)
  Chain& add(const Chain& o, int64_t times) {
    cycles += times * o.cycles, reads += times * o.reads, spill += times * o.spill;
    acc_r += times * o.acc_r, acc_w += times * o.acc_w;
    return *this;
  }
};
template <typename Ocm, typename Weights>
Chain chain_cost(const HardwareSpec& hw, const LayerGeo& geo, int64_t a, int64_t n, int64_t e, int64_t s, Ocm ocm,
                 Weights weights) {
  const bool ws = weight_stationary(hw);
  const bool single = a <= hw.mac.rows && n <= hw.mac.cols;
  auto law = [&](int64_t x, bool fill, bool drain) {
    program::Gemm g;
    g.m = ws ? x : a;
    g.k = ws ? a : x;
    g.n = n;
    g.fill = fill || !single;
    g.drain = drain || !single;
    const int64_t reads = hw::array_read_bytes(hw.mac, g, geo.act_bits, weights(x));
    const hw::AccumulatorUse u = hw::accumulator_use(hw.mac, g);
    return Chain{hw::mac_tile_cycles(hw, g, geo.format, geo.weight_bits, geo.act_bits, reads + ocm(g)), reads,
                 2 * u.spill_bytes, u.reads, u.writes};
  };
  const Blocks c = blocks(e, s);
  const int64_t count = c.count();
  if (count == 1) return law(e, true, true);
  const int64_t last = c.edge ? c.edge : c.b;
  const int64_t middle = count - 2;
  Chain sum = law(c.b, true, false);
  if (middle) sum.add(law(c.b, false, false), middle);
  return sum.add(law(last, false, true), 1);
}

}  // namespace

bool can_stream(const LayerGeo& geo) {
  return geo.mac && geo.dense && geo.groups == 1 && geo.in.size() == 1 && geo.k > 0 && geo.co > 0;
}

StreamCost stream_cost(const HardwareSpec& hw, const LayerGeo& geo, const StreamTiling& t, int64_t streamed_w,
                       bool in_on_chip, bool out_on_chip) {
  StreamCost r;
  const bool ws = weight_stationary(hw);
  const int64_t M = geo.ho * geo.wo, K = geo.k, co = geo.co;
  r.active_cores = t.cores();
  // The busiest core: the last of its reduction group (it also combines the group's partial sums).
  const int gk = ws ? t.gk : 1;
  const int64_t co_c = ceil_div(co, t.gc), M_c = ceil_div(M, t.gp), K_c = ceil_div(K, gk);
  const int64_t nb = std::min(t.nb, co_c), kb = std::min(t.kb, K_c), mb = std::min(t.mb, M_c);
  const bool in_dram = !in_on_chip, out_dram = !out_on_chip;
  const int bits = geo.act_bits;
  auto wbytes = [&](int64_t k, int64_t n) { return ceil_div(streamed_w * n, co) * k / K; };
  auto wall = [&](int64_t k, int64_t n) { return ceil_div(geo.weight_bytes * n, co) * k / K; };
  auto band = [&](int64_t s) { return bytes_of(band_elems_of(geo, s), bits); };  // all of K
  const Blocks nB = blocks(co_c, nb), kB = blocks(K_c, kb), mB = blocks(M_c, mb);
  const int64_t NB = nB.count(), KB = kB.count(), MB = mB.count();
  const int64_t passes = t.hold_in ? 1 : NB;
  // Input bytes of one pass over the core's pixels (chunks overlap by their halo rows).
  int64_t pass_in = 0;
  for_each_class(mB, [&](int64_t s, int64_t mult) { pass_in += mult * band(s); });

  int64_t ocm = 0, dram = 0, transfers = 0, ws_bytes = 0;
  int64_t others_dram = 0, others_write = 0, others_ocm = 0;  // a reduction group's other cores
  Chain all;  // the MAC array's commands of the busiest core
  const int64_t& cycles = all.cycles;
  const int64_t& reads = all.reads;
  if (ws) {
    // Partial sums between reduction blocks: in the accumulator (ps_acc: no OCM traffic; its
    // reads and writes are the commands' own, hw/accumulator.h), else in OCM or DRAM.
    const bool ps = KB > 1 && !t.ps_acc;
    for_each_class(nB, [&](int64_t n, int64_t nm) {
      for_each_class(kB, [&](int64_t k, int64_t km) {
        const Chain ch = chain_cost(
            hw, geo, k, n, M_c, mb,
            [&](const program::Gemm& g) { return (ps ? 2 * g.m * n * kPsumBytes : 0) + bytes_of(g.m * n, bits); },
            [&](int64_t) { return wall(k, n); });
        all.add(ch, nm * km);
      });
    });
    const int64_t psum_total = ps ? (KB - 1) * M_c * co_c * kPsumBytes : 0;
    const int64_t core_in = pass_in * K_c / K;  // this core's share of the reduction's inputs
    if (in_dram) dram += passes * core_in, transfers += passes * KB * MB;
    if (streamed_w > 0) dram += wbytes(K_c, co_c), transfers += NB * KB, r.weight_dram = wbytes(K_c, co_c);
    if (ps && !t.hold_ps) dram += 2 * psum_total, transfers += 2 * (KB - 1) * NB * MB, r.write_dram += psum_total;
    // A reduction split: every core of the group but the last stores its 32-bit partial sums to
    // DRAM; the last loads them, adds them on its vector unit and writes the outputs.
    const int64_t pc = gk > 1 ? M_c * co_c * kPsumBytes : 0, exchange = (gk - 1) * pc;
    const int64_t other_dram = dram + pc, other_write = r.write_dram + pc;
    if (gk > 1) {
      dram += exchange, transfers += NB * MB;
      const int64_t adds = (gk - 1) * M_c * co_c;
      all.cycles += hw::vector_tile_cycles(hw, adds, gk * pc + bytes_of(M_c * co_c, bits));
      ocm += gk * pc + pc;  // read by the adds, and this core's own written (the loads are in dram)
      ws_bytes += 2 * gk * mb * nb * kPsumBytes;
    }
    if (out_dram) dram += bytes_of(M_c * co_c, bits), transfers += NB * MB, r.write_dram += bytes_of(M_c * co_c, bits);
    ocm += dram + reads + 2 * psum_total + bytes_of(M_c * co_c, bits);
    if (in_dram) ws_bytes += t.hold_in ? core_in : (passes * KB * MB > 1 ? 2 : 1) * ceil_div(band(mb) * kb, K);
    if (streamed_w > 0) ws_bytes += (NB * KB > 1 ? 2 : 1) * wbytes(kb, nb);
    if (ps) ws_bytes += t.hold_ps ? M_c * nb * kPsumBytes : 4 * mb * nb * kPsumBytes;
    if (out_dram) ws_bytes += (NB * MB > 1 ? 2 : 1) * bytes_of(mb * nb, bits);
    r.commands = NB * KB * MB;
    r.first_bytes = (in_dram ? ceil_div(band(mb) * kb, K) : 0) + wbytes(kb, nb);
    // Totals over the group's other cores (each as this one, storing partial sums for outputs).
    others_dram = (gk - 1) * other_dram;
    others_write = (gk - 1) * other_write;
    others_ocm = (gk - 1) * (other_dram + reads + 2 * psum_total + pc + all.spill);
  } else {
    for_each_class(nB, [&](int64_t n, int64_t nm) {
      for_each_class(mB, [&](int64_t m, int64_t mm) {
        const Chain ch = chain_cost(
            hw, geo, m, n, K, kb, [&](const program::Gemm& g) { return g.drain ? bytes_of(m * n, bits) : 0; },
            [&](int64_t x) { return wall(x, n); });
        all.add(ch, nm * mm);
      });
    });
    if (in_dram) dram += passes * pass_in, transfers += passes * MB * KB;
    if (streamed_w > 0)
      r.weight_dram = (t.hold_w ? 1 : MB) * wbytes(K, co_c), dram += r.weight_dram, transfers += (t.hold_w ? NB : NB * MB) * KB;
    if (out_dram) dram += bytes_of(M_c * co_c, bits), transfers += NB * MB, r.write_dram += bytes_of(M_c * co_c, bits);
    ocm = dram + reads + bytes_of(M_c * co_c, bits);
    const int64_t loads = NB * MB * KB;
    if (in_dram) ws_bytes += t.hold_in ? pass_in : (loads > 1 ? 2 : 1) * ceil_div(band(mb) * kb, K);
    if (streamed_w > 0) ws_bytes += t.hold_w ? wbytes(K, nb) : (loads > 1 ? 2 : 1) * wbytes(kb, nb);
    if (out_dram) ws_bytes += (NB * MB > 1 ? 2 : 1) * bytes_of(mb * nb, bits);
    r.commands = NB * MB * KB;
    r.first_bytes = (in_dram ? ceil_div(band(mb) * kb, K) : 0) + wbytes(kb, nb);
  }
  // Room for the partial sums the largest command spills from the accumulator: the MacArray
  // allocates it while the command runs (sim/hw/accumulator.h), the emitter does not.
  program::Gemm big;
  big.m = mb, big.k = kb, big.n = nb;
  r.ws = ws_bytes;
  r.last_bytes = out_dram ? bytes_of(std::min(mb, M_c) * std::min(nb, co_c), bits) : 0;
  r.spill = hw::accumulator_spill_footprint(hw.mac, big);
  r.compute_cycles = cycles;
  r.core_dram = dram;
  r.transfers = transfers;
  const int groups = t.gc * t.gp;  // reduction groups: this core's figures, and its group's others'
  r.dram = (dram + others_dram) * groups;
  r.weight_dram *= r.active_cores;
  r.write_dram = (r.write_dram + others_write) * groups;
  ocm += all.spill;
  r.ocm = (ocm + others_ocm) * groups;
  r.acc_reads = all.acc_r * r.active_cores;
  r.acc_writes = all.acc_w * r.active_cores;
  r.array_reads = reads * r.active_cores;
  return r;
}

std::vector<StreamTiling> stream_tilings(const HardwareSpec& hw, const LayerGeo& geo, int cores, bool grid_ok,
                                         bool in_on_chip, const SchedOptions& opt) {
  std::vector<StreamTiling> out;
  if (!can_stream(geo)) return out;
  // The cost model multiplies byte counts by reduction extents in 64-bit integers: layers so large
  // that this could overflow keep the whole-tile mapper (which reports them as not fitting).
  const auto& in0 = geo.in[0];
  const double in_elems = double(in0.c) * double(in0.h) * double(in0.w);
  const double big = 1e18;
  const double extent = std::max({double(geo.k), double(geo.co), double(geo.ho) * double(geo.wo)});
  const double bytes = std::max({in_elems, double(geo.weight_bytes), double(geo.ho) * double(geo.wo) * double(geo.co)});
  if (bytes * extent * 8 > big) return out;
  const bool ws = weight_stationary(hw);
  const int64_t M = geo.ho * geo.wo, K = geo.k, co = geo.co;
  const int64_t R = hw.mac.rows, C = hw.mac.cols;
  // Core grids: for all the cores, and for fewer (1, 2, 4, ...: a memory-bound layer whose every
  // core would re-read the same inputs may run faster on fewer), every channel group count that
  // divides them, the rest over pixels. Without a free grid (resident weights spread over all
  // cores by channel), all cores over channels.
  // Under weight stationary, a share of the cores may also split the reduction (gk, powers of two,
  // each core keeping at least two row folds): for layers with few channels and pixels, whose
  // channel and pixel splits leave the arrays' columns idle or re-fill them per pixel.
  struct Grid {
    int gc, gp, gk;
    bool operator==(const Grid& o) const { return gc == o.gc && gp == o.gp && gk == o.gk; }
  };
  std::vector<Grid> grids;
  std::vector<int> totals;
  for (int t = 1; t < cores; t *= 2) totals.push_back(t);
  totals.push_back(cores);
  for (int total : totals) {
    if (!grid_ok && total != cores) continue;
    for (int gk = 1; gk <= total; gk *= 2) {
      // Only where each core's share of the outputs is fewer than the array's processing
      // elements (few channels and pixels): elsewhere the channel and pixel splits fill the
      // arrays, and the search stays small.
      const bool few = ceil_div(M * co, total) < R * C;
      if (total % gk || (gk > 1 && (!opt.reduction_split || !ws || !grid_ok || !few || ceil_div(K, gk) < 2 * R))) continue;
      const int rest = total / gk;
      for (int gc = 1; gc <= rest; ++gc) {
        if (rest % gc) continue;
        const int gp = rest / gc;
        if (!grid_ok && gp > 1) continue;
        const Grid gr{static_cast<int>(std::min<int64_t>(gc, co)), static_cast<int>(std::min<int64_t>(gp, M)), gk};
        if (std::find(grids.begin(), grids.end(), gr) == grids.end()) grids.push_back(gr);
      }
    }
  }
  // Block sizes along an extent: multiples of the array dimension `a` that split it evenly
  // into 1, 2, 3, ... blocks (so no block is a sliver), up to `most` blocks, and `a` itself.
  auto sizes = [](int64_t extent, int64_t a, int64_t most) {
    std::vector<int64_t> v;
    const int64_t folds = ceil_div(extent, a);
    for (int64_t nblk = 1; nblk <= folds && nblk <= most; nblk = nblk < 4 ? nblk + 1 : nblk * 2) {
      const int64_t b = std::min(extent, ceil_div(ceil_div(extent, nblk), a) * a);
      if (std::find(v.begin(), v.end(), b) == v.end()) v.push_back(b);
    }
    const int64_t one = std::min(extent, a);
    if (std::find(v.begin(), v.end(), one) == v.end()) v.push_back(one);
    return v;
  };
  // Chunk counts of the streamed extent: 1, 2, 4, ... up to max_chunks.
  auto chunk_sizes = [&](int64_t extent) {
    std::vector<int64_t> v;
    for (int64_t c = 1; c <= opt.max_chunks && c <= extent; c *= 2) {
      const int64_t s = ceil_div(extent, c);
      if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
    }
    return v;
  };
  for (auto [gc, gp, gk] : grids) {
    const int64_t co_c = ceil_div(co, gc), M_c = ceil_div(M, gp), K_c = ceil_div(K, gk);
    for (int64_t nb : sizes(co_c, C, 16)) {
      const int64_t NB = ceil_div(co_c, nb);
      for (bool hold_in : {false, true}) {
        if (hold_in && (NB == 1 || in_on_chip)) continue;
        if (ws) {
          for (int64_t kb : sizes(K_c, R, 64)) {
            const bool single = kb <= R && nb <= C;
            std::vector<int64_t> mbs = chunk_sizes(M_c);
            // Chunks of several folds re-fill the array per chunk: only worth it when the block's
            // partial sums would otherwise spill from the accumulator (hw/accumulator.h). Then
            // chunks whose partial sums fit are a candidate against the spill: the largest even
            // split that fits, and the same in whole output rows.
            if (!single) mbs = {M_c};
            const int64_t cap = hw::accumulator_capacity(hw.mac);
            if (!single && kb > R && cap > 0) {
              const int64_t fit = cap / std::min(nb, C);
              if (fit >= 1 && fit < M_c) {
                mbs.push_back(ceil_div(M_c, ceil_div(M_c, fit)));
                const int64_t row_fit = geo.spatial ? fit / geo.wo : 0, rows = ceil_div(M_c, geo.wo);
                if (row_fit >= 1 && row_fit < rows) {
                  const int64_t mr = ceil_div(rows, ceil_div(rows, row_fit)) * geo.wo;
                  if (std::find(mbs.begin(), mbs.end(), mr) == mbs.end()) mbs.push_back(mr);
                }
              }
            }
            for (int64_t mb : mbs) {
              for (bool hold_ps : {true, false}) {
                if (!hold_ps && kb >= K_c) continue;
                out.push_back({gc, gp, gk, nb, kb, mb, hold_in, false, hold_ps});
              }
              // The core's partial sums of a channel block fit the accumulator: they stay there
              // between reduction blocks, as a TPU's accumulators do.
              if (kb < K_c && (cap == 0 || M_c * std::min(nb, co_c) <= cap))
                out.push_back({gc, gp, gk, nb, kb, mb, hold_in, false, true, true});
            }
          }
        } else {
          for (int64_t mb : sizes(M_c, R, 64)) {
            const bool single = mb <= R && nb <= C;
            for (int64_t kb : chunk_sizes(K)) {
              if (kb < K && !single) continue;
              for (bool hold_w : {false, true}) {
                if (hold_w && ceil_div(M_c, mb) == 1) continue;
                out.push_back({gc, gp, 1, nb, kb, mb, hold_in, hold_w, true});
              }
            }
          }
        }
      }
    }
  }
  return out;
}

int64_t stream_first_weights(const LayerGeo& geo, const StreamTiling& t, int64_t streamed_w, int core) {
  const int gk = std::max(1, t.gk), group = core / gk;
  const Range cr = part(geo.co, t.gc, group / t.gp), kr = part(geo.k, gk, core % gk);
  const int64_t nb = std::min(t.nb, cr.size()), kb = std::min(t.kb, kr.size());
  return share(share(streamed_w, cr.begin, cr.begin + nb, geo.co), kr.begin, kr.begin + kb, geo.k);
}

void emit_stream_core(Program& prog, const HardwareSpec& hw, const LayerGeo& geo, const LayerPlan& lp, int layer,
                      int core, int64_t streamed_w, int64_t weight_bytes, uint32_t start_id, bool lns,
                      uint32_t prefetched, const std::function<void(uint32_t)>& before_last_store,
                      ReductionExchange& exchange) {
  constexpr uint32_t kNone = UINT32_MAX;
  const StreamTiling& t = lp.tiling.st;
  if (core >= t.cores()) return;
  const bool ws = weight_stationary(hw);
  const int64_t M = geo.ho * geo.wo, K = geo.k, co = geo.co;
  // Cores in groups of gk over the reduction (consecutive), groups over channels x pixels.
  const int gk = ws ? t.gk : 1, group = core / gk;
  const bool combiner = core % gk == gk - 1;  // the group's last core combines its partial sums
  const Range cr = part(co, t.gc, group / t.gp), pr = part(M, t.gp, group % t.gp), kr = part(K, gk, core % gk);
  if (cr.size() <= 0 || pr.size() <= 0 || kr.size() <= 0) return;
  const int64_t nb = std::min(t.nb, cr.size()), kb = std::min(t.kb, kr.size()), mb = std::min(t.mb, pr.size());
  const int64_t NB = ceil_div(cr.size(), nb), KB = ceil_div(kr.size(), kb), MB = ceil_div(pr.size(), mb);
  const bool in_dram = !lp.input_on_chip[0], out_dram = !lp.output_on_chip;
  const int bits = geo.act_bits;
  const int64_t R = hw.mac.rows, C = hw.mac.cols;

  // Staging slots (double-buffered): the ids of the last commands that used each.
  struct Slots {
    std::vector<uint32_t> last[2];
    int next = 0;
    std::vector<uint32_t>& take() {
      auto& s = last[next];
      next ^= 1;
      return s;
    }
    std::vector<uint32_t>& current() { return last[next ^ 1]; }
  };
  Slots in_slots, w_slots, ps_slots, out_slots;
  std::vector<uint32_t> held_in(size_t(KB * MB), start_id), held_w(size_t(KB), start_id);
  uint32_t last_mac = start_id;  // the MAC stream is in order: its last command stands for all before
  std::optional<Command> pending;
  std::vector<uint32_t>* pending_slot = nullptr;
  auto flush = [&] {
    if (!pending) return;
    *pending_slot = {prog.add(std::move(*pending))};
    pending.reset();
  };
  auto load = [&](int64_t bytes, bool weights, std::vector<uint32_t> deps) {
    Command ld = program::load(core, layer, bytes, weights, std::move(deps));
    ld.deps.push_back(start_id);
    return prog.add(std::move(ld));
  };
  // The input block (ki, mi) from DRAM: into a staging slot, or held for every channel block after
  // the first (ni > 0 reuses the held copy). Inputs on chip need no load.
  auto input_load = [&](int64_t bytes, int64_t ki, int64_t mi, int64_t ni) -> uint32_t {
    if (!in_dram) return start_id;
    uint32_t& held = held_in[size_t(ki * MB + mi)];
    if (t.hold_in && ni > 0) return held;
    const uint32_t id = load(bytes, false, t.hold_in ? std::vector<uint32_t>{} : in_slots.take());
    if (t.hold_in)
      held = id;
    else
      in_slots.current() = {};
    return id;
  };
  auto store = [&](int64_t bytes, const std::vector<uint32_t>& users, std::vector<uint32_t>* slot) {
    flush();
    pending = program::store(core, layer, bytes, users);
    pending_slot = slot;
  };
  auto wblock = [&](int64_t total, int64_t n0, int64_t n1, int64_t k0, int64_t k1) {
    return share(share(total, n0, n1, co), k0, k1, K);
  };
  auto compute = [&](int64_t p0, int64_t p1, int64_t k0, int64_t k1, int64_t n0, int64_t n1, bool fill, bool drain,
                     int64_t weights, int64_t psum_read, int64_t ocm_write, std::vector<uint32_t> deps, bool last_k) {
    Command c;
    c.kind = Kind::Compute, c.core = core, c.layer = layer;
    c.weight_bits = geo.weight_bits, c.act_bits = bits, c.format = geo.format;
    c.gemm.m = p1 - p0, c.gemm.k = k1 - k0, c.gemm.n = n1 - n0;
    const bool single = (ws ? c.gemm.k : c.gemm.m) <= R && c.gemm.n <= C;
    c.gemm.fill = fill || !single;
    c.gemm.drain = drain || !single;
    c.ops = c.gemm.m * c.gemm.k * c.gemm.n;
    // The array's stream of operands (sim/hw/systolic.h) and the partial sums read back.
    c.ocm_read = hw::array_read_bytes(hw.mac, c.gemm, bits, weights) + psum_read;
    c.ocm_write = ocm_write;
    c.deps = std::move(deps);
    c.deps.push_back(start_id);
    std::vector<uint32_t> users = {prog.add(c)};
    if (lns) {
      Command cv = c;
      cv.kind = Kind::Convert;
      cv.ops = c.ops + (last_k ? c.gemm.m * c.gemm.n : 0);
      cv.ocm_read = cv.ocm_write = 0;
      cv.gemm = {};
      users.push_back(prog.add(cv));
    }
    last_mac = users.front();
    return users;
  };

  for (int64_t ni = 0; ni < NB; ++ni) {
    const int64_t n0 = cr.begin + ni * nb, n1 = std::min(cr.end, n0 + nb);
    if (ws) {
      for (int64_t ki = 0; ki < KB; ++ki) {
        const int64_t k0 = kr.begin + ki * kb, k1 = std::min(kr.end, k0 + kb);
        const bool ps = KB > 1, last_k = ki + 1 == KB;
        uint32_t w_load = start_id;
        const int64_t wb = wblock(streamed_w, n0, n1, k0, k1), wa = wblock(weight_bytes, n0, n1, k0, k1);
        if (wb > 0 && ni == 0 && ki == 0 && prefetched != kNone) {
          w_slots.take();
          w_load = prefetched;
          w_slots.current() = {};
        } else if (wb > 0) {
          w_load = load(wb, true, w_slots.take());
          w_slots.current() = {};
        }
        for (int64_t mi = 0; mi < MB; ++mi) {
          const int64_t p0 = pr.begin + mi * mb, p1 = std::min(pr.end, p0 + mb);
          const int64_t in_b = bytes_of(share(band_elems(geo, p0, p1), k0, k1, K), bits);
          const uint32_t in_load = input_load(in_b, ki, mi, ni);
          const int64_t out_e = (p1 - p0) * (n1 - n0);
          const int64_t psb = out_e * kPsumBytes, outb = bytes_of(out_e, bits);
          uint32_t ps_load = start_id;
          if (ps && ki > 0 && !t.hold_ps && !t.ps_acc) {
            // With one chunk, the store of these partial sums is still pending: it must precede
            // their load on the in-order DMA stream.
            if (MB == 1) flush();
            ps_load = load(psb, false, ps_slots.take());
            ps_slots.current() = {};
          }
          // A reduction split: at its last block, a core other than the group's last stores its
          // partial sums for that core instead of outputs; the last combines them.
          const bool split = gk > 1 && last_k, exporter = split && !combiner;
          const bool stored = (last_k && (out_dram || exporter)) || (!last_k && !t.hold_ps && !t.ps_acc);
          std::vector<uint32_t>* slot = stored ? &out_slots.take() : nullptr;
          std::vector<uint32_t> deps = {w_load, in_load, ps_load};
          if (slot) deps.insert(deps.end(), slot->begin(), slot->end());
          const bool fill = mi == 0, drain = mi + 1 == MB;
          // Partial sums kept in the accumulator (ps_acc) move through no OCM.
          auto users = compute(p0, p1, k0, k1, n0, n1, fill, drain, wa, ps && ki > 0 && !t.ps_acc ? psb : 0,
                               last_k && !split ? outb : t.ps_acc && !split ? 0 : psb, deps, last_k);
          if (in_dram && !t.hold_in) in_slots.current() = users;
          if (wb > 0) w_slots.current() = users;
          if (ps_load != start_id) ps_slots.current() = users;
          flush();
          auto& sent = exchange.stores[{group, ni * MB + mi}];
          if (exporter) {
            store(psb, users, slot);
            flush();
            sent.push_back(slot->front());
            continue;
          }
          if (split) {
            // The group's other cores' partial sums, loaded once they are stored, and added to
            // this core's on the vector unit, which writes the outputs.
            const uint32_t got = load((gk - 1) * psb, false, sent);
            Command add;
            add.kind = Kind::Vector, add.core = core, add.layer = layer;
            add.ops = (gk - 1) * out_e;
            add.ocm_read = gk * psb;
            add.ocm_write = outb;
            add.deps = {got, start_id};
            add.deps.insert(add.deps.end(), users.begin(), users.end());
            if (slot) add.deps.insert(add.deps.end(), slot->begin(), slot->end());
            users = {prog.add(std::move(add))};
          }
          if (stored) store(last_k ? outb : psb, users, slot);
        }
      }
    } else {
      for (int64_t mi = 0; mi < MB; ++mi) {
        const int64_t p0 = pr.begin + mi * mb, p1 = std::min(pr.end, p0 + mb);
        const int64_t band = band_elems(geo, p0, p1);
        const int64_t out_e = (p1 - p0) * (n1 - n0), outb = bytes_of(out_e, bits);
        std::vector<uint32_t>* slot = out_dram ? &out_slots.take() : nullptr;
        for (int64_t ki = 0; ki < KB; ++ki) {
          const int64_t k0 = ki * kb, k1 = std::min(K, k0 + kb);
          const bool last_k = ki + 1 == KB;
          const int64_t in_b = bytes_of(share(band, k0, k1, K), bits);
          const uint32_t in_load = input_load(in_b, ki, mi, ni);
          uint32_t w_load = start_id;
          const int64_t wb = wblock(streamed_w, n0, n1, k0, k1), wa = wblock(weight_bytes, n0, n1, k0, k1);
          if (wb > 0) {
            if (ni == 0 && mi == 0 && ki == 0 && prefetched != kNone) {
              if (!t.hold_w) w_slots.take(), w_slots.current() = {};
              w_load = prefetched;
              if (t.hold_w) held_w[0] = w_load;
            } else if (!t.hold_w || mi == 0) {
              // A held block is re-filled for the next channel block once the last one has read it.
              w_load = load(wb, true, t.hold_w ? std::vector<uint32_t>{last_mac} : w_slots.take());
              if (t.hold_w)
                held_w[size_t(ki)] = w_load;
              else
                w_slots.current() = {};
            } else {
              w_load = held_w[size_t(ki)];
            }
          }
          std::vector<uint32_t> deps = {w_load, in_load};
          if (slot && ki == 0) deps.insert(deps.end(), slot->begin(), slot->end());
          auto users = compute(p0, p1, k0, k1, n0, n1, ki == 0, last_k, wa, 0, last_k ? outb : 0, deps, last_k);
          if (in_dram && !t.hold_in) in_slots.current() = users;
          if (wb > 0 && !t.hold_w) w_slots.current() = users;
          flush();
          if (last_k && slot) store(outb, users, slot);
        }
      }
    }
  }
  before_last_store(last_mac);
  flush();
}

}  // namespace nnasim::sched
