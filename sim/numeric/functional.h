// Functional (value-level) execution of graph layers on Eigen, in FP32 and in a chosen number
// format, so that nnasim can show the numerical error of a format next to its cost.
//
// Tensors are dense NCHW FP32 arrays. A Datapath says how a layer's arithmetic is done:
//   fp32     plain FP32 everywhere (the reference);
//   intN     weights quantised per output channel (symmetric, max-abs scale), activations
//            (every input of every layer) per tensor; conv/FC products and sums in FP32;
//   fp8-*    the same with FP8 E4M3/E5M2 (per-channel / per-tensor max-abs scales);
//   lnsN     weights (per output channel) and activations (per tensor) encoded as LNS codes
//            with power-of-two scales; conv/FC run the LNS MAC: the product is an addition
//            of exponents at full width, each product is converted to linear by the format's
//            converter (Convert::Exact table or Convert::Mitchell 1+f), and the converted
//            products are accumulated linearly. This is bit-for-bit LnsFormat::product_to_linear
//            per product; only the final accumulation is FP32 instead of an exact wide
//            accumulator (relative error ~1e-7, about 100 dB below lns8's own error).
// Non-MAC layers (pooling, add, mul, concat, pad, activations, unfolded batch-norm) quantise
// their inputs per tensor and compute in FP32; the fused activations of a layer are applied in
// FP32 on its (float) accumulator output, after the bias.
//
// Conv is im2col + one Eigen GEMM per group (FP32, int, FP8; a 1x1 stride-1 conv skips the
// im2col). The LNS conv splits the activation operand by the remainder r_b of its exponent
// (e = q * 2^F + r): the converted product of a weight with remainder r_a and an activation with
// remainder r_b is 2^(q_a + q_b) * to_linear(r_a + r_b), so for each r_b the weights are
// premultiplied by to_linear(r_a + r_b) (exact in FP32) and one GEMM adds that class's
// contribution: 2^F GEMMs per conv (8 for lns8). Narrow groups (at most 8 output channels, e.g.
// depthwise) and formats with more than 6 fractional bits (lns12 and wider: more than 64
// classes) use a direct loop with a table lookup per product instead (slow on big models).
// The int and FP8 round trips are re-implemented here for speed, value for value equal to
// IntFormat / Fp8Format (tested).
//
// Weights come from Layer::tensors; layers without them get seeded He-normal weights
// (materialize_weights), so every consumer (numerics, cluster compression) sees the same ones.
#pragma once
#include "sim/numeric/random.h"
#include <Eigen/Core>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/numeric/format.h"
#include "sim/numeric/lns.h"

namespace nnasim::numeric {

struct Tensor {
  graph::Shape shape;
  Eigen::ArrayXf data;  // shape.elements() values, NCHW order

  Tensor() = default;
  explicit Tensor(const graph::Shape& s) : shape(s), data(Eigen::ArrayXf::Zero(s.elements())) {}
  Tensor(const graph::Shape& s, Eigen::ArrayXf d) : shape(s), data(std::move(d)) {}
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
};

class Datapath {
 public:
  Datapath();  // FP32
  explicit Datapath(std::shared_ptr<const NumberFormat> format);  // null or fp32 -> FP32

  // make_format(spec), with the LNS converter overridden by `convert` when given. Throws
  // InputError at `where` for an unknown spec, or when `convert` is given for a non-LNS
  // format or contradicts a "-mitchell" spec.
  static Datapath from_spec(const std::string& spec, std::optional<Convert> convert = std::nullopt,
                            const SourceLoc& where = {});
  static Datapath lns(const LnsParams& p);

  bool is_fp32() const { return format_ == nullptr; }
  const NumberFormat* format() const { return format_.get(); }
  const LnsFormat* lns_format() const { return lns_; }
  std::string name() const { return format_ ? format_->name() : "fp32"; }

  // Round trips: activations per tensor, weights per output channel (channel-major blocks).
  Eigen::ArrayXf quantize_activations(const Eigen::Ref<const Eigen::ArrayXf>& x) const;
  Eigen::ArrayXf quantize_weights(const Eigen::Ref<const Eigen::ArrayXf>& w, int channels) const;

 private:
  std::shared_ptr<const NumberFormat> format_;
  const LnsFormat* lns_ = nullptr;  // format_ viewed as LNS, when it is one
};


// He-normal tensors of a Conv/FC layer whose input has `in_channels` channels (FC: in_features):
// weight ~ N(0, 2/fan_in), fan_in = in_channels/groups * kh * kw; bias zero when the layer has
// one. Deterministic in (seed, layer_index).
graph::Tensors he_normal_tensors(const graph::Layer& l, int64_t in_channels, uint64_t seed, int layer_index);
// Gives every Conv/FC layer without weights He-normal ones (its index in g as layer_index).
// Returns how many layers it filled. Throws InputError when a layer's tensors have the wrong size.
int materialize_weights(graph::Graph& g, uint64_t seed);
// A seeded N(0, 1) tensor (the network input; stream = the input layer's index).
Tensor seeded_input(const graph::Shape& s, uint64_t seed, int layer_index = 0);

// --- single operations, FP32 unless a Datapath is given ---

// Conv: weights [Cout, Cin/g, kh, kw] (l.tensors), bias [Cout] optional; geometry from l.
// Both operands are quantised here (x per tensor, weights per output channel) unless dp is
// FP32; x is passed unquantised. Throws InputError (at l.loc) when the layer has no weights
// or tensors of the wrong size.
Tensor conv2d(const Tensor& x, const graph::Layer& l, const Datapath& dp = {});
// FC: x flattened to C*H*W per batch item; weights [out, in]; run as a 1x1 conv.
Tensor fully_connected(const Tensor& x, const graph::Layer& l, const Datapath& dp = {});
Tensor max_pool(const Tensor& x, const graph::Layer& l);
// Average over the window's elements that lie inside the input (ONNX count_include_pad = 0).
Tensor avg_pool(const Tensor& x, const graph::Layer& l);
Tensor global_avg_pool(const Tensor& x);
// Element-wise sum / product of equal shapes or [N, C, 1, 1] operands broadcast over H, W.
Tensor add(const std::vector<const Tensor*>& xs);
Tensor mul(const std::vector<const Tensor*>& xs);
Tensor concat(const std::vector<const Tensor*>& xs);  // along channels
Tensor pad(const Tensor& x, const graph::Layer& l);   // zero padding
// Unfolded batch-norm with its parameters; identity when the layer has none.
Tensor batch_norm(const Tensor& x, const graph::Layer& l);
// relu, relu6, sigmoid, hardsigmoid = relu6(x + 3) / 6 (PyTorch's; ONNX HardSigmoid with
// alpha 1/6), hardswish = x * hardsigmoid(x), tanh, silu = x * sigmoid(x); Clip carries no
// bounds in the IR (the ONNX loader maps Clip(0,6) and Clip(0,inf) to relu6/relu), so a
// generic clip is the identity here.
void apply_activation(Eigen::Ref<Eigen::ArrayXf> x, graph::Act a);

// One layer in dp's arithmetic: conv/FC as above; other ops quantise their inputs per tensor
// and compute in FP32; then l.fused. Input layers are not run (throws InternalError).
Tensor run_layer(const graph::Layer& l, const std::vector<const Tensor*>& inputs, const Datapath& dp);

}  // namespace nnasim::numeric
