#include "sim/run/run.h"

#include "sim/graph/compress.h"
#include "sim/graph/load.h"

namespace nnasim::run {

graph::Graph load_prepared(const ModelSpec& m) {
  graph::LoadOptions lo;
  lo.allow_unknown_ops = m.allow_unknown_ops;
  graph::Graph g = graph::load_model(m.model, lo);
  graph::prepare(g, m.prepare);
  if (!m.compress.empty()) {
    graph::cluster_compress(g, graph::parse_compress(m.compress, m.compress_loc));
    graph::annotate(g);
  }
  return g;
}

RunOutput simulate_inference(const graph::Graph& g, const HardwareSpec& hw, const sched::SchedOptions& opt) {
  RunOutput out;
  out.schedule = sched::schedule(g, hw, opt);
  out.sim = hw::simulate(hw, out.schedule.program);
  out.report = report::build_report(g, hw, out.schedule, out.sim);
  return out;
}

}  // namespace nnasim::run
