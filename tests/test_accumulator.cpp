// The accumulator memory beside each MAC array (sim/hw/accumulator.h): its reads, writes and
// spills by hand, its energy as counts x table, and monotonicity in its size.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/energy/energy_model.h"
#include "sim/hw/accumulator.h"
#include "sim/hw/systolic.h"

using namespace nnasim;
using program::Gemm;

namespace {
MacArraySpec ws64() {
  MacArraySpec m;
  m.rows = m.cols = 64;
  m.dataflow = Dataflow::WeightStationary;
  return m;
}
}  // namespace

TEST_CASE("accumulator: K = 64 f on a 64-row array is f - 1 read-modify-writes per output", "[accumulator]") {
  // M = 10 pixels, N = 64 filters: 640 outputs. f row folds: the first writes each partial sum,
  // the next f - 1 read, add and write it back, and the last read-out sends it on: f writes and
  // f reads per output, f - 1 of the reads being read-modify-writes.
  for (int64_t f : {1, 2, 3, 8}) {
    const auto u = hw::accumulator_use(ws64(), Gemm{10, 64 * f, 64, 1});
    CHECK(u.rmw == 640 * (f - 1));
    CHECK(u.reads == 640 * f);
    CHECK(u.writes == 640 * f);
    CHECK(u.spill_bytes == 0);  // unbounded
  }
  // Output stationary accumulates in the processing elements: no accumulator traffic.
  MacArraySpec os = ws64();
  os.dataflow = Dataflow::OutputStationary;
  CHECK(hw::accumulator_use(os, Gemm{10, 192, 64, 1}).reads == 0);
  // Block-diagonal groups (K <= rows) finish in one row fold: one write and one read per output.
  const auto dw = hw::accumulator_use(ws64(), Gemm{100, 9, 1, 32});
  CHECK(dw.rmw == 0);
  CHECK(dw.writes == 3200);
}

TEST_CASE("accumulator: a tile too large for the accumulator spills exactly the excess", "[accumulator]") {
  // M = 100, K = 128 (f = 2), N = 64 on 64 columns: one column fold holds 100 x 64 = 6400 partial
  // sums. 16,000 bytes of 32-bit entries hold 4000: 2400 spill, written to OCM and read back once
  // (f - 1 = 1 read-modify-write): 9600 bytes each way.
  MacArraySpec m = ws64();
  m.accumulator.size_bytes = 16000;
  auto u = hw::accumulator_use(m, Gemm{100, 128, 64, 1});
  CHECK(u.footprint == 6400);
  CHECK(u.spill_entries == 2400);
  CHECK(u.spill_bytes == 2400 * 4);
  CHECK(hw::accumulator_spill_footprint(m, Gemm{100, 128, 64, 1}) == 2400 * 4);
  // Two column folds, each spilling its own 2400, with K = 192 (two read-modify-writes each).
  u = hw::accumulator_use(m, Gemm{100, 192, 128, 1});
  CHECK(u.spill_bytes == 2 * 2400 * 2 * 4);
  // Exactly full: nothing spills; one entry short: one entry spills.
  m.accumulator.size_bytes = 6400 * 4;
  CHECK(hw::accumulator_use(m, Gemm{100, 128, 64, 1}).spill_bytes == 0);
  m.accumulator.size_bytes = 6399 * 4;
  CHECK(hw::accumulator_use(m, Gemm{100, 128, 64, 1}).spill_bytes == 4);
  // The spill goes through the OCM port: at 1 byte per cycle the tile needs at least
  // its own bytes plus 2 x 4 spilled bytes.
  HardwareSpec hw = test::literal_hw(64, 64);
  hw.mac.accumulator = m.accumulator;
  hw.ocm.bytes_per_cycle = 1;
  CHECK(hw::mac_tile_cycles(hw, Gemm{100, 128, 64, 1}, NumFormat::Int, 8, 8, 100000) == 100000 + 8);
  // Its rate bounds a tile too: 12,800 reads at 1 entry per cycle.
  hw.ocm.bytes_per_cycle = 1e9;
  hw.mac.accumulator.entries_per_cycle = 1;
  CHECK(hw::mac_tile_cycles(hw, Gemm{100, 128, 64, 1}, NumFormat::Int, 8, 8, 0) == 12800);
}

