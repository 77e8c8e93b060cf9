// The systolic-array timing model shared by the mapper (to choose and bound tiles) and the
// MacArray module (to time them). Pure functions, no SystemC.
//
// A GEMM of M output pixels x K reduction x N filters runs as folds; r x c is the part of the
// R x C array a fold uses (partial folds at the edges use fewer).
//   weight stationary: rows <- K, cols <- N, T = M streamed; column folds outer, row folds inner
//     (so a column fold's partial sums stay in the accumulator, accumulator.h)
//   output stationary: rows <- M, cols <- N, T = K streamed
// Per fold (Samajdar et al., "A Systematic Methodology for Characterizing Scalability of DNN
// Accelerators using SCALE-Sim", ISPASS 2020): r cycles to fill the stationary operand, T cycles
// of streaming, r + c - 2 cycles of skew and drain: 2r + c + T - 2.
// Hardware keys (sim/config/hw_spec.h) change two conventions:
//  - mac_array.weight_preload (weight stationary). serial: every fold pays its r-cycle fill, as
//    above (SCALE-Sim). overlapped: the next fold's weights shift into the second set of weight
//    registers while the current fold streams (TPU v1's double-buffered weights, Jouppi et al.,
//    ISCA 2017), so only the tile's first fold pays its fill: r_first + sum(T + r + c - 2). A load
//    still waits when it is longer than the fold before it (a partial row fold of r' rows followed
//    by a full one stalls max(0, R - (T + r' + c - 2)) cycles).
//  - mac_array.os_drain (output stationary). paper: 2r + c + T - 2 as above. scalesim: SCALE-Sim
//    v2's code, T + R + C - 2 per fold with every fold padded to the full array (its ofmap demand
//    ends before the R-row drain the paper counts; bench/scalesim_comparison.md).
//  - mac_array.grouped. block_diagonal: groups small enough to fit several at once are packed on
//    the diagonal of a weight-stationary array (p = min(R / K, C / N) groups per fold; one input
//    row is broadcast to every column, so only the diagonal blocks are useful), and run group by
//    group under output stationary. Depthwise convolution (K = kh*kw, N = 1) therefore uses a
//    sliver of a wide array. group_per_column: each column is fed its own input, so the groups'
//    filters sit side by side over the columns: one GEMM of M x K x (N x groups).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sim/config/hw_spec.h"
#include "sim/hw/accumulator.h"
#include "sim/program/gemm.h"

