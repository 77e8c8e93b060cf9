// Benchmark: where a sweep's CPU time goes, per stage, over the points of a sweep spec (every
// STRIDE-th point). Each point is run the way a sweep worker runs it: the hardware is loaded, the
// network planned and its program emitted in this process; a forked child then simulates (its one
// SystemC elaboration), builds the report and writes its JSON (to /dev/null). Prints the CPU
// milliseconds per point of each stage (the parent's stages measured in-process, the child's
// stages inside the child and sent back through a pipe), and the cost of the fork itself.
//   bench_sweep_stages SPEC.yaml [STRIDE] [plan]
// With `plan`, points are planned and emitted only (no fork, no simulation): for a profiler such as
// valgrind --tool=callgrind, whose instruction counts do not depend on the machine's other load.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "sim/config/hw_config.h"
#include "sim/hw/system.h"
#include "sim/report/report.h"
#include "sim/report/writers.h"
#include "sim/run/run.h"
#include "sim/sched/scheduler.h"
#include "sim/sweep/spec.h"

namespace {

double cpu_ms() {  // this thread's CPU time
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e3 + double(t.tv_nsec) * 1e-6;
}

double children_cpu_ms() {
  rusage r{};
  getrusage(RUSAGE_CHILDREN, &r);
  return (double(r.ru_utime.tv_sec) + double(r.ru_stime.tv_sec)) * 1e3 +
         (double(r.ru_utime.tv_usec) + double(r.ru_stime.tv_usec)) * 1e-3;
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
  double load_model = 0, load_hw = 0, plan = 0, emit = 0, fork_parent = 0, sim = 0, report = 0, json = 0;
  size_t n = 0, failed = 0;
  const double kids0 = children_cpu_ms();
  for (size_t i = 0; i < spec.points.size(); i += stride) {
    const sweep::Point& p = spec.points[i];
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
    load_model += cpu_ms() - t;
    try {
      t = cpu_ms();
      HardwareSpec hw = config::load_hardware(p.hw_path, p.overrides);
      load_hw += cpu_ms() - t;
      sched::SchedOptions opt;
      opt.mode = p.mode == "cold" ? sched::Mode::Cold : sched::Mode::Steady;
      t = cpu_ms();
      sched::Schedule s;
      s.plan = sched::make_plan(*g, hw, opt);
      plan += cpu_ms() - t;
      t = cpu_ms();
      s.program = sched::emit_program(*g, hw, s.plan);
      emit += cpu_ms() - t;
      if (plan_only) {
        ++n;
        continue;
      }
      int fds[2];
      if (pipe(fds) != 0) return 1;
      t = cpu_ms();
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        double c[3];
        double u = cpu_ms();
        hw::SimResult r = hw::simulate(hw, s.program);
        c[0] = cpu_ms() - u;
        u = cpu_ms();
        report::Report rep = report::build_report(*g, hw, s, r);
        c[1] = cpu_ms() - u;
        u = cpu_ms();
        std::ofstream null("/dev/null");
        report::write_json(null, rep);
        null.flush();
        c[2] = cpu_ms() - u;
        if (write(fds[1], c, sizeof c) != ssize_t(sizeof c)) _exit(1);
        _exit(0);
      }
      fork_parent += cpu_ms() - t;
      close(fds[1]);
      double c[3] = {0, 0, 0};
      if (read(fds[0], c, sizeof c) != ssize_t(sizeof c)) ++failed;
      close(fds[0]);
      int st = 0;
      waitpid(pid, &st, 0);
      sim += c[0], report += c[1], json += c[2];
      ++n;
    } catch (const std::exception& e) {
      ++failed;
    }
  }
  const double kids = children_cpu_ms() - kids0;
  const double child_rest = kids - sim - report - json;
  const double per = n ? 1.0 / double(n) : 0;
  fmt::print("bench_sweep_stages: {} of {} points (every {}), {} failed; spec parsed in {:.0f} ms CPU\n", n,
             spec.points.size(), stride, failed, spec_ms);
  fmt::print("CPU ms per point:\n");
  fmt::print("  {:<44}{:>8.2f}\n", "load + prepare models (once per model)", load_model * per);
  fmt::print("  {:<44}{:>8.2f}\n", "load hardware (YAML + overrides)", load_hw * per);
  fmt::print("  {:<44}{:>8.2f}\n", "plan (make_plan)", plan * per);
  fmt::print("  {:<44}{:>8.2f}\n", "emit program", emit * per);
  fmt::print("  {:<44}{:>8.2f}\n", "fork (parent side)", fork_parent * per);
  fmt::print("  {:<44}{:>8.2f}\n", "child: SystemC elaboration + simulation", sim * per);
  fmt::print("  {:<44}{:>8.2f}\n", "child: build report", report * per);
  fmt::print("  {:<44}{:>8.2f}\n", "child: write JSON", json * per);
  fmt::print("  {:<44}{:>8.2f}\n", "child: the rest (page faults, exit)", child_rest * per);
  fmt::print("  {:<44}{:>8.2f}\n", "total",
             (load_model + load_hw + plan + emit + fork_parent + kids) * per);
  return 0;
}