TEST_CASE("accumulator: its energy is counts x table, and adds up over layers", "[accumulator][energy][conservation]") {
  // FC 256 -> 64 on a 64x64 array: K = 256 is 4 row folds; 64 outputs: 256 reads and 256 writes.
  HardwareSpec hw = test::literal_hw(64, 64);
  hw.energy.accumulator_read_j = 2e-12;
  hw.energy.accumulator_write_j = 3e-12;
  const auto r = test::simulate_forked(test::single_fc(256, 64), hw);
  REQUIRE(!r.contains("error"));
  CHECK(r["accumulator"]["reads"] == 256);
  CHECK(r["accumulator"]["writes"] == 256);
  CHECK(r["energy"]["breakdown"]["accumulator"].get<double>() == Approx(256 * 2e-12 + 256 * 3e-12));
  double sum = 0;
  for (const auto& l : r["layers"]) {
    sum += l["energy_breakdown"]["accumulator"].get<double>();
    CHECK(l["energy_breakdown"]["accumulator"].get<double>() ==
          Approx(l["accumulator_reads"].get<int64_t>() * 2e-12 + l["accumulator_writes"].get<int64_t>() * 3e-12));
  }
  CHECK(sum == Approx(r["energy"]["breakdown"]["accumulator"].get<double>()));
}

TEST_CASE("accumulator: a smaller accumulator never lowers a tile's time or energy", "[accumulator][monotonic]") {
  // Every tile shape of a grid, accumulators from unbounded down to 4 bytes: the tile's cycles and
  // its accumulator + spilled-OCM energy never fall as the accumulator shrinks.
  HardwareSpec hw = test::literal_hw(64, 64);
  hw.ocm.bytes_per_cycle = 64;
  hw.mac.accumulator.entries_per_cycle = 64;
  hw.energy.accumulator_read_j = hw.energy.accumulator_write_j = 1e-12;
  for (int64_t m : {1, 7, 100, 784, 5000})
    for (int64_t k : {9, 64, 65, 288, 4608})
      for (int64_t n : {1, 64, 100, 256})
        for (int64_t groups : {1, 4}) {
          const Gemm g{m, k, n, groups};
          int64_t prev_cycles = -1;
          double prev_j = -1;
          for (double size : {0.0, 4.0 * 1024 * 1024, 256.0 * 1024, 64.0 * 1024, 4096.0, 256.0, 4.0}) {
            hw.mac.accumulator.size_bytes = size;
            const auto u = hw::accumulator_use(hw.mac, g);
            const int64_t cycles = hw::mac_tile_cycles(hw, g, NumFormat::Int, 8, 8, 1000);
            const double j = energy::accumulator_read_joules(hw, u.reads) + energy::accumulator_write_joules(hw, u.writes) +
                             energy::ocm_read_joules(hw, u.spill_bytes) + energy::ocm_write_joules(hw, u.spill_bytes);
            INFO("M=" << m << " K=" << k << " N=" << n << " groups=" << groups << " accumulator " << size << " B");
            CHECK(cycles >= prev_cycles);
            CHECK(j >= prev_j);
            prev_cycles = cycles, prev_j = j;
          }
        }
}

