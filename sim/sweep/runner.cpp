#include "sim/sweep/runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iostream>
#include <map>

#include "sim/sweep/point_pool.h"

extern char** environ;

namespace nnasim::sweep {

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw InternalError("cannot find the nnasim executable (/proc/self/exe)");
  return std::string(buf, size_t(n));
}

int default_jobs() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 && n < INT_MAX ? int(n) : 1;
}

// --- ChildPool ---------------------------------------------------------------------------------

ChildPool::~ChildPool() {
  for (auto& k : kids_) {
    ::kill(k.pid, SIGTERM);
    if (k.out_fd >= 0) ::close(k.out_fd);
    if (k.err_fd >= 0) ::close(k.err_fd);
    int st = 0;
    ::waitpid(k.pid, &st, 0);
  }
}

// The parent's side of a started child: its output pipes, read without blocking.
void ChildPool::adopt(size_t index, pid_t pid, int out_fd, int err_fd) {
  ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd, F_SETFL, O_NONBLOCK);
  Child c;
  c.pid = pid;
  c.index = index;
  c.out_fd = out_fd;
  c.err_fd = err_fd;
  if (timeout_s_ > 0)
    c.deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_s_));
  kids_.push_back(std::move(c));
}

int ChildPool::wait_ms(int timeout_ms) const {
  if (timeout_s_ <= 0 || kids_.empty()) return timeout_ms;
  auto next = kids_.front().deadline;
  for (const auto& k : kids_) next = std::min(next, k.deadline);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now()).count() + 1;
  const int ms = int(std::clamp<long long>(left, 0, INT_MAX));
  return timeout_ms < 0 ? ms : std::min(ms, timeout_ms);
}

// Children past their deadline: killed, reaped and reported as timed out (whatever they wrote).
void ChildPool::kill_late(std::vector<RawResult>& done) {
  if (timeout_s_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kids_.size();) {
    Child& k = kids_[i];
    if (now < k.deadline) {
      ++i;
      continue;
    }
    ::kill(k.pid, SIGKILL);
    if (k.out_fd >= 0) ::close(k.out_fd);
    if (k.err_fd >= 0) ::close(k.err_fd);
    int st = 0;
    while (::waitpid(k.pid, &st, 0) < 0 && errno == EINTR) {
    }
    done.push_back({k.index, -SIGKILL, "", fmt::format("error: timed out after {:g} s\n", timeout_s_)});
    kids_.erase(kids_.begin() + long(i));
  }
}

void ChildPool::start(size_t index, const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    throw InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe_.c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]), ::close(err[0]);
    failed_to_start_.push_back({index, 127, "", fmt::format("error: cannot start {}: {}", exe_, std::strerror(rc))});
    return;
  }
  adopt(index, pid, out[0], err[0]);
}

pid_t fork_with_pipes(int a[2], int b[2]) {
  if (::pipe2(a, O_CLOEXEC) != 0) throw InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(b, O_CLOEXEC) != 0) {
    ::close(a[0]), ::close(a[1]);
    throw InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  std::cout.flush();  // nothing buffered may be written twice
  std::cerr.flush();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(a[0]), ::close(a[1]), ::close(b[0]), ::close(b[1]);
    errno = e;
  } else if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before the line above
  }
  return pid;
}

