// Running a sweep point without starting a new program: the worker (the sweep process, or an MPI
// rank) loads and prepares each model once, then forks a child per point; the child loads the
// point's hardware, schedules, simulates (its one SystemC elaboration) and writes exactly what
// `nnasim run ... --format json` would write, through the same functions. Only the process start
// and the model loading are saved, so the results stay byte-identical to running each point with
// `nnasim run` (a test checks it).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/graph/graph.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

class ModelCache {
 public:
  // Loads and prepares the point's model on first use (call it in the worker, before forking).
  void prepare(const Point& p);
  // In the child: runs the point, writes its JSON report on stdout or its error line on stderr,
  // and returns the exit status `nnasim run` would have. With `figures_only` (a CSV results file
  // needs no more), it writes the row's figures instead (figures_line in results.h), computed
  // from the same JSON as `nnasim run` writes, without its per-layer part.
  int run(const Point& p, bool figures_only = false) const;

 private:
  struct Entry {
    std::shared_ptr<const graph::Graph> graph;
    std::string error;  // the error line, when loading failed
    int status = 0;
  };
  static std::string key(const Point& p);
  std::map<std::string, Entry> entries_;
};

}  // namespace nnasim::sweep
