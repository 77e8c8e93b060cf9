// Cluster compression of convolution kernels (Son, Nah, Lee, ECCV 2018; see FACTS.md).
//
// Which layers: every Conv with a 3x3 kernel — dense, grouped and depthwise alike (a kernel is
// the 9-vector of one (output channel, input channel of its group) pair, so a depthwise layer
// has Cout kernels). Left uncompressed: a layer with fewer kernels than K (its codebook would
// hold more entries than it has kernels), and a layer whose compressed weights (indices, scales
// and codebook) would not be smaller than its plain weights (e.g. a 16-channel depthwise conv
// with K = 16: 184 bytes instead of 144 at 8 bits). 1x1, 5x5, 7x7 convs and FC layers are never
// compressed.
//
// How (per layer, one codebook per layer):
//   - each kernel w is normalised, v = w / (|w|_2 * sign(w_centre)) (sign(0) = +1); all-zero
//     kernels take no part and reconstruct as zero;
//   - k-means over the v of the layer: k-means++ seeding from std::mt19937_64 seeded by
//     (seed, layer index), then Lloyd iterations (at most kMaxIterations, stopping when no
//     assignment changes); ties go to the lower centroid index, an empty cluster keeps its
//     centroid;
//   - each kernel stores the index of its centroid c (ceil(log2 K) bits) and a scale
//     s = <w, c> / <c, c> (the least-squares fit; equal to |w| * sign for an exact match),
//     rounded to FP16 (16 bits); the codebook is K x 9 values at the layer's weight bits.
// Storage then is (annotate()): ceil(kernels * (index_bits + 16) / 8)
//                               + ceil(K * 9 * weight_bits / 8) + biases * bias_bits / 8 bytes.
// When the layer has real weights (Layer::tensors), they are replaced by the reconstruction
// s * c, in FP32 (the codebook's own rounding to weight bits is left to the number format that
// executes the layer). Weight-less layers get only Layer::compression: their bytes depend on
// shapes alone, so `run --compress` and `numerics --compress` (which first gives them seeded
// weights) charge the same bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/graph/graph.h"

namespace nnasim::graph {

struct CompressSpec {
  int clusters = 0;  // K; 0 = none
};

constexpr int kMaxClusters = 65536;  // a 16-bit index
constexpr int kMaxIterations = 20;   // Lloyd iterations per layer

// Parses "cluster:K" (2 <= K <= 65536); throws InputError at `where` otherwise.
CompressSpec parse_compress(const std::string& text, const SourceLoc& where);

// A conv layer with a 3x3 kernel (any groups).
bool cluster_eligible(const Layer& l);
// Kernels of a conv layer whose input has in_channels channels: out_channels * in_channels / groups.
int64_t kernel_count(const Layer& l, int64_t in_channels);
// The stored layout of `l`'s kernels clustered to k codewords: k clusters, ceil(log2 k)-bit
// indices, one fp16 scale per kernel, a codebook of k kernels (what cluster_compress records and
// a trace's compression block must describe).
Compression cluster_layout(const Layer& l, int64_t in_channels, int k);

// The clustering of one layer's kernels.
struct KernelClusters {
  int dim = 9;                 // values per kernel
  std::vector<float> codebook;  // K x dim, centroids of the normalised kernels
  std::vector<int> index;      // per kernel
  std::vector<float> scale;    // per kernel, already rounded to FP16
  int iterations = 0;          // Lloyd iterations run
};

// Clusters `n` kernels of `dim` values (w: n x dim, row-major) into k centroids. Deterministic
// in (w, k, seed). Requires k <= n (InternalError otherwise).
KernelClusters cluster_kernels(const float* w, int64_t n, int dim, int k, uint64_t seed);
// scale[i] * codebook[index[i]] for every kernel: n x dim values.
std::vector<float> reconstruct(const KernelClusters& c);
// Round to nearest FP16 (ties to even, subnormals, saturating at +-65504), back in float.
float round_to_fp16(float x);

// Applies cluster compression to every eligible conv layer, setting Layer::compression (and, when
// the layer has real weights, replacing them by their reconstruction). Re-run annotate() after.
void cluster_compress(Graph& g, const CompressSpec& spec, uint64_t seed = 1);

// Weight bytes of a layer as if it were not compressed: weights at weight_bits plus biases at
// bias_bits, from l.cost (annotate() first). Equals l.cost.weight_bytes for an uncompressed layer.
int64_t uncompressed_weight_bytes(const Layer& l);
// uncompressed_weight_bytes(l) / l.cost.weight_bytes (1 when the layer stores nothing).
double compression_ratio(const Layer& l);

struct CompressionTotals {
  int compressed_layers = 0;
  int64_t uncompressed_bytes = 0;  // all layers' weight bytes without compression
  int64_t compressed_bytes = 0;    // all layers' weight bytes as stored (sum of cost.weight_bytes)
  double ratio = 1;                // uncompressed_bytes / compressed_bytes
};
CompressionTotals compression_totals(const Graph& g);

}  // namespace nnasim::graph
