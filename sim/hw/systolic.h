// The systolic-array timing model shared by the scheduler (to choose tiles) and the MacArray
// module (to time them). Pure functions, no SystemC.
//
// A GEMM of M output pixels x K reduction x N filters runs as folds. Per fold the analytical
// model of SCALE-Sim (Samajdar et al., ISPASS 2020) takes 2*r + c + T - 2 cycles: r cycles to fill
// the stationary operand, T cycles of steady-state streaming, r + c - 2 cycles of skew and drain,
// where r x c is the part of the array the fold uses (partial folds at the edges use fewer).
//   weight stationary: rows <- K, cols <- N, T = M
//   output stationary: rows <- M, cols <- N, T = K
// SCALE-Sim v2's code differs in two conventions (bench/scalesim_comparison.md): it pads every
// fold to the full array, and its output-stationary fold takes T + R + C - 2 (no separate drain
// of the R rows). Weight-stationary counts agree within 0.7% on ResNet-50 when nnasim does not
// tile; output-stationary ones are R cycles per fold higher here, as the paper's formula says.
// Grouped convolutions run group by group; under weight stationary, groups small enough to fit
// several at once are packed block-diagonally (p = min(R / K, C / N) groups per fold). Depthwise
// convolution (K = kh*kw, N = 1) therefore uses a sliver of a wide array: low utilisation.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sim/config/hw_spec.h"
#include "sim/program/gemm.h"

namespace nnasim::hw {

using program::Gemm;

inline int64_t fold_cycles(int64_t r, int64_t c, int64_t t) { return 2 * r + c + t - 2; }

// Cycles for `extent` mapped onto an array dimension of `size`: calls fn(used) once per fold
// along that dimension, full folds then the partial edge.
template <typename Fn>
inline void for_each_fold(int64_t extent, int64_t size, Fn fn) {
  int64_t full = extent / size, rest = extent % size;
  if (full) fn(size, full);
  if (rest) fn(rest, int64_t(1));
}

// A chunk of a streamed fold (Gemm::fill / Gemm::drain false; sched/stream.h): a fold of r x c
// streamed in chunks t1 + ... + tj = T takes r + T + (r + c - 2) cycles in all, as one command of
// T would: the first chunk pays the fill r, the last the skew and drain r + c - 2. The flags apply
// only to a GEMM that is one fold (one group, rows and columns within the array); any other
// command is whole folds.
inline int64_t systolic_cycles(int rows, int cols, Dataflow df, const Gemm& g) {
  if (g.m <= 0 || g.k <= 0 || g.n <= 0 || g.groups <= 0) return 0;
  const int64_t R = rows, C = cols;
  const bool ws = df == Dataflow::WeightStationary;
  const int64_t sr = ws ? g.k : g.m;  // extent mapped on rows
  const int64_t sc = g.n;             // extent mapped on columns
  const int64_t t = ws ? g.m : g.k;   // streamed
  if ((!g.fill || !g.drain) && g.groups == 1 && sr <= R && sc <= C)
    return t + (g.fill ? sr : 0) + (g.drain ? sr + sc - 2 : 0);
  if (ws && g.groups > 1 && sr <= R && sc <= C) {
    const int64_t p = std::min(R / sr, C / sc);
    const int64_t full = g.groups / p, rest = g.groups % p;
    int64_t cyc = full * fold_cycles(p * sr, p * sc, t);
    if (rest) cyc += fold_cycles(rest * sr, rest * sc, t);
    return cyc;
  }
  int64_t per_group = 0;
  for_each_fold(sr, R, [&](int64_t r, int64_t nr) {
    for_each_fold(sc, C, [&](int64_t c, int64_t nc) { per_group += nr * nc * fold_cycles(r, c, t); });
  });
  return per_group * g.groups;
}

// Cycles of one MAC tile on a core: the systolic count, stretched by rows*cols / macs_per_cycle
// when the operands are wider than the array's native width, and at least the cycles the OCM port
// needs to move the tile's operands and results.
inline int64_t mac_tile_cycles(const HardwareSpec& hw, const Gemm& g, NumFormat f, int weight_bits, int act_bits,
                               int64_t ocm_bytes) {
  const int64_t sys = systolic_cycles(hw.mac.rows, hw.mac.cols, hw.mac.dataflow, g);
  const int64_t mpc = hw.macs_per_cycle(f, weight_bits, act_bits);
  const int64_t array = int64_t(hw.mac.rows) * hw.mac.cols;
  const int64_t stretched = mpc > 0 ? (sys * array + mpc - 1) / mpc : sys;
  const auto port = static_cast<int64_t>(std::ceil(double(ocm_bytes) / hw.ocm.bytes_per_cycle));
  return std::max(stretched, port);
}

// Cycles of one element-wise tile on a core's vector unit.
inline int64_t vector_tile_cycles(const HardwareSpec& hw, int64_t ops, int64_t ocm_bytes) {
  const auto unit = static_cast<int64_t>(std::ceil(double(ops) / hw.vector.elements_per_cycle));
  const auto port = static_cast<int64_t>(std::ceil(double(ocm_bytes) / hw.ocm.bytes_per_cycle));
  return std::max(unit, port);
}

}  // namespace nnasim::hw
