#include "sim/numeric/functional.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>


namespace nnasim::numeric {

using graph::Act;
using graph::Layer;
using graph::Shape;

namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMap = Eigen::Map<RowMat>;
using CRowMap = Eigen::Map<const RowMat>;


[[noreturn]] void bad_layer(const Layer& l, const std::string& what) {
  throw InputError(l.loc, fmt::format("layer '{}': {}", l.name, what));
}

// round_half_even without fmod (|v| < 2^52).
inline double rhe(double v) {
  const double lo = std::floor(v), diff = v - lo;
  return diff > 0.5 ? lo + 1.0 : diff < 0.5 ? lo : ((static_cast<int64_t>(lo) & 1) ? lo + 1.0 : lo);
}

// floor(e / 2^f) for any sign of e.
int floor_shift(int e, int f) { return e >= 0 ? e >> f : -((-e + (1 << f) - 1) >> f); }

struct ConvGeom {
  int64_t n = 1, cin = 0, h = 1, w = 1;
  int64_t cout = 0, oh = 1, ow = 1;
  int64_t groups = 1, cin_g = 0, cout_g = 0;
  int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, dh = 1, dw = 1;
  int64_t K() const { return cin_g * kh * kw; }  // reduction length per output
  int64_t P() const { return oh * ow; }          // outputs per channel
  bool identity_cols() const {                    // im2col would copy x unchanged
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w;
  }
};

// Geometry of a conv layer applied to x; same output rule as graph::infer_shape.
ConvGeom conv_geom(const Tensor& x, const Layer& l) {
  ConvGeom g;
  g.n = x.shape.n, g.cin = x.shape.c, g.h = x.shape.h, g.w = x.shape.w;
  g.cout = l.out_channels, g.groups = l.groups;
  g.kh = l.kh, g.kw = l.kw, g.sh = l.sh, g.sw = l.sw, g.pt = l.pad_t, g.pl = l.pad_l, g.dh = l.dh, g.dw = l.dw;
  if (g.groups < 1 || g.cin % g.groups || g.cout % g.groups)
    bad_layer(l, fmt::format("{} input / {} output channels do not split into {} groups", g.cin, g.cout, g.groups));
  g.cin_g = g.cin / g.groups, g.cout_g = g.cout / g.groups;
  const int64_t sh_span = g.h + l.pad_t + l.pad_b - int64_t(l.dh) * (l.kh - 1) - 1;
  const int64_t sw_span = g.w + l.pad_l + l.pad_r - int64_t(l.dw) * (l.kw - 1) - 1;
  if (sh_span < 0 || sw_span < 0) bad_layer(l, "the kernel does not fit the input");
  g.oh = sh_span / l.sh + 1, g.ow = sw_span / l.sw + 1;
  return g;
}

// Rows (c, i, j) x columns (oh, ow) of one group's input [cin_g, h, w]; outside -> T(0).
template <class T>
void im2col(const T* x, const ConvGeom& g, T* cols) {
  const int64_t P = g.P();
  for (int64_t c = 0; c < g.cin_g; ++c)
    for (int i = 0; i < g.kh; ++i)
      for (int j = 0; j < g.kw; ++j) {
        T* dst = cols + ((c * g.kh + i) * g.kw + j) * P;
        const T* src = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.pt + int64_t(i) * g.dh;
          T* row = dst + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(row, row + g.ow, T(0));
            continue;
          }
          const T* srow = src + iy * g.w;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            const int64_t ix = ox * g.sw - g.pl + int64_t(j) * g.dw;
            row[ox] = (ix >= 0 && ix < g.w) ? srow[ix] : T(0);
          }
        }
      }
}

// A tensor in LNS form: each value is sign * 2^q * 2^(r/2^F) * scale; `val` holds sign * 2^q
// (0 for the zero code), `rem` holds r.
struct LnsOperand {
  std::vector<float> val;
  std::vector<uint8_t> rem;
};