std::vector<RawResult> ChildPool::poll(int timeout_ms) {
  std::vector<RawResult> done;
  done.swap(failed_to_start_);
  if (!done.empty()) return done;
  while (!kids_.empty()) {
    std::vector<pollfd> fds;
    std::vector<std::pair<size_t, int*>> owner;  // kid, which fd
    for (size_t i = 0; i < kids_.size(); ++i)
      for (int* fd : {&kids_[i].out_fd, &kids_[i].err_fd})
        if (*fd >= 0) {
          fds.push_back({*fd, POLLIN, 0});
          owner.push_back({i, fd});
        }
    int n = ::poll(fds.data(), fds.size(), wait_ms(timeout_ms));
    if (n < 0 && errno != EINTR) throw InternalError(fmt::format("poll: {}", std::strerror(errno)));
    for (size_t f = 0; n > 0 && f < fds.size(); ++f) {
      if (!fds[f].revents) continue;
      Child& k = kids_[owner[f].first];
      std::string& buf = owner[f].second == &k.out_fd ? k.out : k.err;
      char chunk[65536];
      while (true) {
        ssize_t r = ::read(fds[f].fd, chunk, sizeof chunk);
        if (r > 0) {
          buf.append(chunk, size_t(r));
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        ::close(*owner[f].second);  // end of file (or a broken pipe): the child closed its end
        *owner[f].second = -1;
        break;
      }
    }
    for (size_t i = 0; i < kids_.size();) {
      Child& k = kids_[i];
      if (k.out_fd >= 0 || k.err_fd >= 0) {
        ++i;
        continue;
      }
      int st = 0;
      while (::waitpid(k.pid, &st, 0) < 0 && errno == EINTR) {
      }
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1;
      done.push_back({k.index, code, std::move(k.out), std::move(k.err)});
      kids_.erase(kids_.begin() + long(i));
    }
    kill_late(done);
    if (!done.empty() || timeout_ms >= 0) break;
  }
  return done;
}

// --- Progress ----------------------------------------------------------------------------------

Progress::Progress(size_t total, size_t already_done, bool enabled)
    : total_(total), base_(already_done), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}

void Progress::update(size_t done, size_t failed) {
  if (!enabled_) return;
  size_t n = base_ + done;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string eta = "--:--";
  if (done > 0 && n < total_) {
    long s = long(elapsed / double(done) * double(total_ - n) + 0.5);
    eta = fmt::format("{}:{:02}", s / 60, s % 60);
  } else if (n >= total_) {
    eta = "0:00";
  }
  const int width = 30;
  int fill = total_ ? int(double(n) / double(total_) * width) : width;
  std::cerr << fmt::format("\r[{}{}] {}/{} points, {} failed, ETA {}   ", std::string(size_t(fill), '#'),
                           std::string(size_t(width - fill), '.'), n, total_, failed, eta)
            << std::flush;
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
}

// --- Collector ---------------------------------------------------------------------------------

Collector::Collector(const SweepSpec& spec, const RunOptions& ro)
    : spec_(spec), ro_(ro), file_(spec, ro.output, ro.resume, ro.exe),
      progress_(spec.points.size(), file_.kept(), ::isatty(STDERR_FILENO) == 1 && !ro.quiet) {
  if (file_.dropped() && !ro.quiet)
    std::cerr << fmt::format("sweep: {}: dropped {} row(s) that match no point of this sweep (or were cut short)\n",
                             ro.output, file_.dropped());
  if (!ro.quiet)
    for (const auto& n : file_.notes()) std::cerr << "sweep: " << n << "\n";
  progress_.update(0, 0);
}

namespace {

// Hardware keys the planner's geometry view leaves out (sched/plan_cache.h): points that differ
// only in these share their candidate lists.
bool estimate_only_key(const std::string& key) {
  for (const char* prefix : {"dram.", "energy.", "dma.", "clock", "technology.", "area."})
    if (key.rfind(prefix, 0) == 0) return true;
  return false;
}

// What a point's candidate lists depend on, as text (a point's other keys: the run options, the
// hardware file, the overrides of the geometry view's keys).
std::string geometry_group(const Point& p) {
  std::string g = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}", p.model_path, p.weight_bits ? *p.weight_bits : -1,
                              p.act_bits ? *p.act_bits : -1, p.number_format, p.compress, p.batch ? *p.batch : -1,
                              p.mode, p.objective, p.hw_path);
  for (const auto& o : p.overrides)
    if (!estimate_only_key(o.key)) g += "\n" + o.key + "=" + o.value;
  return g;
}

}  // namespace

std::vector<size_t> run_order(const SweepSpec& spec, const std::vector<bool>& done, std::vector<size_t>* groups) {
  std::vector<size_t> p;
  for (size_t i = 0; i < spec.points.size(); ++i)
    if (i >= done.size() || !done[i]) p.push_back(i);
  // Points that share their candidate lists one after another, groups in the order of their first
  // point, so that a worker's PlanCache serves them; e.g. a DRAM bandwidth axis becomes the innermost.
  std::map<std::string, size_t> first;
  std::vector<size_t> group(spec.points.size(), 0);
  for (size_t i : p) group[i] = first.emplace(geometry_group(spec.points[i]), i).first->second;
  std::stable_sort(p.begin(), p.end(), [&](size_t a, size_t b) { return group[a] < group[b]; });
  if (groups) {
    groups->clear();
    for (size_t i : p) groups->push_back(group[i]);
  }
  return p;
}

