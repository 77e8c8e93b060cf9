// Running a sweep: every point in its own child process (`nnasim run ... --format json`; SystemC
// elaborates once per process), -j at a time, locally or spread over the ranks of an MPI job.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/sweep/results.h"
#include "sim/sweep/spec.h"

namespace nnasim::sweep {

struct RunOptions {
  std::string output;  // results file (.csv or .jsonl); "" or "-": CSV on stdout at the end
  int jobs = 0;        // child processes at a time (per rank); 0: the number of cores
  bool resume = false;
  std::string exe;     // the nnasim executable; "": this process's own (/proc/self/exe)
  bool quiet = false;  // no summary line on stderr
  bool spawn = false;  // start `exe run ...` per point instead of running it in a worker (point_pool.h)
  double point_timeout = 0;  // seconds a point may take (0: no limit); then it is killed and recorded
                             // as "timed out after N s", an unfinished point that --resume runs again
};

// Parses the spec and runs it: under mpirun with more than one rank, distributed; else locally.
// Returns the exit status (0 when the sweep ran, whatever its points' status).
int sweep_main(const std::string& spec_path, const SpecOptions& so, RunOptions ro);

// Child processes, started with posix_spawn; each one's stdout and stderr are read through pipes.
// A child that runs longer than `timeout_s` (when > 0) is killed; its result is the error line
// "error: timed out after N s".
// Two pipes, then a fork: buffered output is flushed first, so nothing is written twice, and the
// child dies with its parent (PR_SET_PDEATHSIG). Returns the child's pid, 0 in the child, or -1
// when the fork fails (every pipe end closed, errno kept). A pipe that cannot be made is an
// InternalError.
pid_t fork_with_pipes(int a[2], int b[2]);

class ChildPool {
 public:
  explicit ChildPool(std::string exe, double timeout_s = 0) : exe_(std::move(exe)), timeout_s_(timeout_s) {}
  ~ChildPool();
  ChildPool(const ChildPool&) = delete;
  ChildPool& operator=(const ChildPool&) = delete;

  void start(size_t index, const std::vector<std::string>& argv);
  size_t running() const { return kids_.size(); }
  // Waits up to timeout_ms (-1: until one finishes) and returns the children that finished.
  std::vector<RawResult> poll(int timeout_ms);

 private:
  struct Child {
    pid_t pid = -1;
    size_t index = 0;
    int out_fd = -1, err_fd = -1;
    std::string out, err;
    std::chrono::steady_clock::time_point deadline;
  };
  void adopt(size_t index, pid_t pid, int out_fd, int err_fd);
  int wait_ms(int timeout_ms) const;  // the poll wait, shortened to the next child's deadline
  void kill_late(std::vector<RawResult>& done);
  std::string exe_;
  double timeout_s_ = 0;
  std::vector<Child> kids_;
  std::vector<RawResult> failed_to_start_;
};

// Points done / failed / ETA on stderr, redrawn in place; only when stderr is a terminal.
class Progress {
 public:
  Progress(size_t total, size_t already_done, bool enabled);
  void update(size_t done, size_t failed);
  void finish();

 private:
  size_t total_, base_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

// Shared by the local and the MPI runners: records rows as they arrive and reports progress.
// The points not `done`, in the order a sweep runs them: points that share their planner's
// candidate lists (the same model, options and hardware but for the keys the lists do not read,
// sched/plan_cache.h) one after another. `groups`, when given, receives each one's group (the index
// of the group's first point).
std::vector<size_t> run_order(const SweepSpec& spec, const std::vector<bool>& done,
                              std::vector<size_t>* groups = nullptr);

// Hands out the points of a run order (run_order) so that each worker keeps to one group of points
// sharing their candidate lists while the group lasts: a worker that asks again continues its
// group; one whose group is used up starts the next group nobody has started; when every group has
// been started, it takes from the end of the group with the most points left. A worker (`who`) is
// any number that names it (a local worker slot, or an MPI rank's slot).
class Dispatcher {
 public:
  Dispatcher(std::vector<size_t> order, const std::vector<size_t>& groups);
  bool empty() const { return left_ == 0; }
  size_t next(size_t who);  // needs !empty()

 private:
  struct Run {
    size_t front = 0, back = 0;  // the group's points still to hand out: order_[front, back)
  };
  struct Place {
    size_t run = 0;
    bool from_back = false;
  };
  std::vector<size_t> order_;
  std::vector<Run> runs_;
  size_t fresh_ = 0;  // the first run no worker has started
  size_t left_ = 0;
  std::map<size_t, Place> at_;
};

class Collector {
 public:
  Collector(const SweepSpec& spec, const RunOptions& ro);
  Dispatcher dispatcher() const;  // the points still to run, in run order (run_order), by group
  void record(const RawResult& r);
  // Writes the final file and the summary line.
  void finish();

 private:
  const SweepSpec& spec_;
  RunOptions ro_;
  ResultFile file_;
  Progress progress_;
  size_t done_ = 0, failed_ = 0;
};

std::string self_exe();
int default_jobs();


// The local runner: `jobs` points at a time (point_pool.h).
void run_local(const SweepSpec& spec, const RunOptions& ro);

// MPI (mpi_runner.cpp): true when this process was started by mpirun; runs the sweep over the
// job's ranks (rank 0 writes the file) and returns the exit status.
bool mpi_launched();
int run_mpi(const std::string& spec_path, const SpecOptions& so, const RunOptions& ro);

}  // namespace nnasim::sweep
