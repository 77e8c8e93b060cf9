// `nnasim replay`: schedules a layer trace on a hardware description and reports as `run` does,
// with the measured figures and their error when the trace carries them.
#include <memory>
#include <optional>

#include "sim/cli/commands.h"
#include "sim/common/error.h"
#include "sim/run/run.h"
#include "sim/report/writers.h"
#include "sim/trace/trace.h"

namespace nnasim::cli {
namespace {

struct ReplayArgs {
  std::string hw, trace, mode, format = "table", output, trace_out, timeline, objective = "latency";
  std::vector<std::string> sets, mapper;
  std::optional<int64_t> batch;
};

int replay(const ReplayArgs& a) {
  const auto f = report::parse_format(a.format, "--format");
  HardwareSpec hw = config::load_hardware(a.hw.empty() ? default_hw_path() : a.hw, parse_sets(a.sets));
  trace::Trace t = trace::read_trace(a.trace);
  // The mode the trace was recorded in, unless the command line says otherwise.
  const auto mode = parse_mode(!a.mode.empty() ? a.mode : !t.mode.empty() ? t.mode : "steady");
  if (a.batch) graph::set_batch(t.graph, *a.batch, {"--batch", 0});
  sched::SchedOptions so = sched_options(a.objective, a.mapper);
  so.mode = mode;
  run::RunOutput out = run::simulate_inference(t.graph, hw, so);
  trace::attach_measured(out.report, t);
  if (!a.trace_out.empty()) emit(a.trace_out, [&](std::ostream& os) { trace::write_trace(os, t.graph, hw, out); });
  if (!a.timeline.empty()) emit(a.timeline, [&](std::ostream& os) { trace::write_timeline(os, t.graph, hw, out); });
  emit(a.output, [&](std::ostream& os) { report::write(os, out.report, f); });
  return 0;
}

}  // namespace

void register_replay(CLI::App& app, Registry& reg) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* c = app.add_subcommand("replay", "schedule a layer trace (.jsonl or .csv) on a hardware description");
  c->add_option("--hw", a->hw, "hardware YAML (default: configs/hw/series4-1core.yaml)");
  c->add_option("--trace", a->trace, "layer trace: JSON Lines or CSV")->required();
  c->add_option("--set", a->sets, "override a hardware key (repeatable)");
  c->add_option("--mode", a->mode, "steady or cold (default: as recorded in the trace, else steady)");
  add_mapper_options(c, a->objective, a->mapper);
  c->add_option("--batch", a->batch, "inferences per run (one load of the weights per batch)");
  c->add_option("--format", a->format, "table, json or csv");
  c->add_option("-o,--output", a->output, "write the report to FILE");
  c->add_option("--trace-out", a->trace_out, "write the trace of the replay");
  c->add_option("--timeline", a->timeline, "write a Chrome/Perfetto timeline");
  reg.push_back({c, [a] { return replay(*a); }});
}

}  // namespace nnasim::cli
