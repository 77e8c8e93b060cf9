#include "sim/cli/commands.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/common/error.h"
#include "sim/common/files.h"
#include "sim/config/hw_config.h"
#include "sim/graph/passes.h"
#include "sim/run/run.h"
#include "sim/report/writers.h"
#include "sim/trace/trace.h"

#ifndef NNASIM_SOURCE_DIR
#define NNASIM_SOURCE_DIR "."
#endif

namespace nnasim::cli {

std::string help_config() { return config::hardware_help(); }
std::string default_hw_path() { return std::string(NNASIM_SOURCE_DIR) + "/configs/hw/series4-1core.yaml"; }
std::string default_model() { return "resnet50"; }

void emit(const std::string& path, const std::function<void(std::ostream&)>& fn) {
  if (!path.empty() && path != "-") check_output_target(path);  // refuse before the work, not after
  std::ostringstream out;
  fn(out);
  write_output(path, out.str());  // checked; via a temporary file and a rename for a named file
}

std::vector<config::Override> parse_sets(const std::vector<std::string>& sets) {
  std::vector<config::Override> out;
  for (const auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError({"--set", 0}, fmt::format("'{}' is not key=value (e.g. --set ocm.size='2 MiB')", s));
    out.push_back({s.substr(0, eq), s.substr(eq + 1), {fmt::format("--set {}", s.substr(0, eq)), 0}});
  }
  return out;
}

graph::PrepareOptions prepare_options(std::optional<int> wb, std::optional<int> ab, const std::string& fmt_name) {
  graph::PrepareOptions p;
  auto bits = [](std::optional<int> b, const char* flag) {
    if (b && (*b < 1 || *b > 32)) throw InputError({flag, 0}, fmt::format("{} bits is out of range: expected 1 to 32", *b));
    return b;
  };
  p.weight_bits = bits(wb, "--weight-bits");
  p.act_bits = bits(ab, "--act-bits");
  if (!fmt_name.empty()) {
    NumFormat f;
    if (!parse_num_format(fmt_name, &f))
      throw InputError({"--number-format", 0},
                       fmt::format("unknown number format '{}': expected int, fp8-e4m3, fp8-e5m2 or lns", fmt_name));
    p.format = f;
  }
  return p;
}

sched::SchedOptions sched_options(const std::string& objective, const std::vector<std::string>& mapper) {
  sched::SchedOptions so;
  so.objective = sched::parse_objective(objective);
  for (const auto& kv : mapper) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError({"--mapper", 0}, fmt::format("'{}' is not KEY=VALUE (e.g. --mapper streaming=false)", kv));
    sched::set_option(so, kv.substr(0, eq), kv.substr(eq + 1), "--mapper");
  }
  return so;
}

void add_mapper_options(CLI::App* cmd, std::string& objective, std::vector<std::string>& mapper) {
  cmd->add_option("--objective", objective, "what the mapper minimises: latency (default), energy or edp");
  cmd->add_option("--mapper", mapper,
                  "set a mapper option, e.g. --mapper max_chunks=16 (repeatable; see README, Mapper options)");
}

sched::Mode parse_mode(const std::string& m) {
  if (m == "steady") return sched::Mode::Steady;
  if (m == "cold") return sched::Mode::Cold;
  throw InputError({"--mode", 0}, fmt::format("unknown mode '{}': expected steady or cold", m));
}