// LnsFormat::encode, decision for decision (log2 in double, ties to even, saturation at the top
// exponent, flush to zero below the smallest), split into (sign * 2^q, r) with e = q * 2^F + r.
void lns_encode(const LnsFormat& f, const float* x, int64_t n, float scale, float* val, uint8_t* rem) {
  const int F = f.params().frac_bits, top = f.max_exponent(), bottom = f.min_exponent();
  const double unit = double(1 << F);
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    int e;
    if (std::isnan(v) || v == 0.0f) {
      val[i] = 0.0f, rem[i] = 0;
      continue;
    } else if (std::isinf(v)) {
      e = top;
    } else {
      const double t = std::log2(std::fabs(static_cast<double>(v))) * unit;
      const double r = rhe(std::clamp(t, -1e9, 1e9));
      if (r < bottom) {
        val[i] = 0.0f, rem[i] = 0;
        continue;
      }
      e = r > top ? top : static_cast<int>(r);
    }
    const int q = floor_shift(e, F);
    rem[i] = static_cast<uint8_t>(e - q * (1 << F));
    val[i] = std::ldexp(std::signbit(v) ? -1.0f : 1.0f, q);
  }
}

// Y (M x P) += sum over k of A(m,k) (x) B(k,p) through the LNS converter, where
// table[ra + rb] = to_linear(ra + rb). Wide layers: one GEMM per activation remainder class;
// narrow ones (depthwise, M <= 8) and formats with more than 64 classes: a direct loop.
void lns_gemm(const float* aval, const uint8_t* arem, int64_t M, int64_t K, const float* bval,
              const uint8_t* brem, int64_t P, const std::vector<float>& table, int classes, RowMap Y) {
  if (classes <= 64 && M > 8) {
    RowMat Ap(M, K), Bp(K, P);
    const int64_t kp = K * P, mk = M * K;
    for (int rb = 0; rb < classes; ++rb) {
      bool any = false;
      float* b = Bp.data();
      for (int64_t i = 0; i < kp; ++i) {
        const bool in = brem[i] == rb;
        b[i] = in ? bval[i] : 0.0f;
        any |= in && bval[i] != 0.0f;
      }
      if (!any) continue;
      float* a = Ap.data();
      for (int64_t i = 0; i < mk; ++i) a[i] = aval[i] * table[arem[i] + rb];
      Y.noalias() += Ap * Bp;
    }
    return;
  }
  for (int64_t m = 0; m < M; ++m) {
    float* y = Y.data() + m * P;
    for (int64_t k = 0; k < K; ++k) {
      const float a = aval[m * K + k];
      if (a == 0.0f) continue;
      const float* t = table.data() + arem[m * K + k];
      const float* bv = bval + k * P;
      const uint8_t* br = brem + k * P;
      for (int64_t p = 0; p < P; ++p) y[p] += a * t[br[p]] * bv[p];
    }
  }
}

// The conv every MAC layer runs: weights [cout, K], bias [cout] or empty.
Tensor conv_core(const Tensor& x, const ConvGeom& g, const std::vector<float>& weight,
                 const std::vector<float>& bias, const Datapath& dp) {
  const int64_t K = g.K(), P = g.P(), HW = g.h * g.w;
  Tensor out(Shape{g.n, g.cout, g.oh, g.ow});
  const Eigen::Map<const Eigen::ArrayXf> wmap(weight.data(), static_cast<Eigen::Index>(weight.size()));

  if (const LnsFormat* f = dp.lns_format()) {
    // Weights: one power-of-two scale per output channel; activations: one per tensor.
    LnsOperand W{std::vector<float>(weight.size()), std::vector<uint8_t>(weight.size())};
    std::vector<float> wscale(g.cout);
    for (int64_t o = 0; o < g.cout; ++o) {
      wscale[o] = f->scale_for(wmap.segment(o * K, K));
      lns_encode(*f, weight.data() + o * K, K, wscale[o], W.val.data() + o * K, W.rem.data() + o * K);
    }
    const float xscale = f->scale_for(x.data);
    LnsOperand X{std::vector<float>(x.data.size()), std::vector<uint8_t>(x.data.size())};
    lns_encode(*f, x.ptr(), x.data.size(), xscale, X.val.data(), X.rem.data());
    const int F = f->params().frac_bits, classes = 1 << F;
    std::vector<float> table(2 * classes - 1);
    for (int s = 0; s < 2 * classes - 1; ++s) table[s] = static_cast<float>(f->to_linear(s));
    std::vector<float> cval(K * P);
    std::vector<uint8_t> crem(K * P);
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const int64_t xoff = (n * g.cin + gi * g.cin_g) * HW;
        const float* bv = X.val.data() + xoff;
        const uint8_t* br = X.rem.data() + xoff;
        if (!g.identity_cols()) {
          im2col(bv, g, cval.data());
          im2col(br, g, crem.data());
          bv = cval.data(), br = crem.data();
        }
        const int64_t o0 = gi * g.cout_g;
        RowMap Y(out.ptr() + (n * g.cout + o0) * P, g.cout_g, P);
        lns_gemm(W.val.data() + o0 * K, W.rem.data() + o0 * K, g.cout_g, K, bv, br, P, table, classes, Y);
        for (int64_t o = 0; o < g.cout_g; ++o) Y.row(o) *= wscale[o0 + o] * xscale;
      }
  } else {
    const Eigen::ArrayXf wq = dp.is_fp32() ? Eigen::ArrayXf(wmap) : dp.quantize_weights(wmap, int(g.cout));
    const Eigen::ArrayXf xq = dp.quantize_activations(x.data);
    RowMat cols(g.identity_cols() ? 0 : K, g.identity_cols() ? 0 : P);
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t gi = 0; gi < g.groups; ++gi) {
        const float* xg = xq.data() + (n * g.cin + gi * g.cin_g) * HW;
        const int64_t o0 = gi * g.cout_g;
        RowMap Y(out.ptr() + (n * g.cout + o0) * P, g.cout_g, P);
        const CRowMap Wg(wq.data() + o0 * K, g.cout_g, K);
        if (g.identity_cols()) {
          Y.noalias() = Wg * CRowMap(xg, K, P);
        } else {
          im2col(xg, g, cols.data());
          Y.noalias() = Wg * cols;
        }
      }
  }
  if (!bias.empty())
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t o = 0; o < g.cout; ++o) out.data.segment((n * g.cout + o) * P, P) += bias[o];
  return out;
}

