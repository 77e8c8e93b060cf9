// Graph passes. Each takes a graph and rewrites it in place; annotate() is re-run by prepare().
#pragma once
#include <optional>
#include <string>

#include "sim/graph/graph.h"

namespace nnasim::graph {

// Removes the layers marked in `drop`; a dropped layer's consumers read its first input instead.
void remove_layers(Graph& g, const std::vector<bool>& drop);

// BatchNormalization after a Conv or FC layer (its only consumer) disappears into that layer:
// W' = W*gamma/sqrt(var+eps), b' = (b-mu)*gamma/sqrt(var+eps)+beta. Returns how many were folded.
int fold_batchnorm(Graph& g);

// The decomposed forms an exporter writes for LayerNorm (ReduceMean, Sub, Pow, ReduceMean, Add,
// Sqrt, Div, then Mul/Add by gamma/beta) and GELU (Div, Erf, Add, Mul, Mul by 0.5) become one
// LayerNorm layer / one GELU activation, as BN folding removes batch-norm. Returns how many.
int fuse_decomposed(Graph& g);

// An activation whose producer is a Conv/FC/Add/BatchNorm (and has no other consumer) is applied
// on that layer's output as it is written: it costs no separate pass. Returns how many were fused.
int fuse_activations(Graph& g);

// Sets the weight bits of every Conv/FC layer (the study's fixed bit depth for a whole network).
void set_weight_bits(Graph& g, int bits);
void set_act_bits(Graph& g, int bits);
void set_format(Graph& g, NumFormat f);

struct PrepareOptions {
  std::optional<int> weight_bits;
  std::optional<int> act_bits;
  std::optional<NumFormat> format;
  bool fold_bn = true;
  bool fuse = true;
};

// The standard pipeline: fold BN, fuse activations, apply quantisation overrides, annotate.
void prepare(Graph& g, const PrepareOptions& opt);

}  // namespace nnasim::graph
