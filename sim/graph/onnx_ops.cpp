// ONNX import (onnx_model.cpp has the overview): the converters of the operators without weights
// that make layers: Softmax, the activations and Clip, the element-wise joins, Concat, pooling,
// reductions, Pad, and Constant parameters.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "sim/graph/onnx_importer.h"

namespace nnasim::graph {
namespace onnx_detail {

void Importer::softmax() {
  const Value& x = data(0);
  const int64_t axis = axis_attr("axis", -1, x.dims.size());
  Layer l;
  l.op = Op::Softmax;
  l.fn = "Softmax";
  l.elem_ops = 5;  // max, subtract, exp, sum, scale by the reciprocal
  // The reduced axis is the view's channel axis (a softmax over the last axis, the usual case).
  Dims d = x.dims;
  if (axis != int64_t(d.size()) - 1) std::rotate(d.begin() + axis, d.begin() + axis + 1, d.end());
  read_as(l, 0, cl_view(d));
  add_layer(std::move(l), x.dims);
  (void)x;
}

void Importer::activation(Act a, const char* fn) {
  const Value& x = data(0);
  Layer l;
  l.op = Op::Activation;
  l.act = a;
  l.fn = fn ? fn : node().op_type();
  l.inputs = {x.layer};
  add_layer(std::move(l), x.dims);
}

// Clip(0, 6) is ReLU6 and Clip(0, +inf) is ReLU. Bounds come from attributes (opset < 11) or
// from constant inputs (opset >= 11); bounds that are not constants leave a generic clip.
void Importer::clip() {
  const float inf = std::numeric_limits<float>::infinity();
  float lo = attr_float("min", -inf), hi = attr_float("max", inf);
  bool known = true;
  auto bound = [&](int i, float* out) {
    if (!present(i)) return;
    std::vector<float> v;
    if (param_floats(i, &v) && v.size() == 1) *out = v[0];
    else if (value(i).kind == Value::Kind::Data)
      fail(fmt::format("the clip bound '{}' is computed from the image input; expected a constant", node().input(i)));
    else known = false;
  };
  bound(1, &lo);
  bound(2, &hi);
  Act a = Act::Clip;
  if (known && lo == 0.0f && hi == 6.0f) a = Act::Relu6;
  else if (known && lo == 0.0f && hi == inf) a = Act::Relu;
  activation(a);
}

void Importer::elementwise(Op op) {
  Dims dims;
  int data_input = -1, n_params = 0, param_input = -1;
  std::vector<int> data_idx;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (v.kind == Value::Kind::Data) {
      dims = dims.empty() ? v.dims : broadcast(dims, v.dims);
      data_idx.push_back(i);
      if (data_input < 0) data_input = i;
    } else {
      ++n_params, param_input = i;
      if (v.dims_known) dims = dims.empty() ? v.dims : broadcast(dims, v.dims);
    }
  }
  if (data_idx.empty()) {  // arithmetic on constants (e.g. shape computations): a parameter, no layer
    define(node().output(0), Value{});
    return;
  }
  // Numpy broadcasting: aligned from the last axis, each size equals the result's or is 1.
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (!v.dims_known) continue;
    for (size_t j = 0; j < v.dims.size(); ++j) {
      const int64_t o = dims[dims.size() - v.dims.size() + j];
      if (v.dims[j] != o && v.dims[j] != 1)
        fail(fmt::format("input shapes {} and {} do not agree (expected equal sizes or 1 on each axis)",
                         dims_str(v.dims), dims_str(dims)));
    }
  }
  if (data_idx.size() == 1) {
    const Value& x = data(data_input);
    // MatMul + Add(bias) is a linear layer with a bias.
    if (node().op_type() == "Add" && n_params == 1 && x.from_matmul && uses_[node().input(data_input)] == 1) {
      Layer& fc = b_.mutable_graph().layers[x.layer];
      const Value& p = value(param_input);
      if (!fc.has_bias && p.dims_known && elements(p.dims, node().input(param_input)) == fc.out_channels) {
        fc.has_bias = true;
        std::vector<float> bias;
        if (param_floats(param_input, &bias)) {
          if (!fc.tensors) fc.tensors = Tensors{};
          fc.tensors->bias = std::move(bias);
        }
        define_data(0, x.layer, x.dims);
        return;
      }
    }
    // An activation scaled or offset by a constant: one element-wise pass. A constant larger than
    // the activation (broadcast up) is read as a further input.
    if (elements(dims, node().output(0)) != elements(x.dims, node().input(data_input)))
      fail(fmt::format("broadcasting {} against a constant to {} is not supported: expected the constant to fit the "
                       "activation",
                       dims_str(x.dims), dims_str(dims)));
    Layer l;
    l.op = Op::Activation;
    l.act = Act::None;
    l.fn = node().op_type();
    l.inputs = {x.layer};
    add_layer(std::move(l), x.dims);
    return;
  }
  Layer l;
  l.op = op;
  l.fn = node().op_type();
  // The output in the view of the largest data input; broadcast operands in the same convention.
  int big = data_idx[0];
  for (int i : data_idx)
    if (elements(value(i).dims, node().input(i)) > elements(value(big).dims, node().input(big))) big = i;
  const bool cf = is_cf(value(big)) && dims.size() >= 3;
  for (int i : data_idx) {
    Dims d = value(i).dims;
    while (d.size() < dims.size()) d.insert(d.begin(), 1);
    read_as(l, i, cf ? cf_view(d) : cl_view(d));
  }
  add_layer(std::move(l), dims);
}

