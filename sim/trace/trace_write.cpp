#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ostream>

#include "sim/trace/trace.h"

namespace nnasim::trace {

using nlohmann::ordered_json;

void check_traceable(const graph::Graph& g, const std::string& option) {
  using graph::Op;
  for (const auto& l : g.layers) {
    const bool op_ok = l.op == Op::Input || l.op == Op::Conv || l.op == Op::FullyConnected || l.op == Op::MaxPool ||
                       l.op == Op::AvgPool || l.op == Op::GlobalAvgPool || l.op == Op::Add || l.op == Op::Mul ||
                       l.op == Op::Concat || l.op == Op::Activation || l.op == Op::BatchNorm || l.op == Op::Pad;
    bool views = false;
    for (const auto& v : l.in_views) views = views || v.c > 0;
    const char* why = !op_ok                                  ? "its operator"
                      : l.out.d != 1 || l.kd != 1 || l.sd != 1 ? "its depth axis (3-D)"
                      : l.op == Op::Conv && l.spatial_dims != 2 ? "its 1-D or 3-D window"
                      : l.fc_rows != 0                         ? "its token rows (a fully-connected layer per token)"
                      : views                                  ? "its reshaped input view"
                                                               : nullptr;
    if (why)
      throw InputError({option, 0}, fmt::format("layer '{}' ({}) cannot be written to a version-{} trace because of {}: "
                                                "traces hold 2-D CNN layers on 4-D tensors (README \"Layer traces\")",
                                                l.name, graph::to_string(l.op), kTraceVersion, why));
  }
}

static ordered_json shape_json(const graph::Shape& s) { return ordered_json::array({s.n, s.c, s.h, s.w}); }

void write_trace(std::ostream& os, const graph::Graph& g, const HardwareSpec& hw, const run::RunOutput& run) {
  const auto& rep = run.report;
  ordered_json header = {{"nnasim_trace", kTraceVersion},
                         {"model", g.name},
                         {"hardware", hw.name},
                         {"mode", rep.mode},
                         {"seconds", rep.seconds},
                         {"layers", g.layers.size()}};
  if (g.batch != 1) header["batch"] = g.batch;  // inferences per run; the records' MACs and bytes count them all
  os << header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  for (size_t i = 0; i < g.layers.size(); ++i) {
    const auto& l = g.layers[i];
    ordered_json r;
    r["name"] = l.name;
    r["op"] = l.op == graph::Op::Input ? "input" : graph::to_string(l.op);
    ordered_json inputs = ordered_json::array(), in_shapes = ordered_json::array();
    for (int p : l.inputs) {
      inputs.push_back(g.layers[p].name);
      in_shapes.push_back(shape_json(g.layers[p].out));
    }
    if (l.op != graph::Op::Input) {
      r["inputs"] = inputs;
      r["input_shapes"] = in_shapes;
    }
    r["output_shape"] = shape_json(l.out);
    if (l.op == graph::Op::Conv) {
      r["weight_shape"] = {l.out_channels, graph::input_shape(g, l, 0).c / l.groups, l.kh, l.kw};
    } else if (l.op == graph::Op::FullyConnected) {
      const auto& x = g.layers[l.inputs[0]].out;
      r["weight_shape"] = {l.out_channels, x.c * x.h * x.w};
    }
    const bool windowed = l.op == graph::Op::Conv || l.op == graph::Op::MaxPool || l.op == graph::Op::AvgPool;
    if (windowed) {
      r["kernel"] = {l.kh, l.kw};
      r["stride"] = {l.sh, l.sw};
      r["pad"] = {l.pad_t, l.pad_l, l.pad_b, l.pad_r};
    }
    if (l.op == graph::Op::Pad) r["pad"] = {l.pad_t, l.pad_l, l.pad_b, l.pad_r};
    if (l.op == graph::Op::Conv) {
      r["dilation"] = {l.dh, l.dw};
      r["groups"] = l.groups;
    }
    if (l.op == graph::Op::MaxPool || l.op == graph::Op::AvgPool) r["ceil_mode"] = l.ceil_mode;
    if (l.has_weights()) r["bias"] = l.has_bias;
    if (l.op == graph::Op::Activation) r["act"] = graph::to_string(l.act);
    if (!l.fused.empty()) {
      ordered_json f = ordered_json::array();
      for (auto a : l.fused) f.push_back(graph::to_string(a));
      r["fused"] = f;
    }
    if (l.has_weights()) {
      r["weight_bits"] = l.quant.weight_bits;
      r["bias_bits"] = l.quant.bias_bits;
    }
    r["act_bits"] = l.quant.act_bits;
    r["format"] = to_string(l.quant.format);
    if (l.compression.clusters > 0)
      r["compression"] = {{"clusters", l.compression.clusters},   {"index_bits", l.compression.index_bits},
                          {"kernels", l.compression.kernels},     {"codebook_entries", l.compression.codebook_entries},
                          {"scale_bits", l.compression.scale_bits}};
    r["macs"] = l.cost.macs;
    r["params"] = l.cost.params;
    r["weight_bytes"] = l.cost.weight_bytes;
    r["input_bytes"] = l.cost.input_bytes;
    r["output_bytes"] = l.cost.output_bytes;
    if (l.op != graph::Op::Input) {
      const auto& lr = *std::find_if(rep.layers.begin(), rep.layers.end(), [&](const auto& x) { return x.name == l.name; });
      r["seconds"] = lr.seconds;
      r["cycles"] = lr.cycles;
      r["dram_read_bytes"] = lr.dram_read_bytes;
      r["dram_write_bytes"] = lr.dram_write_bytes;
      r["energy_joules"] = lr.energy.total();
      ordered_json cores = ordered_json::array();
      for (int c = 0; c < lr.cores; ++c) cores.push_back(c);
      r["cores"] = cores;
      r["bound"] = lr.bound;
    }
    os << r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
}

void attach_measured(report::Report& r, const Trace& t) {
  for (auto& lr : r.layers) {
    int idx = t.graph.find(lr.name);
    if (idx < 0) continue;
    lr.measured_seconds = t.measured[idx].seconds;
    lr.measured_energy_joules = t.measured[idx].energy_joules;
  }
}

}  // namespace nnasim::trace
