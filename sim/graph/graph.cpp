#include "sim/graph/graph.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/common/checked.h"
#include "sim/common/text.h"

namespace nnasim::graph {
namespace {

const std::pair<const char*, Op> kOps[] = {
    {"input", Op::Input},       {"conv", Op::Conv},          {"fc", Op::FullyConnected},
    {"maxpool", Op::MaxPool},   {"avgpool", Op::AvgPool},    {"globalavgpool", Op::GlobalAvgPool},
    {"add", Op::Add},           {"mul", Op::Mul},            {"concat", Op::Concat},
    {"activation", Op::Activation}, {"batchnorm", Op::BatchNorm}, {"pad", Op::Pad},
    {"convtranspose", Op::ConvTranspose}, {"matmul", Op::MatMul}, {"softmax", Op::Softmax},
    {"layernorm", Op::LayerNorm}, {"resize", Op::Resize}, {"transpose", Op::Transpose},
    {"slice", Op::Slice}, {"reduce", Op::Reduce}, {"unsupported", Op::Unsupported}};

const std::pair<const char*, Act> kActs[] = {
    {"none", Act::None},       {"relu", Act::Relu},         {"relu6", Act::Relu6},
    {"sigmoid", Act::Sigmoid}, {"hardsigmoid", Act::HardSigmoid}, {"hardswish", Act::HardSwish},
    {"clip", Act::Clip},       {"tanh", Act::Tanh},         {"silu", Act::Silu},
    {"gelu", Act::Gelu},       {"erf", Act::Erf},           {"sqrt", Act::Sqrt},
    {"pow", Act::Pow},         {"exp", Act::Exp}};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Every count reaching here was bounded by check_layer/check_output (2^48-byte tensors, 32-bit
// widths), so the product fits an int64; the checked form keeps it honest anyway.
int64_t bits_to_bytes(int64_t elements, int bits) {
  int64_t b = 0;
  if (mul_overflows(elements, bits, &b)) throw InputError({}, fmt::format("{} elements of {} bits overflow", elements, bits));
  return ceil_div(b, 8);
}

}  // namespace

const char* to_string(Op op) {
  for (const auto& [n, o] : kOps)
    if (o == op) return n;
  return "?";
}
bool parse_op(const std::string& s, Op* out) {
  for (const auto& [n, o] : kOps)
    if (s == n) return *out = o, true;
  return false;
}
const char* to_string(Act a) {
  for (const auto& [n, o] : kActs)
    if (o == a) return n;
  return "?";
}
bool parse_act(const std::string& s, Act* out) {
  for (const auto& [n, o] : kActs)
    if (s == n) return *out = o, true;
  return false;
}

std::string Shape::str() const {
  return d == 1 ? fmt::format("[{}, {}, {}, {}]", n, c, h, w) : fmt::format("[{}, {}, {}, {}, {}]", n, c, d, h, w);
}

const Shape& input_shape(const Graph& g, const Layer& l, size_t i) {
  if (i < l.in_views.size() && l.in_views[i].c > 0) return l.in_views[i];
  return g.layers[l.inputs[i]].out;
}

void set_batch(Graph& g, int64_t batch, const SourceLoc& where) {
  if (batch < 1 || batch > (int64_t(1) << 20))
    throw InputError(where, fmt::format("batch {} is out of range: expected 1 to {}", batch, int64_t(1) << 20));
  if (batch % g.shape_batch)
    throw InputError(where, fmt::format("batch {} is not a multiple of the batch {} fixed in the model's input "
                                        "shape: expected a multiple of {} (or export the model with a dynamic batch)",
                                        batch, g.shape_batch, g.shape_batch));
  g.batch = batch;
  annotate(g);
}

int Graph::find(const std::string& name) const {
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> c(layers.size());
  for (size_t i = 0; i < layers.size(); ++i)
    for (int p : layers[i].inputs) c[p].push_back(static_cast<int>(i));
  return c;
}

Cost Graph::totals() const {
  Cost t;
  for (const auto& l : layers) {
    t.macs += l.cost.macs;
    t.weights += l.cost.weights;
    t.biases += l.cost.biases;
    t.params += l.cost.params;
    t.weight_bytes += l.cost.weight_bytes;
    t.input_bytes += l.cost.input_bytes;
    t.output_bytes += l.cost.output_bytes;
    t.vector_ops += l.cost.vector_ops;
  }
  return t;
}

static int64_t window_out(int64_t in, int k, int s, int p0, int p1, int d, bool ceil_mode) {
  int64_t span = in + p0 + p1 - int64_t(d) * (k - 1) - 1;
  if (span < 0) return 0;
  int64_t o = (ceil_mode ? ceil_div(span, s) : span / s) + 1;
  // PyTorch/ONNX rule: the last window must start inside the input or the left padding.
  if (ceil_mode && (o - 1) * s >= in + p0) --o;
  return o;
}

Shape infer_shape(const Layer& l, const std::vector<Shape>& in) {
  auto fail = [&](const std::string& what) -> void {
    throw InputError(l.loc, fmt::format("layer '{}' ({}): {}", l.name, to_string(l.op), what));
  };
  auto need_inputs = [&](size_t lo, size_t hi) {
    if (in.size() < lo || in.size() > hi)
      fail(lo == hi ? fmt::format("expected {} input(s), got {}", lo, in.size())
                    : fmt::format("expected {} to {} inputs, got {}", lo, hi, in.size()));
  };
  Shape o;
  switch (l.op) {
    case Op::Input: {
      // Each extent positive and their product in range, checked before it is formed (fuzz_scalesim_csv
      // found 52003435904 x 928632784 overflowing in elements()).
      int64_t e = 1;
      bool ok = true;
      for (int64_t v : {l.out.n, l.out.c, l.out.d, l.out.h, l.out.w}) ok = ok && v > 0 && !mul_overflows(e, v, &e);
      if (!ok || e > kMaxCount)
        fail(fmt::format("input shape {} must be positive, with at most 2^62 elements", l.out.str()));
      return l.out;
    }
    case Op::Conv:
    case Op::ConvTranspose: {
      need_inputs(1, 1);
      const Shape& x = in[0];
      if (l.groups < 1 || l.out_channels < 1) fail("groups and out_channels must be positive");
      if (x.c % l.groups) fail(fmt::format("input channels {} are not divisible by groups {}", x.c, l.groups));
      if (l.out_channels % l.groups)
        fail(fmt::format("out_channels {} are not divisible by groups {}", l.out_channels, l.groups));
      if (l.kh < 1 || l.kw < 1 || l.sh < 1 || l.sw < 1 || l.dh < 1 || l.dw < 1 || l.kd < 1 || l.sd < 1 || l.dd < 1)
        fail("kernel, stride and dilation must be positive");
      if (l.op == Op::Conv) {
        o = {x.n, l.out_channels, window_out(x.h, l.kh, l.sh, l.pad_t, l.pad_b, l.dh, false),
             window_out(x.w, l.kw, l.sw, l.pad_l, l.pad_r, l.dw, false),
             window_out(x.d, l.kd, l.sd, l.pad_f, l.pad_k, l.dd, false)};
      } else {  // ONNX ConvTranspose: (in - 1) * s - pads + d * (k - 1) + output_padding + 1
        auto tout = [](int64_t in, int k, int s, int p0, int p1, int d, int op) {
          return (in - 1) * s - p0 - p1 + int64_t(d) * (k - 1) + op + 1;
        };
        o = {x.n, l.out_channels, tout(x.h, l.kh, l.sh, l.pad_t, l.pad_b, l.dh, l.out_pad_h),
             tout(x.w, l.kw, l.sw, l.pad_l, l.pad_r, l.dw, l.out_pad_w),
             tout(x.d, l.kd, l.sd, l.pad_f, l.pad_k, l.dd, l.out_pad_d)};
      }
      if (o.h < 1 || o.w < 1 || o.d < 1)
        fail(fmt::format("a {}x{}x{} kernel does not fit the {}x{}x{} input (with padding)", l.kd, l.kh, l.kw, x.d,
                         x.h, x.w));
      return o;
    }
    case Op::FullyConnected:
      need_inputs(1, 1);
      if (l.out_channels < 1) fail("out_features must be positive");
      if (l.fc_rows > 0) {
        if (in[0].elements() % (in[0].n * l.fc_rows))
          fail(fmt::format("input {} does not split into {} rows per sample", in[0].str(), l.fc_rows));
        return {in[0].n, l.out_channels, l.fc_rows, 1};
      }
      return {in[0].n, l.out_channels, 1, 1};
    case Op::MatMul: {
      need_inputs(2, 2);
      if (l.mm_groups < 1 || l.mm_m < 1 || l.mm_k < 1 || l.mm_n < 1) fail("the GEMM sizes must be positive");
      const int64_t n = in[0].n;
      if (in[0].elements() != n * l.mm_groups * l.mm_m * l.mm_k ||
          in[1].elements() != n * l.mm_groups * l.mm_k * l.mm_n)
        fail(fmt::format("operands {} and {} are not {} x [{}, {}] x [{}, {}] per sample", in[0].str(), in[1].str(),
                         l.mm_groups, l.mm_m, l.mm_k, l.mm_k, l.mm_n));
      return {n, l.mm_n, l.mm_groups * l.mm_m, 1};
    }
    case Op::Softmax:
    case Op::LayerNorm:
      need_inputs(1, 1);
      return in[0];
    case Op::Resize:
    case Op::Transpose:
    case Op::Slice:
    case Op::Reduce:
    case Op::Unsupported: {
      if (in.empty()) fail("expected at least one input");
      if (!l.out_given || l.out.elements() <= 0) fail("the output shape is not known");
      int64_t total = 0;
      for (const auto& s : in) total += s.elements();
      if (l.op == Op::Transpose && l.out.elements() != in[0].elements())
        fail(fmt::format("a permutation of {} cannot have shape {}", in[0].str(), l.out.str()));
      if (l.op == Op::Slice && l.out.elements() > in[0].elements())
        fail(fmt::format("a part of {} cannot be larger ({})", in[0].str(), l.out.str()));
      if (l.op == Op::Reduce && l.out.elements() > in[0].elements())
        fail(fmt::format("a reduction of {} cannot be larger ({})", in[0].str(), l.out.str()));
      (void)total;
      return l.out;
    }
    case Op::MaxPool:
    case Op::AvgPool: {
      need_inputs(1, 1);
      const Shape& x = in[0];
      o = {x.n, x.c, window_out(x.h, l.kh, l.sh, l.pad_t, l.pad_b, 1, l.ceil_mode),
           window_out(x.w, l.kw, l.sw, l.pad_l, l.pad_r, 1, l.ceil_mode),
           window_out(x.d, l.kd, l.sd, l.pad_f, l.pad_k, 1, l.ceil_mode)};
      if (o.h < 1 || o.w < 1)
        fail(fmt::format("a {}x{} window does not fit the {}x{} input", l.kh, l.kw, x.h, x.w));
      return o;
    }
    case Op::GlobalAvgPool:
      need_inputs(1, 1);
      return {in[0].n, in[0].c, 1, 1};
    case Op::Add:
    case Op::Mul: {
      need_inputs(2, 16);
      o = in[0];
      for (const auto& s : in)
        if (s.elements() > o.elements()) o = s;
      for (const auto& s : in) {
        // Equal sizes, or 1 where the other operand is larger (broadcast: a [N, C, 1, 1] channel
        // scale, a [N, 1, S, 1] per-token statistic).
        auto fits = [](int64_t a, int64_t b) { return a == b || a == 1; };
        bool ok = fits(s.n, o.n) && fits(s.c, o.c) && fits(s.d, o.d) && fits(s.h, o.h) && fits(s.w, o.w);
        if (!ok)
          fail(fmt::format("input shapes {} and {} do not agree (expected equal shapes or a [N, C, 1, 1] operand)",
                           s.str(), o.str()));
      }
      return o;
    }
    case Op::Concat: {
      need_inputs(1, 1024);
      if (l.out_given) {  // along any axis (ONNX): the loader checked the dims; elements add up
        int64_t total = 0;
        for (const auto& s : in) total += s.elements();
        if (total != l.out.elements())
          fail(fmt::format("the inputs have {} elements; the output {} has {}", total, l.out.str(), l.out.elements()));
        return l.out;
      }
      o = in[0];
      o.c = 0;
      for (const auto& s : in) {
        if (s.n != in[0].n || s.h != in[0].h || s.w != in[0].w || s.d != in[0].d)
          fail(fmt::format("cannot concatenate {} with {} along channels: N, H and W must agree", s.str(), in[0].str()));
        o.c += s.c;
      }
      return o;
    }
    case Op::Activation:
    case Op::BatchNorm:
      need_inputs(1, 1);
      return in[0];
    case Op::Pad:
      need_inputs(1, 1);
      return {in[0].n, in[0].c, in[0].h + l.pad_t + l.pad_b, in[0].w + l.pad_l + l.pad_r,
              in[0].d + l.pad_f + l.pad_k};
  }
  return o;
}

// Costs of one run of the graph: `replicas` copies of the shapes' work share one set of weights.
void annotate(Graph& g) {
  const int64_t r = std::max<int64_t>(1, g.replicas());
  for (auto& l : g.layers) {
    Cost c;
    const int ab = l.quant.act_bits;
    for (size_t i = 0; i < l.inputs.size(); ++i)
      c.input_bytes += bits_to_bytes(input_shape(g, l, i).elements() * r, ab);
    c.output_bytes = bits_to_bytes(l.out.elements() * r, ab);
    const int64_t out_e = l.out.elements() * r;
    switch (l.op) {
      case Op::Conv: {
        const Shape& x = input_shape(g, l, 0);
        int64_t k = checked_product({x.c / l.groups, l.kd, l.kh, l.kw}, l.loc,
                                    fmt::format("layer '{}': the weights per output", l.name));
        c.weights = checked_mul(l.out_channels, k, l.loc, fmt::format("layer '{}': the weight count", l.name), kMaxTensorBytes);
        c.macs = checked_mul(out_e, k, l.loc, fmt::format("layer '{}': the MAC count", l.name));
        break;
      }
      case Op::ConvTranspose: {
        // Every input element meets out_channels/groups filters of the whole kernel: the MACs of
        // the computation (what PyTorch counts); the sub-pixel lowering runs them without zeros.
        const Shape& x = input_shape(g, l, 0);
        const int64_t kvol = checked_product({l.kd, l.kh, l.kw}, l.loc, fmt::format("layer '{}': the kernel", l.name));
        c.weights = checked_product({x.c, l.out_channels / l.groups, kvol}, l.loc,
                                    fmt::format("layer '{}': the weight count", l.name), kMaxTensorBytes);
        c.macs = checked_product({x.elements(), r, l.out_channels / l.groups, kvol}, l.loc,
                                 fmt::format("layer '{}': the MAC count", l.name));
        break;
      }
      case Op::FullyConnected: {
        const Shape& x = input_shape(g, l, 0);
        const int64_t rows = l.fc_rows > 0 ? x.n * l.fc_rows : x.n;
        const int64_t in_features = x.elements() / rows;
        c.weights = checked_mul(l.out_channels, in_features, l.loc, fmt::format("layer '{}': the weight count", l.name),
                                kMaxTensorBytes);
        c.macs = checked_product({rows, r, c.weights}, l.loc, fmt::format("layer '{}': the MAC count", l.name));
        break;
      }
      case Op::MatMul:
        c.macs = checked_product({l.out.n, r, l.mm_groups, l.mm_m, l.mm_k, l.mm_n}, l.loc,
                                 fmt::format("layer '{}': the MAC count", l.name));
        break;
      case Op::MaxPool:
      case Op::AvgPool:
        c.vector_ops = checked_product({out_e, l.kd, l.kh, l.kw}, l.loc,
                                       fmt::format("layer '{}': the window operations", l.name));
        break;
      case Op::GlobalAvgPool: c.vector_ops = input_shape(g, l, 0).elements() * r; break;
      case Op::Add:
      case Op::Mul: c.vector_ops = out_e * int64_t(l.inputs.size() - 1); break;
      case Op::Concat:
      case Op::Activation:
      case Op::Pad: c.vector_ops = out_e; break;
      case Op::BatchNorm:
        c.vector_ops = 2 * out_e;
        c.biases = 2 * l.out.c;  // scale and shift
        break;
      case Op::LayerNorm:
        c.vector_ops = l.elem_ops * out_e;
        c.biases = l.has_bias ? 2 * l.out.c : 0;  // scale and shift (gamma, beta)
        break;
      case Op::Softmax:
      case Op::Resize:
      case Op::Transpose:
      case Op::Slice: c.vector_ops = l.elem_ops * out_e; break;
      case Op::Reduce: c.vector_ops = input_shape(g, l, 0).elements() * r; break;
      case Op::Unsupported:
      case Op::Input: break;
    }
    if (l.has_weights() && l.has_bias) c.biases = l.out_channels;
    c.params = c.weights + c.biases;
    if (l.compression.clusters > 0) {
      const auto& z = l.compression;
      c.weight_bytes = ceil_div(z.kernels * (z.index_bits + z.scale_bits), 8) +
                       bits_to_bytes(z.codebook_entries, l.quant.weight_bits);
    } else {
      c.weight_bytes = bits_to_bytes(c.weights, l.quant.weight_bits);
    }
    c.weight_bytes += bits_to_bytes(c.biases, l.quant.bias_bits);
    l.cost = c;
  }
}

GraphBuilder::GraphBuilder(std::string name, std::string file) {
  g_.name = std::move(name);
  g_.file = std::move(file);
}

int GraphBuilder::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

void check_format_bits(const Layer& l) {
  if (l.quant.format != NumFormat::Fp8E4M3 && l.quant.format != NumFormat::Fp8E5M2) return;
  if (l.quant.act_bits != 8 || (l.has_weights() && l.quant.weight_bits != 8))
    throw InputError(l.loc, fmt::format("layer '{}' ({}): {} has 8-bit operands, not {}-bit weights and {}-bit "
                                        "activations", l.name, to_string(l.op), to_string(l.quant.format),
                                        l.quant.weight_bits, l.quant.act_bits));
}

void check_layer(const Layer& l, const std::vector<Shape>& in) {
  auto fail = [&](const std::string& what) {
    throw InputError(l.loc, fmt::format("layer '{}' ({}): {}", l.name, to_string(l.op), what));
  };
  if (std::string bad = check_name(l.name); !bad.empty()) throw InputError(l.loc, fmt::format("layer name: {}", bad));
  auto dim = [&](const char* key, int64_t v, int64_t lo) {
    if (v < lo || v > kMaxDim) fail(fmt::format("'{}' is {}: expected {} to {}", key, v, lo, kMaxDim));
  };
  auto bits = [&](const char* key, int v, int hi) {
    if (v < 1 || v > hi) fail(fmt::format("'{}' is {}: expected 1 to {}", key, v, hi));
  };
  bits("weight_bits", l.quant.weight_bits, 32);
  bits("act_bits", l.quant.act_bits, 32);
  bits("bias_bits", l.quant.bias_bits, 64);
  check_format_bits(l);
  if (l.op == Op::Input) {
    for (auto [k, v] : {std::pair<const char*, int64_t>{"N", l.out.n}, {"C", l.out.c}, {"H", l.out.h}, {"W", l.out.w},
                        {"D", l.out.d}})
      dim(fmt::format("input shape {}", k).c_str(), v, 1);
    return;
  }
  const bool spatial = l.op == Op::Conv || l.op == Op::MaxPool || l.op == Op::AvgPool || l.op == Op::ConvTranspose;
  if (spatial) {
    dim("kernel", l.kh, 1), dim("kernel", l.kw, 1), dim("stride", l.sh, 1), dim("stride", l.sw, 1);
    dim("dilation", l.dh, 1), dim("dilation", l.dw, 1);
    dim("kernel", l.kd, 1), dim("stride", l.sd, 1), dim("dilation", l.dd, 1);
    for (int p : {l.pad_f, l.pad_k, l.out_pad_d, l.out_pad_h, l.out_pad_w}) dim("pad", p, 0);
    if (int64_t(l.dd) * (l.kd - 1) + 1 > kMaxDim)
      fail(fmt::format("the window dilation x (kernel - 1) + 1 is larger than {}", kMaxDim));
    // The window's extent, dilation * (kernel - 1) + 1, is a dimension too.
    if (int64_t(l.dh) * (l.kh - 1) + 1 > kMaxDim || int64_t(l.dw) * (l.kw - 1) + 1 > kMaxDim)
      fail(fmt::format("the window dilation x (kernel - 1) + 1 is larger than {}", kMaxDim));
  }
  if (l.op == Op::MaxPool || l.op == Op::AvgPool) {
    if (l.dh != 1 || l.dw != 1 || l.dd != 1) fail("dilated pooling is not supported: 'dilation' must be 1");
    // A window lying wholly in the padding has no input (ONNX Runtime: pad < kernel).
    for (auto [p, k] : {std::pair{l.pad_t, l.kh}, {l.pad_b, l.kh}, {l.pad_l, l.kw}, {l.pad_r, l.kw}, {l.pad_f, l.kd},
                        {l.pad_k, l.kd}})
      if (p >= k) fail(fmt::format("pad {} is not smaller than the kernel {}: a window would lie wholly in the padding", p, k));
  }
  if (spatial || l.op == Op::Pad) {
    for (int p : {l.pad_t, l.pad_l, l.pad_b, l.pad_r}) dim("pad", p, 0);
    if (!in.empty() && (in[0].h + l.pad_t + l.pad_b > kMaxDim || in[0].w + l.pad_l + l.pad_r > kMaxDim))
      fail(fmt::format("the padded input is larger than {}", kMaxDim));
  }
  if (l.op == Op::Conv || l.op == Op::ConvTranspose) {
    dim("groups", l.groups, 1);
    dim("out_channels", l.out_channels, 1);
  }
  if (l.op == Op::FullyConnected) dim("out_features", l.out_channels, 1);
}

void check_output(const Layer& l) {
  const Shape& o = l.out;
  for (int64_t v : {o.n, o.c, o.h, o.w, o.d})
    if (v > kMaxDim)
      throw InputError(l.loc, fmt::format("layer '{}' ({}): output shape {} has a dimension above {}", l.name,
                                          to_string(l.op), o.str(), kMaxDim));
  int64_t e = checked_product({o.n, o.c, o.h, o.w, o.d}, l.loc, fmt::format("layer '{}': output tensor {}", l.name, o.str()),
                              kMaxTensorBytes);
  checked_mul(e, 4, l.loc, fmt::format("layer '{}': output tensor {} in bytes", l.name, o.str()), kMaxTensorBytes);
}

int GraphBuilder::add(Layer l) {
  if (l.name.empty()) l.name = fmt::format("{}_{}", to_string(l.op), g_.layers.size());
  if (find(l.name) >= 0)
    throw InputError(l.loc, fmt::format("layer name '{}' is used twice: names must be unique", l.name));
  std::vector<Shape> in;
  for (size_t i = 0; i < l.inputs.size(); ++i) {
    int p = l.inputs[i];
    if (p < 0 || p >= static_cast<int>(g_.layers.size()))
      throw InputError(l.loc, fmt::format("layer '{}' reads an input that is not defined before it", l.name));
    const Shape& v = input_shape(g_, l, i);
    if (v.elements() != g_.layers[p].out.elements())
      throw InputError(l.loc, fmt::format("layer '{}' reads '{}' ({}) as {}: the element counts differ", l.name,
                                          g_.layers[p].name, g_.layers[p].out.str(), v.str()));
    in.push_back(v);
  }
  if (l.op != Op::Input && l.inputs.empty())
    throw InputError(l.loc, fmt::format("layer '{}' ({}) has no input", l.name, to_string(l.op)));
  check_layer(l, in);
  l.out = infer_shape(l, in);
  check_output(l);
  index_.emplace(l.name, static_cast<int>(g_.layers.size()));
  g_.layers.push_back(std::move(l));
  return static_cast<int>(g_.layers.size()) - 1;
}

Graph GraphBuilder::finish() {
  if (std::string bad = check_name(g_.name); !bad.empty()) throw InputError({g_.file, 0}, fmt::format("model name: {}", bad));
  if (g_.layers.size() < 2)
    throw InputError({g_.file, 0}, "the graph has no layers: expected an input and at least one layer");
  // A batch in the (first) input's shape is the graph's batch: every report divides by it.
  if (g_.batch == 1 && g_.layers[0].op == Op::Input && g_.layers[0].out.n > 1)
    g_.batch = g_.shape_batch = g_.layers[0].out.n;
  annotate(g_);
  return std::move(g_);
}

}  // namespace nnasim::graph
