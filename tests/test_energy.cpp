// Energy equals counters x table; bytes loaded equal bytes consumed.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"

using namespace nnasim;
using test::literal_hw;
using test::simulate_forked;

TEST_CASE("energy: every bucket is counters x the table", "[energy]") {
  graph::Graph g = graph::load_model(test::source_dir() + "/models/tinynet.yaml");
  graph::prepare(g, {});
  auto hw = literal_hw(16, 16, 1 << 20, 1e9);
  auto j = simulate_forked(g, hw, sched::Mode::Cold);
  double total = 0, exclusive = 0;
  for (const auto& l : j["layers"]) {
    const auto& b = l["energy_breakdown"];
    const double macs = l["op"] == "conv" || l["op"] == "fc" ? l["macs"].get<double>() : 0.0;
    // Table of literal_hw(): 1 pJ per 8-bit MAC, 0.1 pJ per vector op, OCM 2/3 pJ per byte read/written,
    // DRAM 50/60 pJ per byte read/written, 0.1 W static.
    CHECK(b["mac"].get<double>() == Approx(macs * 1e-12));
    CHECK(b["vector"].get<double>() == Approx(l["vector_ops"].get<double>() * 0.1e-12));
    CHECK(b["ocm"].get<double>() ==
          Approx(l["ocm_read_bytes"].get<double>() * 2e-12 + l["ocm_write_bytes"].get<double>() * 3e-12));
    CHECK(b["dram"].get<double>() ==
          Approx(l["dram_read_bytes"].get<double>() * 50e-12 + l["dram_write_bytes"].get<double>() * 60e-12));
    // Static energy over the layer's exclusive time (its window after the layer before ended):
    // windows overlap where weights are prefetched, exclusive times add up to the total.
    CHECK(b["static"].get<double>() == Approx(l["exclusive_seconds"].get<double>() * 0.1));
    exclusive += l["exclusive_seconds"].get<double>();
    CHECK(b["lns"].get<double>() == 0.0);
    total += l["energy_joules"].get<double>();
  }
  CHECK(j["energy"]["joules"].get<double>() == Approx(total));
  CHECK(exclusive == Approx(j["inference"]["seconds"].get<double>()));
  CHECK(j["energy"]["breakdown"]["static"].get<double>() == Approx(j["inference"]["seconds"].get<double>() * 0.1));
  // TOPS/W = 2 ops per MAC / joules.
  CHECK(j["energy"]["tops_per_watt"].get<double>() ==
        Approx(2.0 * j["totals"]["macs"].get<double>() / j["energy"]["joules"].get<double>() / 1e12));
}

TEST_CASE("energy: bytes loaded equal bytes consumed", "[energy][conservation]") {
  graph::Graph g = graph::load_model(test::source_dir() + "/models/tinynet.yaml");
  graph::prepare(g, {});
  // Ample OCM, cold: every weight comes in exactly once and only the result goes out. The image
  // comes in once plus, at most, the halo rows that row bands of conv1 share (3x3 kernel: 2 rows
  // per band boundary), never twice.
  auto j = simulate_forked(g, literal_hw(16, 16, 1 << 20, 1e9), sched::Mode::Cold);
  const int64_t image = 3 * 32 * 32;
  const int64_t image_reads = j["dram"]["read_bytes"].get<int64_t>() - j["dram"]["weight_read_bytes"].get<int64_t>();
  CHECK(j["dram"]["weight_read_bytes"].get<int64_t>() == g.totals().weight_bytes);
  CHECK(image_reads >= image);
  CHECK(image_reads < 2 * image);
  CHECK((image_reads - image) % (3 * 32 * 2) == 0);  // whole halo rows: 2 rows x 32 columns x 3 channels
  CHECK(j["dram"]["write_bytes"].get<int64_t>() == g.layers.back().cost.output_bytes);
  int64_t reads = 0, writes = 0;
  for (const auto& l : j["layers"]) reads += l["dram_read_bytes"].get<int64_t>(), writes += l["dram_write_bytes"].get<int64_t>();
  CHECK(reads == j["dram"]["read_bytes"].get<int64_t>());
  CHECK(writes == j["dram"]["write_bytes"].get<int64_t>());
  // MACs simulated equal MACs counted by the graph.
  CHECK(j["totals"]["macs"].get<int64_t>() == g.totals().macs);
}

TEST_CASE("energy: a tight OCM spills activations, and every spilled byte is read back", "[energy][conservation]") {
  graph::Graph g = graph::load_model(test::source_dir() + "/models/tinynet.yaml");
  graph::prepare(g, {});
  auto j = simulate_forked(g, literal_hw(16, 16, 24 << 10, 1e9), sched::Mode::Cold);
  // Spilled outputs are written once; each consumer reads them at least once.
  int64_t spilled = 0;
  for (const auto& l : j["layers"])
    if (!l["output_on_chip"].get<bool>()) spilled += l["dram_write_bytes"].get<int64_t>();
  CHECK(spilled == j["dram"]["write_bytes"].get<int64_t>());
  CHECK(j["dram"]["write_bytes"].get<int64_t>() > g.layers.back().cost.output_bytes);
  CHECK(j["dram"]["read_bytes"].get<int64_t>() >= 3 * 32 * 32 + g.totals().weight_bytes +
                                                       (spilled - g.layers.back().cost.output_bytes));
}