Dispatcher::Dispatcher(std::vector<size_t> order, const std::vector<size_t>& groups)
    : order_(std::move(order)), left_(order_.size()) {
  for (size_t i = 0; i < order_.size(); ++i)
    if (i == 0 || groups.at(i) != groups.at(i - 1)) runs_.push_back({i, i + 1});
    else runs_.back().back = i + 1;
}

size_t Dispatcher::next(size_t who) {
  if (left_ == 0) throw InternalError("sweep: a point asked for when none is left");
  --left_;
  auto it = at_.find(who);
  if (it != at_.end()) {
    Run& r = runs_[it->second.run];
    if (r.front < r.back) return it->second.from_back ? order_[--r.back] : order_[r.front++];
  }
  // Skip runs the stealers have emptied.
  while (fresh_ < runs_.size() && runs_[fresh_].front == runs_[fresh_].back) ++fresh_;
  if (fresh_ < runs_.size()) {
    at_[who] = {fresh_, false};
    return order_[runs_[fresh_++].front++];
  }
  size_t best = 0;
  for (size_t k = 1; k < runs_.size(); ++k)
    if (runs_[k].back - runs_[k].front > runs_[best].back - runs_[best].front) best = k;
  at_[who] = {best, true};
  return order_[--runs_[best].back];
}

// Run order (the file is in point order whatever the order points finish in).
Dispatcher Collector::dispatcher() const {
  std::vector<size_t> groups;
  std::vector<size_t> order = run_order(spec_, file_.done(), &groups);
  return Dispatcher(std::move(order), groups);
}

void Collector::record(const RawResult& r) {
  Row row = format_row(spec_, r, file_.format());
  file_.append(row);
  ++done_;
  if (!row.ok) ++failed_;
  progress_.update(done_, failed_);
}

void Collector::finish() {
  progress_.finish();
  const size_t before = file_.notes().size();
  file_.finish();
  // A warning that rows may mix two versions of a file: said even with -q.
  for (size_t i = before; i < file_.notes().size(); ++i) std::cerr << "sweep: warning: " << file_.notes()[i] << "\n";
  if (ro_.quiet) return;
  std::string where = ro_.output.empty() || ro_.output == "-" ? "" : fmt::format("; results in {}", ro_.output);
  std::string kept = file_.kept() ? fmt::format(", {} kept from the previous run ({} failed)", file_.kept(), file_.kept_failed()) : "";
  std::cerr << fmt::format("sweep: {} points: {} run ({} failed){}{}\n", spec_.points.size(), done_, failed_, kept, where);
}

// --- runners -----------------------------------------------------------------------------------

void run_local(const SweepSpec& spec, const RunOptions& ro) {
  const std::string exe = ro.exe.empty() ? self_exe() : ro.exe;
  const size_t jobs = size_t(ro.jobs > 0 ? ro.jobs : default_jobs());
  Collector c(spec, ro);
  Dispatcher points = c.dispatcher();
  PointPool pool(spec, ro, exe, jobs);
  while (!points.empty() || pool.running()) {
    while (pool.running() < jobs && !points.empty()) pool.start(points.next(pool.idle_worker()));
    for (const auto& r : pool.poll(-1)) c.record(r);
  }
  c.finish();
}

int sweep_main(const std::string& spec_path, const SpecOptions& so, RunOptions ro) {
  if (ro.jobs < 0) throw InputError({"-j", 0}, fmt::format("{} workers: expected a positive number", ro.jobs));
  if (!(ro.point_timeout >= 0) || ro.point_timeout > 1e6)
    throw InputError({"--point-timeout", 0},
                     fmt::format("{:g} s: expected a number of seconds above 0 and at most 1e6", ro.point_timeout));
  if (mpi_launched()) return run_mpi(spec_path, so, ro);
  SweepSpec spec = load_sweep(spec_path, so);
  run_local(spec, ro);
  return 0;
}

}  // namespace nnasim::sweep