// Concat along any axis; constant parts (a learned class token) are tensors read from DRAM.
void Importer::concat() {
  if (!attr("axis")) fail("attribute 'axis' is missing");
  const Value* first = nullptr;
  for (int i = 0; i < node().input_size(); ++i)
    if (value(i).kind == Value::Kind::Data && !first) first = &value(i);
  if (!first) return define(node().output(0), Value{});
  const size_t rank = first->dims.size();
  const int64_t axis = axis_attr("axis", 1, rank);
  Dims d = first->dims;
  d[axis] = 0;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (!v.dims_known) fail(fmt::format("input '{}' has no known shape", node().input(i)));
    if (v.dims.size() != rank)
      fail(fmt::format("inputs have different ranks ({} and {})", dims_str(first->dims), dims_str(v.dims)));
    for (size_t j = 0; j < rank; ++j)
      if (int64_t(j) != axis && v.dims[j] != first->dims[j])
        fail(fmt::format("cannot concatenate {} with {} along axis {}: the other dims must agree",
                         dims_str(v.dims), dims_str(first->dims), axis));
    d[axis] += v.dims[axis];
  }
  const bool cf = is_cf(*first);
  Layer l;
  l.op = Op::Concat;
  l.fn = "Concat";
  const bool channels = cf && axis == 1 && rank >= 2;
  for (int i = 0; i < node().input_size(); ++i) {
    const Value& v = value(i);
    if (v.kind == Value::Kind::Data) {
      read_as(l, i, cf ? cf_view(v.dims) : cl_view(v.dims));
    } else {
      int idx = constant_input(i);
      l.inputs.push_back(idx);
      l.in_views.resize(l.inputs.size());
      l.in_views.back() = cf ? cf_view(v.dims) : cl_view(v.dims);
    }
  }
  if (!channels) {
    l.out_given = true;
    l.out = cf ? cf_view(d) : cl_view(d);
  }
  add_layer(std::move(l), d);
}

void Importer::pool(Op op) {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Layer l;
  l.op = op;
  read_as(l, 0, x);
  auto ks = attr_ints("kernel_shape");
  if (!ks) fail("attribute 'kernel_shape' is missing");
  if (ks->size() != xv.dims.size() - 2)
    fail(fmt::format("kernel_shape {} does not match the {} spatial dims of {}", dims_str(*ks), xv.dims.size() - 2,
                     dims_str(xv.dims)));
  if (auto dil = attr_ints("dilations"))
    for (int64_t v : *dil)
      if (v != 1) fail("dilated pooling is not supported");
  l.ceil_mode = attr_int("ceil_mode", 0) != 0;
  spatial_attrs(l, xv.dims, *ks, false);
  int idx = add_layer(std::move(l), {});
  const Shape& o = b_.graph().layers[idx].out;
  Dims od = xv.dims;
  if (od.size() == 3) od[2] = o.w;
  if (od.size() == 4) od[2] = o.h, od[3] = o.w;
  if (od.size() == 5) od[2] = o.d, od[3] = o.h, od[4] = o.w;
  values_[node().output(0)].dims = od;
}

void Importer::global_pool() {
  const Value& xv = data(0);
  Shape x = spatial_input(0);
  Layer l;
  l.op = Op::GlobalAvgPool;
  read_as(l, 0, x);
  Dims od(xv.dims.size(), 1);
  od[0] = x.n, od[1] = x.c;
  add_layer(std::move(l), od);
}

// ReduceMean over the spatial axes of a [N, C, ...] tensor is a global average pool; over other
// axes (a LayerNorm's statistics over the last axis) a Reduce layer on the vector unit.
void Importer::reduce(const std::string& op) {
  const Value& x = data(0);
  const size_t rank = x.dims.size();
  Dims axes;
  if (auto a = attr_ints("axes")) axes = *a;
  else if (present(1)) axes = int_input(1, "axes");
  // No axes, or an empty list, reduces every axis (ONNX), unless noop_with_empty_axes is set.
  if (axes.empty()) {
    if (attr_int("noop_with_empty_axes", 0) != 0) return alias(x.dims);
    for (size_t i = 0; i < rank; ++i) axes.push_back(int64_t(i));
  }
  for (auto& v : axes) {
    if (v < -int64_t(rank) || v >= int64_t(rank)) fail(fmt::format("axis {} is out of range for {}", v, dims_str(x.dims)));
    if (v < 0) v += int64_t(rank);
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) fail(fmt::format("axes repeat an axis of {}", dims_str(x.dims)));
  const bool keep = attr_int("keepdims", 1) != 0;
  Dims od, kd = x.dims;
  for (size_t i = 0; i < rank; ++i) {
    bool r = std::find(axes.begin(), axes.end(), int64_t(i)) != axes.end();
    if (r) kd[i] = 1;
    if (!r) od.push_back(x.dims[i]);
    else if (keep) od.push_back(1);
  }
  Dims spatial;
  for (size_t i = 2; i < rank; ++i) spatial.push_back(int64_t(i));
  if (op == "ReduceMean" && rank >= 3 && rank <= 5 && axes == spatial && (rank != 3 || is_cf(x))) {
    Layer l;
    l.op = Op::GlobalAvgPool;
    read_as(l, 0, cf_view(x.dims));
    add_layer(std::move(l), od);
    return;
  }
  Layer l;
  l.op = Op::Reduce;
  l.fn = op;
  const bool last = axes.size() == 1 && axes[0] == int64_t(rank) - 1;
  read_as(l, 0, last ? cl_view(x.dims) : view_like(x, x.dims));
  l.out_given = true;
  l.out = last ? cl_view(kd) : view_like(x, kd);
  add_layer(std::move(l), od);
}

