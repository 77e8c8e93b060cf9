// Datapath (number-format round trips of weights and activations) and the seeded random
// weights and inputs of functional execution; declared in functional.h.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "sim/numeric/fp8.h"
#include "sim/numeric/functional.h"
#include "sim/numeric/int_format.h"

namespace nnasim::numeric {

using graph::Layer;
using graph::Shape;

namespace {

// round_half_even without fmod (|v| < 2^52).
inline double rhe(double v) {
  const double lo = std::floor(v), diff = v - lo;
  return diff > 0.5 ? lo + 1.0 : diff < 0.5 ? lo : ((static_cast<int64_t>(lo) & 1) ? lo + 1.0 : lo);
}

}  // namespace

// --- Datapath ---

Datapath::Datapath() = default;

Datapath::Datapath(std::shared_ptr<const NumberFormat> format) {
  if (format && !dynamic_cast<const Fp32Format*>(format.get())) {
    format_ = std::move(format);
    lns_ = dynamic_cast<const LnsFormat*>(format_.get());
  }
}

Datapath Datapath::from_spec(const std::string& spec, std::optional<Convert> convert, const SourceLoc& where) {
  std::unique_ptr<NumberFormat> f = make_format(spec, where);
  if (convert) {
    const auto* l = dynamic_cast<const LnsFormat*>(f.get());
    if (!l)
      throw InputError(where, fmt::format("--lns-convert applies to LNS formats (lns8, lnsN), not to '{}'", spec));
    LnsParams p = l->params();
    if (p.convert == Convert::Mitchell && *convert == Convert::Exact)
      throw InputError(where, fmt::format("'{}' asks for Mitchell conversion but --lns-convert says exact", spec));
    p.convert = *convert;
    p.lut_frac_bits = default_lut_frac_bits(p.frac_bits);
    f = std::make_unique<LnsFormat>(p, where);
  }
  return Datapath(std::shared_ptr<const NumberFormat>(std::move(f)));
}

Datapath Datapath::lns(const LnsParams& p) { return Datapath(std::make_shared<LnsFormat>(p)); }

namespace {

// IntFormat::quantize_with_scale, value for value (round half to even on x / scale in double,
// saturating at +-qmax, NaN -> 0), without a call per element: the hot loop of int datapaths.
void int_round_trip(const float* x, int64_t n, float scale, int qmax, float* y) {
  if (scale == 0.0f) {
    std::fill(y, y + n, 0.0f);
    return;
  }
  const double s = scale, top = qmax;
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]) / s;
    const double q = std::isnan(v) ? 0.0 : v >= top ? top : v <= -top ? -top : rhe(v);
    y[i] = static_cast<float>(static_cast<int32_t>(q)) * scale;
  }
}

// Fp8Format::quantize_with_scale, value for value: decode(encode(x / scale)) * scale.
void fp8_round_trip(const Fp8Format& f, const float* x, int64_t n, float scale, float* y) {
  const int emin = 1 - f.bias(), mb = f.mantissa_bits();
  const double top = f.max_finite();
  const bool has_inf = f.kind() == Fp8Kind::E5M2;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    float r;
    if (std::isnan(v)) {
      r = v;
    } else if (std::isinf(v)) {
      r = has_inf ? v : std::copysign(static_cast<float>(top), v);
    } else if (v == 0.0f) {
      r = v;
    } else {
      const double a = std::fabs(static_cast<double>(v));
      int k = 0;
      std::frexp(a, &k);
      const int qe = std::max(k - 1, emin) - mb;
      const double m = std::min(std::ldexp(rhe(std::ldexp(a, -qe)), qe), top);
      r = std::copysign(static_cast<float>(m), v);
    }
    y[i] = r * scale;
  }
}

}  // namespace

Eigen::ArrayXf Datapath::quantize_activations(const Eigen::Ref<const Eigen::ArrayXf>& x) const {
  if (!format_) return x;
  if (const auto* f = dynamic_cast<const IntFormat*>(format_.get())) {
    Eigen::ArrayXf y(x.size());
    int_round_trip(x.data(), x.size(), f->scale_for(x), f->qmax(), y.data());
    return y;
  }
  if (const auto* f = dynamic_cast<const Fp8Format*>(format_.get())) {
    Eigen::ArrayXf y(x.size());
    fp8_round_trip(*f, x.data(), x.size(), f->scale_for(x), y.data());
    return y;
  }
  return format_->quantize(x);
}

Eigen::ArrayXf Datapath::quantize_weights(const Eigen::Ref<const Eigen::ArrayXf>& w, int channels) const {
  if (!format_) return w;
  if (const auto* f = dynamic_cast<const IntFormat*>(format_.get())) {
    const Eigen::Index k = channel_block(w, channels);
    Eigen::ArrayXf y(w.size());
    for (int c = 0; c < channels; ++c)
      int_round_trip(w.data() + c * k, k, f->scale_for(w.segment(c * k, k)), f->qmax(), y.data() + c * k);
    return y;
  }
  if (const auto* f = dynamic_cast<const Fp8Format*>(format_.get())) {
    const Eigen::Index k = channel_block(w, channels);
    Eigen::ArrayXf y(w.size());
    for (int c = 0; c < channels; ++c)
      fp8_round_trip(*f, w.data() + c * k, k, f->scale_for(w.segment(c * k, k)), y.data() + c * k);
    return y;
  }
  return format_->quantize_per_channel(w, channels);
}

graph::Tensors he_normal_tensors(const Layer& l, int64_t in_channels, uint64_t seed, int layer_index) {
  if (!l.has_weights() || l.groups < 1 || l.out_channels < 1)
    throw InternalError(fmt::format("he_normal_tensors: layer '{}' has no weights", l.name));
  const int64_t fan_in = l.op == graph::Op::Conv ? in_channels / l.groups * l.kh * l.kw : in_channels;
  graph::Tensors t;
  t.weight = normal_samples(l.out_channels * fan_in, static_cast<float>(std::sqrt(2.0 / double(fan_in))),
                            derive_seed(seed, static_cast<uint64_t>(layer_index)));
  if (l.has_bias) t.bias.assign(static_cast<size_t>(l.out_channels), 0.0f);
  return t;
}

int materialize_weights(graph::Graph& g, uint64_t seed) {
  int filled = 0;
  for (size_t i = 0; i < g.layers.size(); ++i) {
    Layer& l = g.layers[i];
    if (!l.has_weights() || (l.tensors && !l.tensors->weight.empty())) continue;
    const Shape& x = g.layers[l.inputs.at(0)].out;
    const int64_t in = l.op == graph::Op::Conv ? x.c : x.c * x.h * x.w;
    graph::Tensors t = he_normal_tensors(l, in, seed, static_cast<int>(i));
    if (l.tensors && !l.tensors->bias.empty()) t.bias = l.tensors->bias;
    l.tensors = std::move(t);
    ++filled;
  }
  return filled;
}

Tensor seeded_input(const Shape& s, uint64_t seed, int layer_index) {
  const std::vector<float> v = normal_samples(s.elements(), 1.0f, derive_seed(seed ^ 0x1A2B3C4D5E6F7788ull, layer_index));
  return Tensor(s, Eigen::Map<const Eigen::ArrayXf>(v.data(), static_cast<Eigen::Index>(v.size())));
}

}  // namespace nnasim::numeric
