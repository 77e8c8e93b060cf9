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

namespace {
bool is_act(const Layer& l, Act a) { return l.op == Op::Activation && l.act == a && l.inputs.size() == 1; }
bool is_fn(const Layer& l, Op op, const char* fn) { return l.op == op && l.fn == fn; }
}  // namespace

// The exporter's LayerNorm (opset < 17): m = ReduceMean(x); d = x - m; v = ReduceMean(d^2);
// y = d / Sqrt(v + eps) [* gamma + beta]; and its GELU: x * (1 + Erf(x / sqrt 2)) [* 0.5].
int fuse_decomposed(Graph& g) {
  auto cons = g.consumers();
  const int n = static_cast<int>(g.layers.size());
  std::vector<bool> drop(n, false);
  auto only = [&](int i) { return cons[i].size() == 1 ? cons[i][0] : -1; };
  int fused = 0;
  for (int i = 0; i < n; ++i) {
    Layer& r1 = g.layers[i];
    if (drop[i] || !is_fn(r1, Op::Reduce, "ReduceMean") || r1.inputs.size() != 1) continue;
    const int x = r1.inputs[0];
    const int sub = only(i);
    if (sub < 0 || !is_fn(g.layers[sub], Op::Add, "Sub") || g.layers[sub].inputs != std::vector<int>{x, i}) continue;
    int pw = -1, div = -1;
    for (int c : cons[sub]) {
      if (is_act(g.layers[c], Act::Pow)) pw = c;
      else if (is_fn(g.layers[c], Op::Mul, "Div")) div = c;
    }
    if (pw < 0 || div < 0 || cons[sub].size() != 2) continue;
    const int r2 = only(pw);
    if (r2 < 0 || !is_fn(g.layers[r2], Op::Reduce, "ReduceMean")) continue;
    const int eps = only(r2);
    if (eps < 0 || !is_act(g.layers[eps], Act::None)) continue;
    const int sq = only(eps);
    if (sq < 0 || !is_act(g.layers[sq], Act::Sqrt) || only(sq) != div ||
        g.layers[div].inputs != std::vector<int>{sub, sq})
      continue;
    Layer& ln = g.layers[div];
    ln.op = Op::LayerNorm;
    ln.fn = "LayerNormalization";
    ln.elem_ops = 6;
    ln.inputs = {x};
    ln.in_views.clear();
    ln.in_views.push_back(g.layers[x].out.elements() == ln.out.elements() ? ln.out : Shape{});
    for (int d : {i, sub, pw, r2, eps, sq}) drop[d] = true;
    // The affine scale and shift (activation layers scaled or offset by a constant).
    int at = div;
    for (const char* fn : {"Mul", "Add"}) {
      int c = only(at);
      if (c >= 0 && is_act(g.layers[c], Act::None) && g.layers[c].fn == fn) {
        drop[c] = true;
        at = c;
        ln.has_bias = true;
      }
    }
    ++fused;
  }
  for (int i = 0; i < n; ++i) {
    Layer& e = g.layers[i];
    if (drop[i] || !is_act(e, Act::Erf)) continue;
    const int v = e.inputs[0];
    if (!is_act(g.layers[v], Act::None) || g.layers[v].fn != "Div" || only(v) != i) continue;
    const int x = g.layers[v].inputs[0];
    const int a1 = only(i);
    if (a1 < 0 || !is_act(g.layers[a1], Act::None) || g.layers[a1].fn != "Add") continue;
    const int m = only(a1);
    if (m < 0 || g.layers[m].op != Op::Mul || g.layers[m].inputs.size() != 2) continue;
    auto ins = g.layers[m].inputs;
    if (!((ins[0] == x && ins[1] == a1) || (ins[1] == x && ins[0] == a1))) continue;
    Layer& gl = g.layers[m];
    gl.op = Op::Activation;
    gl.act = Act::Gelu;
    gl.fn = "Gelu";
    gl.inputs = {x};
    gl.in_views.clear();
    for (int d : {v, i, a1}) drop[d] = true;
    int h = only(m);
    if (h >= 0 && is_act(g.layers[h], Act::None) && g.layers[h].fn == "Mul") drop[h] = true;
    ++fused;
  }
  // A dropped layer's consumers read its first input: every dropped layer above is either inside
  // a fused group (read only by it) or a scale/shift after it.
  remove_layers(g, drop);
  return fused;
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
                   prod.op == Op::BatchNorm || prod.op == Op::Mul || prod.op == Op::ConvTranspose ||
                   prod.op == Op::MatMul || prod.op == Op::LayerNorm;
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
  if (opt.fuse) fuse_decomposed(g);
  if (opt.fuse) fuse_activations(g);
  if (opt.weight_bits) set_weight_bits(g, *opt.weight_bits);
  if (opt.act_bits) set_act_bits(g, *opt.act_bits);
  if (opt.format) set_format(g, *opt.format);
  for (const auto& l : g.layers) check_format_bits(l);
  annotate(g);
}

}  // namespace nnasim::graph
