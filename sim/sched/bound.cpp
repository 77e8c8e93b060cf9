#include "sim/sched/bound.h"

#include <algorithm>
#include <cmath>

#include "sim/common/int_math.h"
#include "sim/hw/dram_share.h"
#include "sim/hw/systolic.h"
#include "sim/sched/layer_cost.h"

namespace nnasim::sched {
namespace {

// All cores streaming at once, each capped by its DMA engine: the channel's aggregate rate.
double channel_rate(const HardwareSpec& hw) {
  const auto rates = hw::max_min_rates(hw::dram_peak(hw), std::vector<double>(size_t(hw.cores), hw::dma_rate(hw)));
  double sum = 0;
  for (double r : rates) sum += r;
  return sum;
}
}  // namespace

int64_t best_systolic_cycles(const HardwareSpec& hw, const program::Gemm& g) {
  const int64_t packed = hw::systolic_cycles(hw.mac, g);
  if (g.groups <= 1) return packed;
  hw::Gemm one = g;
  one.groups = 1;
  return std::min(packed, hw::systolic_cycles(hw.mac, one) * g.groups);
}

namespace {
LayerBound bound_of(const graph::Graph& g, const HardwareSpec& hw, int idx, Mode mode, bool output_leaves) {
  LayerBound b;
  const graph::Layer& l = g.layers[idx];
  if (l.op == graph::Op::Input) return b;
  const LayerGeo geo = layer_geo(g, idx);
  const int n = std::max(1, hw.cores);

  // Compulsory OCM bytes: every input element read once, every weight once, every output written once.
  int64_t in_bytes = 0, dram_in = 0;
  for (size_t k = 0; k < geo.in.size(); ++k) {
    const int64_t e = bytes_of(geo.in[k].c * geo.in[k].h * geo.in[k].w, geo.act_bits);
    in_bytes += e;
    const int p = l.inputs[k];
    const bool dup = std::find(l.inputs.begin(), l.inputs.begin() + k, p) != l.inputs.begin() + k;
    if (!dup && g.layers[p].op == graph::Op::Input) dram_in += e;
  }
  const int64_t out_bytes = l.cost.output_bytes;
  const int64_t ocm_bytes = in_bytes + (geo.mac ? l.cost.weight_bytes : 0) + out_bytes;
  const int64_t port = hw::ocm_port_cycles(hw, ocm_bytes);

  int64_t cycles = 0;
  if (geo.mac) {
    hw::Gemm gm;
    gm.m = geo.ho * geo.wo;
    gm.k = geo.k;
    gm.n = geo.cpg_out;
    gm.groups = geo.groups;
    const int64_t sys = best_systolic_cycles(hw, gm);
    const int64_t stretched = hw::stretched_cycles(hw, sys, geo.format, geo.weight_bits, geo.act_bits);
    // Accumulator reads and writes (never fewer than the whole GEMM's); spills depend on the
    // tiling, so none are counted.
    const int64_t acc = hw::accumulator_cycles(hw.mac, hw::accumulator_use(hw.mac, gm));
    cycles = std::max({stretched, acc, port});
  } else {
    const int64_t unit = static_cast<int64_t>(std::ceil(double(geo.vector_ops) / hw.vector.elements_per_cycle));
    cycles = std::max(unit, port);
  }
  b.compute_seconds = double(cycles) / n / hw.clock_hz;

  b.dram_bytes = dram_in + (output_leaves ? out_bytes : 0) + (mode == Mode::Cold ? l.cost.weight_bytes : 0);
  const double rate = channel_rate(hw);
  b.dram_seconds = rate > 0 ? double(b.dram_bytes) / rate : 0;
  return b;
}
}  // namespace

LayerBound layer_bound(const graph::Graph& g, const HardwareSpec& hw, int idx, Mode mode) {
  return bound_of(g, hw, idx, mode, g.consumers()[idx].empty());
}

Bounds bounds(const graph::Graph& g, const HardwareSpec& hw, Mode mode) {
  Bounds out;
  out.layers.resize(g.layers.size());
  int64_t weights = 0;
  const auto consumers = g.consumers();
  for (size_t i = 0; i < g.layers.size(); ++i) {
    out.layers[i] = bound_of(g, hw, static_cast<int>(i), mode, consumers[i].empty());
    out.compute_seconds += out.layers[i].compute_seconds;
    out.dram_bytes += out.layers[i].dram_bytes;
    weights += g.layers[i].cost.weight_bytes;
  }
  // Steady state: weights beyond what every core's OCM together could hold come from DRAM at
  // every inference.
  if (mode == Mode::Steady) out.dram_bytes += std::max<int64_t>(0, weights - int64_t(hw.total_ocm_bytes()));
  const double rate = channel_rate(hw);
  out.dram_seconds = rate > 0 ? double(out.dram_bytes) / rate : 0;
  return out;
}

}  // namespace nnasim::sched
