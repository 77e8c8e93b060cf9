// The reduction split across cores (issue 9 item 2; StreamTiling::gk in sched/stream.h): each
// core of a group reduces its share of K, the others store their 32-bit partial sums to DRAM and
// the group's last core loads and adds them on its vector unit. Chosen where it wins, MACs
// conserved, the exchange's bytes by hand, more cores never worse.
#include <catch2/catch.hpp>

#include <regex>

#include "helpers.h"
#include "sim/sched/scheduler.h"

using namespace nnasim;

namespace {

// FC 4096 -> 16 on 16x16 arrays with fast DRAM: a channel split leaves 4 (or fewer) of each
// array's 16 columns busy through 256 row folds of one pixel each; a reduction split gives each
// core a quarter of the folds at full width.
HardwareSpec machine(int cores) {
  HardwareSpec hw = test::literal_hw(16, 16, 1 << 20, 1e11, cores);
  hw.vector.elements_per_cycle = 16;
  return hw;
}

int reduction_cores(const std::string& mapping) {
  std::smatch m;
  static const std::regex re(R"((\d+)x(\d+)x(\d+) cores \(ch x px x reduction\))");
  return std::regex_search(mapping, m, re) ? std::stoi(m[3]) : 1;
}

}  // namespace

TEST_CASE("reduction split: chosen where it wins, MACs conserved, exchange counted by hand", "[mapper][sim][split]") {
  const auto g = test::single_fc(4096, 16);
  const HardwareSpec hw = machine(4);
  sched::SchedOptions on, off;
  on.mode = off.mode = sched::Mode::Cold;
  off.reduction_split = false;
  const auto split = sched::schedule(g, hw, on);
  const auto& lp = split.plan.layers[1];
  REQUIRE(lp.tiling.stream);
  const int gk = lp.tiling.st.gk;
  INFO(sched::describe(lp, hw.mac.dataflow));
  CHECK(gk > 1);
  // Every MAC once, over the cores' shares of the reduction.
  int64_t ops = 0;
  for (const auto& c : split.program.cmds)
    if (c.kind == program::Kind::Compute) ops += c.ops;
  CHECK(ops == 4096 * 16);

  // Without the option the mapper keeps every core's reduction whole.
  CHECK(sched::schedule(g, hw, off).plan.layers[1].tiling.st.gk == 1);

  const auto r_on = test::simulate_forked(g, hw, sched::Mode::Cold);
  REQUIRE(!r_on.contains("error"));
  const auto& l = r_on["layers"][0];
  CHECK(reduction_cores(l["mapping"].get<std::string>()) == gk);
  CHECK(l["macs"].get<int64_t>() == 4096 * 16);
  // DRAM: weights once (4096 x 16 B), the input once (4 KiB), the 16 outputs, and the exchange:
  // gk - 1 cores each store 16 partial sums of 4 B, which the last core loads back.
  const int64_t exchange = int64_t(gk - 1) * 16 * 4;
  CHECK(r_on["dram"]["write_bytes"].get<int64_t>() == 16 + exchange);
  CHECK(r_on["dram"]["read_bytes"].get<int64_t>() == 4096 * 16 + 4096 + exchange);
}

TEST_CASE("reduction split: faster than the best mapping without it, and more cores never worse",
          "[mapper][sim][split][monotonic]") {
  const auto g = test::single_fc(4096, 16);
  double prev = 0;
  for (int cores : {1, 2, 4, 8}) {
    const auto r = test::simulate_forked(g, machine(cores), sched::Mode::Cold);
    REQUIRE(!r.contains("error"));
    const double s = r["inference"]["seconds"].get<double>();
    INFO(cores << " cores: " << r["layers"][0]["mapping"].get<std::string>() << ", " << s << " s");
    if (prev > 0) CHECK(s <= prev * (1 + 1e-12));
    prev = s;
  }
  // On 4 cores, against the same mapper without the option (run through the CLI's --mapper).
  const std::string yaml = test::temp_file("fc_split.yaml",
                                           "name: fc_split\ndefaults: { weight_bits: 8, act_bits: 8, format: int }\n"
                                           "input: { name: x, shape: [1, 4096, 1, 1] }\n"
                                           "layers:\n  - { name: fc, op: fc, out_features: 16, bias: false }\n");
  const std::string hw = test::hw_path("series4-8core");
  const auto with = test::run_cli_json("run --mode cold --hw " + hw + " --model " + yaml);
  const auto without = test::run_cli_json("run --mode cold --hw " + hw + " --model " + yaml + " --mapper reduction_split=false");
  INFO(with["layers"][0]["mapping"] << " vs " << without["layers"][0]["mapping"]);
  CHECK(with["inference"]["seconds"].get<double>() <= without["inference"]["seconds"].get<double>());
  CHECK(with["totals"]["macs"].get<int64_t>() == without["totals"]["macs"].get<int64_t>());
}
