// Reading the parameters of an ONNX protobuf: the shape and data of a TensorProto, the declared
// shape of a ValueInfoProto and a node's attributes, with the size limits that keep every 64-bit
// count (elements, MACs, bytes) far from overflow. Private to the ONNX importer
// (sim/graph/onnx_importer.{h,cpp}, sim/graph/onnx_model.cpp).
//
// The readers know nothing of where they are in the file: each takes a Fail callback, which
// prefixes the importer's position (file, node) to the message and throws InputError.
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnasim::graph::onnx_detail {

using Dims = std::vector<int64_t>;

// Reports an input error. It must throw: the readers do not expect it to return.
using Fail = std::function<void(const std::string&)>;

std::string dims_str(const Dims& d);  // "[1, 3, 224, 224]"

// Sizes beyond these are a corrupt file, not a network; the limits keep every 64-bit count
// (elements, MACs, bytes) far from overflow.
inline constexpr int64_t kMaxDim = int64_t(1) << 31, kMaxElements = int64_t(1) << 40;
inline constexpr int kMaxWindow = 1 << 16;  // kernel, stride, dilation, padding

// ---------------------------------------------------------------- tensors
// The number of elements of a shape; `bad` gets a negative or implausibly large shape.
int64_t checked_elements(const Dims& d, const Fail& bad);
// As checked_elements, with messages naming the tensor.
int64_t elements(const Dims& d, const std::string& name, const Fail& fail);
// A tensor's dims, checked.
Dims tensor_dims(const onnx::TensorProto& t, const std::string& name, const Fail& fail);
// Checks that a tensor holds as many values as its dims say (in raw_data or in the field its data
// type uses) and that its data type is one ONNX defines; `fail` gets the first disagreement. The
// onnx library's shape inference reads constant tensors without these checks (a Constant of
// dims [1, 89] holding one byte made it copy past the data: fuzz_onnx), so every tensor of a
// model is checked before it runs.
void check_tensor_data(const onnx::TensorProto& t, const std::string& name, const Fail& fail);
// check_tensor_data on every tensor of a graph (initializers and node attributes, in subgraphs too),
// and the window attributes (strides, dilations, kernel_shape, group) of its convolution and
// pooling nodes, which the library's shape inference divides by; and every node of the standard
// domain against its operator's schema at `opset` (input and output counts, attributes): the
// library's inference reads a node's inputs by index without checking (fuzz_onnx: an STFT with
// one input). Run before that inference.
void check_graph_tensors(const onnx::GraphProto& g, int opset, const Fail& fail);

// Reads a tensor's values as floats (float, double and integer tensors); false when it holds no
// readable data (external data, or an element type such as float16 or int8).
bool floats_of(const onnx::TensorProto& t, const std::string& name, std::vector<float>* out, const Fail& fail);
// Reads an int64 or int32 tensor's values; false for other element types and external data.
bool ints_of(const onnx::TensorProto& t, const std::string& name, std::vector<int64_t>* out, const Fail& fail);

// Fully known dims of a declared tensor type; false when the shape is absent or symbolic. An
// implausible shape is reported as one of "graph input '<name>'".
bool declared_dims(const onnx::ValueInfoProto& vi, Dims* out, const Fail& fail);

// ---------------------------------------------------------------- attributes
// A node's attribute by name, or nullptr.
const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const char* name);
// Fails unless the attribute has type `t` (or none recorded); `expect` describes `t` ("an integer").
void check_attribute_type(const onnx::AttributeProto* a, onnx::AttributeProto::AttributeType t, const char* expect,
                          const Fail& fail);
// Typed attribute values, `def` when the attribute is absent.
int64_t attribute_int(const onnx::NodeProto& n, const char* name, int64_t def, const Fail& fail);
float attribute_float(const onnx::NodeProto& n, const char* name, float def, const Fail& fail);
std::string attribute_string(const onnx::NodeProto& n, const char* name, const std::string& def, const Fail& fail);
std::optional<Dims> attribute_ints(const onnx::NodeProto& n, const char* name, const Fail& fail);
// A pair attribute (kernel_shape, strides, dilations) of a 2-D operator: two values in
// [1, kMaxWindow]; {def, def} when absent, unless `required`.
std::pair<int, int> attribute_pair(const onnx::NodeProto& n, const char* name, int def, bool required,
                                   const Fail& fail);

}  // namespace nnasim::graph::onnx_detail