void Importer::pad() {
  std::string mode = attr_str("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    fail(fmt::format("pad mode '{}' is not supported: expected constant, reflect or edge", mode));
  const Value& xv = data(0);
  const size_t rank = xv.dims.size();
  if (rank < 3 || rank > 5)
    fail(fmt::format("expects a spatial input [N, C, ...]; '{}' has shape {}", node().input(0), dims_str(xv.dims)));
  Shape x = cf_view(xv.dims);
  Dims pads;
  if (auto a = attr_ints("pads")) pads = *a;
  else if (!present(1) || !param_ints(1, &pads))
    fail("the pads are not given as an attribute or a constant int64 input");
  Dims axes;
  for (size_t i = 0; i < rank; ++i) axes.push_back(int64_t(i));
  if (present(3)) {
    if (!param_ints(3, &axes)) fail(fmt::format("the axes '{}' are not a constant", node().input(3)));
    for (auto& v : axes)
      if (v < 0) v += int64_t(rank);
  }
  if (pads.size() != 2 * axes.size())
    fail(fmt::format("pads {} do not have 2 values per padded axis ({} axes)", dims_str(pads), axes.size()));
  Dims begin(rank, 0), end(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] < 0 || axes[i] >= int64_t(rank)) fail(fmt::format("axis {} is out of range", axes[i]));
    if (std::count(axes.begin(), axes.begin() + i, axes[i])) fail(fmt::format("axes {} repeat an axis", dims_str(axes)));
    begin[axes[i]] = pads[i], end[axes[i]] = pads[axes.size() + i];
  }
  for (size_t i = 0; i < rank; ++i)
    if (begin[i] < 0 || end[i] < 0 || begin[i] > kMaxWindow || end[i] > kMaxWindow)
      fail(fmt::format("pads {} must be non-negative (cropping is not supported)", dims_str(pads)));
  if (begin[0] || end[0] || begin[1] || end[1])
    fail(fmt::format("pads {} pad the batch or channel axis: only spatial padding is supported", dims_str(pads)));
  Dims od = xv.dims;
  bool any = false;
  for (size_t i = 2; i < rank; ++i) od[i] += begin[i] + end[i], any = any || begin[i] || end[i];
  if (!any) return alias(xv.dims);
  Layer l;
  l.op = Op::Pad;
  read_as(l, 0, x);
  // Spatial axes from the last: W, H, D.
  const size_t W = rank - 1;
  l.pad_l = int(begin[W]), l.pad_r = int(end[W]);
  if (rank >= 4) l.pad_t = int(begin[W - 1]), l.pad_b = int(end[W - 1]);
  if (rank == 5) l.pad_f = int(begin[2]), l.pad_k = int(end[2]);
  add_layer(std::move(l), od);
}

void Importer::constant() {
  Value v;
  v.kind = Value::Kind::Param;
  if (auto* a = attr("value")) {
    check_type(a, onnx::AttributeProto::TENSOR, "a tensor");
    v.tensor = &a->t();
    v.dims = tensor_dims(a->t(), node().output_size() ? node().output(0) : "");
    v.dims_known = true;
  } else if (auto* a = attr("value_float")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_float_data(a->f());
    v.tensor = &t, v.dims_known = true;
  } else if (auto* a = attr("value_floats")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(a->floats_size());
    for (float f : a->floats()) t.add_float_data(f);
    v.tensor = &t, v.dims = {a->floats_size()}, v.dims_known = true;
  } else if (auto* a = attr("value_int")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_int64_data(a->i());
    v.tensor = &t, v.dims_known = true;
  } else if (auto* a = attr("value_ints")) {
    onnx::TensorProto& t = owned_.emplace_back();
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(a->ints_size());
    for (int64_t i : a->ints()) t.add_int64_data(i);
    v.tensor = &t, v.dims = {a->ints_size()}, v.dims_known = true;
  }  // sparse or string constants: a parameter of unknown value
  if (node().output_size() < 1) fail("has no output");
  define(node().output(0), v);
}

}  // namespace onnx_detail
}  // namespace nnasim::graph
