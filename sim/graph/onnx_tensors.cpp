// Reading the parameters of an ONNX protobuf (tensors, declared shapes, attributes).
#include "sim/graph/onnx_tensors.h"

#include <onnx/defs/schema.h>

#include <fmt/format.h>

#include <cstring>

namespace nnasim::graph::onnx_detail {

std::string dims_str(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// ---------------------------------------------------------------- tensors
int64_t checked_elements(const Dims& d, const Fail& bad) {
  int64_t n = 1;
  for (int64_t x : d) {
    if (x < 0) bad(fmt::format("dimension {} is negative", x));
    if (x > kMaxDim || (x != 0 && n > kMaxElements / x))
      bad(fmt::format("shape {} is implausibly large", dims_str(d)));
    n *= x;
  }
  return n;
}

int64_t elements(const Dims& d, const std::string& name, const Fail& fail) {
  return checked_elements(d, [&](const std::string& m) { fail(fmt::format("tensor '{}': {}", name, m)); });
}

Dims tensor_dims(const onnx::TensorProto& t, const std::string& name, const Fail& fail) {
  Dims d(t.dims().begin(), t.dims().end());
  elements(d, name, fail);
  return d;
}

void check_tensor_data(const onnx::TensorProto& t, const std::string& name, const Fail& fail) {
  using T = onnx::TensorProto;
  if (t.data_location() == T::EXTERNAL) return;  // its data is in another file: not read here
  const int64_t n = elements(tensor_dims(t, name, fail), name, fail);
  // Bytes per value in raw_data, and the typed field's values per element (0: no typed field).
  int64_t raw_bytes = 0, per = 1;
  int64_t typed = 0;
  switch (t.data_type()) {
    case T::FLOAT: raw_bytes = 4, typed = t.float_data_size(); break;
    case T::COMPLEX64: raw_bytes = 8, per = 2, typed = t.float_data_size(); break;
    case T::DOUBLE: raw_bytes = 8, typed = t.double_data_size(); break;
    case T::COMPLEX128: raw_bytes = 16, per = 2, typed = t.double_data_size(); break;
    case T::INT64: raw_bytes = 8, typed = t.int64_data_size(); break;
    case T::UINT32: raw_bytes = 4, typed = t.uint64_data_size(); break;
    case T::UINT64: raw_bytes = 8, typed = t.uint64_data_size(); break;
    case T::INT32: raw_bytes = 4, typed = t.int32_data_size(); break;
    case T::INT16: case T::UINT16: case T::FLOAT16: case T::BFLOAT16: raw_bytes = 2, typed = t.int32_data_size(); break;
    case T::INT8: case T::UINT8: case T::BOOL: raw_bytes = 1, typed = t.int32_data_size(); break;
    case T::STRING:
      if (t.string_data_size() != n)
        fail(fmt::format("tensor '{}' has {} elements but holds {} strings (corrupt file?)", name, n, t.string_data_size()));
      return;
    default:
      if (t.data_type() >= 17 && t.data_type() <= 20) {  // the FLOAT8 types
        raw_bytes = 1, typed = t.int32_data_size();
        break;
      }
      fail(fmt::format("tensor '{}' has data type {}, which this ONNX version does not define (corrupt file?)", name,
                       t.data_type()));
  }
  if (t.has_raw_data()) {
    if (int64_t(t.raw_data().size()) != n * raw_bytes)
      fail(fmt::format("tensor '{}' has {} elements but holds {} bytes of raw data, expected {} (corrupt file?)", name, n,
                       t.raw_data().size(), n * raw_bytes));
  } else if (typed != n * per) {
    fail(fmt::format("tensor '{}' has {} elements but holds {} values (corrupt file?)", name, n, typed / per));
  }
}

void check_graph_tensors(const onnx::GraphProto& g, int opset, const Fail& fail) {
  for (const auto& t : g.initializer()) check_tensor_data(t, t.name(), fail);
  for (const auto& nd : g.node()) {
    // Every operator of the standard domain has an output; the library's Split inference divides
    // by the output count (fuzz_onnx: SIGFPE on a Split with none).
    if ((nd.domain().empty() || nd.domain() == "ai.onnx") && nd.output_size() == 0)
      fail(fmt::format("{} node '{}' has no output", nd.op_type(), nd.name()));
    if (nd.domain().empty() || nd.domain() == "ai.onnx")
      if (const auto* schema = onnx::OpSchemaRegistry::Schema(nd.op_type(), opset, "")) {
        try {
          schema->Verify(nd);
        } catch (const std::exception& e) {
          std::string why = e.what();
          why = why.substr(0, why.find('\n'));
          fail(fmt::format("{} node '{}' does not match its operator at opset {}: {}", nd.op_type(), nd.name(), opset, why));
        }
      }
    // The library's convolution and pooling shape inference divides by strides and groups and
    // scales by dilations without checking them (fuzz_onnx: SIGFPE on a zero stride).
    static const char* kWindowed[] = {"Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool",
                                      "AveragePool", "LpPool", "MaxUnpool", "MaxRoiPool"};
    if (nd.domain().empty() || nd.domain() == "ai.onnx")
      for (const char* op : kWindowed)
        if (nd.op_type() == op)
          for (const auto& a : nd.attribute()) {
            const bool listed = a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape";
            if (a.name() == "group" && a.i() <= 0)
              fail(fmt::format("{} node '{}': group {} must be positive", op, nd.name(), a.i()));
            if (listed)
              for (int64_t v : a.ints())
                if (v <= 0) fail(fmt::format("{} node '{}': {} must be positive, got {}", op, nd.name(), a.name(), v));
          }
    for (const auto& a : nd.attribute()) {
      const std::string where = fmt::format("{}.{}", nd.name().empty() ? nd.op_type() : nd.name(), a.name());
      if (a.has_t()) check_tensor_data(a.t(), where, fail);
      for (const auto& t : a.tensors()) check_tensor_data(t, where, fail);
      if (a.has_g()) check_graph_tensors(a.g(), opset, fail);
      for (const auto& sub : a.graphs()) check_graph_tensors(sub, opset, fail);
    }
  }
}

namespace {

// Copies a tensor's n values of C type Raw, from raw_data (little-endian bytes) when present, else
// from the typed repeated field; a count that disagrees with the dims is a corrupt file.
template <typename Raw, typename Field, typename Out>
void copy_values(const onnx::TensorProto& t, const Field& field, int64_t n, const std::string& name,
                 std::vector<Out>* out, const Fail& fail) {
  auto bad_size = [&](int64_t got) {
    fail(fmt::format("tensor '{}' has {} elements but holds {} values (corrupt file?)", name, n, got));
  };
  const std::string& raw = t.raw_data();
  if (!raw.empty()) {
    if (int64_t(raw.size()) != n * int64_t(sizeof(Raw))) bad_size(int64_t(raw.size()) / int64_t(sizeof(Raw)));
    std::vector<Raw> v(static_cast<size_t>(n));
    std::memcpy(v.data(), raw.data(), raw.size());
    out->assign(v.begin(), v.end());
  } else {
    if (field.size() != n) bad_size(field.size());
    out->assign(field.begin(), field.end());
  }
}

}  // namespace

bool floats_of(const onnx::TensorProto& t, const std::string& name, std::vector<float>* out, const Fail& fail) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
  const int64_t n = elements(tensor_dims(t, name, fail), name, fail);
  out->clear();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: copy_values<float>(t, t.float_data(), n, name, out, fail); return true;
    case onnx::TensorProto::DOUBLE: copy_values<double>(t, t.double_data(), n, name, out, fail); return true;
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32: {
      std::vector<int64_t> v;
      if (!ints_of(t, name, &v, fail)) return false;
      out->assign(v.begin(), v.end());
      return true;
    }
    default: return false;
  }
}

