#include "sim/graph/passes.h"

#include <fmt/format.h>

#include <cmath>

namespace nnasim::graph {

void remove_layers(Graph& g, const std::vector<bool>& drop) {
  const int n = static_cast<int>(g.layers.size());
  // replacement[i]: the surviving layer whose output stands for layer i's output.
  std::vector<int> replacement(n), new_index(n, -1);
  int next = 0;
  for (int i = 0; i < n; ++i) {
    if (drop[i]) {
      if (g.layers[i].inputs.empty())
        throw InternalError(fmt::format("cannot remove layer '{}': it has no input", g.layers[i].name));
      replacement[i] = replacement[g.layers[i].inputs[0]];
    } else {
      replacement[i] = i;
      new_index[i] = next++;
    }
  }
  std::vector<Layer> kept;
  kept.reserve(next);
  for (int i = 0; i < n; ++i) {
    if (drop[i]) continue;
    Layer l = std::move(g.layers[i]);
    for (int& p : l.inputs) p = new_index[replacement[p]];
    kept.push_back(std::move(l));
  }
  g.layers = std::move(kept);
}

int fold_batchnorm(Graph& g) {
  auto cons = g.consumers();
  std::vector<bool> drop(g.layers.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    Layer& bn = g.layers[i];
    if (bn.op != Op::BatchNorm || bn.inputs.size() != 1) continue;
    Layer& prod = g.layers[bn.inputs[0]];
    if (!prod.has_weights() || cons[bn.inputs[0]].size() != 1 || !prod.fused.empty() || prod.bn_folded) continue;
    if (bn.tensors && !bn.tensors->gamma.empty()) {
      const auto& t = *bn.tensors;
      const size_t cout = static_cast<size_t>(prod.out_channels);
      if (!prod.tensors || prod.tensors->weight.empty() || t.gamma.size() != cout)
        throw InputError(bn.loc, fmt::format("batch-norm '{}' has parameters but its producer '{}' has no weights "
                                             "of {} channels to fold them into", bn.name, prod.name, cout));
      auto& w = prod.tensors->weight;
      auto& b = prod.tensors->bias;
      if (b.empty()) b.assign(cout, 0.0f);
      const size_t per = w.size() / cout;
      for (size_t c = 0; c < cout; ++c) {
        double s = double(t.gamma[c]) / std::sqrt(double(t.var[c]) + t.eps);
        for (size_t k = 0; k < per; ++k) w[c * per + k] = static_cast<float>(w[c * per + k] * s);
        b[c] = static_cast<float>((double(b[c]) - t.mean[c]) * s + t.beta[c]);
      }
    }
    prod.has_bias = true;
    prod.bn_folded = true;
    drop[i] = true;
    ++folded;
  }
  remove_layers(g, drop);
  return folded;
}

int fuse_activations(Graph& g) {
  auto cons = g.consumers();
  std::vector<bool> drop(g.layers.size(), false);
  // survivor[i]: for a fused (dropped) layer, the surviving layer it was fused into; O(1) per
  // lookup, so a chain of n activations fuses in O(n), not O(n^2).
  std::vector<int> survivor(g.layers.size());
  for (size_t i = 0; i < survivor.size(); ++i) survivor[i] = static_cast<int>(i);
  int fused = 0;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    Layer& a = g.layers[i];
    if (a.op != Op::Activation || a.inputs.size() != 1) continue;
    // Follow already-fused chains: the producer is the first surviving layer upstream.
    const int p = survivor[a.inputs[0]];
    Layer& prod = g.layers[p];
    bool fusable = prod.op == Op::Conv || prod.op == Op::FullyConnected || prod.op == Op::Add ||
                   prod.op == Op::BatchNorm || prod.op == Op::Mul;
    if (!fusable || cons[a.inputs[0]].size() != 1) continue;
    prod.fused.push_back(a.act);
    drop[i] = true;
    survivor[i] = p;
    ++fused;
  }
  remove_layers(g, drop);
  return fused;
}

void set_weight_bits(Graph& g, int bits) {
  for (auto& l : g.layers)
    if (l.has_weights()) l.quant.weight_bits = bits;
}
void set_act_bits(Graph& g, int bits) {
  for (auto& l : g.layers) l.quant.act_bits = bits;
}
void set_format(Graph& g, NumFormat f) {
  for (auto& l : g.layers) l.quant.format = f;
}

void prepare(Graph& g, const PrepareOptions& opt) {
  if (opt.fold_bn) fold_batchnorm(g);
  if (opt.fuse) fuse_activations(g);
  if (opt.weight_bits) set_weight_bits(g, *opt.weight_bits);
  if (opt.act_bits) set_act_bits(g, *opt.act_bits);
  if (opt.format) set_format(g, *opt.format);
  annotate(g);
}

}  // namespace nnasim::graph
