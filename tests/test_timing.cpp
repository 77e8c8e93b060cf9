// End-to-end timing through the SystemC modules, against closed forms and monotonic laws. Each
// simulation runs in a forked child (one SystemC elaboration per process).
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/hw/systolic.h"

using namespace nnasim;
using test::literal_hw;
using test::simulate_forked;

namespace {
double secs(const nlohmann::json& j) { return j["inference"]["seconds"].get<double>(); }
}  // namespace

TEST_CASE("timing: one compute-bound FC layer in closed form", "[timing]") {
  // FC 64 -> 32 (no bias) on a 64x64 WS array at 1 GHz with 1 TB/s DRAM and no latency.
  // One fold: 2*64 + 32 + 1 - 2 = 159 cycles = 159 ns. The DMA loads weights (2048 B) and the
  // input (64 B) first and stores the output (32 B) last: 2.048 + 0.064 + 0.032 ns.
  auto hw = literal_hw(64, 64, 1 << 20, 1e12);
  auto j = simulate_forked(test::single_fc(64, 32), hw);
  const double expected = 159e-9 + (2048 + 64 + 32) / 1e12;
  CHECK(secs(j) == Approx(expected).margin(5e-12));
  CHECK(j["layers"][0]["bound"] == "compute");
}

TEST_CASE("timing: one memory-bound FC layer in closed form", "[timing]") {
  // The same layer at 1 GB/s. Every byte crosses the channel once, one transfer at a time:
  // (2048 + 64 + 32) B / 1 GB/s = 2.144 us; the compute of the last weight tile cannot overlap
  // with a load, so the total lies between 2.144 us and 2.144 us + one whole-layer compute (159 ns).
  auto hw = literal_hw(64, 64, 1 << 20, 1e9);
  auto j = simulate_forked(test::single_fc(64, 32), hw);
  const double bytes_time = (2048 + 64 + 32) / 1e9;
  CHECK(secs(j) >= bytes_time);
  CHECK(secs(j) <= bytes_time + 159e-9 + 1e-12);
  CHECK(j["layers"][0]["bound"] == "memory");
  CHECK(j["dram"]["read_bytes"] == 2048 + 64);
  CHECK(j["dram"]["write_bytes"] == 32);
}

TEST_CASE("timing: halving DRAM bandwidth doubles a memory-bound layer, not a compute-bound one", "[timing]") {
  // Memory-bound: FC 1024 -> 1024, 1 MiB of weights streamed once per inference (cold).
  auto fc = test::single_fc(1024, 1024);
  double m1 = secs(simulate_forked(fc, literal_hw(64, 64, 4 << 20, 1e9)));
  double m2 = secs(simulate_forked(fc, literal_hw(64, 64, 4 << 20, 0.5e9)));
  CHECK(m2 / m1 == Approx(2.0).epsilon(0.03));
  // Compute-bound: 3x3 conv 64 -> 64 on 56x56 (~30 us of array time, ~0.5 MB of data at 1 TB/s).
  auto conv = test::single_conv(64, 56, 64, 3);
  double c1 = secs(simulate_forked(conv, literal_hw(64, 64, 4 << 20, 1e12)));
  double c2 = secs(simulate_forked(conv, literal_hw(64, 64, 4 << 20, 0.5e12)));
  CHECK(c2 / c1 == Approx(1.0).epsilon(0.02));
  // More bandwidth is never slower.
  CHECK(m2 >= m1);
  CHECK(c2 >= c1);
}