bool ints_of(const onnx::TensorProto& t, const std::string& name, std::vector<int64_t>* out, const Fail& fail) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
  const int64_t n = elements(tensor_dims(t, name, fail), name, fail);
  out->clear();
  switch (t.data_type()) {
    case onnx::TensorProto::INT64: copy_values<int64_t>(t, t.int64_data(), n, name, out, fail); return true;
    case onnx::TensorProto::INT32: copy_values<int32_t>(t, t.int32_data(), n, name, out, fail); return true;
    default: return false;
  }
}

bool declared_dims(const onnx::ValueInfoProto& vi, Dims* out, const Fail& fail) {
  out->clear();
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return false;
  for (const auto& d : vi.type().tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return false;
    out->push_back(d.dim_value());
  }
  checked_elements(*out, [&](const std::string& m) { fail(fmt::format("graph input '{}': {}", vi.name(), m)); });
  return true;
}

// ---------------------------------------------------------------- attributes
const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

void check_attribute_type(const onnx::AttributeProto* a, onnx::AttributeProto::AttributeType t, const char* expect,
                          const Fail& fail) {
  if (a->type() != onnx::AttributeProto::UNDEFINED && a->type() != t)
    fail(fmt::format("attribute '{}' has the wrong type: expected {}", a->name(), expect));
}

int64_t attribute_int(const onnx::NodeProto& n, const char* name, int64_t def, const Fail& fail) {
  auto* a = attribute(n, name);
  if (!a) return def;
  check_attribute_type(a, onnx::AttributeProto::INT, "an integer", fail);
  return a->i();
}

float attribute_float(const onnx::NodeProto& n, const char* name, float def, const Fail& fail) {
  auto* a = attribute(n, name);
  if (!a) return def;
  check_attribute_type(a, onnx::AttributeProto::FLOAT, "a float", fail);
  return a->f();
}

std::string attribute_string(const onnx::NodeProto& n, const char* name, const std::string& def, const Fail& fail) {
  auto* a = attribute(n, name);
  if (!a) return def;
  check_attribute_type(a, onnx::AttributeProto::STRING, "a string", fail);
  return a->s();
}

std::optional<Dims> attribute_ints(const onnx::NodeProto& n, const char* name, const Fail& fail) {
  auto* a = attribute(n, name);
  if (!a) return std::nullopt;
  check_attribute_type(a, onnx::AttributeProto::INTS, "a list of integers", fail);
  return Dims(a->ints().begin(), a->ints().end());
}

std::pair<int, int> attribute_pair(const onnx::NodeProto& n, const char* name, int def, bool required,
                                   const Fail& fail) {
  auto v = attribute_ints(n, name, fail);
  if (!v) {
    if (required) fail(fmt::format("attribute '{}' is missing", name));
    return {def, def};
  }
  if (v->size() != 2)
    fail(fmt::format("attribute '{}' is {}: expected 2 values (only 2-D operators are supported)", name,
                     dims_str(*v)));
  for (int64_t x : *v)
    if (x < 1 || x > kMaxWindow) fail(fmt::format("attribute '{}' is {}: expected positive values", name, dims_str(*v)));
  return {int((*v)[0]), int((*v)[1])};
}

}  // namespace nnasim::graph::onnx_detail
