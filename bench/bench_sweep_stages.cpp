// Benchmark: where a sweep's CPU time goes, per stage, over the points of a sweep spec (every
// STRIDE-th point, in the order a sweep runs them). Each point is run the way a sweep worker runs it, in this one process: the
// hardware is loaded, the network planned (keeping the candidate lists of one model at a time) and
// its program emitted (or the point before's reused, sched::emit_fingerprint), then simulated on a fresh SystemC kernel state (hw::allow_resimulation);
// the report is built and its JSON written (to /dev/null). Prints the CPU milliseconds per point of
// each stage, and per model and core count.
//   bench_sweep_stages SPEC.yaml [STRIDE] [plan]
// With `plan`, points are planned and emitted only (no fork, no simulation): for a profiler such as
// valgrind --tool=callgrind, whose instruction counts do not depend on the machine's other load.
#include <fmt/format.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sim/config/hw_config.h"
#include "sim/hw/system.h"
#include "sim/report/report.h"
#include "sim/report/writers.h"
#include "sim/run/run.h"
#include "sim/sched/plan_cache.h"
#include "sim/sched/scheduler.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/spec.h"

namespace {

double cpu_ms() {  // this thread's CPU time
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}


}  // namespace

int main(int argc, char** argv) {
  using namespace nnasim;
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_sweep_stages SPEC.yaml [STRIDE] [plan]\n");
    return 2;
  }
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  const size_t stride = argc > 2 ? size_t(std::max(1, std::atoi(argv[2]))) : 1;
  const bool plan_only = argc > 3 && std::string(argv[3]) == "plan";
  sweep::SpecOptions so;
  if (const char* d = std::getenv("NNASIM_SOURCE_DIR")) so.source_dir = d;
  double t = cpu_ms();
  sweep::SweepSpec spec = sweep::load_sweep(argv[1], so);
  const double spec_ms = cpu_ms() - t;

  std::map<std::string, std::shared_ptr<graph::Graph>> models;
  sched::PlanCache plans(1);  // as a worker keeps it: one model's lists at a time
  std::string plans_model;
  if (!plan_only) hw::allow_resimulation();
  enum Stage { kModel, kHw, kPlan, kEmit, kSim, kReport, kJson, kStages };
  const char* names[kStages] = {"load + prepare models (once per model)", "load hardware (YAML + overrides)",
                                "plan (make_plan)", "emit program", "SystemC elaboration + simulation",
                                "build report", "write JSON"};
  double total[kStages] = {};
  std::map<std::string, std::pair<double, size_t>> by_group;  // model and cores: CPU ms, points
  size_t n = 0, failed = 0, reused = 0;
  std::optional<std::pair<std::string, program::Program>> last;
  // In the order a sweep runs them (sweep::run_order), every STRIDE-th.
  const std::vector<size_t> order = sweep::run_order(spec, {});
  for (size_t o = 0; o < order.size(); o += stride) {
    const sweep::Point& p = spec.points[order[o]];
    double st[kStages] = {};
    t = cpu_ms();
    const std::string mkey = fmt::format("{}|{}", p.model_path, p.weight_bits ? *p.weight_bits : -1);
    auto& g = models[mkey];
    if (!g) {
      run::ModelSpec ms;
      ms.model = p.model_path;
      ms.prepare.weight_bits = p.weight_bits;
      ms.prepare.act_bits = p.act_bits;
      g = std::make_shared<graph::Graph>(run::load_prepared(ms));
    }
    if (mkey != plans_model) plans = sched::PlanCache(1), plans_model = mkey;
    st[kModel] = cpu_ms() - t;
    try {
      t = cpu_ms();
      HardwareSpec hw = config::load_hardware(p.hw_path, p.overrides);
      st[kHw] = cpu_ms() - t;
      sched::SchedOptions opt;
      opt.mode = p.mode == "cold" ? sched::Mode::Cold : sched::Mode::Steady;
      t = cpu_ms();
      sched::Schedule s;
      s.plan = sched::make_plan(*g, hw, opt, &plans);
      st[kPlan] = cpu_ms() - t;
      t = cpu_ms();
      // As a worker does: the last point's program when the emit fingerprints are equal.
      const std::string ekey = mkey + "\n" + sched::emit_fingerprint(s.plan, hw);
      if (last && last->first == ekey)
        s.program = std::move(last->second), ++reused;
      else
        s.program = sched::emit_program(*g, hw, s.plan);
      last.reset();
      st[kEmit] = cpu_ms() - t;
      if (!plan_only) {
        t = cpu_ms();
        hw::SimResult r = hw::simulate(hw, s.program);
        st[kSim] = cpu_ms() - t;
        t = cpu_ms();
        report::Report rep = report::build_report(*g, hw, s, r);
        st[kReport] = cpu_ms() - t;
        t = cpu_ms();
        std::ofstream null("/dev/null");
        report::write_json(null, rep);
        null.flush();
        st[kJson] = cpu_ms() - t;
      }
      last.emplace(ekey, std::move(s.program));
      double sum = 0;
      for (int k = 0; k < kStages; ++k) total[k] += st[k], sum += st[k];
      auto& grp = by_group[fmt::format("{} on {} core{}", std::filesystem::path(p.model_path).stem().string(),
                                       hw.cores, hw.cores > 1 ? "s" : "")];
      grp.first += sum, ++grp.second;
      ++n;
    } catch (const std::exception& e) {
      ++failed;
    }
  }
  const double per = n ? 1.0 / double(n) : 0;
  fmt::print("bench_sweep_stages: {} of {} points (every {}), {} failed; spec parsed in {:.0f} ms CPU\n", n,
             spec.points.size(), stride, failed, spec_ms);
  fmt::print("programs reused from the point before (same emit fingerprint): {} of {}\n", reused, n);
  fmt::print("CPU ms per point:\n");
  double sum = 0;
  for (int k = 0; k < kStages; ++k) {
    if (plan_only && k >= kSim) break;
    fmt::print("  {:<44}{:>8.2f}\n", names[k], total[k] * per);
    sum += total[k];
  }
  fmt::print("  {:<44}{:>8.2f}\n", "total", sum * per);
  fmt::print("CPU ms per point, by model and core count:\n");
  for (const auto& [k, v] : by_group) fmt::print("  {:<44}{:>8.2f}  ({} points)\n", k, v.first / double(v.second), v.second);
  return 0;
}
