#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sim/sched/fuse.h"
#include "sim/common/int_math.h"
#include "sim/sched/layer_cost.h"
#include "sim/sched/prefetch.h"
#include "sim/sched/scheduler.h"
#include "sim/sched/stream.h"

namespace nnasim::sched {
namespace {


// Double (or single) buffered slots of one stream: a load into a slot waits for the commands that
// last read it; a compute writing an output slot waits for the store that drained it.
struct Slots {
  std::vector<std::vector<uint32_t>> last;
  size_t next = 0;
  explicit Slots(int n) : last(std::max(1, n)) {}
  std::vector<uint32_t>& take() {
    auto& s = last[next];
    next = (next + 1) % last.size();
    return s;
  }
  std::vector<uint32_t>& current() { return last[(next + last.size() - 1) % last.size()]; }
};

struct Range {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

struct ByteMeter {
  int bits;
  int64_t elements = 0;
  int64_t take(int64_t e) {
    const int64_t before = bytes_of(elements, bits);
    elements += e;
    return bytes_of(elements, bits) - before;
  }
};

// Part i of [0, n) split as evenly as possible over `parts` (sizes differ by at most one), so that
// 28 rows over 8 cores is 4,4,4,4,3,3,3,3 rather than seven cores of 4 and an idle eighth.
Range part(int64_t n, int64_t parts, int64_t i) { return {n * i / parts, n * (i + 1) / parts}; }

}  // namespace

Program emit_program(const graph::Graph& g, const HardwareSpec& hw, const Plan& plan) {
  Program prog;
  const int n = hw.cores;
  prog.cores = n;
  prog.ocm_preload = plan.pinned_per_core;
  for (const auto& l : g.layers) prog.layers.push_back({l.name, to_string(l.op)});
  const int L = static_cast<int>(g.layers.size());
  auto consumers = g.consumers();
  size_t expect = 0;
  for (const auto& lp : plan.layers) expect += size_t(lp.tiling.channel_tiles * lp.tiling.row_tiles) * 4 + 2;
  prog.cmds.reserve(expect * size_t(n));
  std::vector<int> last_use(L, -1);
  for (int i = 0; i < L; ++i)
    for (int c : consumers[i]) last_use[i] = std::max(last_use[i], c);

  // Per layer and core: the OCM of its buffers, and the bytes of its first weight block (which
  // the layer before may prefetch).
  const int64_t cap = static_cast<int64_t>(hw.ocm.size_bytes);
  std::vector<std::vector<int64_t>> ws_of(L, std::vector<int64_t>(n, 0)), first_w(L, std::vector<int64_t>(n, 0));
  std::vector<int64_t> freed_of(L, 0);
  std::vector<int> next_layer(L, -1);
  for (int li = 1, prev = -1; li < L; ++li) {
    const graph::Layer& layer = g.layers[li];
    if (layer.op == graph::Op::Input) continue;
    if (prev >= 0) next_layer[prev] = li;
    prev = li;
    const LayerPlan& lp = plan.layers[li];
    const LayerGeo geo = layer_geo(g, li);
    const int64_t streamed_w = layer.cost.weight_bytes - lp.pinned_weight_bytes;
    for (size_t k = 0; k < layer.inputs.size(); ++k) {
      int p = layer.inputs[k];
      bool dup = std::find(layer.inputs.begin(), layer.inputs.begin() + k, p) != layer.inputs.begin() + k;
      if (!dup && lp.input_on_chip[k] && last_use[p] == li) freed_of[li] += ceil_div(g.layers[p].cost.output_bytes, n);
    }
    if (lp.fusion_group >= 0) continue;  // a fused group's layer: its weights are not prefetched
    if (lp.tiling.stream) {
      const StreamTiling& st = lp.tiling.st;
      const int64_t ws = stream_cost(hw, geo, st, streamed_w, lp.input_on_chip[0], lp.output_on_chip).ws;
      for (int core = 0; core < std::min(n, st.cores()); ++core) {
        ws_of[li][core] = ws;
        first_w[li][core] = stream_first_weights(geo, st, streamed_w, core);
      }
    } else {
      const TileShape s = tile_shape(geo, n, lp.split, lp.tiling, streamed_w);
      const bool all_in = std::all_of(lp.input_on_chip.begin(), lp.input_on_chip.end(), [](bool b) { return b; });
      for (int core = 0; core < s.active_cores; ++core) {
        ws_of[li][core] = working_set(s, all_in, lp.output_on_chip);
        const Range co_core = lp.split == Split::Channels ? part(geo.co, s.active_cores, core) : Range{0, geo.co};
        const int64_t in_c = geo.in.empty() ? 1 : geo.in[0].c;
        const int64_t c1 = co_core.begin + std::min(co_core.size(), s.co_tile);
        first_w[li][core] = share(share(streamed_w, co_core.begin, c1, geo.co), 0, in_c / lp.tiling.k_tiles, in_c);
      }
    }
  }

  std::vector<std::vector<uint32_t>> ends_of(L);  // end syncs of each layer, one per core
  std::vector<uint32_t> prev_end;                 // end syncs of the previous layer, one per core
  bool prev_freed = false;                        // the previous layer freed on-chip inputs
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> prefetched(n, kNone);     // this layer's first weight block, loaded by the layer before
  for (int li = 1; li < L; ++li) {
    const graph::Layer& layer = g.layers[li];
    if (layer.op == graph::Op::Input) continue;  // a further network input (SCALE-Sim rows): in DRAM
    const LayerPlan& lp = plan.layers[li];
    const LayerGeo geo = layer_geo(g, li);
    const int64_t streamed_w = layer.cost.weight_bytes - lp.pinned_weight_bytes;
    const TileShape s = tile_shape(geo, n, lp.split, lp.tiling, streamed_w);
    const bool lns = hw.mac.arithmetic == NumFormat::Lns && geo.mac;
    const int64_t out_share = lp.output_on_chip ? ceil_div(layer.cost.output_bytes, n) : 0;
    const int64_t freed_inputs = freed_of[li];
    // Overlap across layers: a layer waits for the layers it reads, on every core, not for the
    // layer before it; where the layer before freed on-chip inputs, for it too on every core, so
    // that no core re-uses that OCM while another still reads it. On one core, its in-order
    // streams keep layers in order.
    std::vector<uint32_t> start_deps;
    if (!plan.overlap || prev_freed) {
      start_deps = prev_end;
    }
    if (plan.overlap)
      for (int p : layer.inputs)
        if (!ends_of[p].empty()) start_deps.insert(start_deps.end(), ends_of[p].begin(), ends_of[p].end());
    std::sort(start_deps.begin(), start_deps.end());
    start_deps.erase(std::unique(start_deps.begin(), start_deps.end()), start_deps.end());
    if (lp.fusion_group >= 0) {  // a fused group (fuse.h): all its layers, band by band
      const FusedGroup& fg = plan.groups[size_t(lp.fusion_group)];
      const int64_t out_alloc =
          plan.layers[size_t(fg.last)].output_on_chip ? ceil_div(g.layers[size_t(fg.last)].cost.output_bytes, n) : 0;
      // A join inside the group reads a tensor from outside it: the group waits for it too, and
      // frees it at its end when that was its last use.
      int64_t freed = 0;
      for (int j = fg.first; j <= fg.last; ++j) {
        freed += freed_of[size_t(j)];
        for (int p : g.layers[size_t(j)].inputs)
          if (plan.overlap && (p < fg.first || p > fg.last))
            start_deps.insert(start_deps.end(), ends_of[size_t(p)].begin(), ends_of[size_t(p)].end());
      }
      std::sort(start_deps.begin(), start_deps.end());
      start_deps.erase(std::unique(start_deps.begin(), start_deps.end()), start_deps.end());
      // The next layer's first weight block, prefetched once the group has ended on a core, before
      // the next layer starts, where OCM has room for it.
      const int nx = next_layer[size_t(fg.last)];
      int64_t resident = 0;
      for (int j = fg.first; j <= fg.last; ++j) resident = std::max(resident, plan.layers[size_t(j)].resident_bytes);
      std::vector<int64_t> tail(size_t(n), 0);
      for (int core = 0; plan.overlap && nx >= 0 && core < n; ++core) {
        const int64_t bytes = first_w[size_t(nx)][size_t(core)];
        if (bytes > 0 && plan.pinned_per_core + resident + fg.working_set + bytes <= cap) tail[size_t(core)] = bytes;
      }
      std::vector<uint32_t> tail_ids;
      auto ends = emit_fused_group(prog, g, hw, plan, fg, start_deps, out_alloc, freed, nx, tail, &tail_ids);
      for (int j = fg.first; j <= fg.last; ++j) ends_of[size_t(j)] = std::move(ends[size_t(j - fg.first)]);
      prev_end = ends_of[size_t(fg.last)];
      prev_freed = freed > 0;
      prefetched = tail_ids;
      li = fg.last;
      continue;
    }
    // Prefetch of the next layer's first weight block, issued on each core after this layer's
    // last load, before its last store (the DMA engine would otherwise idle during the last
    // compute), where this layer leaves room for it in OCM.
    const int nx = next_layer[li];
    std::vector<uint32_t> next_prefetched(n, kNone);
    auto prefetch_next = [&](int core, uint32_t after) {
      if (!plan.overlap || nx < 0 || next_prefetched[core] != kNone) return;
      const int64_t bytes = first_w[nx][core];
      // The planner's working set also counts the partial sums the MacArray may spill.
      const int64_t ws = std::max(ws_of[li][core], lp.tiling.working_set);
      if (bytes <= 0 || plan.pinned_per_core + lp.resident_bytes + ws + bytes > cap) return;
      Command ld = program::load(core, nx, bytes, true, {after});
      ld.ocm_alloc = bytes;  // part of the next layer's buffers, freed with them
      next_prefetched[core] = prog.add(ld);
    };
    const int64_t ops_per_row_channel = geo.mac || geo.co * geo.ho == 0 ? 0 : geo.vector_ops / (geo.co * geo.ho);

    std::vector<uint32_t> ends;
    const bool stream = lp.tiling.stream;
    ReductionExchange exchange;  // partial sums of a reduction split across cores
    for (int core = 0; core < n; ++core) {
      const bool active = core < (stream ? lp.tiling.st.cores() : s.active_cores);
      const int64_t ws = ws_of[li][core];
      Command start;
      start.kind = Kind::Sync;
      start.core = core;
      start.layer = li;
      start.deps = start_deps;
      const int64_t pre = prefetched[core] != kNone ? first_w[li][core] : 0;
      start.ocm_alloc = ws + out_share - pre;
      const uint32_t start_id = prog.add(start);
      std::vector<uint32_t> tails;  // last command per unit on this core
      tails.push_back(start_id);

      if (active && stream) {
        emit_stream_core(prog, hw, geo, lp, li, core, streamed_w, layer.cost.weight_bytes, start_id, lns,
                         prefetched[core], [&](uint32_t) { prefetch_next(core, start_id); }, exchange);
      } else if (active) {
        const Range co_core = lp.split == Split::Channels ? part(geo.co, s.active_cores, core) : Range{0, geo.co};
        const Range rows_core = lp.split == Split::Rows ? part(geo.ho, s.active_cores, core) : Range{0, geo.ho};
        const Tiling& t = lp.tiling;
        Slots in_slots(s.input_loads > 1 ? 2 : 1), w_slots(s.weight_loads > 1 ? 2 : 1), out_slots(s.tiles > 1 ? 2 : 1);
        int64_t cur_w = -1, cur_in = -1;
        uint32_t w_load = start_id, in_load = start_id;
        const bool ws_outer = t.order == LoopOrder::WeightsOuter;
        // Sub-byte activations: bytes of each tile as differences of running totals, so a core's
        // tiles add up to its elements' bytes instead of gaining a rounding byte per tile.
        ByteMeter in_meter{geo.act_bits}, out_meter{geo.act_bits};
        std::optional<Command> pending_store;
        std::vector<uint32_t>* pending_slot = nullptr;
        auto flush_store = [&] {
          if (!pending_store) return;
          *pending_slot = {prog.add(std::move(*pending_store))};
          pending_store.reset();
        };
        const int64_t outer_n = ws_outer ? t.channel_tiles : t.row_tiles;
        const int64_t inner_n = ws_outer ? t.row_tiles : t.channel_tiles;
        for (int64_t a = 0; a < outer_n; ++a) {
          for (int64_t b = 0; b < inner_n; ++b) {
            const int64_t ci = ws_outer ? a : b, hi = ws_outer ? b : a;
            Range co{co_core.begin + std::min(co_core.size(), ci * s.co_tile),
                     co_core.begin + std::min(co_core.size(), (ci + 1) * s.co_tile)};
            Range rows{rows_core.begin + std::min(rows_core.size(), hi * s.rows_tile),
                       rows_core.begin + std::min(rows_core.size(), (hi + 1) * s.rows_tile)};
            if (co.size() <= 0 || rows.size() <= 0) continue;
            // Weight bytes of this channel range (the streamed part, and all of it as the array reads it).
            const int64_t w_bytes_c = share(streamed_w, co.begin, co.end, geo.co);
            const int64_t w_all_c = share(layer.cost.weight_bytes, co.begin, co.end, geo.co);
            const int64_t out_elems = rows.size() * geo.wo * co.size();
            const int64_t out_bytes = out_meter.take(out_elems);
            const int64_t acc = t.k_tiles > 1 ? out_elems * kAccumulatorBytes : 0;
            auto& out_slot = out_slots.take();
            std::vector<uint32_t> users;
            // Reduction chunks: input channels [kch) of a dense layer (one chunk otherwise). Partial
            // sums stay in OCM; the MAC stream runs the chunks in order.
            const int64_t in_c = geo.in.empty() ? 1 : geo.in[0].c;
            for (int64_t kk = 0; kk < t.k_tiles; ++kk) {
              const Range kch{in_c * kk / t.k_tiles, in_c * (kk + 1) / t.k_tiles};
              const int64_t w_bytes = share(w_bytes_c, kch.begin, kch.end, in_c);
              const int64_t w_all = share(w_all_c, kch.begin, kch.end, in_c);
              const int64_t w_tile_id = ci * t.k_tiles + kk;
              if (streamed_w > 0 && w_tile_id != cur_w && cur_w < 0 && prefetched[core] != kNone) {
                w_slots.take();
                w_load = prefetched[core];
                w_slots.current() = {};
                cur_w = w_tile_id;
              } else if (streamed_w > 0 && w_tile_id != cur_w) {
                Command ld = program::load(core, li, w_bytes, true, w_slots.take());
                ld.deps.push_back(start_id);
                w_load = prog.add(ld);
                w_slots.current() = {};
                cur_w = w_tile_id;
              }
              // Input band: rows of every input this tile reads (this chunk's channels when dense).
              int64_t band_elems = 0, band_dram_elems = 0, whole_elems = 0;
              for (size_t k = 0; k < geo.in.size(); ++k) {
                const auto& in = geo.in[k];
                const bool band_rows = geo.spatial && !in.whole;  // `whole`: attention's 2nd operand
                int64_t r0 = band_rows ? std::min(in.h, rows.begin * geo.sh) : 0;
                int64_t r1 = band_rows ? std::min(in.h, (rows.end - 1) * geo.sh + geo.kh_eff) : in.h;
                int64_t ch = geo.dense ? kch.size() : share(in.c, co.begin, co.end, geo.co);
                band_elems += (r1 - r0) * in.w * ch;
                if (in.whole) whole_elems += (r1 - r0) * in.w * ch;
                if (!lp.input_on_chip[k]) band_dram_elems += (r1 - r0) * in.w * ch;
              }
              const int64_t band = bytes_of(band_elems, geo.act_bits);
              const int64_t in_tile_id = geo.dense ? hi * t.k_tiles + kk : ci * t.row_tiles + hi;
              if (band_dram_elems > 0 && in_tile_id != cur_in) {
                Command ld = program::load(core, li, in_meter.take(band_dram_elems), false, in_slots.take());
                ld.deps.push_back(start_id);
                in_load = prog.add(ld);
                in_slots.current() = {};
                cur_in = in_tile_id;
              }
              const bool last = kk + 1 == t.k_tiles;
              Command cmp;
              cmp.core = core, cmp.layer = li;
              cmp.weight_bits = geo.weight_bits, cmp.act_bits = geo.act_bits, cmp.format = geo.format;
              cmp.ocm_read = band + w_all + (kk > 0 ? acc : 0);
              cmp.ocm_write = last ? out_bytes : acc;
              cmp.deps = {start_id, w_load, in_load};
              if (kk == 0) cmp.deps.insert(cmp.deps.end(), out_slot.begin(), out_slot.end());
              if (geo.mac) {
                cmp.kind = Kind::Compute;
                cmp.gemm.m = rows.size() * geo.wo;
                cmp.gemm.k = geo.dense ? geo.k / in_c * kch.size() : geo.k;
                if (co.size() >= geo.cpg_out) {
                  cmp.gemm.n = geo.cpg_out;
                  cmp.gemm.groups = ceil_div(co.size(), geo.cpg_out);
                } else {
                  cmp.gemm.n = co.size();
                }
                cmp.ops = cmp.gemm.m * cmp.gemm.k * co.size();
                // The array's own stream of operands (sim/hw/systolic.h), not the band once; a
                // `whole` operand (attention's K^T or V) is read as the weights are.
                cmp.ocm_read = hw::array_read_bytes(hw.mac, cmp.gemm, geo.act_bits,
                                                    w_all + bytes_of(whole_elems, geo.act_bits)) +
                               (kk > 0 ? acc : 0);
              } else {
                cmp.kind = Kind::Vector;
                cmp.ops = ops_per_row_channel * rows.size() * co.size();
              }
              users = {prog.add(cmp)};
              if (lns) {
                Command cv = cmp;
                cv.kind = Kind::Convert;
                cv.ops = cmp.ops + (last ? out_elems : 0);  // every product to linear, every result back to log
                cv.ocm_read = cv.ocm_write = 0;
                users.push_back(prog.add(cv));
              }
              // Readers of the input and weight buffers, for the next loads into those slots.
              for (uint32_t u : users) {
                in_slots.current().push_back(u);
                w_slots.current().push_back(u);
              }
              // The previous tile's store is issued after this tile's first loads, so that the
              // in-order DMA stream prefetches instead of waiting for that compute to finish.
              if (kk == 0) flush_store();
            }
            if (!lp.output_on_chip) {
              pending_store = program::store(core, li, out_bytes, users);
              pending_slot = &out_slot;
            } else {
              out_slot = {};
            }
          }
        }
        prefetch_next(core, start_id);
        flush_store();
      }
      // The last command of each unit on this core for this layer.
      if (active)
        for (int u = 0; u < kUnits; ++u)
          for (size_t k = prog.cmds.size(); k-- > start_id + 1;)
            if (prog.cmds[k].core == core && static_cast<int>(unit_of(prog.cmds[k].kind)) == u) {
              tails.push_back(static_cast<uint32_t>(k));
              break;
            }
      Command end;
      end.kind = Kind::Sync;
      end.core = core;
      end.layer = li;
      end.deps = tails;
      end.ocm_free = ws + freed_inputs;
      ends.push_back(prog.add(end));
    }
    prev_end = ends;
    ends_of[li] = std::move(ends);
    prev_freed = freed_inputs > 0;
    prefetched = next_prefetched;
  }
  if (plan.overlap && plan.prefetch) prefetch_weights(prog, hw, plan);
  return prog;
}

Schedule schedule(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt) {
  Schedule s;
  s.plan = make_plan(g, hw, opt);
  s.program = emit_program(g, hw, s.plan);
  return s;
}

}  // namespace nnasim::sched
