// Layer fusion: a chain of consecutive layers runs band by band over the last layer's output
// rows, so that the tensors between them stay in OCM instead of going through DRAM (Series4's
// "Tensor Tiling", a DeFiNES-style depth-first schedule).
//
// Which layers: a group is a chain of 2-D convolutions (dense, grouped or depthwise, undilated),
// max/average pooling, stand-alone activations and residual joins (element-wise Add or Mul of two
// tensors of the same shape), at batch 1 on a linear (int/fp8) array; each layer after the first
// reads the layer before, and each layer before the last is read only by the next. A join inside a
// group reads its other operand (the shortcut) band by band, from DRAM (double-buffered) or where
// it lies in OCM; a join does not start a group. A layer whose output has several readers (a
// residual branch point) ends its group; Concat and broadcasting Mul are not fused.
//
// Halo rows are kept (cached), not recomputed: each intermediate has a circular row buffer as
// tall as the rows its consumer's window spans in one band, so every row of every layer is
// computed once on one core and the group's MACs equal the layers' MACs. With several cores, each
// takes a contiguous share of the last layer's output rows and recomputes the halo rows at the
// start of its share (the rows the core before it also computes), so MACs grow a little.
//
// Bytes a group moves: its input rows are read from DRAM once per core share (or read where they
// lie in OCM), its output rows written once (or left in OCM), its intermediates never; its
// weights are loaded once and kept for every band (hold) or re-loaded in blocks at every band.
//
// Choice (fuse_layers): on top of the layer-by-layer plan, for each run of fusable layers whose
// intermediates go through DRAM in that plan, the best split of the run into groups by the
// user's objective, with the same laws as the rest of the planner (tile_cycles -> systolic.h,
// a timeline of the group's loads and computes at the DRAM share of
// dram_share.h, energy::energy_of). A group is taken only when its estimate beats
// its layers' layer-by-layer estimates.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"
#include "sim/program/program.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

// One band of a fused group on one core: the group input rows to bring in, and per layer of the
// group the output rows it computes in this band ([begin, end), empty when none).
struct FuseBand {
  int64_t in_begin = 0, in_end = 0;     // new rows of the group's input (of its first layer's input)
  std::vector<int64_t> begin, end;      // per layer of the group
  std::vector<int64_t> read_begin;      // per layer: first input row its window reads in this band
};

// The rows of one layer's window: how output rows map back to input rows.
struct RowMap {
  int64_t in_rows = 0, out_rows = 0;
  int kh = 1, sh = 1, pad = 0;
  // Input rows [lo, hi) that output rows [b, e) read (clamped to the input).
  int64_t lo(int64_t b) const;
  int64_t hi(int64_t e) const;
};

// The bands of group layers first..last on a core that computes the last layer's output rows
// [r0, r1), in bands of `band_rows`; halos cached within the share.
std::vector<FuseBand> fuse_bands(const std::vector<RowMap>& maps, int64_t r0, int64_t r1, int64_t band_rows);

// Row maps of the group's layers.
std::vector<RowMap> row_maps(const graph::Graph& g, int first, int last);

// Whether a layer may be part of a fused group (see above), and whether `next` may follow `l`.
bool fusable(const graph::Graph& g, const HardwareSpec& hw, int layer);
bool chains(const graph::Graph& g, const std::vector<std::vector<int>>& consumers, int layer, int next);

// Chooses fused groups on top of a layer-by-layer plan and records them in plan.groups and each
// layer's fusion_group.
void fuse_layers(const graph::Graph& g, const HardwareSpec& hw, const SchedOptions& opt, Plan& plan);

// The fused group's commands on every core. `start_deps`: what its first layer waits for;
// `out_alloc`: per-core OCM of the last layer's on-chip output (allocated at the group's start);
// `freed_inputs`: on-chip inputs the group frees at its end; `tail_bytes` (per core, 0: none): the
// first weight block of layer `next` to prefetch once the group has ended on the core, its load's id
// in `tail_ids` (kNone = UINT32_MAX where none). Returns, per layer of the group, the end syncs
// (one per core).
std::vector<std::vector<uint32_t>> emit_fused_group(program::Program& prog, const graph::Graph& g, const HardwareSpec& hw,
                                                    const Plan& plan, const FusedGroup& fg,
                                                    const std::vector<uint32_t>& start_deps, int64_t out_alloc,
                                                    int64_t freed_inputs, int next, const std::vector<int64_t>& tail_bytes,
                                                    std::vector<uint32_t>* tail_ids);

// "fused group 3 (layers a..b): bands of 8 rows, halo rows cached, weights held" for reports.
std::string describe(const FusedGroup& fg, int id, const graph::Graph& g);

}  // namespace nnasim::sched
