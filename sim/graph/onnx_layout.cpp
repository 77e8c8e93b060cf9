// ONNX import, the operators that move or reshape data rather than compute on it: Resize and
// Upsample (vector unit), Transpose, Slice, Split, Gather, Squeeze/Unsqueeze, Expand, Flatten,
// Reshape (views where a view suffices, copies where data must move), and the shape arithmetic
// folded at import (Shape, Cast, integer ops on constants). The arithmetic operators are in
// onnx_model.cpp; the importer's walk and helpers in onnx_importer.{h,cpp}.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "sim/graph/onnx_importer.h"

namespace nnasim::graph {
namespace onnx_detail {

// Resize (opset 11+: X, roi, scales, sizes) and Upsample (X, scales): nearest or (bi/tri)linear
// on the vector unit, ops per output element = the taps read (1, 2^axes, 4^axes for cubic).
void Importer::resize() {
  const Value& x = data(0);
  const size_t rank = x.dims.size();
  std::vector<float> scales;
  Dims sizes;
  const bool upsample = node().op_type() == "Upsample";
  if (upsample) {
    if (auto* a = attr("scales")) scales.assign(a->floats().begin(), a->floats().end());
    else if (!present(1) || !param_floats(1, &scales)) fail("the scales are not a constant");
  } else {
    if (present(3)) sizes = int_input(3, "sizes");
    if (present(2) && sizes.empty()) {
      if (!param_floats(2, &scales)) fail(fmt::format("the scales '{}' are not a constant", node().input(2)));
    }
  }
  Dims od = x.dims;
  if (!sizes.empty()) {
    if (sizes.size() != rank) fail(fmt::format("sizes {} do not have {} values", dims_str(sizes), rank));
    od = sizes;
  } else if (!scales.empty()) {
    if (scales.size() != rank) fail(fmt::format("{} scales for a rank-{} input", scales.size(), rank));
    for (size_t i = 0; i < rank; ++i) {
      if (!(scales[i] > 0) || scales[i] > 1e4f) fail(fmt::format("scale {} must be positive", scales[i]));
      od[i] = int64_t(std::floor(double(x.dims[i]) * scales[i]));
    }
  } else {
    fail("neither scales nor sizes are given");
  }
  checked_elements(od, fail_fn());
  for (int64_t v : od)
    if (v < 1) fail(fmt::format("the output shape {} is empty", dims_str(od)));
  if (od[0] != x.dims[0] || (rank > 1 && od[1] != x.dims[1]))
    fail(fmt::format("resizing the batch or channel axis ({} to {}) is not supported", dims_str(x.dims),
                     dims_str(od)));
  const std::string mode = attr_str("mode", "nearest");
  int axes = 0;
  for (size_t i = 2; i < rank; ++i) axes += od[i] != x.dims[i];
  Layer l;
  l.op = Op::Resize;
  l.fn = mode;
  if (mode == "nearest") l.elem_ops = 1;
  else if (mode == "linear" || mode == "bilinear" || mode == "trilinear") l.elem_ops = int64_t(1) << axes;
  else if (mode == "cubic") l.elem_ops = int64_t(1) << (2 * axes);
  else fail(fmt::format("mode '{}' is not one of nearest, linear, cubic", mode));
  read_as(l, 0, rank >= 3 ? cf_view(x.dims) : cl_view(x.dims));
  l.out_given = true;
  l.out = rank >= 3 ? cf_view(od) : cl_view(od);
  add_layer(std::move(l), od);
}

// A permutation: free (a view) when it moves only axes of size 1, else a copy that moves every
// element (vector unit / strided DMA).
void Importer::transpose() {
  const Value& x = value(0);
  if (!x.dims_known) return alias({});
  const size_t rank = x.dims.size();
  Dims perm;
  if (auto p = attr_ints("perm")) perm = *p;
  else
    for (size_t i = 0; i < rank; ++i) perm.push_back(int64_t(rank - 1 - i));
  Dims sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool permutation = perm.size() == rank;
  for (size_t i = 0; i < sorted.size(); ++i) permutation = permutation && sorted[i] == int64_t(i);
  if (!permutation)
    fail(fmt::format("perm {} is not a permutation of the {} axes of {}", dims_str(perm), rank, dims_str(x.dims)));
  Dims od(rank);
  for (size_t i = 0; i < rank; ++i) od[i] = x.dims[perm[i]];
  if (x.kind != Value::Kind::Data) {
    Value v = x;
    v.dims = od;
    v.tensor = nullptr;
    return define(node().output(0), v);
  }
  Dims moved;  // the order of the axes larger than 1
  for (int64_t a : perm)
    if (x.dims[a] > 1) moved.push_back(a);
  if (std::is_sorted(moved.begin(), moved.end())) return alias(od);
  // Swapping the last two axes of an operand read only by MatMuls of two activations (K^T): the
  // array reads the operand transposed as it loads it, no data moves.
  bool last_two = rank >= 2 && perm[rank - 1] == int64_t(rank - 2) && perm[rank - 2] == int64_t(rank - 1);
  for (size_t i = 0; i + 2 < rank; ++i) last_two = last_two && perm[i] == int64_t(i);
  const auto& rd = readers_[node().output(0)];
  const bool to_matmul = !rd.empty() && std::all_of(rd.begin(), rd.end(), [](const std::string& o) { return o == "MatMul"; });
  if (last_two && to_matmul && rank >= 3) return alias(od);
  Layer l;
  l.op = Op::Transpose;
  l.fn = "Transpose";
  l.elem_ops = 1;
  read_as(l, 0, shape_of(x));
  l.out_given = true;
  l.out = rank == 3 || rank > 5 ? cl_view(od) : cf_view(od);
  add_layer(std::move(l), od);
}

namespace {
// Whether a part `od` of a row-major tensor `d` is one contiguous run: all axes before the first
// narrowed one have size 1 in the source, and all axes after it are whole.
bool contiguous_part(const Dims& d, const Dims& od) {
  size_t j = 0;
  while (j < d.size() && d[j] == od[j]) ++j;
  if (j == d.size()) return true;
  for (size_t i = 0; i < j; ++i)
    if (d[i] != 1) return false;
  for (size_t i = j + 1; i < d.size(); ++i)
    if (d[i] != od[i]) return false;
  return true;
}
}  // namespace

void Importer::slice() {
  const Value& x = value(0);
  if (!x.dims_known) return alias({});
  const size_t rank = x.dims.size();
  Dims starts = int_input(1, "starts"), ends = int_input(2, "ends"), axes, steps;
  if (present(3)) axes = int_input(3, "axes");
  else
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  if (present(4)) steps = int_input(4, "steps");
  else steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail("starts, ends, axes and steps have different lengths");
  Dims od = x.dims;
  std::optional<Dims> ints;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + int64_t(rank) : axes[i];
    if (a < 0 || a >= int64_t(rank)) fail(fmt::format("axis {} is out of range for {}", axes[i], dims_str(x.dims)));
    const int64_t n = x.dims[a], st = steps[i];
    if (st == 0) fail("a step of 0");
    auto clampi = [&](int64_t v, int64_t lo, int64_t hi) { return std::max(lo, std::min(hi, v)); };
    int64_t b = starts[i] < 0 ? starts[i] + n : starts[i], e = ends[i] < 0 ? ends[i] + n : ends[i];
    // ceil((e - b) / st) elements, in forms that cannot overflow for any step.
    if (st > 0) {
      b = clampi(b, 0, n), e = clampi(e, 0, n);
      od[a] = e > b ? 1 + (e - b - 1) / st : 0;
    } else {
      b = clampi(b, 0, n - 1), e = clampi(e, -1, n - 1);
      od[a] = b > e ? 1 - (b - e - 1) / st : 0;
    }
    if (x.ints && rank == 1 && int64_t(x.ints->size()) == n) {  // a shape vector: every st-th value
      ints.emplace();
      for (int64_t k = 0; k < od[a]; ++k) ints->push_back((*x.ints)[size_t(b + k * st)]);
    }
  }
  if (x.kind != Value::Kind::Data) {
    Value v;
    v.dims = od, v.dims_known = true, v.ints = ints;
    return define(node().output(0), v);
  }
  if (checked_elements(od, fail_fn()) <= 0) fail(fmt::format("the slice of {} is empty", dims_str(x.dims)));
  if (od == x.dims) return alias(od);
  Layer l;
  l.op = Op::Slice;
  l.fn = "Slice";
  l.elem_ops = contiguous_part(x.dims, od) ? 0 : 1;
  read_as(l, 0, shape_of(x));
  l.out_given = true;
  l.out = view_like(x, od);
  add_layer(std::move(l), od);
}

void Importer::split() {
  const Value& x = data(0);
  const size_t rank = x.dims.size();
  const int64_t axis = axis_attr("axis", 0, rank);
  Dims parts;
  if (auto s = attr_ints("split")) parts = *s;
  else if (present(1)) parts = int_input(1, "split");
  else {
    const int64_t n = node().output_size();
    if (n < 1 || x.dims[axis] % n) fail(fmt::format("{} does not split evenly into {} parts", dims_str(x.dims), n));
    parts.assign(size_t(n), x.dims[axis] / n);
  }
  int64_t total = 0;
  for (int64_t p : parts)
    if (p < 0 || __builtin_add_overflow(total, p, &total))
      fail(fmt::format("split {}: expected sizes of 0 or more that add up to the axis", dims_str(parts)));
  if (int64_t(parts.size()) != node().output_size() || total != x.dims[axis])
    fail(fmt::format("split {} of axis {} ({}) into {} outputs does not add up", dims_str(parts), axis,
                     x.dims[axis], node().output_size()));
  const std::string base = layer_name();
  for (int o = 0; o < node().output_size(); ++o) {
    Dims od = x.dims;
    od[axis] = parts[o];
    if (parts[o] <= 0) continue;
    Layer l;
    l.op = Op::Slice;
    l.fn = "Split";
    l.elem_ops = contiguous_part(x.dims, od) ? 0 : 1;
    read_as(l, 0, shape_of(x));
    l.out_given = true;
    l.out = view_like(x, od);
    l.name = o == 0 ? base : fmt::format("{}:{}", base, o);
    names_.insert(l.name);
    l.loc = loc();
    int idx = b_.add(std::move(l));
    define_data(o, idx, od);
  }
}

// Gather with constant indices: on a constant (shape arithmetic) it is folded; on an activation
// it selects a part (a class token, one head) like Slice.
void Importer::gather() {
  const Value& x = value(0);
  if (value(1).kind == Value::Kind::Data)
    fail("the indices are computed from the input (an embedding lookup): expected constant indices; export the "
         "model from its embeddings");
  Dims idx = int_input(1, "indices");
  Dims idims = value(1).dims_known ? value(1).dims : Dims{int64_t(idx.size())};
  if (!x.dims_known) return define(node().output(0), Value{});
  const size_t rank = x.dims.size();
  const int64_t axis = axis_attr("axis", 0, rank);
  for (auto& i : idx) {
    if (i < -x.dims[axis] || i >= x.dims[axis])
      fail(fmt::format("index {} is out of range for axis {} of {}", i, axis, dims_str(x.dims)));
    if (i < 0) i += x.dims[axis];
  }
  Dims od(x.dims.begin(), x.dims.begin() + axis);
  od.insert(od.end(), idims.begin(), idims.end());
  od.insert(od.end(), x.dims.begin() + axis + 1, x.dims.end());
  if (x.kind != Value::Kind::Data) {
    Value v;
    v.dims = od, v.dims_known = true;
    if (x.ints && rank == 1) {
      Dims vals;
      for (int64_t i : idx) vals.push_back((*x.ints)[i]);
      v.ints = vals;
    }
    return define(node().output(0), v);
  }
  Dims kept = x.dims;  // the selected part with the axis kept, to test contiguity
  kept[axis] = int64_t(idx.size());
  bool consecutive = true;
  for (size_t i = 1; i < idx.size(); ++i) consecutive = consecutive && idx[i] == idx[i - 1] + 1;
  Layer l;
  l.op = Op::Slice;
  l.fn = "Gather";
  l.elem_ops = consecutive && contiguous_part(x.dims, kept) ? 0 : 1;
  read_as(l, 0, shape_of(x));
  l.out_given = true;
  l.out = view_like(x, od.empty() ? Dims{1} : od);
  if (l.out.elements() != checked_elements(od, fail_fn())) l.out = cl_view(od);
  add_layer(std::move(l), od);
}

void Importer::squeeze(bool un) {
  const Value& x = value(0);
  if (!x.dims_known) return alias({});
  Dims axes;
  if (auto a = attr_ints("axes")) axes = *a;
  else if (present(1)) axes = int_input(1, "axes");
  Dims od;
  if (un) {
    const int64_t r = int64_t(x.dims.size() + axes.size());
    for (auto& a : axes) {
      if (a < -r || a >= r) fail(fmt::format("axis {} is out of range", a));
      if (a < 0) a += r;
    }
    size_t j = 0;
    for (int64_t i = 0; i < r; ++i) {
      if (std::find(axes.begin(), axes.end(), i) != axes.end()) od.push_back(1);
      else if (j < x.dims.size()) od.push_back(x.dims[j++]);
      else fail("duplicate axes");
    }
  } else {
    const int64_t r = int64_t(x.dims.size());
    for (auto& a : axes) {
      if (a < -r || a >= r) fail(fmt::format("axis {} is out of range", a));
      if (a < 0) a += r;
    }
    for (int64_t i = 0; i < r; ++i) {
      bool s = axes.empty() ? x.dims[i] == 1 : std::find(axes.begin(), axes.end(), i) != axes.end();
      if (s && x.dims[i] != 1) fail(fmt::format("axis {} of {} has size {}, not 1", i, dims_str(x.dims), x.dims[i]));
      if (!s) od.push_back(x.dims[i]);
    }
  }
  if (x.kind != Value::Kind::Data) {
    Value v = x;
    v.dims = od;
    v.tensor = nullptr;
    return define(node().output(0), v);
  }
  alias(od);
}

void Importer::shape_op() {
  const Value& x = value(0);
  if (!x.dims_known) return define(node().output(0), Value{});
  int64_t r = int64_t(x.dims.size());
  int64_t start = attr_int("start", 0), end = attr_int("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::max<int64_t>(0, std::min(r, start)), end = std::max<int64_t>(start, std::min(r, end));
  Value v;
  v.ints = Dims(x.dims.begin() + start, x.dims.begin() + end);
  v.dims = {end - start};
  v.dims_known = true;
  define(node().output(0), v);
}

void Importer::cast() {
  const Value& x = value(0);
  if (x.kind == Value::Kind::Data) return alias(x.dims);
  Value v = x;
  define(node().output(0), v);
}

// Expand: of a constant (a learned token broadcast over the batch), a constant of the new shape;
// of an activation whose shape does not change, a view.
void Importer::expand() {
  const Value& x = value(0);
  Dims shape = int_input(1, "shape");
  elements(shape, node().input(1));
  Dims od = x.dims_known ? broadcast(x.dims, shape) : shape;
  if (x.kind != Value::Kind::Data) {
    Value v;
    v.dims = od, v.dims_known = true;
    return define(node().output(0), v);
  }
  if (od == x.dims) return alias(od);
  fail(fmt::format("expanding the activation {} to {} is not supported", dims_str(x.dims), dims_str(od)));
}

// Integer arithmetic on constants known at import (shape computations): folded, no layer.
bool Importer::fold_ints() {
  const std::string& op = node().op_type();
  if (op != "Add" && op != "Sub" && op != "Mul" && op != "Div" && op != "Concat" && op != "Unsqueeze" &&
      op != "Squeeze" && op != "Cast" && op != "Reshape" && op != "Equal" && op != "Where" &&
      op != "ConstantOfShape")
    return false;
  std::vector<Dims> in;
  for (int i = 0; i < node().input_size(); ++i) {
    if (!present(i)) return false;
    Dims v;
    if (!param_ints(i, &v)) return false;
    in.push_back(v);
  }
  if (in.empty() || node().output_size() < 1) return false;
  Value out;
  out.kind = Value::Kind::Param;
  Dims r;
  if (op == "ConstantOfShape") {
    if (in.size() != 1 || in[0].size() != 1 || in[0][0] < 0 || in[0][0] > 64) return false;
    int64_t fill = 0;
    if (auto* a = attr("value")) {
      std::vector<int64_t> v;
      if (!ints_of(a->t(), "value", &v, fail_fn()) || v.size() != 1) return false;
      fill = v[0];
    }
    r.assign(size_t(in[0][0]), fill);
  } else if (op == "Where") {
    if (in.size() != 3) return false;
    const size_t n = std::max({in[0].size(), in[1].size(), in[2].size()});
    auto at = [](const Dims& v, size_t i) { return v[v.size() == 1 ? 0 : i]; };
    for (const auto& v : in)
      if (v.size() != n && v.size() != 1) return false;
    for (size_t i = 0; i < n; ++i) r.push_back(at(in[0], i) ? at(in[1], i) : at(in[2], i));
  } else if (op == "Concat") {
    for (auto& v : in) r.insert(r.end(), v.begin(), v.end());
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Cast" || op == "Reshape") {
    r = in[0];
  } else {
    if (in.size() != 2) return false;
    const Dims& a = in[0];
    const Dims& b = in[1];
    if (a.size() != b.size() && a.size() != 1 && b.size() != 1) return false;
    // Broadcasting an empty operand (against one of 1 element) gives an empty result.
    const size_t n = a.empty() || b.empty() ? 0 : std::max(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      int64_t x = a[a.size() == 1 ? 0 : i], y = b[b.size() == 1 ? 0 : i], z = 0;
      bool over = false;
      if (op == "Add") over = __builtin_add_overflow(x, y, &z);
      else if (op == "Sub") over = __builtin_sub_overflow(x, y, &z);
      else if (op == "Mul") over = __builtin_mul_overflow(x, y, &z);
      else if (op == "Equal") z = x == y;
      else {
        if (y == 0) fail("division by zero in a shape computation");
        over = x == std::numeric_limits<int64_t>::min() && y == -1;
        if (!over) z = x / y;
      }
      if (over) fail(fmt::format("{} of {} and {} overflows 64 bits in a shape computation", op, x, y));
      r.push_back(z);
    }
  }
  out.ints = r;
  out.dims = {int64_t(r.size())};
  if ((op == "Squeeze" || op == "Unsqueeze" || op == "Reshape") && r.size() == 1 && value(0).dims_known)
    out.dims = op == "Unsqueeze" ? Dims{1} : value(0).dims;
  if (op == "Squeeze" && r.size() == 1) out.dims = {};
  out.dims_known = true;
  define(node().output(0), out);
  return true;
}

// No layer: the output is the input under another shape.
void Importer::alias(const Dims& dims) {
  Value v = value(0);
  v.dims = dims;
  if (v.kind == Value::Kind::Data) v.dims_known = true;
  v.from_matmul = v.from_matmul && uses_[node().input(0)] == 1;
  define(node().output(0), v);
}

void Importer::flatten() {
  const Value& x = value(0);
  if (!x.dims_known) return alias({});
  int64_t axis = attr_int("axis", 1);
  const int64_t rank = int64_t(x.dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) fail(fmt::format("axis {} is out of range for a rank-{} input", axis, rank));
  int64_t a = 1, b = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? a : b) *= x.dims[i];
  alias({a, b});
}

void Importer::reshape() {
  const Value& x = value(0);
  Dims shape;
  if (!param_ints(1, &shape))
    fail(fmt::format("the target shape '{}' is not a constant: expected an int64 initializer, a Constant or a "
                     "value computed from shapes",
                     node().input(1)));
  if (!x.dims_known) return alias({});
  const bool allow_zero = attr_int("allowzero", 0) != 0;
  const int64_t total = elements(x.dims, node().input(0));
  int64_t known = 1, infer = -1;
  Dims out = shape;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allow_zero) {
      if (i >= x.dims.size()) fail(fmt::format("shape {} copies a dimension the input {} lacks", dims_str(shape), dims_str(x.dims)));
      out[i] = x.dims[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) fail(fmt::format("shape {} has more than one -1", dims_str(shape)));
      infer = int64_t(i);
    } else if (out[i] < 0 || out[i] > kMaxDim) {
      fail(fmt::format("shape {} has a negative or implausibly large size", dims_str(shape)));
    } else {
      if (out[i] && known > kMaxElements / out[i])
        fail(fmt::format("shape {} is implausibly large", dims_str(shape)));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || total % known) fail(fmt::format("cannot reshape {} to {}", dims_str(x.dims), dims_str(shape)));
    out[infer] = total / known;
  } else if (known != total) {
    fail(fmt::format("cannot reshape {} ({} elements) to {}", dims_str(x.dims), total, dims_str(shape)));
  }
  alias(out);
}

}  // namespace onnx_detail
}  // namespace nnasim::graph