TEST_CASE("accumulator: a smaller accumulator never lowers a simulated layer's time or energy", "[accumulator][monotonic]") {
  // FC 1024 -> 64 on a 64x64 array: 16 row folds, 64 partial sums live at once (256 bytes). A
  // 64-byte OCM port so that spilled partial sums cost time as well as OCM energy.
  HardwareSpec hw = test::literal_hw(64, 64, 8 << 20, 1e10);
  hw.ocm.bytes_per_cycle = 64;
  hw.energy.accumulator_read_j = hw.energy.accumulator_write_j = 1e-12;
  hw.mac.accumulator.entries_per_cycle = 64;
  const auto g = test::single_fc(1024, 64);
  double prev_s = 0, prev_j = 0;
  int64_t prev_spill = -1;
  int64_t tiles = 0;
  bool streamed = false;
  for (double size : {4096.0, 256.0, 128.0, 16.0, 4.0}) {
    hw.mac.accumulator.size_bytes = size;
    const auto r = test::simulate_forked(g, hw);
    REQUIRE(!r.contains("error"));
    INFO("accumulator of " << size << " bytes");
    const double s = r["inference"]["seconds"].get<double>(), j = r["energy"]["joules"].get<double>();
    const int64_t spill = r["accumulator"]["spill_bytes"].get<int64_t>();
    CHECK(s >= prev_s * (1 - 1e-12));
    CHECK(j >= prev_j * (1 - 1e-12));
    CHECK(spill >= prev_spill);
    prev_s = s, prev_j = j, prev_spill = spill;
    tiles = r["layers"].back()["tiles"].get<int64_t>();
    streamed = r["layers"].back()["mapping"].get<std::string>().rfind("stream", 0) == 0;
  }
  // The smallest one holds one partial sum: a tile of 64 / t filters (the planner's t channel
  // tiles) spills all but one of them through 15 read-modify-writes, 4 bytes each.
  // A streamed mapping (sched/stream.h) runs the reduction in blocks of one row fold and keeps
  // the partial sums in OCM itself: nothing is left for the accumulator to spill.
  REQUIRE(tiles > 0);
  if (streamed)
    CHECK(prev_spill == 0);
  else
    CHECK(prev_spill == tiles * (64 / tiles - 1) * 15 * 4);
}

TEST_CASE("accumulator: a smaller accumulator never improves a simulated conv layer's objective",
          "[accumulator][monotonic]") {
  // Convs with deep reductions on a 16x16 array (K = 32 x 9 = 288: 18 row folds; K = 64 x 9 = 576:
  // 36) whose partial sums fit the largest accumulator whole and the smallest not at all: the
  // mapper chooses between chunking the pixels, spilling, and keeping partial sums in the
  // accumulator or in OCM between reduction blocks; a smaller accumulator only takes options away
  // or makes them dearer. So the objective the mapper minimises never improves: time under
  // latency, energy under energy. (Not both at once: with room to spare, the latency objective may
  // buy a little time with energy that a smaller accumulator no longer offers it to spend.) A
  // 64-byte OCM port so that spilled partial sums cost time as well as OCM energy.
  struct C {
    int64_t cin, hw, cout;
  };
  for (auto objective : {sched::Objective::Latency, sched::Objective::Energy}) {
    for (C c : {C{32, 14, 32}, C{64, 8, 48}}) {
      HardwareSpec hw = test::literal_hw(16, 16, 1 << 20, 1e10);
      hw.ocm.bytes_per_cycle = 64;
      hw.energy.accumulator_read_j = hw.energy.accumulator_write_j = 1e-12;
      hw.mac.accumulator.entries_per_cycle = 16;
      const auto g = test::single_conv(c.cin, c.hw, c.cout, 3);
      double prev = 0;
      for (double size : {64.0 * 1024, 8192.0, 2048.0, 512.0, 64.0, 4.0}) {
        hw.mac.accumulator.size_bytes = size;
        const auto r = test::simulate_forked(g, hw, sched::Mode::Cold, objective);
        REQUIRE(!r.contains("error"));
        const double v = objective == sched::Objective::Latency ? r["inference"]["seconds"].get<double>()
                                                                : r["energy"]["joules"].get<double>();
        INFO(sched::to_string(objective) << ": conv " << c.cin << "x" << c.hw << "x" << c.hw << " -> " << c.cout
                                         << ", accumulator of " << size << " bytes: "
                                         << r["layers"].back()["mapping"].get<std::string>() << ", " << v);
        CHECK(v >= prev * (1 - 1e-12));
        prev = v;
      }
    }
  }
}
