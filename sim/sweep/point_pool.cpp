#include "sim/sweep/point_pool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <sstream>

#include "sim/hw/system.h"
#include "sim/sweep/point_runner.h"

namespace nnasim::sweep {
namespace {

bool write_full(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w, n -= size_t(w);
  }
  return true;
}

bool read_full(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r, n -= size_t(r);
  }
  return true;
}

// A result on the wire: index, exit code, the lengths of out and err, whether the worker ends after
// this point (it sends nothing more), then the bytes of out and err.
constexpr size_t kHeader = 8 + 4 + 8 + 8 + 1;
std::string encode(const RawResult& r, bool last) {
  std::string b(kHeader, '\0');
  const uint64_t idx = r.index, no = r.out.size(), ne = r.err.size();
  const int32_t code = r.exit_code;
  std::memcpy(&b[0], &idx, 8);
  std::memcpy(&b[8], &code, 4);
  std::memcpy(&b[12], &no, 8);
  std::memcpy(&b[20], &ne, 8);
  b[28] = last ? 1 : 0;
  return b + r.out + r.err;
}

// One whole result at the front of `buf` (removed from it), or false.
bool decode(std::string& buf, RawResult* r, bool* last) {
  if (buf.size() < kHeader) return false;
  uint64_t idx = 0, no = 0, ne = 0;
  int32_t code = 0;
  std::memcpy(&idx, &buf[0], 8);
  std::memcpy(&code, &buf[8], 4);
  std::memcpy(&no, &buf[12], 8);
  std::memcpy(&ne, &buf[20], 8);
  if (buf.size() < kHeader + no + ne) return false;
  *last = buf[28] != 0;
  r->index = size_t(idx);
  r->exit_code = code;
  r->out = buf.substr(kHeader, size_t(no));
  r->err = buf.substr(kHeader + size_t(no), size_t(ne));
  buf.erase(0, kHeader + size_t(no + ne));
  return true;
}

}  // namespace

PointPool::PointPool(const SweepSpec& spec, const RunOptions& ro, const std::string& exe, size_t jobs)
    : spec_(spec), ro_(ro), exe_(exe), jobs_(std::max<size_t>(1, jobs)), spawned_(exe, ro.point_timeout) {
  if (!ro_.spawn) workers_.resize(jobs_);
}

PointPool::~PointPool() {
  for (auto& w : workers_) {
    int code = 0;
    retire(w, &code);
  }
}

size_t PointPool::running() const {
  if (ro_.spawn) return spawned_.running();
  return size_t(std::count_if(workers_.begin(), workers_.end(), [](const Worker& w) { return w.busy; }));
}