TEST_CASE("timing: 8 cores speed up a compute-bound layer ~8x but not a memory-bound one", "[timing]") {
  // 3x3 conv 256 -> 512 on 28x28: split by output channels, 64 per core = one column fold each.
  auto conv = test::single_conv(256, 28, 512, 3);
  double one = secs(simulate_forked(conv, literal_hw(64, 64, 4 << 20, 1e12, 1)));
  double eight = secs(simulate_forked(conv, literal_hw(64, 64, 4 << 20, 1e12, 8)));
  INFO("1 core " << one << " s, 8 cores " << eight << " s");
  CHECK(one / eight > 7.0);
  CHECK(one / eight <= 8.0 + 1e-9);
  // FC 4096 -> 4096: 16 MiB of weights through one shared 10 GB/s channel.
  auto fc = test::single_fc(4096, 4096);
  double m1 = secs(simulate_forked(fc, literal_hw(64, 64, 4 << 20, 10e9, 1)));
  double m8 = secs(simulate_forked(fc, literal_hw(64, 64, 4 << 20, 10e9, 8)));
  INFO("memory-bound: 1 core " << m1 << " s, 8 cores " << m8 << " s");
  CHECK(m1 / m8 < 1.2);
  CHECK(m8 >= 16.0 * 1024 * 1024 / 10e9);  // the channel cannot move the weights faster than its bandwidth
}

TEST_CASE("timing: 4-bit weights halve weight traffic", "[timing][traffic]") {
  auto hw = literal_hw(64, 64, 4 << 20, 10e9);
  auto j8 = simulate_forked(test::single_fc(1024, 1024, false, 8), hw);
  auto j4 = simulate_forked(test::single_fc(1024, 1024, false, 4), hw);
  auto j6 = simulate_forked(test::single_fc(1024, 1024, false, 6), hw);
  CHECK(j8["dram"]["weight_read_bytes"] == 1024 * 1024);
  CHECK(j4["dram"]["weight_read_bytes"] == 1024 * 1024 / 2);
  CHECK(j6["dram"]["weight_read_bytes"] == 1024 * 1024 * 3 / 4);
  CHECK(secs(j4) < secs(j8));
}

TEST_CASE("timing: an OCM too small for a layer forces re-fetching", "[timing][traffic]") {
  // 3x3 conv 64 -> 128 on 56x56: weights 73,728 B, input 200,704 B, output 401,408 B.
  auto conv = test::single_conv(64, 56, 128, 3);
  auto big = simulate_forked(conv, literal_hw(64, 64, 4 << 20, 10e9));
  auto small = simulate_forked(conv, literal_hw(64, 64, 96 << 10, 10e9));
  const int64_t once = 73728 + 200704;
  // With room for everything the planner may still re-read a little (at most 10 % more traffic:
  // the latency objective streams the input once per block of filters rather than wait for it
  // whole) to overlap loads with compute; with 96 KiB it has no choice but to re-fetch much more.
  CHECK(big["dram"]["read_bytes"].get<int64_t>() >= once);
  CHECK(big["dram"]["read_bytes"].get<int64_t>() + 401408 <= (once + 401408) * 1.10);
  CHECK(small["dram"]["read_bytes"].get<int64_t>() > (once + 401408) * 1.10 - 401408);
  CHECK(small["dram"]["write_bytes"] == 401408);
  CHECK(secs(small) >= secs(big));
}

TEST_CASE("timing: a layer whose smallest tile cannot fit is an error naming the bytes", "[timing][errors]") {
  auto conv = test::single_conv(512, 56, 64, 3);
  try {
    simulate_forked(conv, literal_hw(64, 64, 4 << 10, 10e9));
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("does not fit in OCM"));
    CHECK_THAT(msg, Catch::Contains("bytes"));
  }
}

TEST_CASE("timing: a layer too deep for its filters to fit runs in reduction chunks", "[timing][traffic]") {
  // FC 65536 -> 64 on a 64x64 array with 64 KiB of OCM: one filter is 64 KiB, so not even one
  // filter and its input fit at once; the planner splits the reduction (input channels) and keeps
  // 32-bit partial sums in OCM. Every MAC is still done once, and every weight read once.
  auto fc = test::single_fc(65536, 64);
  auto j = simulate_forked(fc, literal_hw(64, 64, 64 << 10, 10e9));
  CHECK(j["totals"]["macs"] == 65536LL * 64);
  CHECK(j["layers"][0]["macs"] == 65536LL * 64);
  CHECK(j["dram"]["weight_read_bytes"] == 65536LL * 64);
  CHECK(j["layers"][0]["tiles"].get<int64_t>() > 1);
  // Memory-bound: at least the weights and the input over 10 GB/s.
  CHECK(secs(j) >= (65536.0 * 64 + 65536) / 10e9);
}