const graph::Tensors& checked_tensors(const Layer& l, int64_t weights, int64_t cout) {
  if (!l.tensors || l.tensors->weight.empty())
    bad_layer(l, "has no weights to execute (give the model weights or generate them with a seed)");
  const auto& t = *l.tensors;
  if (int64_t(t.weight.size()) != weights)
    bad_layer(l, fmt::format("has {} weights, expected {}", t.weight.size(), weights));
  if (!t.bias.empty() && int64_t(t.bias.size()) != cout)
    bad_layer(l, fmt::format("has {} biases, expected {}", t.bias.size(), cout));
  return t;
}

// The output window [lo, hi) of a pooling layer along one axis.
int64_t pool_out(int64_t in, int k, int s, int p0, int p1, bool ceil_mode) {
  const int64_t span = in + p0 + p1 - k;
  if (span < 0) return 0;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + p0) --o;
  return o;
}

template <class Fn>
Tensor pool(const Tensor& x, const Layer& l, Fn reduce) {
  const Shape& s = x.shape;
  const int64_t oh = pool_out(s.h, l.kh, l.sh, l.pad_t, l.pad_b, l.ceil_mode);
  const int64_t ow = pool_out(s.w, l.kw, l.sw, l.pad_l, l.pad_r, l.ceil_mode);
  if (oh < 1 || ow < 1) bad_layer(l, "the pooling window does not fit the input");
  Tensor out(Shape{s.n, s.c, oh, ow});
  for (int64_t nc = 0; nc < s.n * s.c; ++nc) {
    const float* src = x.ptr() + nc * s.h * s.w;
    float* dst = out.ptr() + nc * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t y0 = std::max<int64_t>(oy * l.sh - l.pad_t, 0), y1 = std::min<int64_t>(oy * l.sh - l.pad_t + l.kh, s.h);
        const int64_t x0 = std::max<int64_t>(ox * l.sw - l.pad_l, 0), x1 = std::min<int64_t>(ox * l.sw - l.pad_l + l.kw, s.w);
        dst[oy * ow + ox] = reduce(src, s.w, y0, y1, x0, x1);
      }
  }
  return out;
}

