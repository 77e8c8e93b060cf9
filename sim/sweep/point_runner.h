// Running a sweep point without starting a new program: the worker (the sweep process, or an MPI
// rank) loads and prepares each model once and plans each point itself, keeping the planner's
// candidate lists across points (sched/plan_cache.h); it then simulates the point (on a fresh
// SystemC kernel state, hw::allow_resimulation) and writes exactly what `nnasim run ... --format
// json` would write, through the same functions (or, for a CSV, that report's figures). The results
// stay byte-identical to running each point with `nnasim run` (a test checks it).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/sched/plan_cache.h"
#include "sim/sched/scheduler.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

class ModelCache {
 public:
  // Before the simulation: loads and prepares the point's model on first use, then reads
  // the point's hardware and plans it (or keeps the error `nnasim run` would stop with).
  void prepare(const Point& p);
  // Then: runs the point prepared last, writes its JSON report on stdout or its error line
  // on stderr, and returns the exit status `nnasim run` would have. With `figures_only` (a CSV
  // results file needs no more), it writes the row's figures instead (figures_line in
  // results.h), computed from the same JSON as `nnasim run` writes, without its per-layer part.
  int run(const Point& p, bool figures_only = false);

 private:
  struct Entry {
    std::shared_ptr<const graph::Graph> graph;
    std::string error;  // the error line, when loading failed
    int status = 0;
  };
  struct Planned {
    size_t index = 0;
    const Entry* model = nullptr;
    std::shared_ptr<const HardwareSpec> hw;
    std::optional<sched::Schedule> schedule;
    std::string error;  // the error line, when reading the hardware or planning failed
    int status = 0;
    std::string emit_key;  // sched::emit_fingerprint of its plan and hardware
  };
  static std::string key(const Point& p);
  std::map<std::string, Entry> entries_;
  sched::PlanCache plans_{1};
  std::string plans_model_;  // the model key whose lists plans_ holds
  std::optional<Planned> planned_;
  // The program the last point ran, by its emit fingerprint: the next point takes it when its own
  // fingerprint is the same, instead of emitting it again.
  std::optional<std::pair<std::string, program::Program>> last_program_;
};

}  // namespace nnasim::sweep
