#include "sim/numeric/numerics.h"

#include <fmt/format.h>

#include <cmath>
#include <future>
#include <limits>
#include <optional>

#include "sim/numeric/metrics.h"

namespace nnasim::numeric {

using graph::Graph;
using graph::Op;

void check_functional(const Graph& g) {
  // The functional model runs 2-D CNN operators at batch 1 (issue 10's operators are costed by
  // the simulator, not executed here).
  for (const auto& l : g.layers) {
    bool ok = l.out.d == 1 && l.fc_rows == 0 && !l.out_given && g.replicas() == 1;
    for (const auto& v : l.in_views) ok = ok && v.c == 0;
    switch (l.op) {
      case Op::Input: case Op::Conv: case Op::FullyConnected: case Op::MaxPool: case Op::AvgPool:
      case Op::GlobalAvgPool: case Op::Add: case Op::Mul: case Op::Concat: case Op::Pad: case Op::BatchNorm: break;
      case Op::Activation:
        ok = ok && l.act != graph::Act::Gelu && l.act != graph::Act::Erf && l.act != graph::Act::Sqrt &&
             l.act != graph::Act::Pow && l.act != graph::Act::Exp;
        break;
      default: ok = false;
    }
    for (graph::Act a : l.fused)
      ok = ok && a != graph::Act::Gelu && a != graph::Act::Erf && a != graph::Act::Sqrt && a != graph::Act::Pow &&
           a != graph::Act::Exp;
    if (!ok)
      throw InputError(l.loc, fmt::format("numerics: layer '{}' ({}{}) is outside the functional model, which runs "
                                          "2-D CNN operators at batch 1 (conv, fc, pooling, add, mul, concat, pad, "
                                          "batch-norm, CNN activations)",
                                          l.name, graph::to_string(l.op), l.fn.empty() ? "" : " " + l.fn));
  }
}

namespace {

using graph::Graph;
using graph::Op;

// Runs g once in `dp` (and, when `per_layer` is given, also test's layer in `per_layer` on the
// same inputs, recording each layer's SQNR), freeing each activation after its last consumer.
// Returns the concatenated outputs of the sink layers.
Eigen::ArrayXf run_network(const Graph& g, const Datapath& dp, uint64_t seed, const Graph* test,
                           const Datapath* per_layer, std::vector<LayerNumerics>* rows) {
  const size_t n = g.layers.size();
  check_functional(g);
  std::vector<int> uses(n, 0);
  for (const auto& l : g.layers)
    for (int p : l.inputs) ++uses[p];
  std::vector<std::optional<Tensor>> act(n);
  std::vector<int> sinks;
  for (size_t i = 0; i < n; ++i) {
    const auto& l = g.layers[i];
    if (uses[i] == 0 && l.op != Op::Input) sinks.push_back(static_cast<int>(i));
    if (l.op == Op::Input) {
      act[i] = seeded_input(l.out, seed, static_cast<int>(i));
      continue;
    }
    std::vector<const Tensor*> ins;
    for (int p : l.inputs) {
      if (!act[p]) throw InternalError(fmt::format("numerics: input {} of layer '{}' is gone", p, l.name));
      ins.push_back(&*act[p]);
    }
    Tensor out = run_layer(l, ins, dp);
    if (per_layer) {
      const Tensor q = run_layer(test->layers[i], ins, *per_layer);
      rows->push_back({static_cast<int>(i), l.op == Op::Conv || l.op == Op::FullyConnected, sqnr_db(out.data, q.data)});
    }
    for (int p : l.inputs)
      if (--uses[p] == 0) act[p].reset();
    act[i] = std::move(out);
  }
  int64_t total = 0;
  for (int s : sinks) total += act[s]->data.size();
  Eigen::ArrayXf y(total);
  int64_t off = 0;
  for (int s : sinks) {
    y.segment(off, act[s]->data.size()) = act[s]->data;
    off += act[s]->data.size();
  }
  return y;
}

}  // namespace

NumericsResult analyse_numerics(const Graph& g, const Datapath& dp, const NumericsOptions& opt) {
  return analyse_numerics(g, g, dp, opt);
}

NumericsResult analyse_numerics(const Graph& g, const Graph& test, const Datapath& dp, const NumericsOptions& opt) {
  if (g.layers.size() != test.layers.size())
    throw InternalError("analyse_numerics: the reference and test graphs differ");
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const auto& a = g.layers[i];
    const auto& b = test.layers[i];
    if (a.op != b.op || a.out != b.out || a.inputs != b.inputs)
      throw InternalError(fmt::format("analyse_numerics: layer '{}' differs between the graphs", a.name));
    for (const auto* l : {&a, &b})
      if (l->has_weights() && (!l->tensors || l->tensors->weight.empty()))
        throw InternalError(fmt::format("analyse_numerics: layer '{}' has no weights (materialize_weights first)", l->name));
  }
  NumericsResult r;
  const Datapath fp32;
  auto end_to_end = [&] { return run_network(test, dp, opt.seed, nullptr, nullptr, nullptr); };
  std::future<Eigen::ArrayXf> quant;
  if (opt.threads > 1) quant = std::async(std::launch::async, end_to_end);
  const Eigen::ArrayXf ref = run_network(g, fp32, opt.seed, &test, &dp, &r.layers);
  const Eigen::ArrayXf got = opt.threads > 1 ? quant.get() : end_to_end();
  r.end_to_end_sqnr_db = sqnr_db(ref, got);
  double sum = 0;
  for (const auto& row : r.layers)
    if (row.mac) sum += row.sqnr_db, ++r.mac_layers;
  r.mean_sqnr_db = r.mac_layers ? sum / r.mac_layers : std::numeric_limits<double>::quiet_NaN();
  return r;
}

}  // namespace nnasim::numeric
