// Benchmark: how long nnasim takes per stage (load, prepare, plan + emit, SystemC simulation,
// report) for each model given on the command line, on one hardware description. Each model runs
// in a forked child, since SystemC elaborates once per process. Prints one row per model.
//   bench_simulate HW.yaml MODEL...
#include <fmt/format.h>

#include "sim/run/run.h"
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "sim/config/hw_config.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"
#include "sim/report/report.h"
#include "sim/sched/scheduler.h"

using Clock = std::chrono::steady_clock;

static double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_simulate HW.yaml MODEL...\n");
    return 2;
  }
  setenv("SYSC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
  fmt::print("{:<22}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}{:>9}{:>12}\n", "model", "layers", "load ms", "prep ms", "plan ms",
             "sim ms", "total ms", "cmds", "sim s/inf");
  std::fflush(stdout);
  for (int i = 2; i < argc; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      try {
        auto t0 = Clock::now();
        auto hw = nnasim::config::load_hardware(argv[1]);
        nnasim::run::ModelSpec ms;  // the run recipe, as `nnasim run` calls it
        ms.model = argv[i];
        nnasim::run::StepTimes st;
        auto g = nnasim::run::load_prepared(ms, &st);
        auto out = nnasim::run::simulate_inference(g, hw, {});
        const double load = st.load_ms + (ms_since(t0) - st.load_ms - st.prepare_ms - out.times.schedule_ms -
                                          out.times.simulate_ms);  // hardware parsing counts as loading
        fmt::print("{:<22}{:>9}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>10.1f}{:>9}{:>12.3e}\n", g.name, g.layers.size() - 1,
                   load, st.prepare_ms, out.times.schedule_ms, out.times.simulate_ms, ms_since(t0),
                   out.schedule.program.cmds.size(), out.report.seconds);
      } catch (const std::exception& e) {
        fmt::print("{:<22} error: {}\n", argv[i], e.what());
      }
      std::fflush(stdout);
      _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
  }
  return 0;
}
