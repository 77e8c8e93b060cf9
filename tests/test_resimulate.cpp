// Simulating again in one process (hw::allow_resimulation), as a sweep worker does for every point
// it runs: each simulation starts from a fresh SystemC kernel state and gives exactly the report a
// new `nnasim run` process gives; a simulation that failed leaves the kernel refused.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <sstream>
#include <string>
#include <vector>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/hw/system.h"
#include "sim/report/writers.h"
#include "sim/run/run.h"

using namespace nnasim;

namespace {

struct Case {
  std::string model, hw;
  int cores;
};

// The JSON report of one inference simulated in this process.
std::string report_here(const Case& c) {
  run::ModelSpec ms;
  ms.model = c.model;
  graph::Graph g = run::load_prepared(ms);
  const HardwareSpec hw =
      config::load_hardware(test::hw_path(c.hw), {{"cores.count", std::to_string(c.cores), {"--set cores.count", 0}}});
  run::RunOutput out = run::simulate_inference(g, hw, sched::SchedOptions{});
  std::ostringstream s;
  report::write_json(s, out.report);
  return s.str();
}

}  // namespace

TEST_CASE("resimulation: one process simulates model after model, each equal to a new process's report",
          "[resimulate][sweep]") {
  hw::allow_resimulation();
  const std::vector<Case> cases = {
      {"tinynet", "series4-1core", 1}, {"resnet50", "series4-8core", 8}, {"mobilenet_v2", "series4-1core", 2},
      {"tinynet", "series4-8core", 4}};
  std::vector<std::string> first;
  for (const auto& c : cases) first.push_back(report_here(c));
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    INFO(c.model << " on " << c.hw << " with " << c.cores << " cores");
    const auto r = test::run_cli(fmt::format("run --model {} --hw {} --set cores.count={} --format json", c.model,
                                       test::q(test::hw_path(c.hw)), c.cores));
    REQUIRE(r.status == 0);
    CHECK(r.out == first[i]);
  }
  // And again, in the reverse order, after every kernel state before it.
  for (size_t i = cases.size(); i-- > 0;) CHECK(report_here(cases[i]) == first[i]);
}

TEST_CASE("resimulation: refused without allow_resimulation, and after a simulation that failed",
          "[resimulate]") {
  HardwareSpec hw = test::literal_hw(4, 4, 1 << 20, 1e9);
  program::Program ok;
  ok.cores = 1;
  ok.layers = {{"x", "input"}};
  program::Command load;
  load.kind = program::Kind::Load;
  load.core = 0;
  load.dram_bytes = 1000;
  ok.add(load);
  // Two commands waiting for each other: the simulation ends with an internal error.
  program::Program cycle = ok;
  program::Command second = load;
  second.deps = {0};
  cycle.add(second);
  cycle.cmds[0].deps = {1};

  CHECK(hw::simulate(hw, ok).seconds > 0);
  CHECK_THROWS_WITH(hw::simulate(hw, ok), Catch::Contains("SystemC elaborates once per process"));
  hw::allow_resimulation();
  const double s = hw::simulate(hw, ok).seconds;
  CHECK(hw::simulate(hw, ok).seconds == s);
  CHECK_FALSE(hw::kernel_tainted());
  CHECK_THROWS_WITH(hw::simulate(hw, cycle), Catch::Contains("deadlocked"));
  CHECK(hw::kernel_tainted());
  CHECK_THROWS_WITH(hw::simulate(hw, ok), Catch::Contains("after a simulation that failed"));
}
