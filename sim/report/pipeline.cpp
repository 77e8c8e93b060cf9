#include "sim/report/pipeline.h"

namespace nnasim::report {

RunOutput simulate_inference(const graph::Graph& g, const HardwareSpec& hw, const sched::SchedOptions& opt) {
  RunOutput out;
  out.schedule = sched::schedule(g, hw, opt);
  out.sim = hw::simulate(hw, out.schedule.program);
  out.report = build_report(g, hw, out.schedule, out.sim);
  return out;
}

}  // namespace nnasim::report