void PointPool::launch(Worker& w) {
  int cmd[2], res[2], err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) throw InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t pid = fork_with_pipes(cmd, res);
  if (pid < 0) {
    const int e = errno;
    ::close(err[0]), ::close(err[1]);
    throw InternalError(fmt::format("cannot fork a sweep worker: {}", std::strerror(e)));
  }
  if (pid == 0) {
    // The worker: dies with the sweep process; keeps only its own ends of its own pipes.
    for (const auto& o : workers_) {
      if (o.cmd_fd >= 0) ::close(o.cmd_fd);
      if (o.res_fd >= 0) ::close(o.res_fd);
      if (o.err_fd >= 0) ::close(o.err_fd);
    }
    ::close(cmd[1]);
    ::close(res[0]);
    ::close(err[0]);
    ::dup2(err[1], 2);
    ::close(err[1]);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (devnull > 2) ::close(devnull);
    worker_main(cmd[0], res[1]);
  }
  ::close(cmd[0]);
  ::close(res[1]);
  ::close(err[1]);
  ::fcntl(res[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  w.pid = pid;
  w.cmd_fd = cmd[1];
  w.res_fd = res[0];
  w.err_fd = err[0];
  w.busy = false;
  w.buf.clear();
  w.err.clear();
}

void PointPool::drain_err(Worker& w) {
  char chunk[4096];
  while (w.err_fd >= 0) {
    const ssize_t r = ::read(w.err_fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    w.err.append(chunk, size_t(r));
    constexpr size_t kKeep = 1 << 16;  // the tail is what tells how it ended
    if (w.err.size() > 2 * kKeep) w.err.erase(0, w.err.size() - kKeep);
  }
}

// Runs a prepared point in this process and keeps what it writes on stdout and stderr, as a forked
// child's pipes would.
RawResult run_here(ModelCache& cache, const Point& p, bool figures_only) {
  std::ostringstream out, err;
  struct Redirect {
    std::ostream& s;
    std::streambuf* saved;
    Redirect(std::ostream& st, std::streambuf* to) : s(st), saved(st.rdbuf(to)) {}
    ~Redirect() { s.rdbuf(saved); }
  } o(std::cout, out.rdbuf()), e(std::cerr, err.rdbuf());
  int status = 1;
  try {
    status = cache.run(p, figures_only);
  } catch (...) {
    status = 1;
  }
  return {p.index, status, out.str(), err.str()};
}

void PointPool::worker_main(int cmd_fd, int res_fd) {
  int status = 0;
  try {
    // The worker simulates its points itself, one SystemC kernel state after another
    // (hw::allow_resimulation): no fork per point, so no copy-on-write of the worker's heap. A
    // point whose simulation failed may leave the kernel mid-run: the worker then sends that
    // point's result, says it is its last, and ends; the pool starts a new worker for the next.
    hw::allow_resimulation();
    const bool figures_only = output_format_of(ro_.output) == OutputFormat::Csv;
    ModelCache cache;
    uint64_t idx = 0;
    while (read_full(cmd_fd, &idx, sizeof idx)) {
      if (idx >= spec_.points.size()) throw InternalError("sweep worker: a point index out of range");
      const Point& p = spec_.points[size_t(idx)];
      cache.prepare(p);
      const RawResult r = run_here(cache, p, figures_only);
      const bool last = hw::kernel_tainted();
      const std::string frame = encode(r, last);
      if (!write_full(res_fd, frame.data(), frame.size()) || last) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "internal error: sweep worker: " << e.what() << "\n";
    status = 1;
  } catch (...) {
    status = 1;
  }
  std::cerr.flush();
  ::_exit(status);  // no atexit handlers or static destructors of the sweep process (nor MPI's)
}

size_t PointPool::idle_worker() const {
  auto it = std::find_if(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.busy; });
  return it == workers_.end() ? 0 : size_t(it - workers_.begin());
}

void PointPool::start(size_t index) {
  if (ro_.spawn) {
    spawned_.start(index, spec_.points.at(index).argv(exe_));
    return;
  }
  auto it = std::find_if(workers_.begin(), workers_.end(), [](const Worker& w) { return !w.busy; });
  if (it == workers_.end()) throw InternalError("sweep: a point started with every worker busy");
  Worker& w = *it;
  if (w.pid < 0) launch(w);
  const uint64_t idx = index;
  if (!write_full(w.cmd_fd, &idx, sizeof idx)) {
    // The worker has gone (it ended with an internal error): the point's result says how.
    int code = 0;
    retire(w, &code);
    ready_.push_back({index, code, "", ""});
    return;
  }
  w.busy = true;
  w.index = index;
  if (ro_.point_timeout > 0)
    w.deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                        std::chrono::duration<double>(ro_.point_timeout));
}

void PointPool::retire(Worker& w, int* code) {
  *code = -1;
  if (w.cmd_fd >= 0) ::close(w.cmd_fd);
  if (w.res_fd >= 0) ::close(w.res_fd);
  if (w.err_fd >= 0) ::close(w.err_fd);
  if (w.pid > 0) {
    ::kill(w.pid, SIGKILL);  // its child dies with it (PR_SET_PDEATHSIG)
    int st = 0;
    while (::waitpid(w.pid, &st, 0) < 0 && errno == EINTR) {
    }
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
  }
  w = Worker{};
}

int PointPool::wait_ms(int timeout_ms) const {
  if (ro_.point_timeout <= 0) return timeout_ms;
  long long best = -1;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& w : workers_)
    if (w.busy) {
      long long left = std::chrono::duration_cast<std::chrono::milliseconds>(w.deadline - now).count() + 1;
      left = std::max(0LL, left);
      if (best < 0 || left < best) best = left;
    }
  if (best < 0) return timeout_ms;
  const int ms = int(std::min<long long>(best, INT_MAX));
  return timeout_ms < 0 ? ms : std::min(ms, timeout_ms);
}

std::vector<RawResult> PointPool::poll(int timeout_ms) {
  if (ro_.spawn) return spawned_.poll(timeout_ms);
  std::vector<RawResult> done;
  done.swap(ready_);
  if (!done.empty()) return done;
  while (running() > 0) {
    std::vector<pollfd> fds;
    std::vector<Worker*> owner;
    for (auto& w : workers_)
      if (w.busy) {
        fds.push_back({w.res_fd, POLLIN, 0});
        owner.push_back(&w);
        fds.push_back({w.err_fd, POLLIN, 0});
        owner.push_back(nullptr);
      }
    int n = ::poll(fds.data(), fds.size(), wait_ms(timeout_ms));
    if (n < 0 && errno != EINTR) throw InternalError(fmt::format("poll: {}", std::strerror(errno)));
    for (size_t f = 0; n > 0 && f < fds.size(); ++f) {
      if (!owner[f]) continue;  // a standard error: read with its worker's results below
      Worker& w = *owner[f];
      if (fds[f + 1].revents) drain_err(w);
      if (!fds[f].revents) continue;
      bool ended = false;
      char chunk[65536];
      while (true) {
        ssize_t r = ::read(w.res_fd, chunk, sizeof chunk);
        if (r > 0) {
          w.buf.append(chunk, size_t(r));
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        ended = true;  // end of file: the worker has gone
        break;
      }
      RawResult res;
      bool last = false;
      if (decode(w.buf, &res, &last)) {
        w.busy = false;
        w.err.clear();
        done.push_back(std::move(res));
        if (last) ended = true;  // the worker ends after this point: the next point starts a new one
      }
      if (ended) {
        const bool was_busy = w.busy;
        const size_t index = w.index;
        drain_err(w);
        std::string last_words = std::move(w.err);
        int code = 0;
        retire(w, &code);
        // Its last words, else "killed by signal N" / "exit status N".
        if (was_busy) done.push_back({index, code, "", std::move(last_words)});
      }
    }
    // Points past their time: the worker (and its child) are killed; a new worker takes the next point.
    if (ro_.point_timeout > 0) {
      const auto now = std::chrono::steady_clock::now();
      for (auto& w : workers_)
        if (w.busy && now >= w.deadline) {
          const size_t index = w.index;
          int code = 0;
          retire(w, &code);
          done.push_back({index, -SIGKILL, "", fmt::format("error: timed out after {:g} s\n", ro_.point_timeout)});
        }
    }
    if (!done.empty() || timeout_ms >= 0) break;
  }
  return done;
}

}  // namespace nnasim::sweep