// xs[i] broadcast onto `shape` ([N, C, 1, 1] operands over H and W), combined by op.
template <class Op>
Tensor elementwise(const std::vector<const Tensor*>& xs, Op op) {
  if (xs.empty()) throw InternalError("element-wise op with no input");
  Shape o = xs[0]->shape;
  for (const Tensor* t : xs)
    if (t->shape.elements() > o.elements()) o = t->shape;
  Tensor out;
  const int64_t hw = o.h * o.w;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = *xs[i];
    Eigen::ArrayXf v;
    if (t.shape == o) {
      v = t.data;
    } else if (t.shape.n == o.n && t.shape.c == o.c && t.shape.h == 1 && t.shape.w == 1) {
      v.resize(o.elements());
      for (int64_t nc = 0; nc < o.n * o.c; ++nc) v.segment(nc * hw, hw).setConstant(t.data[nc]);
    } else {
      throw InternalError(fmt::format("element-wise shapes {} and {} do not broadcast", t.shape.str(), o.str()));
    }
    if (i == 0) out = Tensor(o, std::move(v));
    else op(out.data, v);
  }
  return out;
}

}  // namespace

// --- operations ---

Tensor conv2d(const Tensor& x, const Layer& l, const Datapath& dp) {
  const ConvGeom g = conv_geom(x, l);
  const auto& t = checked_tensors(l, g.cout * g.K(), g.cout);
  return conv_core(x, g, t.weight, t.bias, dp);
}

Tensor fully_connected(const Tensor& x, const Layer& l, const Datapath& dp) {
  ConvGeom g;
  g.n = x.shape.n, g.cin = x.shape.c * x.shape.h * x.shape.w;
  g.cout = l.out_channels, g.cin_g = g.cin, g.cout_g = g.cout;
  const auto& t = checked_tensors(l, g.cout * g.cin, g.cout);
  const Tensor flat(Shape{g.n, g.cin, 1, 1}, x.data);
  return conv_core(flat, g, t.weight, t.bias, dp);
}

Tensor max_pool(const Tensor& x, const Layer& l) {
  return pool(x, l, [](const float* s, int64_t w, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
    float m = -std::numeric_limits<float>::infinity();
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t xx = x0; xx < x1; ++xx) m = std::max(m, s[y * w + xx]);
    return y1 > y0 && x1 > x0 ? m : 0.0f;
  });
}

Tensor avg_pool(const Tensor& x, const Layer& l) {
  return pool(x, l, [](const float* s, int64_t w, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
    double acc = 0.0;
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t xx = x0; xx < x1; ++xx) acc += s[y * w + xx];
    const int64_t cnt = (y1 - y0) * (x1 - x0);
    return cnt > 0 ? static_cast<float>(acc / double(cnt)) : 0.0f;
  });
}

Tensor global_avg_pool(const Tensor& x) {
  const Shape& s = x.shape;
  Tensor out(Shape{s.n, s.c, 1, 1});
  const int64_t hw = s.h * s.w;
  for (int64_t nc = 0; nc < s.n * s.c; ++nc)
    out.data[nc] = static_cast<float>(x.data.segment(nc * hw, hw).cast<double>().sum() / double(hw));
  return out;
}

Tensor add(const std::vector<const Tensor*>& xs) {
  return elementwise(xs, [](Eigen::ArrayXf& acc, const Eigen::ArrayXf& v) { acc += v; });
}

Tensor mul(const std::vector<const Tensor*>& xs) {
  return elementwise(xs, [](Eigen::ArrayXf& acc, const Eigen::ArrayXf& v) { acc *= v; });
}

Tensor concat(const std::vector<const Tensor*>& xs) {
  if (xs.empty()) throw InternalError("concat with no input");
  Shape o = xs[0]->shape;
  o.c = 0;
  for (const Tensor* t : xs) o.c += t->shape.c;
  Tensor out(o);
  const int64_t hw = o.h * o.w;
  for (int64_t n = 0; n < o.n; ++n) {
    int64_t c0 = 0;
    for (const Tensor* t : xs) {
      if (t->shape.n != o.n || t->shape.h != o.h || t->shape.w != o.w)
        throw InternalError(fmt::format("concat of {} with {}", t->shape.str(), xs[0]->shape.str()));
      const int64_t len = t->shape.c * hw;
      out.data.segment((n * o.c + c0) * hw, len) = t->data.segment(n * len, len);
      c0 += t->shape.c;
    }
  }
  return out;
}

