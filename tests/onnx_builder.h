// Builds ONNX models node by node for the tests (test_onnx*.cpp, test_hardening.cpp).
#pragma once
#include <catch2/catch.hpp>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "helpers.h"

namespace nnasim::test {

// Builds an onnx::ModelProto node by node.
struct OnnxBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;

  explicit OnnxBuilder(int opset = 13) {
    m.set_ir_version(7);
    m.set_producer_name("nnasim-test");
    auto* op = m.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  // A graph input with a declared float tensor type (the image, or a weight of a weight-less model).
  void input(const std::string& name, const std::vector<int64_t>& dims) {
    auto* in = g->add_input();
    in->set_name(name);
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  // A float initializer; raw = true stores it in raw_data, else in float_data.
  void init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v, bool raw = true) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    if (raw) t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
    else
      for (float x : v) t->add_float_data(x);
  }
  void init_zeros(const std::string& name, const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    init(name, dims, std::vector<float>(n, 0.5f));
  }
  void init_i64(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(int64_t(v.size()));
    for (auto x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        const std::string& name = "") {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? outs.at(0) + "_node" : name);
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }
  // A Constant node holding one float.
  void constant(const std::string& out, float v) {
    auto* n = node("Constant", {}, {out});
    auto* a = n->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a->mutable_t()->set_raw_data(std::string(reinterpret_cast<const char*>(&v), sizeof v));
  }
  std::string save(const std::string& file) {
    std::string bytes;
    REQUIRE(m.SerializeToString(&bytes));
    return temp_file(file, bytes);
  }
};

inline void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
inline void set_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void set_str(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

inline graph::Shape S(int64_t n, int64_t c, int64_t h, int64_t w) { return {n, c, h, w}; }

// Expects an InputError whose message contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, std::vector<std::string> parts) {
  try {
    fn();
    FAIL("expected an InputError");
  } catch (const nnasim::InputError& e) {
    INFO(e.line());
    for (const auto& p : parts) CHECK_THAT(e.line(), Catch::Matchers::Contains(p));
  }
}

}  // namespace nnasim::test
