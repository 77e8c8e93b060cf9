#include "sim/report/report.h"

#include "sim/hw/accumulator.h"
#include "sim/sched/bound.h"
#include "sim/sched/fuse.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace nnasim::report {

Report build_report(const graph::Graph& g, const HardwareSpec& hw, const sched::Schedule& s,
                    const hw::SimResult& r) {
  using program::Kind;
  const auto& prog = s.program;
  const int L = static_cast<int>(g.layers.size());
  const int n = hw.cores;
  std::vector<energy::Actions> act(L);
  std::vector<double> end(L, 0), start(L, -1);
  // Per layer, per core, busy time of the compute units and of the DMA.
  std::vector<double> comp(size_t(L) * n, 0), dma(size_t(L) * n, 0);
  std::vector<int64_t> tiles(L, 0), weight_reads(L, 0), spill(L, 0);
  for (size_t i = 0; i < prog.cmds.size(); ++i) {
    const auto& c = prog.cmds[i];
    const auto& t = r.timing[i];
    auto& a = act[c.layer];
    end[c.layer] = std::max(end[c.layer], t.end);
    if (c.kind != Kind::Sync && (start[c.layer] < 0 || t.start < start[c.layer])) start[c.layer] = t.start;
    a.ocm_read += c.ocm_read;
    a.ocm_write += c.ocm_write;
    const double busy = t.end - t.start;
    switch (c.kind) {
      case Kind::Load:
        a.dram_read += c.dram_bytes;
        if (c.weights) weight_reads[c.layer] += c.dram_bytes;
        dma[size_t(c.layer) * n + c.core] += busy;
        break;
      case Kind::Store:
        a.dram_write += c.dram_bytes;
        dma[size_t(c.layer) * n + c.core] += busy;
        break;
      case Kind::Compute: {
        a.format = c.format, a.weight_bits = c.weight_bits, a.act_bits = c.act_bits;
        // The accumulator traffic the MacArray performs for this tile (the same law).
        const hw::AccumulatorUse u = hw::accumulator_use(hw.mac, c.gemm);
        a.acc_reads += u.reads;
        a.acc_writes += u.writes;
        a.ocm_read += u.spill_bytes;
        a.ocm_write += u.spill_bytes;
        spill[c.layer] += u.spill_bytes;
        (hw.mac.arithmetic == NumFormat::Lns ? a.lns_macs : a.macs) += c.ops;
        comp[size_t(c.layer) * n + c.core] += busy;
        ++tiles[c.layer];
        break;
      }
      case Kind::Convert:
        a.lns_conversions += c.ops;
        comp[size_t(c.layer) * n + c.core] = std::max(comp[size_t(c.layer) * n + c.core], busy);
        break;
      case Kind::Vector:
        a.vector_ops += c.ops;
        comp[size_t(c.layer) * n + c.core] += busy;
        ++tiles[c.layer];
        break;
      case Kind::Sync: break;
    }
  }

  Report rep;
  rep.model = g.name;
  rep.hardware = hw.name;
  rep.mode = sched::to_string(s.plan.mode);
  rep.cores = n;
  rep.clock_hz = hw.clock_hz;
  rep.seconds = r.seconds;
  rep.cycles = std::llround(r.seconds * hw.clock_hz);
  rep.batch = std::max<int64_t>(1, g.batch);
  rep.inferences_per_second = r.seconds > 0 ? double(rep.batch) / r.seconds : 0;
  rep.events = r.events;
  rep.resident_weight_bytes = s.plan.pinned_weight_bytes;
  const sched::Bounds bnd = sched::bounds(g, hw, s.plan.mode);
  rep.bound_seconds = bnd.seconds();
  rep.efficiency = rep.seconds > 0 ? rep.bound_seconds / rep.seconds : 1.0;
  for (size_t k = 0; k < s.plan.groups.size(); ++k)
    rep.fusion_groups.push_back(sched::describe(s.plan.groups[k], static_cast<int>(k), g));
  double prev_end = 0;
  for (int i = 1; i < L; ++i) {
    const auto& l = g.layers[i];
    if (l.op == graph::Op::Input) continue;
    const auto& lp = s.plan.layers[i];
    LayerReport lr;
    lr.name = l.name;
    lr.op = graph::to_string(l.op);
    if (l.op == graph::Op::Unsupported) {
      lr.op = "unsupported:" + l.fn;
      rep.unsupported.push_back(l.name);
    }
    lr.macs = l.cost.macs;
    lr.params = l.cost.params;
    lr.weight_bytes = l.cost.weight_bytes;
    // A layer's window runs from the end of the layer before, or from its own first command when
    // that started earlier (its weights prefetched, or layers overlapping across cores: the
    // windows of such layers overlap), to its last command. Static energy counts only the part
    // after the layer before ended, so that the layers' energies still add up to the total.
    const double own = std::max(0.0, end[i] - prev_end);
    lr.start_seconds = start[i] >= 0 ? std::min(prev_end, start[i]) : prev_end;
    lr.seconds = std::max(0.0, end[i] - lr.start_seconds);
    prev_end = std::max(prev_end, end[i]);
    lr.cycles = std::llround(lr.seconds * hw.clock_hz);
    auto& a = act[i];
    a.seconds = own;
    lr.exclusive_seconds = own;
    lr.energy = energy::energy_of(a, hw);
    lr.dram_read_bytes = a.dram_read;
    lr.dram_write_bytes = a.dram_write;
    lr.dram_weight_bytes = weight_reads[i];
    lr.ocm_read_bytes = a.ocm_read;
    lr.ocm_write_bytes = a.ocm_write;
    lr.lns_conversions = a.lns_conversions;
    lr.lns_macs = a.lns_macs;
    lr.vector_ops = a.vector_ops;
    lr.accumulator_reads = a.acc_reads;
    lr.accumulator_writes = a.acc_writes;
    lr.accumulator_spill_bytes = spill[i];
    for (int c = 0; c < n; ++c) {
      lr.compute_seconds = std::max(lr.compute_seconds, comp[size_t(i) * n + c]);
      lr.dma_seconds = std::max(lr.dma_seconds, dma[size_t(i) * n + c]);
    }
    lr.bound = lr.dma_seconds > lr.compute_seconds ? "memory" : "compute";
    lr.bound_seconds = bnd.layers[i].seconds();
    lr.efficiency = lr.seconds > 0 ? lr.bound_seconds / lr.seconds : 1.0;
    lr.split = lp.split == sched::Split::Channels ? "channels" : "rows";
    lr.mapping = sched::describe(lp, hw.mac.dataflow);
    lr.fusion_group = lp.fusion_group;
    if (lp.fusion_group >= 0) lr.mapping = sched::describe(s.plan.groups[size_t(lp.fusion_group)], lp.fusion_group, g);
    lr.planned_seconds = lp.tiling.est_seconds;
    lr.cores = lp.active_cores;
    lr.tiles = tiles[i];
    // A fused group's intermediates stay in OCM (in its band buffers).
    lr.output_on_chip = lp.output_on_chip || (lp.fusion_group >= 0 && i < s.plan.groups[size_t(lp.fusion_group)].last);
    lr.resident_weight_bytes = lp.pinned_weight_bytes;
    lr.weight_bits = l.quant.weight_bits;
    lr.act_bits = l.quant.act_bits;
    lr.format = to_string(l.quant.format);

    rep.macs += lr.macs;
    rep.params += lr.params;
    rep.weight_bytes += lr.weight_bytes;
    rep.dram_read_bytes += lr.dram_read_bytes;
    rep.dram_write_bytes += lr.dram_write_bytes;
    rep.dram_weight_bytes += lr.dram_weight_bytes;
    rep.ocm_read_bytes += lr.ocm_read_bytes;
    rep.ocm_write_bytes += lr.ocm_write_bytes;
    rep.accumulator_reads += lr.accumulator_reads;
    rep.accumulator_writes += lr.accumulator_writes;
    rep.accumulator_spill_bytes += lr.accumulator_spill_bytes;
    rep.energy += lr.energy;
    rep.layers.push_back(std::move(lr));
  }
  // A fused group's layers run together band by band, so each layer's window is nearly the
  // group's: their efficiency is the group's, the sum of their bounds over the group's window.
  for (size_t k = 0; k < s.plan.groups.size(); ++k) {
    double b = 0, t0 = 1e300, t1 = 0;
    std::vector<LayerReport*> members;
    for (auto& lr : rep.layers)
      if (lr.fusion_group == static_cast<int>(k)) members.push_back(&lr);
    for (auto* lr : members) {
      b += lr->bound_seconds;
      t0 = std::min(t0, lr->start_seconds);
      t1 = std::max(t1, lr->start_seconds + lr->seconds);
    }
    for (auto* lr : members) lr->efficiency = t1 > t0 ? b / (t1 - t0) : 1.0;
  }
  // Conservation: what the layers were charged is what the modules counted.
  int64_t ocm_r = 0, ocm_w = 0, acc_r = 0, acc_w = 0, acc_s = 0;
  for (const auto& c : r.cores) {
    ocm_r += c.ocm.read_bytes, ocm_w += c.ocm.write_bytes;
    acc_r += c.acc.reads, acc_w += c.acc.writes, acc_s += c.acc.spill_bytes;
    rep.ocm_peak_bytes = std::max(rep.ocm_peak_bytes, c.ocm.peak_bytes);
  }
  if (ocm_r != rep.ocm_read_bytes || ocm_w != rep.ocm_write_bytes || r.dram.read_bytes != rep.dram_read_bytes ||
      r.dram.write_bytes != rep.dram_write_bytes)
    throw InternalError("report: per-layer byte counts do not add up to the modules' counters");
  if (acc_r != rep.accumulator_reads || acc_w != rep.accumulator_writes || acc_s != rep.accumulator_spill_bytes)
    throw InternalError("report: per-layer accumulator counts do not add up to the MAC arrays' counters");

  int64_t peak = 0;
  for (const auto& e : hw.mac.throughput) peak = std::max(peak, e.macs_per_cycle);
  const double capacity = double(rep.cycles) * double(peak) * n;
  rep.mac_utilization = capacity > 0 ? double(rep.macs) / capacity : 0;
  const double joules = rep.energy.total();
  rep.tops_per_watt = joules > 0 ? 2.0 * double(rep.macs) / joules / 1e12 : 0;
  rep.ocm_read_j_per_byte = hw.energy.ocm_read_j_per_byte;
  rep.ocm_write_j_per_byte = hw.energy.ocm_write_j_per_byte;
  rep.ocm_leakage_w = hw.energy.ocm_leakage_w;
  rep.ocm_cost_pinned = hw.energy.ocm_read_pinned || hw.energy.ocm_write_pinned || hw.energy.ocm_leakage_pinned;
  rep.static_power_w = hw.static_power_w();
  rep.area = energy::area_of(hw);
  rep.technology_node = hw.technology.node;
  rep.peak_tops = energy::peak_tops(hw);
  return rep;
}

