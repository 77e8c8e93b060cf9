// Geometry of one layer as the mapper sees it, and the per-core, per-tile quantities derived from
// a split and a tiling: bytes of each tile, how many times each stream is loaded, the GEMM of a
// tile. Shared by the planner (to choose) and the emitter (to write commands), so that both
// always agree on what a tile is.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/config/hw_spec.h"
#include "sim/graph/graph.h"
#include "sim/hw/systolic.h"
#include "sim/sched/plan.h"

namespace nnasim::sched {

struct InputGeo {
  int64_t c = 0, h = 0, w = 0;
  // Read whole by every tile (all h rows, the tile's channel share) rather than as a band of
  // rows: the second operand of an activation x activation MatMul (attention's K^T or V), which
  // plays the weights' part but is produced by the network on every inference. Default false.
  bool whole = false;
};

// How the graph's operators are lowered into this view (layer_geo):
//  * rows fold every outer axis: batch (n, and the graph's replicas), depth (3-D), H; so a batch
//    of N streams N times the rows through the array per fold of the weights;
//  * Conv over 1, 2 or 3 spatial dims: K = C/g x kd x kh x kw, M = rows x wo; a 3-D window reads
//    kd planes, counted as kh_eff = kd_eff x kh_eff input rows per output row;
//  * ConvTranspose by sub-pixel decomposition: s^dims phases, each a stride-1 convolution over the
//    input grid with kernel ceil(k/s), so ho/wo are the input's rows and columns, co = out
//    channels x phases, and no MAC is spent on inserted zeros;
//  * FC: M = rows (tokens x batch), K = features; MatMul (activation x activation): groups =
//    heads x samples, M, K per group, N = cpg_out, its second operand an input read `whole`;
//  * vector operators (Softmax, LayerNorm, Resize, Transpose, Slice, Reduce, pooling): ops
//    spread over rows and channels; Unsupported: no ops, data still moves.
struct LayerGeo {
  bool mac = false;          // runs on the MAC array (Conv, FC, MatMul) rather than the vector unit
  bool spatial = false;      // output rows map to input row bands (conv, pooling, element-wise)
  bool dense = false;        // every output channel reads every input channel (conv g=1, FC)
  int64_t co = 0, ho = 1, wo = 1;
  std::vector<InputGeo> in;
  int kh_eff = 1, sh = 1;    // rows of input per output row: (rows-1)*sh + kh_eff
  int64_t k = 0;             // MAC reduction per group
  int64_t cpg_out = 0;       // output channels per group
  int64_t groups = 1;
  int64_t weight_bytes = 0;  // all weights and biases as stored
  int64_t vector_ops = 0;
  int act_bits = 8, weight_bits = 8;
  NumFormat format = NumFormat::Int;
};

LayerGeo layer_geo(const graph::Graph& g, int layer);

// Whether splitting the reduction can help: a dense MAC layer whose weights for one array's width
// of filters cannot be double-buffered in `ocm_bytes`.
bool wants_k_tiles(const LayerGeo& geo, int64_t streamed_w, int cols, int64_t ocm_bytes);

constexpr int kAccumulatorBytes = 4;  // 32-bit partial sums

// The shape of the work on one core, given a split, a tiling and the per-core counts.
struct TileShape {
  int active_cores = 1;
  int64_t co_core = 0, rows_core = 0;  // per core
  int64_t co_tile = 0, rows_tile = 0;
  int64_t in_band_bytes = 0;        // all inputs of one tile (those in DRAM or on chip alike)
  int64_t weight_tile_bytes = 0;    // streamed weights of one channel tile
  int64_t out_tile_bytes = 0;
  int64_t input_loads = 0;          // per core: how many input bands are loaded over the layer
  int64_t weight_loads = 0;         // per core
  int64_t tiles = 0;                // per core: output tiles (each stored once)
  int64_t k_tiles = 1;              // reduction chunks per output tile
  int64_t computes = 0;             // per core: compute commands = tiles x k_tiles
  int64_t acc_bytes = 0;            // 32-bit partial sums of one output tile (k_tiles > 1)
  hw::Gemm gemm;                    // one full tile (one reduction chunk)
  int64_t tile_ops = 0;             // MACs or vector ops of one full tile (one reduction chunk)
};

TileShape tile_shape(const LayerGeo& geo, int cores, Split split, const Tiling& t, int64_t streamed_weight_bytes);

// Per-core OCM bytes the tiling needs for its buffers; on-chip inputs and outputs are counted in
// the resident area instead.
int64_t working_set(const TileShape& s, bool inputs_on_chip, bool output_on_chip);

// Time of one tile on its unit, in cycles.
int64_t tile_cycles(const HardwareSpec& hw, const LayerGeo& geo, const hw::Gemm& gemm, int64_t ops,
                    int64_t ocm_bytes);

}  // namespace nnasim::sched
