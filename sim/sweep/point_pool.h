// The points of a sweep in flight, on one machine (the sweep process, or one MPI rank): `jobs`
// worker processes, forked from this one, each taking a point at a time. A worker keeps the models
// it loaded and the planner's candidate lists (point_runner.h) from point to point, plans the
// point and simulates it itself, each point on a fresh SystemC kernel state
// (hw::allow_resimulation). A point whose simulation failed is the worker's last: the next point
// goes to a new worker. With RunOptions::spawn, each point is `nnasim run ...` started afresh instead.
// A point that runs longer than RunOptions::point_timeout is stopped (its worker is killed and
// replaced) and its result is "error: timed out after N s". What a worker writes to its standard
// error outside std::cerr (a crash's last words: an abort's message, a sanitizer's report) goes to
// the result of the point it was running when it died, as a forked child's would.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "sim/sweep/results.h"
#include "sim/sweep/runner.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

class PointPool {
 public:
  PointPool(const SweepSpec& spec, const RunOptions& ro, const std::string& exe, size_t jobs);
  ~PointPool();
  PointPool(const PointPool&) = delete;
  PointPool& operator=(const PointPool&) = delete;

  size_t jobs() const { return jobs_; }
  size_t running() const;
  // The worker the next start() gives its point to (a number for Dispatcher::next; 0 with spawn).
  size_t idle_worker() const;
  void start(size_t index);  // needs running() < jobs()
  // Waits up to timeout_ms (-1: until one finishes) and returns the points that finished.
  std::vector<RawResult> poll(int timeout_ms);

 private:
  struct Worker {
    pid_t pid = -1;
    int cmd_fd = -1, res_fd = -1;  // indices in, results out
    int err_fd = -1;               // the worker's standard error (file descriptor 2)
    std::string err;               // what it wrote there since its last result (its tail)
    bool busy = false;
    size_t index = 0;
    std::chrono::steady_clock::time_point deadline;
    std::string buf;  // result bytes read so far
  };
  void launch(Worker& w);
  void retire(Worker& w, int* code);  // kills (if alive), reaps and closes
  void drain_err(Worker& w);
  [[noreturn]] void worker_main(int cmd_fd, int res_fd);
  int wait_ms(int timeout_ms) const;

  const SweepSpec& spec_;
  RunOptions ro_;
  std::string exe_;
  size_t jobs_;
  ChildPool spawned_;
  std::vector<Worker> workers_;
  std::vector<RawResult> ready_;
};

}  // namespace nnasim::sweep
