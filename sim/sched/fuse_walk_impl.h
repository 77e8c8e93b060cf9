// The walk of a fused group (see fuse_walk.h). Included from fuse_walk.h only.
#pragma once
#include <algorithm>
#include <array>

#include "sim/hw/accumulator.h"
#include "sim/hw/dram_share.h"

namespace nnasim::sched::fuse_detail {

// Running byte totals, so that sub-byte bands add up to the tensor's bytes.
struct Meter {
  int bits = 8;
  int64_t elements = 0;
  int64_t take(int64_t e) {
    const int64_t before = bytes_of(elements, bits);
    elements += e;
    return bytes_of(elements, bits) - before;
  }
};

// Channel blocks of layer j: in hold mode one block (all its weights stay); streamed, as many as
// keep each block within fg.weight_block bytes.
inline int64_t blocks_of(const GroupGeo& gg, const FusedGroup& fg, int j) {
  if (!gg.geo[size_t(j)].mac || fg.hold_weights || gg.streamed_w[size_t(j)] <= 0 || fg.weight_block <= 0) return 1;
  return std::min<int64_t>(gg.geo[size_t(j)].co, std::max<int64_t>(1, ceil_div(gg.streamed_w[size_t(j)], fg.weight_block)));
}

template <class F>
WalkSum walk(const HardwareSpec& hw, const GroupGeo& gg, const FusedGroup& fg, int core, F&& on, int64_t limit) {
  WalkSum s;
  const int G = gg.G();
  const LayerGeo& lastg = gg.geo.back();
  const int64_t parts = std::max(1, fg.active_cores);
  const int64_t r0 = lastg.ho * core / parts, r1 = lastg.ho * (core + 1) / parts;
  if (r1 <= r0) return s;
  const std::vector<FuseBand> bands = fuse_bands(gg.maps, r0, r1, std::max<int64_t>(1, fg.band_rows));
  const LayerGeo& g0 = gg.geo[0];
  const int64_t in_row = g0.in[0].c * g0.in[0].w;  // elements of one input row
  Meter in_meter{g0.act_bits}, out_meter{lastg.act_bits};

  // Buffers: rows live at once in each tensor's circular buffer.
  int64_t in_live = 0, in_new = 0, out_new = 0;
  std::vector<int64_t> mid_live(size_t(G), 0), keep(size_t(G), 0), done(size_t(G), 0);
  int64_t in_done = bands.empty() ? 0 : bands[0].in_begin;
  for (int j = 0; j < G; ++j) keep[size_t(j)] = bands.empty() ? 0 : bands[0].read_begin[size_t(j)];
  for (const FuseBand& b : bands) {
    in_done = std::max(in_done, b.in_end);
    in_new = std::max(in_new, b.in_end - b.in_begin);
    for (int j = 0; j < G; ++j) {
      if (b.end[size_t(j)] > b.begin[size_t(j)]) keep[size_t(j)] = b.read_begin[size_t(j)];
      done[size_t(j)] = std::max(done[size_t(j)], b.end[size_t(j)]);
    }
    in_live = std::max(in_live, in_done - keep[0]);
    for (int j = 0; j + 1 < G; ++j) mid_live[size_t(j)] = std::max(mid_live[size_t(j)], done[size_t(j)] - keep[size_t(j) + 1]);
    out_new = std::max(out_new, b.end.back() - b.begin.back());
  }
  if (gg.in_dram) s.buffers += bytes_of((in_live + in_new) * in_row, g0.act_bits);
  for (int j = 0; j + 1 < G; ++j) {
    const LayerGeo& q = gg.geo[size_t(j)];
    s.buffers += bytes_of(mid_live[size_t(j)] * q.wo * q.co, q.act_bits);
  }
  if (gg.out_dram) s.buffers += 2 * bytes_of(out_new * lastg.wo * lastg.co, lastg.act_bits);
  // A join's other operand from DRAM: double-buffered bands of its new rows.
  std::vector<Meter> x_meter;
  for (int j = 0; j < G; ++j) {
    const LayerGeo& q = gg.geo[size_t(j)];
    x_meter.push_back(Meter{q.act_bits});
    if (!gg.extra_dram[size_t(j)]) continue;
    int64_t rows = 0;
    for (const FuseBand& b : bands) rows = std::max(rows, b.end[size_t(j)] - b.begin[size_t(j)]);
    const auto& x = q.in[size_t(gg.extra[size_t(j)])];
    s.buffers += 2 * bytes_of(rows * x.c * x.w, q.act_bits);
  }
  int64_t wmax = 0, whold = 0;
  for (int j = 0; j < G; ++j) {
    const int64_t nb = blocks_of(gg, fg, j);
    for (int64_t k = 0; k < nb; ++k) {
      const LayerGeo& q = gg.geo[size_t(j)];
      wmax = std::max(wmax, share(gg.streamed_w[size_t(j)], q.co * k / nb, q.co * (k + 1) / nb, q.co));
    }
    whold += gg.streamed_w[size_t(j)];
  }
  s.buffers += fg.hold_weights ? whold : (wmax > 0 ? 2 * wmax : 0);
  if (s.buffers > limit) return s;  // does not fit: the caller drops it

  std::vector<bool> held(size_t(G), false);
  std::vector<std::pair<std::array<int64_t, 5>, int64_t>> cyc_memo(size_t(G), {{-1, -1, -1, -1, -1}, 0});
  bool first_load = true;
  // Timeline (seconds): DMA and compute units free, the end of each layer's last compute, of the
  // loads and computes that used each double-buffered slot.
  const double rate = hw::core_dram_rate(hw, static_cast<int>(parts));
  const double lat = hw.dram.latency_s / std::max(1, hw.dma.outstanding);
  double dma_t = 0, mac_t = 0, vec_t = 0, in_ready = 0, w_ready = 0;
  std::vector<double> layer_end(size_t(G), 0), held_ready(size_t(G), 0);
  double in_used[2] = {0, 0}, w_used[2] = {0, 0}, out_used[2] = {0, 0};
  int in_k = 0, w_k = 0, out_k = 0;
  std::vector<double> x_ready(size_t(G), 0);
  std::vector<std::array<double, 2>> x_used(size_t(G), {0, 0});
  std::vector<int> x_k(size_t(G), 0);
  double pending_store = -1;
  int64_t pending_bytes = 0;
  // The first transfer and the last store pay the whole latency: nothing else is in flight.
  bool first_transfer = true;
  auto dma = [&](double after, int64_t bytes, bool alone = false) {
    dma_t = std::max(dma_t, after) + (alone || first_transfer ? hw.dram.latency_s : lat) + double(bytes) / rate;
    first_transfer = false;
    return dma_t;
  };
  auto flush_store = [&](bool last = false) {
    if (pending_store < 0) return;
    out_used[out_k] = dma(pending_store, pending_bytes, last);
    pending_store = -1;
  };
  for (size_t bi = 0; bi < bands.size(); ++bi) {
    const FuseBand& b = bands[bi];
    bool band_start = true;
    auto emit = [&](Step& st) {
      st.band_start = band_start;
      band_start = false;
      if (st.kind == StepKind::Compute) {
        const LayerGeo& q = gg.geo[size_t(st.j)];
        // Bands repeat the same computes: the last one's cycles per layer are reused.
        auto& memo = cyc_memo[size_t(st.j)];
        const std::array<int64_t, 5> key{st.gemm.m, st.gemm.n, st.gemm.groups, st.ops, st.ocm_read + st.ocm_write};
        if (memo.first != key) memo = {key, tile_cycles(hw, q, st.gemm, st.ops, st.ocm_read + st.ocm_write)};
        const int64_t cyc = memo.second;
        s.compute_cycles += cyc;
        double ready = st.j > 0 ? layer_end[size_t(st.j) - 1] : (gg.in_dram ? in_ready : 0);
        if (st.j == 0) ready = std::max(ready, layer_end[0]);
        if (st.j + 1 < G && st.first_block) ready = std::max(ready, layer_end[size_t(st.j) + 1]);
        if (q.mac && gg.streamed_w[size_t(st.j)] > 0) ready = std::max(ready, fg.hold_weights ? held_ready[size_t(st.j)] : w_ready);
        if (gg.extra_dram[size_t(st.j)]) ready = std::max(ready, x_ready[size_t(st.j)]);
        if (st.j + 1 == G && gg.out_dram && st.first_block) {
          out_k ^= 1;
          ready = std::max(ready, out_used[out_k]);
        }
        double& unit = q.mac ? mac_t : vec_t;
        unit = std::max(unit, ready) + double(cyc) / hw.clock_hz;
        layer_end[size_t(st.j)] = unit;
        if (st.j == 0) in_used[in_k ^ 1] = std::max(in_used[in_k ^ 1], unit);
        if (gg.extra_dram[size_t(st.j)]) {
          double& u = x_used[size_t(st.j)][size_t(x_k[size_t(st.j)] ^ 1)];
          u = std::max(u, unit);
        }
        if (q.mac && !fg.hold_weights) w_used[w_k ^ 1] = std::max(w_used[w_k ^ 1], unit);
        s.ocm_read += st.ocm_read, s.ocm_write += st.ocm_write;
        if (q.mac) {
          s.macs += st.ops;
          // Partial sums beyond the accumulator go to OCM and back (accumulator.h).
          const hw::AccumulatorUse u = hw::accumulator_use(hw.mac, st.gemm);
          s.spill = std::max(s.spill, u.spill_entries * hw::accumulator_entry_bytes(hw.mac));
          s.ocm_read += u.spill_bytes, s.ocm_write += u.spill_bytes;
        }
      } else {
        s.dram += st.bytes;
        ++s.transfers;
        if (st.kind == StepKind::Store) {
          s.dram_write += st.bytes, s.ocm_read += st.bytes, s.last_bytes = st.bytes;
          flush_store();
          pending_store = layer_end[size_t(G) - 1];
          pending_bytes = st.bytes;
        } else if (st.kind == StepKind::XLoad) {
          int& k = x_k[size_t(st.j)];
          x_ready[size_t(st.j)] = dma(x_used[size_t(st.j)][size_t(k)], st.bytes);
          x_used[size_t(st.j)][size_t(k)] = 0;
          k ^= 1;
          flush_store();
        } else if (st.kind == StepKind::InLoad) {
          in_ready = dma(in_used[in_k], st.bytes);
          in_used[in_k] = 0;
          in_k ^= 1;
          flush_store();
        } else {
          if (fg.hold_weights) {
            held_ready[size_t(st.j)] = dma(0, st.bytes);
          } else {
            w_ready = dma(w_used[w_k], st.bytes);
            w_used[w_k] = 0;
            w_k ^= 1;
          }
          flush_store();
        }
        if (st.kind != StepKind::Store) {
          s.ocm_write += st.bytes;
          if (first_load) s.first_bytes += st.bytes;
        }
      }
      ++s.commands;
      on(st);
    };
    if (gg.in_dram && b.in_end > b.in_begin) {
      Step st;
      st.kind = StepKind::InLoad;
      st.bytes = in_meter.take((b.in_end - b.in_begin) * in_row);
      emit(st);
    }
    for (int j = 0; j < G; ++j) {
      const int64_t rows = b.end[size_t(j)] - b.begin[size_t(j)];
      if (rows <= 0) continue;
      const LayerGeo& q = gg.geo[size_t(j)];
      const RowMap& m = gg.maps[size_t(j)];
      const int64_t in_rows = m.hi(b.end[size_t(j)]) - m.lo(b.begin[size_t(j)]);
      const int64_t nb = blocks_of(gg, fg, j);
      int64_t x_bytes = 0;  // a join's other operand: the same rows of its own tensor
      if (gg.extra[size_t(j)] >= 0) {
        const auto& x = q.in[size_t(gg.extra[size_t(j)])];
        x_bytes = bytes_of(rows * x.c * x.w, q.act_bits);
        if (gg.extra_dram[size_t(j)]) {
          Step st;
          st.kind = StepKind::XLoad;
          st.j = j;
          st.bytes = x_meter[size_t(j)].take(rows * x.c * x.w);
          emit(st);
        }
      }
      for (int64_t k = 0; k < nb; ++k) {
        const int64_t c0 = q.co * k / nb, c1 = q.co * (k + 1) / nb, cs = c1 - c0;
        if (cs <= 0) continue;
        const int64_t w = share(gg.streamed_w[size_t(j)], c0, c1, q.co);
        if (q.mac && w > 0 && (!fg.hold_weights || !held[size_t(j)])) {
          Step st;
          st.kind = StepKind::WLoad;
          st.j = j;
          st.bytes = w;
          emit(st);
        }
        first_load = false;
        Step st;
        st.kind = StepKind::Compute;
        st.j = j;
        st.first_block = k == 0;
        const int64_t in_c = q.dense || !q.mac ? (q.mac ? q.in[0].c : cs) : share(q.in[0].c, c0, c1, q.co);
        st.ocm_read = bytes_of(in_rows * q.in[0].w * in_c, q.act_bits) +
                      (q.mac ? share(gg.weight_bytes[size_t(j)], c0, c1, q.co) : 0) + x_bytes;
        st.ocm_write = bytes_of(rows * q.wo * cs, q.act_bits);
        if (q.mac) {
          st.gemm.m = rows * q.wo;
          st.gemm.k = q.k;
          if (cs >= q.cpg_out) {
            st.gemm.n = q.cpg_out;
            st.gemm.groups = ceil_div(cs, q.cpg_out);
          } else {
            st.gemm.n = cs;
          }
          st.ops = st.gemm.m * st.gemm.k * cs;
        } else {
          const int64_t per = q.co * q.ho == 0 ? 0 : q.vector_ops / (q.co * q.ho);
          st.ops = per * rows * cs;
        }
        emit(st);
      }
      held[size_t(j)] = true;
    }
    const int64_t out_rows = b.end.back() - b.begin.back();
    if (gg.out_dram && out_rows > 0) {
      Step st;
      st.kind = StepKind::Store;
      st.j = G - 1;
      st.bytes = out_meter.take(out_rows * lastg.wo * lastg.co);
      emit(st);
    }
  }
  flush_store(true);
  s.seconds = std::max({dma_t, mac_t, vec_t});
  return s;
}

}  // namespace nnasim::sched::fuse_detail
