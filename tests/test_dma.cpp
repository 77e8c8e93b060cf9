// DMA engines with several transfers in flight (dma.outstanding): the next transfer's DRAM latency
// overlaps the data already moving; the channel's bandwidth is still shared max-min between
// cores. Programs built by hand and simulated in a forked child (one elaboration per process).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "helpers.h"
#include "sim/hw/system.h"

using namespace nnasim;

namespace {
// Simulates `prog` in a child; returns the run's seconds (negative when the child failed).
double simulate_program(const HardwareSpec& hw, const program::Program& prog) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    double s = -1;
    try {
      s = hw::simulate(hw, prog).seconds;
    } catch (...) {
    }
    (void)!write(fds[1], &s, sizeof s);
    _exit(0);
  }
  close(fds[1]);
  double s = -1;
  if (read(fds[0], &s, sizeof s) != sizeof s) s = -1;
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return s;
}

program::Program loads(int cores, int per_core, int64_t bytes) {
  program::Program p;
  p.cores = cores;
  p.layers = {{"x", "input"}};
  for (int c = 0; c < cores; ++c)
    for (int i = 0; i < per_core; ++i) {
      program::Command cmd;
      cmd.kind = program::Kind::Load;
      cmd.core = c;
      cmd.dram_bytes = bytes;
      p.add(cmd);
    }
  return p;
}
}  // namespace

TEST_CASE("dma: transfers in flight overlap their latency with data already moving", "[dma][timing]") {
  // 1 GB/s, 1 us latency, two 1000-byte loads on one core (1 us of data each).
  HardwareSpec hw = test::literal_hw(4, 4, 1 << 20, 1e9);
  hw.dram.latency_s = 1e-6;
  const auto prog = loads(1, 2, 1000);
  // One at a time: latency, data, latency, data = 4 us.
  hw.dma.outstanding = 1;
  CHECK(simulate_program(hw, prog) == Approx(4e-6).epsilon(1e-6));
  // Both in flight: the latencies overlap, then the two share the channel: 1 + 2 = 3 us.
  hw.dma.outstanding = 2;
  CHECK(simulate_program(hw, prog) == Approx(3e-6).epsilon(1e-6));
  // Four loads, two in flight: the third waits for a lane (at 3 us), and so on: 3 + 3 = 6 us.
  CHECK(simulate_program(hw, loads(1, 4, 1000)) == Approx(6e-6).epsilon(1e-6));
}

TEST_CASE("dma: two cores still share the channel max-min, whatever their transfers in flight", "[dma][timing]") {
  // Two cores, one 1000-byte load each at 1 GB/s, no latency: each sees half: 2 us.
  HardwareSpec hw = test::literal_hw(4, 4, 1 << 20, 1e9, 2);
  CHECK(simulate_program(hw, loads(2, 1, 1000)) == Approx(2e-6).epsilon(1e-6));
  // Core 0 with two transfers in flight and core 1 with one: the cores share 50/50 (core 0's two
  // transfers split its half), so core 1's transfer still ends at 2 us and core 0's at 3 us.
  hw.dma.outstanding = 2;
  program::Program p = loads(2, 1, 1000);
  program::Command extra;
  extra.kind = program::Kind::Load;
  extra.core = 0;
  extra.dram_bytes = 1000;
  p.add(extra);
  CHECK(simulate_program(hw, p) == Approx(3e-6).epsilon(1e-6));
  // A DMA engine's cap binds all its transfers together: at 0.25 GB/s per engine, core 0's two
  // 1000-byte transfers take 8 us although the channel could give them 1 GB/s.
  hw.dma.bytes_per_cycle = 0.25;
  CHECK(simulate_program(hw, loads(1, 2, 1000)) == Approx(8e-6).epsilon(1e-6));
}
