// The ONNX importer behind load_onnx_model() (sim/graph/onnx_model.h); private to
//   onnx_importer.cpp  the walk over the graph: reading the file, the graph inputs, and the
//                      per-node helpers (operand lookup, attributes, adding layers, errors);
//   onnx_model.cpp     the conversion of each operator into an nnasim layer.
// The protobuf readers it builds on are in onnx_tensors.h.
#pragma once
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/graph/onnx_tensors.h"

namespace nnasim::graph::onnx_detail {

// A named value of the ONNX graph as the importer sees it.
struct Value {
  enum class Kind { Data, Param };
  Kind kind = Kind::Param;
  int layer = -1;    // Data: the nnasim layer whose output this is
  Dims dims;         // the ONNX shape (Data: always known; Param: when dims_known)
  bool dims_known = false;
  const onnx::TensorProto* tensor = nullptr;  // Param: initializer or Constant tensor, when it holds data
  bool from_matmul = false;                   // Data: output of an FC made from a MatMul (bias may follow)
  std::optional<Dims> ints;                   // Param: int values known at import (shapes, axes, indices)
};

// The shape of two operands under NumPy broadcasting (sizes checked by the caller).
inline Dims broadcast(Dims a, Dims b) {
  if (a.size() < b.size()) std::swap(a, b);
  Dims o = a;
  for (size_t i = 0; i < b.size(); ++i) {
    int64_t& d = o[a.size() - b.size() + i];
    d = std::max(d, b[i]);
  }
  return o;
}

class Importer {
 public:
  Importer(const std::string& path, bool allow_unknown);
  Importer(const Importer&) = delete;  // fail_fn() callbacks hold `this`
  Importer& operator=(const Importer&) = delete;

  Graph run();

 private:
  // ---------------------------------------------------------------- errors (onnx_importer.cpp)
  [[noreturn]] void fail_file(const std::string& msg) const;
  SourceLoc loc() const;
  // Fails at the current node ("node N 'name' (Op): msg"), or at the file outside a node.
  [[noreturn]] void fail(const std::string& msg) const;
  Fail fail_fn() const;  // fail() as a callback for the readers of onnx_tensors.h

  // ---------------------------------------------------------------- file and graph inputs
  void read_file();
  int64_t elements(const Dims& d, const std::string& name) const;
  Dims tensor_dims(const onnx::TensorProto& t, const std::string& name) const;
  void add_graph_inputs();
  void add_image(const onnx::ValueInfoProto& in);

  // ---------------------------------------------------------------- node helpers
  const onnx::NodeProto& node() const { return *node_; }
  bool present(int i) const { return i < node().input_size() && !node().input(i).empty(); }
  const Value& value(int i) const;                  // input i, which must exist
  const Value& data(int i) const;                   // input i, computed from the image
  const Value& param(int i, const char* what) const;  // input i, a parameter
  Dims param_dims(int i, const char* what, size_t rank) const;  // rank 0: any rank
  bool param_floats(int i, std::vector<float>* out) const;
  bool param_ints(int i, std::vector<int64_t>* out) const;

  Shape shape_of(const Value& v) const { return b_.graph().layers[v.layer].out; }
  bool consistent(const Value& v) const;
  Shape spatial_input(int i) const;
  // The scheduler's views of ONNX dims (graph.h): channels-first (spatial) and channels-last (tokens).
  Shape cf_view(const Dims& d) const;
  static Shape cl_view(const Dims& d);
  bool is_cf(const Value& v) const;  // the producer's shape is the channels-first view of v.dims
  Shape view_like(const Value& v, const Dims& d) const { return is_cf(v) ? cf_view(d) : cl_view(d); }
  // Adds data input i to l, read in `view` (same element count as its producer's output).
  void read_as(Layer& l, int i, const Shape& view) const;
  int64_t axis_attr(const char* name, int64_t def, size_t rank) const;
  Dims int_input(int i, const char* what) const;  // a constant int tensor input
  void spatial_attrs(Layer& l, const Dims& x, const Dims& kernel, bool transposed) const;
  int constant_input(int i);  // a parameter operand of a data op: an Input layer read from DRAM
  const Dims* inferred(const std::string& name);  // ONNX shape inference, run on first use

  const onnx::AttributeProto* attr(const char* name) const { return attribute(node(), name); }
  void check_type(const onnx::AttributeProto* a, onnx::AttributeProto::AttributeType t, const char* expect) const;
  int64_t attr_int(const char* name, int64_t def) const;
  float attr_float(const char* name, float def) const;
  std::string attr_str(const char* name, const std::string& def) const;
  std::optional<Dims> attr_ints(const char* name) const;
  std::pair<int, int> attr_pair(const char* name, int def, bool required = false) const;

  std::string layer_name();
  void define(const std::string& name, Value v);
  void define_data(int output, int layer, Dims dims, bool from_matmul = false);
  int add_layer(Layer l, Dims out_dims, bool from_matmul = false);
  void add_spatial_layer(Layer l, const Dims& in_dims);  // output dims in the input's rank
  void check_size(const Layer& l) const;
  void set_padding(Layer& l, const Shape& x) const;

  // ---------------------------------------------------------------- operators (onnx_model.cpp)
  void convert_node();
  void unknown(const std::string& op);
  void conv();
  void conv_transpose();
  void gemm();
  void matmul();
  void matmul_act(const Value& a, const Value& b, bool trans_b);
  void softmax();
  void layer_norm();
  void resize();
  void transpose();
  void slice();
  void split();
  void gather();
  void squeeze(bool un);
  void shape_op();
  void cast();
  void expand();
  void reduce(const std::string& op);
  bool fold_ints();
  void batchnorm();
  void activation(Act a, const char* fn = nullptr);
  void clip();
  void elementwise(Op op);
  void concat();
  void pool(Op op);
  void global_pool();
  void alias(const Dims& dims);
  void flatten();
  void reshape();
  void pad();
  void constant();

  // ---------------------------------------------------------------- state
  std::string path_;
  bool allow_unknown_;
  onnx::ModelProto model_;
  GraphBuilder b_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, int> uses_;
  std::unordered_map<std::string, std::vector<std::string>> readers_;  // op types of the nodes reading each value  // how many node inputs and graph outputs read each value
  std::unordered_set<std::string> names_;      // layer names already used
  std::deque<onnx::TensorProto> owned_;        // tensors made from Constant's value_* attributes
  std::vector<std::string> unknown_;
  bool inferred_done_ = false;
  std::unordered_map<std::string, Dims> inferred_;
  int node_index_ = 0;
  const onnx::NodeProto* node_ = nullptr;
};

}  // namespace nnasim::graph::onnx_detail