Tensor pad(const Tensor& x, const Layer& l) {
  const Shape& s = x.shape;
  Tensor out(Shape{s.n, s.c, s.h + l.pad_t + l.pad_b, s.w + l.pad_l + l.pad_r});
  const int64_t ow = out.shape.w;
  for (int64_t nc = 0; nc < s.n * s.c; ++nc)
    for (int64_t y = 0; y < s.h; ++y)
      out.data.segment((nc * out.shape.h + y + l.pad_t) * ow + l.pad_l, s.w) = x.data.segment((nc * s.h + y) * s.w, s.w);
  return out;
}

Tensor batch_norm(const Tensor& x, const Layer& l) {
  Tensor out = x;
  if (!l.tensors || l.tensors->gamma.empty()) return out;
  const auto& t = *l.tensors;
  const Shape& s = x.shape;
  if (int64_t(t.gamma.size()) != s.c || t.beta.size() != t.gamma.size() || t.mean.size() != t.gamma.size() ||
      t.var.size() != t.gamma.size())
    bad_layer(l, fmt::format("batch-norm parameters do not have {} channels", s.c));
  const int64_t hw = s.h * s.w;
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      const float k = static_cast<float>(t.gamma[c] / std::sqrt(double(t.var[c]) + t.eps));
      auto seg = out.data.segment((n * s.c + c) * hw, hw);
      seg = (seg - t.mean[c]) * k + t.beta[c];
    }
  return out;
}

void apply_activation(Eigen::Ref<Eigen::ArrayXf> x, Act a) {
  switch (a) {
    case Act::None:
    case Act::Clip: return;  // no bounds in the IR: identity (see the header)
    case Act::Relu: x = x.max(0.0f); return;
    case Act::Relu6: x = x.max(0.0f).min(6.0f); return;
    case Act::Sigmoid: x = 1.0f / (1.0f + (-x).exp()); return;
    case Act::HardSigmoid: x = ((x + 3.0f).max(0.0f).min(6.0f)) / 6.0f; return;
    case Act::HardSwish: x = x * ((x + 3.0f).max(0.0f).min(6.0f)) / 6.0f; return;
    case Act::Tanh: x = x.tanh(); return;
    case Act::Silu: x = x / (1.0f + (-x).exp()); return;
    case Act::Gelu:
    case Act::Erf:
    case Act::Sqrt:
    case Act::Pow:
    case Act::Exp:  // transformer activations: the numerics command refuses such layers before running
      throw InternalError(fmt::format("apply_activation: {} is outside the functional model", graph::to_string(a)));
  }
}

Tensor run_layer(const Layer& l, const std::vector<const Tensor*>& inputs, const Datapath& dp) {
  using graph::Op;
  if (l.op == Op::Input) throw InternalError(fmt::format("run_layer on input layer '{}'", l.name));
  if (inputs.empty()) throw InternalError(fmt::format("run_layer: layer '{}' got no input", l.name));
  Tensor out;
  if (l.op == Op::Conv) {
    out = conv2d(*inputs[0], l, dp);
  } else if (l.op == Op::FullyConnected) {
    out = fully_connected(*inputs[0], l, dp);
  } else {
    std::vector<Tensor> q;
    std::vector<const Tensor*> in = inputs;
    if (!dp.is_fp32()) {
      q.reserve(inputs.size());
      for (const Tensor* t : inputs) q.emplace_back(t->shape, dp.quantize_activations(t->data));
      for (size_t i = 0; i < q.size(); ++i) in[i] = &q[i];
    }
    switch (l.op) {
      case Op::MaxPool: out = max_pool(*in[0], l); break;
      case Op::AvgPool: out = avg_pool(*in[0], l); break;
      case Op::GlobalAvgPool: out = global_avg_pool(*in[0]); break;
      case Op::Add: out = add(in); break;
      case Op::Mul: out = mul(in); break;
      case Op::Concat: out = concat(in); break;
      case Op::Pad: out = pad(*in[0], l); break;
      case Op::BatchNorm: out = batch_norm(*in[0], l); break;
      case Op::Activation:
        out = *in[0];
        apply_activation(out.data, l.act);
        break;
      default: throw InternalError(fmt::format("run_layer: layer '{}' has an unhandled op", l.name));
    }
  }
  for (Act a : l.fused) apply_activation(out.data, a);
  if (out.shape != l.out)
    throw InternalError(fmt::format("layer '{}': functional output {} differs from the graph's {}", l.name,
                                    out.shape.str(), l.out.str()));
  return out;
}

}  // namespace nnasim::numeric
