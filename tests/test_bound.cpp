// Lower bounds (sim/sched/bound.h): no simulated layer beats its bound, on every zoo network and
// both Series4 configurations, steady and cold; and the bound of one layer in closed form.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "helpers.h"
#include "sim/sched/bound.h"

using namespace nnasim;

TEST_CASE("bound: one compute-bound FC layer's bound in closed form", "[bound]") {
  // FC 64 -> 64 on a 4x4 WS array at 1 GHz (literal_hw): M = 1, K = 64, N = 64: 16 row folds x
  // 16 column folds of 2*4 + 4 + 1 - 2 = 11 cycles = 2816 cycles (serial preload). The OCM port
  // (64 + 4096 + 64 bytes at literal_hw's rate) and DRAM (cold: the 4096 weight bytes) are checked
  // against the same figures.
  HardwareSpec hw = test::literal_hw(4, 4);
  const graph::Graph g = test::single_fc(64, 64);
  const auto b = sched::bounds(g, hw, sched::Mode::Cold);
  const int fc = static_cast<int>(g.layers.size()) - 1;
  const double port = std::ceil((64.0 + 4096 + 64) / hw.ocm.bytes_per_cycle);
  CHECK(b.layers[fc].compute_seconds == Approx(std::max(2816.0, port) / hw.clock_hz));
  CHECK(b.layers[fc].dram_bytes == 64 + 4096 + 64);  // network input, weights, network output
  CHECK(b.layers[fc].dram_seconds == Approx((64.0 + 4096 + 64) / std::min(hw.dram.bandwidth, hw.dma.bytes_per_cycle * hw.clock_hz)));
  // Steady: the weights may be resident; the network's input and output still move.
  CHECK(sched::bounds(g, hw, sched::Mode::Steady).layers[fc].dram_bytes == 64 + 64);
}

TEST_CASE("bound: no layer of the zoo is simulated faster than its bound", "[bound][zoo][slow]") {
  YAML::Node z = YAML::LoadFile(test::source_dir() + "/models/zoo.yaml");
  for (const auto& n : z["networks"]) {
    const std::string name = n["name"].as<std::string>();
    for (const char* hw : {"series4-1core", "series4-8core"}) {
      for (const char* mode : {"steady", "cold"}) {
        const auto r = test::run_cli_json("run --model " + name + " --hw " + test::hw_path(hw) + " --mode " + mode);
        for (const auto& l : r["layers"]) {
          INFO(name << " on " << hw << " (" << mode << "): " << l["name"].get<std::string>() << " simulated "
                    << l["seconds"].get<double>() << " s, bound " << l["bound_seconds"].get<double>() << " s");
          // Layer times are differences of simulated instants in double seconds: allow 1 ps (SystemC's
          // time resolution here) of rounding on top of a relative 1e-12.
          CHECK(l["bound_seconds"].get<double>() <= l["seconds"].get<double>() * (1 + 1e-12) + 1e-12);
          CHECK(l["efficiency"].get<double>() > 0);
        }
        INFO(name << " on " << hw << " (" << mode << ") total");
        CHECK(r["inference"]["bound_seconds"].get<double>() <= r["inference"]["seconds"].get<double>() * (1 + 1e-9));
      }
    }
  }
}
