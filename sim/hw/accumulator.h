// The accumulator memory beside a MAC array: where a weight-stationary tile's partial sums live
// between its row folds. Pure functions, no SystemC; the MacArray counts with them and the mapper
// calls them to price a tile.
//
// A weight-stationary array reduces R products per column per cycle; a tile whose reduction K is
// deeper needs f = ceil(K / R) row folds, and between them every output's partial sum is read,
// added to and written back. Per output: f writes (the first fold's, then f - 1 read-modify-
// writes) and f reads (the f - 1 read-modify-writes, then the final read-out to the output path).
// Folds run column fold by column fold (systolic.h), so the partial sums live at once are those
// of one column fold: M x c entries (none when f = 1: results stream straight out).
// A column fold whose partial sums exceed the capacity keeps what fits; the excess entries are
// spilled to OCM between row folds: for each of the f - 1 read-modify-writes, each excess entry
// is written to OCM and read back (spill_bytes each way), on the OCM port and priced as OCM
// traffic. Output-stationary arrays accumulate in the processing elements: no accumulator traffic.
// Partial sums may also stay in the accumulator from one command to the next (a streamed tiling's
// reduction blocks, sched/stream.h `ps_acc`): each command's reads and writes are counted here as
// usual, and the mapper offers that only when the core's share of partial sums fits the capacity.
// TPU v1 (Jouppi et al., ISCA 2017): 4 MiB of 32-bit accumulators, 4096 per column of its
// 256 x 256 array.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sim/config/hw_spec.h"
#include "sim/program/gemm.h"

namespace nnasim::hw {

struct AccumulatorUse {
  int64_t reads = 0;          // entries read (read-modify-writes and final read-outs)
  int64_t writes = 0;         // entries written
  int64_t rmw = 0;            // read-modify-writes (between row folds)
  int64_t footprint = 0;      // entries live at once (the largest column fold's partial sums)
  int64_t spill_entries = 0;  // of those, how many exceed the capacity (the largest column fold)
  int64_t spill_bytes = 0;    // bytes written to OCM, and again read back, over the tile
};

inline int64_t accumulator_entry_bytes(const MacArraySpec& mac) { return mac.accumulator.entry_bytes(); }

// Entries the accumulator holds (0: unbounded).
inline int64_t accumulator_capacity(const MacArraySpec& mac) {
  if (mac.accumulator.size_bytes <= 0) return 0;
  return static_cast<int64_t>(std::floor(mac.accumulator.size_bytes / double(accumulator_entry_bytes(mac))));
}

inline AccumulatorUse accumulator_use(const MacArraySpec& mac, const program::Gemm& gemm) {
  AccumulatorUse u;
  if (mac.dataflow != Dataflow::WeightStationary) return u;
  if (gemm.m <= 0 || gemm.k <= 0 || gemm.n <= 0 || gemm.groups <= 0) return u;
  program::Gemm g = gemm;
  if (mac.grouped == GroupMapping::GroupPerColumn && g.groups > 1) g = {g.m, g.k, g.n * g.groups, 1};
  const int64_t R = mac.rows, C = mac.cols;
  const int64_t f = (g.k + R - 1) / R;  // packed groups (k <= R) have one row fold
  const int64_t outputs = g.m * g.n * g.groups;
  u.writes = outputs * f;
  u.reads = outputs * f;
  u.rmw = outputs * (f - 1);
  if (f == 1) return u;
  const int64_t full_c = g.n / C, rest_c = g.n % C;
  u.footprint = g.m * std::min(g.n, C);
  const int64_t cap = accumulator_capacity(mac);
  if (cap > 0) {
    const auto excess = [&](int64_t c) { return std::max<int64_t>(0, g.m * c - cap); };
    u.spill_entries = excess(std::min(g.n, C));
    const int64_t spilled = g.groups * (full_c * excess(C) + (rest_c ? excess(rest_c) : 0));
    u.spill_bytes = spilled * (f - 1) * accumulator_entry_bytes(mac);
  }
  return u;
}

// OCM bytes a tile's spilled partial sums occupy while it runs (the largest column fold's excess):
// the MacArray allocates them for the tile, so the mapper must leave room for them.
inline int64_t accumulator_spill_footprint(const MacArraySpec& mac, const program::Gemm& g) {
  return accumulator_use(mac, g).spill_entries * accumulator_entry_bytes(mac);
}

// Cycles the accumulator needs (its reads and its writes each at entries_per_cycle).
inline int64_t accumulator_cycles(const MacArraySpec& mac, const AccumulatorUse& u) {
  if (mac.accumulator.entries_per_cycle <= 0) return 0;
  return static_cast<int64_t>(std::ceil(double(std::max(u.reads, u.writes)) / mac.accumulator.entries_per_cycle));
}

}  // namespace nnasim::hw
