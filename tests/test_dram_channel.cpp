// The DRAM channel module (SharedBandwidthDram) against completion times worked by hand: three
// requesters with different caps and start times share the channel max-min fairly, re-shared
// whenever a transfer starts or ends. Run in a forked child (SystemC elaborates once per process).
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <cstdio>
#include <vector>

#include "sim/hw/dram_channel.h"

using namespace nnasim;

namespace {

struct Req {
  int64_t bytes;
  double cap, start;
  bool background = false;
};

struct Bench : sc_core::sc_module {
  SC_HAS_PROCESS(Bench);
  Bench(sc_core::sc_module_name n, hw::SharedBandwidthDram& d, std::vector<Req> reqs)
      : sc_module(n), dram(d), reqs(std::move(reqs)), done(this->reqs.size(), -1) {
    for (size_t i = 0; i < this->reqs.size(); ++i)
      sc_core::sc_spawn([this, i] {
        sc_core::wait(sc_core::sc_time(this->reqs[i].start, sc_core::SC_SEC));
        dram.transfer(this->reqs[i].bytes, false, int(i), this->reqs[i].cap, this->reqs[i].background);
        done[i] = sc_core::sc_time_stamp().to_seconds();
      });
  }
  hw::SharedBandwidthDram& dram;
  std::vector<Req> reqs;
  std::vector<double> done;
};

// Completion times (s) of `reqs` on a channel of `peak` bytes/s, simulated in a child process.
std::vector<double> completions(double peak, const std::vector<Req>& reqs) {
  int fd[2];
  REQUIRE(pipe(fd) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fd[0]);
    sc_core::sc_set_time_resolution(1, sc_core::SC_PS);
    DramSpec spec;
    spec.bandwidth = peak;
    spec.latency_s = 0;
    spec.efficiency = 1;
    hw::SharedBandwidthDram dram("dram", spec);
    Bench bench("bench", dram, reqs);
    sc_core::sc_start();
    if (write(fd[1], bench.done.data(), bench.done.size() * sizeof(double)) < 0) _exit(3);
    _exit(0);
  }
  close(fd[1]);
  std::vector<double> out(reqs.size(), -1);
  size_t got = 0;
  while (got < out.size() * sizeof(double)) {
    ssize_t n = read(fd[0], reinterpret_cast<char*>(out.data()) + got, out.size() * sizeof(double) - got);
    if (n <= 0) break;
    got += size_t(n);
  }
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

}  // namespace

TEST_CASE("dram channel: max-min sharing gives the hand-worked completion times", "[hw][dram]") {
  // Peak 1000 B/s. A: 900 B, uncapped, from 0 s. B: 300 B, capped at 100 B/s, from 0 s.
  // C: 600 B, uncapped, from 0.5 s.
  //   0 .. 0.5 s: B gets its cap 100, A the other 900.  A has 450 B left, B 250 B.
  //   0.5 .. 1.5: B 100; A and C split 900: 450 each.   A ends at 0.5 + 450/450 = 1.5 s;
  //               C has 600 - 450 = 150 B left, B 150 B.
  //   1.5 .. 5/3: B 100, C 900.                          C ends at 1.5 + 150/900 = 5/3 s;
  //               B has 150 - 100/6 = 400/3 B left.
  //   5/3 .. 3:   B alone, still capped at 100.           B ends at 5/3 + (400/3)/100 = 3 s.
  const double inf = 1e12;
  auto t = completions(1000, {{900, inf, 0}, {300, 100, 0}, {600, inf, 0.5}});
  CHECK(t[0] == Approx(1.5).epsilon(1e-9));
  CHECK(t[1] == Approx(3.0).epsilon(1e-9));
  CHECK(t[2] == Approx(5.0 / 3).epsilon(1e-9));
}

TEST_CASE("dram channel: equal requesters finish together, and the sum never beats the peak", "[hw][dram]") {
  // Four requesters of 250 B on 1000 B/s: each gets 250 B/s, all end at 1 s (= 1000 B / peak).
  auto t = completions(1000, {{250, 1e12, 0}, {250, 1e12, 0}, {250, 1e12, 0}, {250, 1e12, 0}});
  for (double x : t) CHECK(x == Approx(1.0).epsilon(1e-9));
  // Unequal sizes: 100 B and 300 B. Both at 500 B/s until 0.2 s; then the second alone at
  // 1000 B/s for its last 200 B: ends at 0.4 s = (100 + 300) / 1000, the conservation bound.
  t = completions(1000, {{100, 1e12, 0}, {300, 1e12, 0}});
  CHECK(t[0] == Approx(0.2).epsilon(1e-9));
  CHECK(t[1] == Approx(0.4).epsilon(1e-9));
}

TEST_CASE("dram channel: a background transfer gets only what the others leave", "[hw][dram][prefetch]") {
  // Peak 1000 B/s. A: 600 B foreground, capped at 600 B/s, from 0 s. P: 600 B background
  // (a prefetch), uncapped, from 0 s. Q: 300 B foreground, uncapped, from 0.5 s.
  //   0 .. 0.5 s: A 600 (its cap), P the 400 left.          A has 300 B left, P 400 B.
  //   0.5 .. 1.1: A and Q share the peak max-min, 500 each;  both end at 0.5 + 300/500 = 1.1 s;
  //               P gets nothing.
  //   1.1 .. 1.5: P alone at 1000 B/s: its 400 B end at 1.5 s = 1500 B / peak (the channel never idled).
  // As a foreground transfer P would have taken 500 B/s from A from the start.
  const double inf = 1e12;
  auto t = completions(1000, {{600, 600, 0, false}, {600, inf, 0, true}, {300, inf, 0.5, false}});
  CHECK(t[0] == Approx(1.1).epsilon(1e-9));
  CHECK(t[2] == Approx(1.1).epsilon(1e-9));
  CHECK(t[1] == Approx(1.5).epsilon(1e-9));
}
