// The sweep over the ranks of an MPI job. Every rank parses the spec (a spec error on any rank stops
// all of them before a point runs). Rank 0 owns the results file: it hands out point indices on
// request, runs points of its own in between, and records the rows the other ranks send back —
// through the same Collector as the local runner, so the file is the local run's byte for byte.
// Each rank runs its points in workers forked from it (point_pool.h); a worker never calls MPI and
// leaves with _exit, so none of MPI's state is touched twice.
//
// MPI is optional at build time (CMake defines NNASIM_HAVE_MPI when Open MPI is found); this file
// is the only place that knows.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <vector>

#include "sim/common/checksum.h"
#include "sim/sweep/point_pool.h"
#include "sim/sweep/provenance.h"
#include "sim/sweep/runner.h"

#if NNASIM_HAVE_MPI
#include <mpi.h>
#endif

namespace nnasim::sweep {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return end && *end == '\0' ? int(n) : fallback;
}

int world_size_from_env() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    int n = env_int(v, 0);
    if (n > 0) return n;
  }
  return 0;
}

}  // namespace

bool mpi_launched() { return world_size_from_env() > 0; }

#if NNASIM_HAVE_MPI
namespace {

enum Tag { kRequest = 1, kAssign = 2, kRow = 3, kDone = 4 };

std::string encode(const RawResult& r) {
  std::string b(8 + 4 + 8, '\0');
  uint64_t idx = r.index, n = r.out.size();
  int32_t code = r.exit_code;
  std::memcpy(&b[0], &idx, 8);
  std::memcpy(&b[8], &code, 4);
  std::memcpy(&b[12], &n, 8);
  return b + r.out + r.err;
}

RawResult decode(const std::string& b) {
  RawResult r;
  if (b.size() < 20) throw InternalError("sweep: a short message from an MPI rank");
  uint64_t idx = 0, n = 0;
  int32_t code = 0;
  std::memcpy(&idx, &b[0], 8);
  std::memcpy(&code, &b[8], 4);
  std::memcpy(&n, &b[12], 8);
  if (20 + n > b.size()) throw InternalError("sweep: a malformed message from an MPI rank");
  r.index = size_t(idx);
  r.exit_code = code;
  r.out = b.substr(20, size_t(n));
  r.err = b.substr(20 + size_t(n));
  return r;
}

// Rank 0: run points and serve the others until every point is recorded.
void master(const SweepSpec& spec, Collector& c, const RunOptions& ro, const std::string& exe, size_t jobs, int size) {
  Dispatcher points = c.dispatcher();
  int workers = size - 1;
  PointPool pool(spec, ro, exe, jobs);
  while (!points.empty() || pool.running() || workers > 0) {
    while (pool.running() < jobs && !points.empty()) pool.start(points.next(pool.idle_worker()));
    // Wait a little for our own children; then answer every rank that has written to us.
    std::vector<RawResult> mine = pool.running() ? pool.poll(5) : std::vector<RawResult>{};
    for (const auto& r : mine) c.record(r);
    bool served = false;
    while (true) {
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag) break;
      served = true;
      if (st.MPI_TAG == kRequest) {
        int slot = 0;  // the asking rank's idle worker: with the rank, who Dispatcher::next serves
        MPI_Recv(&slot, 1, MPI_INT, st.MPI_SOURCE, kRequest, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        const size_t who = (size_t(st.MPI_SOURCE) << 32) | size_t(std::max(0, slot));
        int64_t idx = points.empty() ? -1 : int64_t(points.next(who));
        MPI_Send(&idx, 1, MPI_INT64_T, st.MPI_SOURCE, kAssign, MPI_COMM_WORLD);
      } else if (st.MPI_TAG == kRow) {
        int count = 0;
        MPI_Get_count(&st, MPI_CHAR, &count);
        std::string buf(size_t(count), '\0');
        MPI_Recv(buf.data(), count, MPI_CHAR, st.MPI_SOURCE, kRow, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        c.record(decode(buf));
      } else if (st.MPI_TAG == kDone) {
        int dummy = 0;
        MPI_Recv(&dummy, 1, MPI_INT, st.MPI_SOURCE, kDone, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        --workers;
      } else {
        throw InternalError(fmt::format("sweep: unexpected MPI message tag {}", st.MPI_TAG));
      }
    }
    if (!served && mine.empty() && !pool.running()) ::usleep(2000);
  }
}

// Other ranks: ask rank 0 for a point whenever a worker slot is free; send each row back.
void worker(const SweepSpec& spec, const RunOptions& ro, const std::string& exe, size_t jobs) {
  PointPool pool(spec, ro, exe, jobs);
  bool more = true;
  while (true) {
    while (more && pool.running() < jobs) {
      int slot = int(pool.idle_worker());
      MPI_Send(&slot, 1, MPI_INT, 0, kRequest, MPI_COMM_WORLD);
      int64_t idx = -1;
      MPI_Recv(&idx, 1, MPI_INT64_T, 0, kAssign, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (idx < 0 || size_t(idx) >= spec.points.size()) {
        more = false;
      } else {
        pool.start(size_t(idx));
      }
    }
    if (!pool.running()) break;
    for (const auto& r : pool.poll(-1)) {
      std::string b = encode(r);
      MPI_Send(b.data(), int(b.size()), MPI_CHAR, 0, kRow, MPI_COMM_WORLD);
    }
  }
  int dummy = 0;
  MPI_Send(&dummy, 1, MPI_INT, 0, kDone, MPI_COMM_WORLD);
}

// What differs between this rank's executable and sweep inputs and rank 0's, as rank 0's error
// message ("" when nothing does, and on the other ranks). Collective: every rank calls it.
std::string inputs_mismatch(const SweepSpec& spec, const RunOptions& ro, int rank, int size) {
  const Provenance p = provenance_of(spec, ro.exe);
  std::string inputs, paths;
  for (size_t i = 0; i < p.inputs.size(); ++i) inputs += p.inputs[i], paths += p.paths[i];
  constexpr int kSums = 3;
  const uint64_t mine[kSums] = {checksum64(p.executable), checksum64(inputs), checksum64(paths)};
  std::vector<uint64_t> every(kSums * size_t(size));
  MPI_Gather(mine, kSums, MPI_UINT64_T, every.data(), kSums, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (rank != 0) return "";
  const char* what[kSums] = {"nnasim executable", "hardware and model files (their content or the settings read from them)",
                             "paths of the hardware and model files (an input error names them)"};
  for (int r = 1; r < size; ++r)
    for (int k = 0; k < kSums; ++k)
      if (every[kSums * size_t(r) + size_t(k)] != every[size_t(k)])
        return fmt::format("MPI rank {}'s {} differ from rank 0's: every rank must run the same nnasim on the same "
                           "files (a stale copy on one node?)", r, what[k]);
  return "";
}

// Every rank agrees that all of them are fine, or all stop.
bool all_ok(bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

// A failure every rank agreed on: rank 0 writes its one line (as main() would) and only then do
// the ranks leave. A rank that left first could make mpirun end the job before rank 0's line is
// out (seen in CI: the exit status arrived, the message did not).
int stop_all(int rank, std::exception_ptr err, const std::string& spec_path) {
  int code = 2;
  if (rank == 0) {
    try {
      if (err) std::rethrow_exception(err);
      throw InputError({spec_path, 0}, "another MPI rank could not read this sweep spec (is the file on every node?)");
    } catch (const InputError& e) {
      std::cerr << e.line() << std::endl;
    } catch (const std::exception& e) {
      std::cerr << "internal error: " << e.what() << std::endl;
      code = 1;
    }
  }
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}

}  // namespace

int run_mpi(const std::string& spec_path, const SpecOptions& so, const RunOptions& ro_in) {
  MPI_Init(nullptr, nullptr);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  RunOptions ro = ro_in;
  if (ro.jobs <= 0) ro.jobs = std::max(1, default_jobs() / std::max(1, env_int("OMPI_COMM_WORLD_LOCAL_SIZE", 1)));

  // 1. Every rank reads the spec; a mistake stops all ranks, and rank 0 reports it.
  std::optional<SweepSpec> spec;
  std::exception_ptr err;
  try {
    spec = load_sweep(spec_path, so);
  } catch (...) {
    err = std::current_exception();
  }
  if (!all_ok(!err)) return stop_all(rank, err, spec_path);
  // 1b. Every rank runs points from its own executable and its own copies of the files: they must
  // be rank 0's, or the rows (and the record that --resume trusts) would mix inputs.
  if (size > 1) {
    try {
      const std::string mismatch = inputs_mismatch(*spec, ro, rank, size);
      if (!mismatch.empty() && rank == 0) throw InputError({spec_path, 0}, mismatch);
    } catch (...) {
      err = std::current_exception();
    }
    if (!all_ok(!err)) return stop_all(rank, err, spec_path);
  }
  if (size == 1) {
    try {
      run_local(*spec, ro);
    } catch (...) {
      MPI_Finalize();
      throw;
    }
    MPI_Finalize();
    return 0;
  }

  // 2. Rank 0 opens the results file (and reads it back for --resume).
  std::optional<Collector> collector;
  if (rank == 0) {
    try {
      collector.emplace(*spec, ro);
    } catch (...) {
      err = std::current_exception();
    }
  }
  int ok = err ? 0 : 1;
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!ok) return stop_all(rank, err, spec_path);

  // 3. Run. A failure here (e.g. the disk fills) cannot be agreed on: stop the whole job.
  try {
    const std::string exe = ro.exe.empty() ? self_exe() : ro.exe;
    if (rank == 0) {
      master(*spec, *collector, ro, exe, size_t(ro.jobs), size);
      collector->finish();
    } else {
      worker(*spec, ro, exe, size_t(ro.jobs));
    }
  } catch (const InputError& e) {
    std::cerr << e.line() << "\n";
    MPI_Abort(MPI_COMM_WORLD, 2);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("internal error: rank {}: {}\n", rank, e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}

#else  // built without MPI

int run_mpi(const std::string& spec_path, const SpecOptions& so, const RunOptions& ro) {
  if (world_size_from_env() <= 1) {
    run_local(load_sweep(spec_path, so), ro);
    return 0;
  }
  // Several copies of a non-MPI build would each run the whole sweep into the same file.
  if (env_int("OMPI_COMM_WORLD_RANK", env_int("PMI_RANK", 0)) != 0) return 2;
  throw InputError({"mpirun", 0}, "this nnasim was built without MPI: install libopenmpi-dev and rebuild, or run "
                                  "the sweep without mpirun");
}

#endif

}  // namespace nnasim::sweep
