#include "sim/run/run.h"

#include <chrono>

#include "sim/graph/compress.h"
#include "sim/graph/load.h"

namespace nnasim::run {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

void compress(graph::Graph& g, const graph::CompressSpec& spec, uint64_t seed) {
  graph::cluster_compress(g, spec, seed);
  graph::annotate(g);
}

graph::Graph load_prepared(const ModelSpec& m, StepTimes* times) {
  auto t0 = Clock::now();
  graph::LoadOptions lo;
  lo.allow_unknown_ops = m.allow_unknown_ops;
  graph::Graph g = graph::load_model(m.model, lo);
  if (times) times->load_ms = ms_since(t0);
  auto t1 = Clock::now();
  graph::prepare(g, m.prepare);
  if (!m.compress.empty()) compress(g, graph::parse_compress(m.compress, m.compress_loc));
  if (times) times->prepare_ms = ms_since(t1);
  return g;
}

RunOutput simulate_inference(const graph::Graph& g, const HardwareSpec& hw, const sched::SchedOptions& opt) {
  auto t0 = Clock::now();
  sched::Schedule s = sched::schedule(g, hw, opt);
  const double schedule_ms = ms_since(t0);
  RunOutput out = simulate_schedule(g, hw, std::move(s));
  out.times.schedule_ms = schedule_ms;
  return out;
}

RunOutput simulate_schedule(const graph::Graph& g, const HardwareSpec& hw, sched::Schedule schedule) {
  RunOutput out;
  out.schedule = std::move(schedule);
  auto t1 = Clock::now();
  out.sim = hw::simulate(hw, out.schedule.program);
  out.report = report::build_report(g, hw, out.schedule, out.sim);
  out.times.simulate_ms = ms_since(t1);
  return out;
}

}  // namespace nnasim::run