namespace {

struct RunArgs {
  std::string hw;
  std::string model;
  std::vector<std::string> sets;
  std::optional<int> weight_bits, act_bits;
  std::string number_format;
  std::string compress;
  std::string mode = "steady";
  std::string objective = "latency";
  std::vector<std::string> mapper;
  std::string format = "table";
  std::string output;
  std::string trace_out, timeline, program_out;
  bool allow_unknown_ops = false;
  std::optional<int64_t> batch;
};

struct InfoArgs {
  std::string model, format = "table", output, compress;
  std::optional<int> weight_bits;
  bool allow_unknown_ops = false;
};

int run(const RunArgs& a) {
  const auto fmt_out = report::parse_format(a.format, "--format");
  const auto mode = parse_mode(a.mode);
  HardwareSpec hw = config::load_hardware(a.hw.empty() ? default_hw_path() : a.hw, parse_sets(a.sets));
  run::ModelSpec ms;
  ms.model = a.model.empty() ? default_model() : a.model;
  ms.allow_unknown_ops = a.allow_unknown_ops;
  ms.prepare = prepare_options(a.weight_bits, a.act_bits, a.number_format);
  ms.compress = a.compress;
  graph::Graph g = run::load_prepared(ms);
  if (a.batch) graph::set_batch(g, *a.batch, {"--batch", 0});
  if (!a.trace_out.empty()) trace::check_traceable(g, "--trace-out");
  sched::SchedOptions so = sched_options(a.objective, a.mapper);
  so.mode = mode;
  run::RunOutput out = run::simulate_inference(g, hw, so);
  if (!a.program_out.empty()) emit(a.program_out, [&](std::ostream& os) { out.schedule.program.write(os); });
  if (!a.trace_out.empty()) emit(a.trace_out, [&](std::ostream& os) { trace::write_trace(os, g, hw, out); });
  if (!a.timeline.empty()) emit(a.timeline, [&](std::ostream& os) { trace::write_timeline(os, g, hw, out); });
  emit(a.output, [&](std::ostream& os) { report::write(os, out.report, fmt_out); });
  return 0;
}

int info(const InfoArgs& a) {
  const auto f = report::parse_format(a.format, "--format");
  run::ModelSpec ms;
  ms.model = a.model;
  ms.allow_unknown_ops = a.allow_unknown_ops;
  ms.prepare = prepare_options(a.weight_bits, std::nullopt, "");
  ms.compress = a.compress;
  graph::Graph g = run::load_prepared(ms);
  emit(a.output, [&](std::ostream& os) { report::write_info(os, g, f); });
  return 0;
}

}  // namespace

void register_run_info(CLI::App& app, Registry& reg) {
  auto ra = std::make_shared<RunArgs>();
  auto& r = *ra;
  CLI::App* run_cmd = app.add_subcommand("run", "simulate one inference of a model on a hardware description");
  run_cmd->add_option("--hw", r.hw, "hardware YAML (default: configs/hw/series4-1core.yaml)");
  run_cmd->add_option("--model", r.model, "model: .onnx, .yaml, SCALE-Sim .csv, or a zoo name (default: " + default_model() + ")");
  run_cmd->add_option("--set", r.sets, "override a hardware key, e.g. --set ocm.size='2 MiB' (repeatable)");
  run_cmd->add_option("--weight-bits", r.weight_bits, "weight bits of every conv/fc layer");
  run_cmd->add_option("--act-bits", r.act_bits, "activation bits of every layer");
  run_cmd->add_option("--number-format", r.number_format, "number format of every layer: int, fp8-e4m3, fp8-e5m2, lns");
  run_cmd->add_option("--compress", r.compress, "weight compression, e.g. cluster:64 (k-means of 3x3 kernels)");
  run_cmd->add_option("--mode", r.mode, "steady (back-to-back inferences, resident weights) or cold (from an empty chip)");
  add_mapper_options(run_cmd, r.objective, r.mapper);
  run_cmd->add_option("--format", r.format, "table, json or csv");
  run_cmd->add_option("-o,--output", r.output, "write the report to FILE");
  run_cmd->add_option("--trace-out", r.trace_out, "write the layer trace of this run (JSON Lines)");
  run_cmd->add_option("--timeline", r.timeline, "write a Chrome/Perfetto trace-event timeline");
  run_cmd->add_option("--program-out", r.program_out, "write the scheduled Program (command streams)");
  run_cmd->add_option("--batch", r.batch,
                      "inferences per run: one load of the weights per batch (default: the model's batch, else 1)");
  run_cmd->add_flag("--allow-unknown-ops", r.allow_unknown_ops,
                    "ONNX: keep unknown operators as zero-MAC 'unsupported' layers with ONNX-inferred shapes");
  reg.push_back({run_cmd, [ra] { return run(*ra); }});

  auto ia = std::make_shared<InfoArgs>();
  CLI::App* info_cmd = app.add_subcommand("info", "per-layer MACs, params and bytes of a model, and totals");
  info_cmd->add_option("--model", ia->model, "model file or zoo name")->required();
  info_cmd->add_option("--format", ia->format, "table, json or csv");
  info_cmd->add_option("--weight-bits", ia->weight_bits, "weight bits of every conv/fc layer");
  info_cmd->add_option("--compress", ia->compress, "weight compression, e.g. cluster:64");
  info_cmd->add_option("-o,--output", ia->output, "write to FILE");
  info_cmd->add_flag("--allow-unknown-ops", ia->allow_unknown_ops,
                     "ONNX: keep unknown operators as zero-MAC 'unsupported' layers with ONNX-inferred shapes");
  reg.push_back({info_cmd, [ia] { return info(*ia); }});
}
}  // namespace nnasim::cli
