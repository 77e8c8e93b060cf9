#include "sim/sched/layer_cost.h"
#include "sim/common/int_math.h"

#include <algorithm>
#include <cmath>

namespace nnasim::sched {
namespace {
}  // namespace

LayerGeo layer_geo(const graph::Graph& g, int idx) {
  using graph::Op;
  const graph::Layer& l = g.layers[idx];
  const int64_t r = std::max<int64_t>(1, g.replicas());
  LayerGeo geo;
  geo.co = l.out.c;
  geo.ho = l.out.rows() * r;
  geo.wo = l.out.w;
  geo.act_bits = l.quant.act_bits;
  geo.weight_bits = l.quant.weight_bits;
  geo.format = l.quant.format;
  geo.weight_bytes = l.cost.weight_bytes;
  geo.vector_ops = l.cost.vector_ops;
  for (size_t i = 0; i < l.inputs.size(); ++i) {
    const auto& s = graph::input_shape(g, l, i);
    geo.in.push_back({s.c, s.rows() * r, s.w});
  }
  // Input rows per output row of a windowed layer with all outer axes folded into rows; a window
  // never spans two samples, so at most one sample's rows.
  auto window_rows = [&](int kh_eff, int kd_eff) {
    const auto& x = graph::input_shape(g, l, 0);
    geo.kh_eff = static_cast<int>(std::min<int64_t>(int64_t(kh_eff) * kd_eff, std::max<int64_t>(1, x.d * x.h)));
  };
  // Layout operators move a tile's share of the rows: input rows in proportion to output rows.
  auto proportional_rows = [&]() {
    geo.spatial = true;
    const int64_t in_rows = geo.in.empty() ? 1 : geo.in[0].h;
    geo.kh_eff = geo.sh = static_cast<int>(std::max<int64_t>(1, geo.ho > 0 ? in_rows / geo.ho : 1));
  };
  switch (l.op) {
    case Op::Conv:
      geo.mac = geo.spatial = true;
      geo.groups = l.groups;
      geo.dense = l.groups == 1;
      geo.cpg_out = l.out_channels / l.groups;
      geo.k = (geo.in[0].c / l.groups) * l.kd * l.kh * l.kw;
      // A dilated convolution runs as dilation-decomposed (space-to-batch) dense convolutions on
      // interleaved sub-grids, as atrous convolution is usually executed: a band of output rows
      // reads the kh dense tap rows of its sub-grid, not the dilated span.
      if (l.dh > 1 && l.sh == 1) window_rows(l.kh, l.dd > 1 ? l.kd : (l.kd - 1) * l.dd + 1);
      else window_rows((l.kh - 1) * l.dh + 1, (l.kd - 1) * l.dd + 1);
      geo.sh = l.sh;
      break;
    case Op::ConvTranspose: {
      // Sub-pixel decomposition: phases = sd x sh x sw stride-1 convolutions over the input grid.
      const auto& x = graph::input_shape(g, l, 0);
      const int64_t phases = int64_t(l.sd) * l.sh * l.sw;
      auto sub = [](int k, int s) { return (k + s - 1) / s; };
      geo.mac = geo.spatial = true;
      geo.groups = l.groups;
      geo.dense = l.groups == 1;
      geo.co = l.out_channels * phases;
      geo.cpg_out = geo.co / l.groups;
      geo.ho = x.rows() * r;
      geo.wo = x.w;
      geo.k = (x.c / l.groups) * sub(l.kd, l.sd) * sub(l.kh, l.sh) * sub(l.kw, l.sw);
      window_rows(sub(l.kh, l.sh), sub(l.kd, l.sd));
      geo.sh = 1;
      break;
    }
    case Op::FullyConnected: {
      geo.mac = true;
      geo.dense = true;
      geo.cpg_out = l.out_channels;
      const auto& x = graph::input_shape(g, l, 0);
      const int64_t rows = (l.fc_rows > 0 ? x.n * l.fc_rows : x.n) * r;
      geo.k = x.elements() * r / rows;
      geo.wo = 1;
      if (rows == 1) {  // one sample: the input as it lies (the classifier's head)
        geo.ho = 1;
      } else {            // M = rows: every row reads its own band of the input
        geo.ho = rows;
        geo.spatial = true;
        const int64_t in_rows = geo.in[0].h;
        geo.kh_eff = geo.sh = static_cast<int>(std::max<int64_t>(1, in_rows / rows));
      }
      break;
    }
    case Op::MatMul: {
      // Per sample G groups of [M, K] x [K, N]; samples are more groups.
      const int64_t groups = l.out.n * r * l.mm_groups;
      geo.mac = geo.spatial = true;
      geo.dense = false;
      geo.groups = groups;
      geo.cpg_out = l.mm_n;
      geo.co = groups * l.mm_n;
      geo.ho = l.mm_m;
      geo.wo = 1;
      geo.k = l.mm_k;
      geo.in[0] = {groups * l.mm_k, l.mm_m, 1};
      geo.in[1] = {groups * l.mm_n, l.mm_k, 1, /*whole=*/true};
      geo.kh_eff = geo.sh = 1;
      break;
    }
    case Op::MaxPool:
    case Op::AvgPool:
      geo.spatial = true;
      window_rows(l.kh, l.kd);
      geo.sh = l.sh;
      break;
    case Op::GlobalAvgPool: geo.spatial = false; break;
    case Op::Reduce:
      geo.spatial = false;  // an output row may read any input row
      break;
    case Op::Unsupported:
    case Op::Transpose:
    case Op::Slice:
    case Op::Resize:
      proportional_rows();
      break;
    case Op::Pad:
      geo.spatial = true;
      break;
    default: geo.spatial = true; break;  // element-wise: one input row per output row
  }
  return geo;
}

bool wants_k_tiles(const LayerGeo& geo, int64_t streamed_w, int cols, int64_t ocm_bytes) {
  if (!geo.mac || !geo.dense || geo.in.size() != 1 || geo.in[0].c < 2 || geo.co <= 0) return false;
  const int64_t full_width = ceil_div(streamed_w * std::min<int64_t>(geo.co, cols), geo.co);
  return 2 * full_width > ocm_bytes / 2;
}

TileShape tile_shape(const LayerGeo& geo, int cores, Split split, const Tiling& t, int64_t streamed_w) {
  TileShape s;
  const int64_t n_split = split == Split::Channels ? geo.co : geo.ho;
  s.active_cores = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(cores, n_split)));
  s.co_core = split == Split::Channels ? ceil_div(geo.co, s.active_cores) : geo.co;
  s.rows_core = split == Split::Rows ? ceil_div(geo.ho, s.active_cores) : geo.ho;
  s.co_tile = ceil_div(s.co_core, t.channel_tiles);
  s.rows_tile = ceil_div(s.rows_core, t.row_tiles);
  s.tiles = t.channel_tiles * t.row_tiles;
  s.k_tiles = t.k_tiles;
  s.computes = s.tiles * s.k_tiles;

  for (const auto& in : geo.in) {
    int64_t rows = geo.spatial && !in.whole ? std::min(in.h, (s.rows_tile - 1) * geo.sh + geo.kh_eff) : in.h;
    int64_t ch = geo.dense ? ceil_div(in.c, s.k_tiles) : ceil_div(in.c * s.co_tile, geo.co);
    s.in_band_bytes += bytes_of(rows * in.w * ch, geo.act_bits);
  }
  s.out_tile_bytes = bytes_of(s.rows_tile * geo.wo * s.co_tile, geo.act_bits);
  // Weights per output channel are uniform; a core holds its channels' share (channel split) or all
  // of them (row split).
  // (128-bit product: a layer's weights (up to 2^48 bytes) times its channels (up to 2^31) leaves int64.)
  s.weight_tile_bytes =
      geo.co ? static_cast<int64_t>(((__int128)streamed_w * s.co_tile + (__int128)geo.co * s.k_tiles - 1) /
                                    ((__int128)geo.co * s.k_tiles))
             : 0;

  const bool ws_outer = t.order == LoopOrder::WeightsOuter;
  if (s.k_tiles > 1) {
    // Every chunk of the reduction brings its own slice of the input band and of the weights.
    s.input_loads = s.computes;
    s.weight_loads = streamed_w == 0 ? 0 : s.computes;
    s.acc_bytes = s.rows_tile * geo.wo * s.co_tile * kAccumulatorBytes;
  } else {
    s.input_loads = geo.dense ? (ws_outer ? (t.row_tiles == 1 ? 1 : s.tiles) : t.row_tiles) : s.tiles;
    s.weight_loads = streamed_w == 0 ? 0 : (ws_outer || t.channel_tiles == 1 ? t.channel_tiles : s.tiles);
  }

  if (geo.mac) {
    s.gemm.m = s.rows_tile * geo.wo;
    s.gemm.k = ceil_div(geo.k, s.k_tiles);
    if (s.co_tile >= geo.cpg_out) {
      s.gemm.n = geo.cpg_out;
      s.gemm.groups = ceil_div(s.co_tile, geo.cpg_out);
    } else {
      s.gemm.n = s.co_tile;
      s.gemm.groups = 1;
    }
    s.tile_ops = s.gemm.m * s.gemm.k * s.gemm.n * s.gemm.groups;
  } else {
    const int64_t out_elems = geo.co * geo.ho * geo.wo;
    s.tile_ops = out_elems ? ceil_div(geo.vector_ops * s.rows_tile * s.co_tile, geo.ho * geo.co) : 0;
  }
  return s;
}

int64_t working_set(const TileShape& s, bool inputs_on_chip, bool output_on_chip) {
  int64_t ws = 0;
  if (!inputs_on_chip) ws += s.in_band_bytes * (s.input_loads > 1 ? 2 : 1);
  if (s.weight_loads > 0) ws += s.weight_tile_bytes * (s.weight_loads > 1 ? 2 : 1);
  if (!output_on_chip) ws += s.out_tile_bytes * (s.tiles > 1 ? 2 : 1);
  return ws + s.acc_bytes;
}

int64_t tile_cycles(const HardwareSpec& hw, const LayerGeo& geo, const hw::Gemm& gemm, int64_t ops,
                    int64_t ocm_bytes) {
  return geo.mac ? hw::mac_tile_cycles(hw, gemm, geo.format, geo.weight_bits, geo.act_bits, ocm_bytes)
                 : hw::vector_tile_cycles(hw, ops, ocm_bytes);
}

}  // namespace nnasim::sched