namespace {
template <class Get>
MetricComparison compare_metric(const Report& r, Get get) {
  MetricComparison c;
  double abs_sum = 0;
  std::vector<std::pair<double, int>> errs;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    double measured = 0, simulated = 0;
    std::optional<double> e = get(r.layers[i], &measured, &simulated);
    if (!e) continue;
    ++c.layers;
    c.measured += measured;
    c.simulated += simulated;
    abs_sum += std::fabs(*e);
    errs.push_back({std::fabs(*e), static_cast<int>(i)});
  }
  if (c.layers == 0) return c;
  c.error_pct = c.simulated > 0 ? (c.measured / c.simulated - 1.0) * 100.0 : 0;
  c.mean_abs_error_pct = abs_sum / c.layers;
  std::stable_sort(errs.begin(), errs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; k < errs.size() && k < 5; ++k) c.worst.push_back(errs[k].second);
  return c;
}
}  // namespace

std::optional<Comparison> compare_measured(const Report& r) {
  Comparison c;
  c.time = compare_metric(r, [](const LayerReport& l, double* m, double* s) {
    auto e = l.error_pct();
    if (e) *m = *l.measured_seconds, *s = l.seconds;
    return e;
  });
  c.energy = compare_metric(r, [](const LayerReport& l, double* m, double* s) {
    auto e = l.energy_error_pct();
    if (e) *m = *l.measured_energy_joules, *s = l.energy.total();
    return e;
  });
  if (c.time.layers == 0 && c.energy.layers == 0) return std::nullopt;
  return c;
}

}  // namespace nnasim::report
