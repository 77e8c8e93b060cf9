#include "sim/graph/compress.h"

#include <Eigen/Core>
#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <future>
#include <random>

#include "sim/numeric/random.h"  // derive_seed
#include "sim/numeric/int_format.h"  // round_half_even

namespace nnasim::graph {

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int ceil_log2(int k) {
  int b = 0;
  while ((int64_t(1) << b) < k) ++b;
  return b;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Nearest centroid of each row of V (ties: lower index); returns whether any assignment changed.
bool assign(const RowMat& V, const RowMat& C, std::vector<int>& a) {
  const int64_t m = V.rows(), k = C.rows();
  const Eigen::VectorXf cn = C.rowwise().squaredNorm();
  constexpr int64_t kBlock = 2048;
  bool changed = false;
  Eigen::MatrixXf E;  // k x rows, column-major: one point's distances are contiguous
  for (int64_t r0 = 0; r0 < m; r0 += kBlock) {
    const int64_t rows = std::min(kBlock, m - r0);
    // |v - c|^2 - |v|^2 = |c|^2 - 2 v.c
    E.noalias() = C * V.middleRows(r0, rows).transpose();
    E = (E * -2.0f).colwise() + cn;
    const Eigen::RowVectorXf best = E.colwise().minCoeff();
    for (int64_t i = 0; i < rows; ++i) {
      const float* col = E.data() + i * k;
      int j = 0;
      while (col[j] != best[i]) ++j;  // the first (lowest) index reaching the minimum
      if (a[r0 + i] != j) a[r0 + i] = j, changed = true;
    }
  }
  return changed;
}

}  // namespace

CompressSpec parse_compress(const std::string& text, const SourceLoc& where) {
  const std::string prefix = "cluster:";
  auto fail = [&] {
    throw InputError(where, fmt::format("bad compression '{}': expected cluster:K with K an integer from 2 to {} "
                                        "(e.g. cluster:64)", text, kMaxClusters));
  };
  if (text.compare(0, prefix.size(), prefix) != 0) fail();
  const std::string digits = text.substr(prefix.size());
  if (digits.empty() || digits.size() > 6 || digits[0] == '0') fail();
  for (char c : digits)
    if (c < '0' || c > '9') fail();
  const int k = std::atoi(digits.c_str());
  if (k < 2 || k > kMaxClusters) fail();
  return {k};
}

Compression cluster_layout(const Layer& l, int64_t in_channels, int k) {
  Compression z;
  z.clusters = k;
  z.index_bits = ceil_log2(k);
  z.kernels = kernel_count(l, in_channels);
  z.codebook_entries = int64_t(k) * l.kh * l.kw;
  z.scale_bits = 16;
  return z;
}

bool cluster_eligible(const Layer& l) { return l.op == Op::Conv && l.kh == 3 && l.kw == 3; }

int64_t kernel_count(const Layer& l, int64_t in_channels) {
  return l.groups > 0 ? l.out_channels * (in_channels / l.groups) : 0;
}

float round_to_fp16(float x) {
  if (std::isnan(x)) return x;
  const float ax = std::fabs(x);
  if (ax >= 65520.0f) return std::copysign(65504.0f, x);  // would round to inf: saturate
  if (ax == 0.0f) return x;
  int e;
  std::frexp(ax, &e);                        // ax = m 2^e, m in [0.5, 1): leading bit 2^(e-1)
  const int qe = std::max(e - 1, -14) - 10;  // 10 fraction bits; subnormals below 2^-14
  const double q = numeric::round_half_even(std::ldexp(double(ax), -qe));
  return std::copysign(static_cast<float>(std::ldexp(q, qe)), x);
}

KernelClusters cluster_kernels(const float* w, int64_t n, int dim, int k, uint64_t seed) {
  if (k < 1 || k > n || dim < 1)
    throw InternalError(fmt::format("cluster_kernels: {} clusters of {} kernels of {} values", k, n, dim));
  KernelClusters out;
  out.dim = dim;
  out.codebook.assign(size_t(k) * dim, 0.0f);
  out.index.assign(size_t(n), 0);
  out.scale.assign(size_t(n), 0.0f);

  // Normalised nonzero kernels: v = w / (|w| * sign(centre)).
  std::vector<int64_t> live;
  std::vector<float> vals;
  for (int64_t i = 0; i < n; ++i) {
    const float* wi = w + i * dim;
    double ss = 0;
    for (int d = 0; d < dim; ++d) ss += double(wi[d]) * wi[d];
    if (ss == 0.0) continue;
    const double div = std::sqrt(ss) * (wi[dim / 2] < 0.0f ? -1.0 : 1.0);
    for (int d = 0; d < dim; ++d) vals.push_back(static_cast<float>(wi[d] / div));
    live.push_back(i);
  }
  const int64_t m = static_cast<int64_t>(live.size());
  if (m == 0) return out;
  const Eigen::Map<const RowMat> V(vals.data(), m, dim);

  // k-means++ seeding.
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  RowMat C(k, dim);
  C.row(0) = V.row(std::min<int64_t>(int64_t(uniform() * double(m)), m - 1));
  std::vector<double> d2(m);
  for (int64_t i = 0; i < m; ++i) d2[i] = (V.row(i) - C.row(0)).cast<double>().squaredNorm();
  for (int c = 1; c < k; ++c) {
    double total = 0;
    for (double d : d2) total += d;
    if (!(total > 0)) {  // fewer distinct kernels than clusters: the rest stay unused copies
      C.row(c) = C.row(c - 1);
      continue;
    }
    const double r = uniform() * total;
    double acc = 0;
    int64_t pick = -1, last = -1;
    for (int64_t i = 0; i < m; ++i) {
      if (d2[i] <= 0) continue;
      last = i;
      acc += d2[i];
      if (acc > r) {
        pick = i;
        break;
      }
    }
    if (pick < 0) pick = last;
    C.row(c) = V.row(pick);
    for (int64_t i = 0; i < m; ++i) d2[i] = std::min(d2[i], (V.row(i) - C.row(c)).cast<double>().squaredNorm());
  }

  // Lloyd iterations; the loop always ends with an assignment to the current centroids.
  std::vector<int> a(m, -1);
  assign(V, C, a);
  Eigen::MatrixXd sum(k, dim);
  std::vector<int64_t> count(k);
  while (true) {
    sum.setZero();
    std::fill(count.begin(), count.end(), 0);
    for (int64_t i = 0; i < m; ++i) {
      sum.row(a[i]) += V.row(i).cast<double>();
      ++count[a[i]];
    }
    for (int c = 0; c < k; ++c)
      if (count[c] > 0) C.row(c) = (sum.row(c) / double(count[c])).cast<float>();
    ++out.iterations;
    if (!assign(V, C, a) || out.iterations >= kMaxIterations) break;
  }

  for (int c = 0; c < k; ++c)
    for (int d = 0; d < dim; ++d) out.codebook[size_t(c) * dim + d] = C(c, d);
  for (int64_t j = 0; j < m; ++j) {
    const int64_t i = live[j];
    const int c = a[j];
    double wc = 0, cc = 0;
    for (int d = 0; d < dim; ++d) {
      wc += double(w[i * dim + d]) * C(c, d);
      cc += double(C(c, d)) * C(c, d);
    }
    out.index[i] = c;
    out.scale[i] = cc > 0 ? round_to_fp16(static_cast<float>(wc / cc)) : 0.0f;
  }
  return out;
}

std::vector<float> reconstruct(const KernelClusters& c) {
  const int dim = c.dim;
  std::vector<float> w(c.index.size() * dim);
  for (size_t i = 0; i < c.index.size(); ++i)
    for (int d = 0; d < dim; ++d) w[i * dim + d] = c.scale[i] * c.codebook[size_t(c.index[i]) * dim + d];
  return w;
}

void cluster_compress(Graph& g, const CompressSpec& spec, uint64_t seed) {
  if (spec.clusters <= 0) return;
  const int k = spec.clusters;
  std::vector<size_t> jobs;  // layers with real weights to cluster
  for (size_t i = 0; i < g.layers.size(); ++i) {
    Layer& l = g.layers[i];
    if (!cluster_eligible(l)) continue;
    const int64_t kernels = kernel_count(l, input_shape(g, l, 0).c);
    if (kernels < k) {
      l.compression = Compression{};
      continue;
    }
    const Compression z = cluster_layout(l, input_shape(g, l, 0).c, k);
    // Same terms as annotate(), biases aside (they are stored either way).
    const int wb = l.quant.weight_bits;
    const int64_t packed = ceil_div(kernels * (z.index_bits + z.scale_bits), 8) + ceil_div(z.codebook_entries * wb, 8);
    if (packed >= ceil_div(kernels * 9 * wb, 8)) {  // it would not save a byte
      l.compression = Compression{};
      continue;
    }
    l.compression = z;
    if (l.tensors && !l.tensors->weight.empty()) {
      if (int64_t(l.tensors->weight.size()) != kernels * 9)
        throw InputError(l.loc, fmt::format("layer '{}' has {} weights, expected {} kernels of 3x3", l.name,
                                            l.tensors->weight.size(), kernels));
      jobs.push_back(i);
    }
  }
  // Layers are independent (each has its own seed), so two workers give the same result as one.
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t j; (j = next++) < jobs.size();) {
      Layer& l = g.layers[jobs[j]];
      auto& w = l.tensors->weight;
      const KernelClusters c = cluster_kernels(w.data(), l.compression.kernels, 9, k,
                                               numeric::derive_seed(seed ^ 0xC1057E5ull, static_cast<uint64_t>(jobs[j])));
      w = reconstruct(c);
    }
  };
  if (jobs.size() > 1) {
    auto other = std::async(std::launch::async, worker);
    worker();
    other.get();
  } else {
    worker();
  }
}

int64_t uncompressed_weight_bytes(const Layer& l) {
  return ceil_div(l.cost.weights * l.quant.weight_bits, 8) + ceil_div(l.cost.biases * l.quant.bias_bits, 8);
}

double compression_ratio(const Layer& l) {
  return l.cost.weight_bytes > 0 ? double(uncompressed_weight_bytes(l)) / double(l.cost.weight_bytes) : 1.0;
}

CompressionTotals compression_totals(const Graph& g) {
  CompressionTotals t;
  for (const auto& l : g.layers) {
    if (l.compression.clusters > 0) ++t.compressed_layers;
    t.uncompressed_bytes += uncompressed_weight_bytes(l);
    t.compressed_bytes += l.cost.weight_bytes;
  }
  t.ratio = t.compressed_bytes > 0 ? double(t.uncompressed_bytes) / double(t.compressed_bytes) : 1.0;
  return t;
}

}  // namespace nnasim::graph