namespace nnasim::hw {

using program::Gemm;

// The paper's fold: fill, stream, skew and drain.
inline int64_t fold_cycles(int64_t r, int64_t c, int64_t t) { return 2 * r + c + t - 2; }

// The GEMM as the array runs it: under group_per_column, groups become columns.
inline Gemm mapped_gemm(const MacArraySpec& mac, const Gemm& g) {
  if (mac.grouped == GroupMapping::GroupPerColumn && g.groups > 1) return {g.m, g.k, g.n * g.groups, 1};
  return g;
}

inline int64_t systolic_cycles(const MacArraySpec& mac, const Gemm& gemm);

// A chunk of a streamed fold (Gemm::fill / Gemm::drain false; sched/stream.h). A fold streamed in
// chunks t1 + ... + tj = T takes, in all, what one command of T takes: the chunks share its
// overhead O (the whole fold's cycles less T), the first paying the fill (min(O, r), r the rows
// of the stationary operand), the last the rest (skew and drain). The flags apply only to a GEMM
// that is one fold (one group, rows and columns within the array); any other command is whole
// folds.
inline bool single_fold(const MacArraySpec& mac, const Gemm& g) {
  const bool ws = mac.dataflow == Dataflow::WeightStationary;
  return g.groups == 1 && (ws ? g.k : g.m) <= mac.rows && g.n <= mac.cols;
}

inline int64_t systolic_cycles(const MacArraySpec& mac, const Gemm& gemm) {
  if (gemm.m <= 0 || gemm.k <= 0 || gemm.n <= 0 || gemm.groups <= 0) return 0;
  if ((!gemm.fill || !gemm.drain) && single_fold(mac, gemm)) {
    Gemm whole = gemm;
    whole.fill = whole.drain = true;
    const bool ws = mac.dataflow == Dataflow::WeightStationary;
    const int64_t t = ws ? gemm.m : gemm.k, r = ws ? gemm.k : gemm.m;
    const int64_t overhead = systolic_cycles(mac, whole) - t;
    const int64_t fill = std::min(overhead, r);
    return t + (gemm.fill ? fill : 0) + (gemm.drain ? overhead - fill : 0);
  }
  const Gemm g = mapped_gemm(mac, gemm);
  const int64_t R = mac.rows, C = mac.cols;
  const auto folds_of = [](int64_t x, int64_t s) { return (x + s - 1) / s; };

  if (mac.dataflow == Dataflow::OutputStationary) {
    const int64_t T = g.k;
    const int64_t rf = folds_of(g.m, R), cf = folds_of(g.n, C);
    if (mac.os_drain == OsDrain::ScaleSim) return g.groups * rf * cf * (T + R + C - 2);
    // sum over folds of 2r + c + T - 2: rows sum to M per column fold, columns to N per row fold.
    return g.groups * (2 * g.m * cf + g.n * rf + rf * cf * (T - 2));
  }

  // Weight stationary: accumulate the folds' r and c, the first fold's fill and any preload stall.
  const int64_t T = g.m;
  int64_t folds = 0, sum_r = 0, sum_c = 0, first_r = 0, stall = 0;
  if (g.groups > 1 && g.k <= R && g.n <= C) {
    // Block-diagonal packing (grouped == block_diagonal here: group_per_column has no groups left).
    const int64_t p = std::min(R / g.k, C / g.n);
    const int64_t full = g.groups / p, rest = g.groups % p;
    folds = full + (rest ? 1 : 0);
    sum_r = g.groups * g.k;
    sum_c = g.groups * g.n;
    first_r = (full ? p : rest) * g.k;  // then fewer rows: no preload ever waits
  } else {
    const int64_t full_r = g.k / R, rest_r = g.k % R;
    const int64_t full_c = g.n / C, rest_c = g.n % C;
    const int64_t rf = full_r + (rest_r ? 1 : 0), cf = full_c + (rest_c ? 1 : 0);
    folds = g.groups * rf * cf;
    sum_r = g.groups * g.k * cf;
    sum_c = g.groups * g.n * rf;
    first_r = full_r ? R : rest_r;
    if (full_r && rest_r) {
      // Each column fold ends on the partial row fold; the next column fold (or group) starts on
      // a full one, whose R-row load must fit in the partial fold's T + r' + c - 2 cycles.
      const auto wait = [&](int64_t c) { return std::max<int64_t>(0, R - (T + rest_r + c - 2)); };
      stall = g.groups * (full_c * wait(C) + (rest_c ? wait(rest_c) : 0)) - wait(rest_c ? rest_c : C);
    }
  }
  const int64_t streams = sum_r + sum_c + folds * (T - 2);  // sum of T + r + c - 2
  if (mac.weight_preload == WeightPreload::Overlapped) return first_r + streams + stall;
  return sum_r + streams;
}

// The shape-only form (serial preload, paper drain, block-diagonal groups): SCALE-Sim's model.
inline int64_t systolic_cycles(int rows, int cols, Dataflow df, const Gemm& g) {
  MacArraySpec mac;
  mac.rows = rows, mac.cols = cols, mac.dataflow = df;
  return systolic_cycles(mac, g);
}

// What the array reads from OCM for one command: its operands as they stream into it. There is no
// input buffer below the OCM in the hardware description, so every fold reads its own stream.
//   weight stationary: each fold streams its T = M pixels into the r rows it uses: M x (sum of r
//     over folds) activations, i.e. M x K x (column folds) per group, M x K x groups when groups
//     are packed block-diagonally (one input row broadcast to every column), M x K x groups x
//     ceil(N / C) under group_per_column (each column its own group's inputs). The stationary
//     weights are read once, by the command that fills the array (Gemm::fill; a command of
//     several folds fills every fold).
//   output stationary: both operands stream: each row fold's pixels read their K inputs per
//     column fold (M x K x column folds per group) and each column fold's filters read their K
//     weights per row fold (the weights read ceil(M / R) times).
// A streamed fold split into chunks (Gemm::fill/drain) reads, over its chunks, what one command
// of the whole fold reads. Counted in elements; the emitter prices them at the operand's width.
inline int64_t array_input_elements(const MacArraySpec& mac, const Gemm& gemm) {
  if (gemm.m <= 0 || gemm.k <= 0 || gemm.n <= 0 || gemm.groups <= 0) return 0;
  const auto folds_of = [](int64_t x, int64_t s) { return (x + s - 1) / s; };
  const int64_t R = mac.rows, C = mac.cols;
  if (mac.dataflow == Dataflow::OutputStationary) return gemm.groups * gemm.m * gemm.k * folds_of(gemm.n, C);
  if (mac.grouped == GroupMapping::GroupPerColumn && gemm.groups > 1)
    return gemm.groups * gemm.m * gemm.k * folds_of(gemm.n, C);
  if (gemm.groups > 1 && gemm.k <= R && gemm.n <= C) return gemm.groups * gemm.m * gemm.k;  // packed
  return gemm.groups * gemm.m * gemm.k * folds_of(gemm.n, C);
}

// How many times the command reads its weights (or stationary second operand) from OCM.
inline int64_t array_weight_passes(const MacArraySpec& mac, const Gemm& gemm) {
  if (gemm.m <= 0 || gemm.k <= 0 || gemm.n <= 0 || gemm.groups <= 0) return 0;
  if (mac.dataflow == Dataflow::OutputStationary) return (gemm.m + mac.rows - 1) / mac.rows;
  return gemm.fill || !single_fold(mac, gemm) ? 1 : 0;
}

// OCM bytes a command's operands take into the array: its activation stream at `act_bits` and
// `weight_bytes` (the tile's weights as stored) once per pass.
inline int64_t array_read_bytes(const MacArraySpec& mac, const Gemm& g, int act_bits, int64_t weight_bytes) {
  return (array_input_elements(mac, g) * act_bits + 7) / 8 + array_weight_passes(mac, g) * weight_bytes;
}

// Array cycles stretched by rows*cols / macs_per_cycle when the operands are wider than the
// array's native width.
inline int64_t stretched_cycles(const HardwareSpec& hw, int64_t systolic, NumFormat f, int weight_bits, int act_bits) {
  const int64_t mpc = hw.macs_per_cycle(f, weight_bits, act_bits);
  const int64_t array = int64_t(hw.mac.rows) * hw.mac.cols;
  return mpc > 0 ? (systolic * array + mpc - 1) / mpc : systolic;
}

inline int64_t ocm_port_cycles(const HardwareSpec& hw, int64_t ocm_bytes) {
  return static_cast<int64_t>(std::ceil(double(ocm_bytes) / hw.ocm.bytes_per_cycle));
}

// Cycles of one MAC tile on a core: the systolic count (stretched for wide operands), at least
// the cycles the accumulator needs for its reads and writes, and at least the cycles the OCM port
// needs to move the tile's operands and results (`ocm_bytes`) plus the partial sums it spills
// (accumulator.h: each spilled byte is written to OCM and read back).
inline int64_t mac_tile_cycles(const HardwareSpec& hw, const Gemm& g, NumFormat f, int weight_bits, int act_bits,
                               int64_t ocm_bytes) {
  const int64_t stretched = stretched_cycles(hw, systolic_cycles(hw.mac, g), f, weight_bits, act_bits);
  const AccumulatorUse acc = accumulator_use(hw.mac, g);
  return std::max({stretched, accumulator_cycles(hw.mac, acc), ocm_port_cycles(hw, ocm_bytes + 2 * acc.spill_bytes)});
}

// Cycles of one element-wise tile on a core's vector unit.
inline int64_t vector_tile_cycles(const HardwareSpec& hw, int64_t ops, int64_t ocm_bytes) {
  const auto unit = static_cast<int64_t>(std::ceil(double(ops) / hw.vector.elements_per_cycle));
  return std::max(unit, ocm_port_cycles(hw, ocm_bytes));
}

}  // namespace nnasim::hw
