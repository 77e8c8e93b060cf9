// Layer fusion (sim/sched/fuse.h): band geometry worked by hand, conservation of MACs and bytes,
// never worse than layer by layer, more OCM never worse.
#include <catch2/catch.hpp>

#include <map>

#include "helpers.h"
#include "sim/graph/load.h"
#include "sim/sched/fuse.h"
#include "sim/sched/scheduler.h"

using namespace nnasim;

namespace {

// Three 3x3 convolutions (stride 1, pad 1) in a chain: 16 -> 32 -> 32 -> 16 channels on 64x64.
// Input 64 KiB, intermediates 128 KiB each, output 64 KiB at 8 bits: with 96 KiB of OCM no
// intermediate fits whole, so layer by layer they go through DRAM.
std::string chain_model() {
  return test::temp_file("chain3.yaml", R"(name: chain3
defaults: { weight_bits: 8, act_bits: 8, format: int }
input: { name: x, shape: [1, 16, 64, 64] }
layers:
  - { name: c1, op: conv, out_channels: 32, kernel: 3, stride: 1, pad: 1 }
  - { name: c2, op: conv, out_channels: 32, kernel: 3, stride: 1, pad: 1 }
  - { name: c3, op: conv, out_channels: 16, kernel: 3, stride: 1, pad: 1 }
)");
}

std::string small_hw() { return "--hw " + test::hw_path("series4-1core") + " --set ocm.size='96 KiB'"; }

nlohmann::json run(const std::string& args) { return test::run_cli_json("run --mode cold " + args); }
double secs(const nlohmann::json& j) { return j["inference"]["seconds"].get<double>(); }
double joules(const nlohmann::json& j) { return j["energy"]["joules"].get<double>(); }
int64_t dram(const nlohmann::json& j) {
  return j["dram"]["read_bytes"].get<int64_t>() + j["dram"]["write_bytes"].get<int64_t>();
}
double objective(const std::string& o, const nlohmann::json& j) {
  return o == "latency" ? secs(j) : o == "energy" ? joules(j) : secs(j) * joules(j);
}

}  // namespace

TEST_CASE("fusion: halo rows of a 3x3 chain, worked by hand", "[fusion]") {
  // Two 3x3 convolutions, stride 1, pad 1, on 8 rows; bands of 2 output rows of the second.
  // Output rows [b, e) of a layer read input rows [b - 1, e + 1) clamped to [0, 8).
  sched::RowMap m;
  m.in_rows = m.out_rows = 8, m.kh = 3, m.sh = 1, m.pad = 1;
  const std::vector<sched::RowMap> maps = {m, m};
  const auto bands = sched::fuse_bands(maps, 0, 8, 2);
  REQUIRE(bands.size() == 4);
  // Band 0: rows 0-1 of c2 need c1 rows 0-2, which need input rows 0-3.
  // Band 1: rows 2-3 of c2 need c1 up to row 4: new rows 3-4; input up to row 5: new rows 4-5.
  // Band 2: c2 rows 4-5; c1 new rows 5-6; input new rows 6-7. Band 3: c2 rows 6-7, c1 row 7.
  const int64_t c1[4][2] = {{0, 3}, {3, 5}, {5, 7}, {7, 8}}, c2[4][2] = {{0, 2}, {2, 4}, {4, 6}, {6, 8}};
  const int64_t in[4][2] = {{0, 4}, {4, 6}, {6, 8}, {8, 8}};
  for (int b = 0; b < 4; ++b) {
    INFO("band " << b);
    CHECK(bands[size_t(b)].begin[0] == c1[b][0]);
    CHECK(bands[size_t(b)].end[0] == c1[b][1]);
    CHECK(bands[size_t(b)].begin[1] == c2[b][0]);
    CHECK(bands[size_t(b)].end[1] == c2[b][1]);
    CHECK(bands[size_t(b)].in_begin == in[b][0]);
    CHECK(bands[size_t(b)].in_end == in[b][1]);
  }
  // Halo rows cached: c2's window in band 1 reads c1 rows 1-4, two of them (1, 2) from the band
  // before; every row of each layer is computed once.
  CHECK(bands[1].read_begin[1] == 1);
  int64_t rows1 = 0, rows2 = 0;
  for (const auto& b : bands) rows1 += b.end[0] - b.begin[0], rows2 += b.end[1] - b.begin[1];
  CHECK(rows1 == 8);
  CHECK(rows2 == 8);
  // Two cores, rows 0-3 and 4-7 of c2: the second core starts at c1 row 3 (c2 row 4 reads 3-5)
  // and input row 2, so c1 rows 3 and 4 are computed on both cores: kh - 1 = 2 halo rows.
  const auto second = sched::fuse_bands(maps, 4, 8, 2);
  REQUIRE_FALSE(second.empty());
  CHECK(second[0].begin[0] == 3);
  CHECK(second[0].in_begin == 2);
  const auto first = sched::fuse_bands(maps, 0, 4, 2);
  int64_t both = 0;
  for (const auto& b : first) both += b.end[0] - b.begin[0];
  for (const auto& b : second) both += b.end[0] - b.begin[0];
  CHECK(both == 8 + 2);
}

TEST_CASE("fusion: a fused group conserves MACs and the bytes it must move", "[fusion]") {
  const graph::Graph g = graph::load_model(chain_model(), {});
  for (int cores : {1, 2}) {
    // Memory-bound (0.5 GB/s), so that keeping the intermediates on chip wins; no intermediate share fits.
    HardwareSpec hw = test::literal_hw(16, 16, 96.0 * 1024 / cores, 0.5e9, cores);
    sched::SchedOptions opt;
    opt.mode = sched::Mode::Cold;
    const sched::Schedule s = sched::schedule(g, hw, opt);
    INFO(cores << " core(s)");
    REQUIRE(s.plan.groups.size() == 1);
    const sched::FusedGroup& fg = s.plan.groups[0];
    REQUIRE(fg.last > fg.first);
    std::map<int, int64_t> macs, loads, weight_loads, stores;
    for (const auto& c : s.program.cmds) {
      if (c.kind == program::Kind::Compute) macs[c.layer] += c.ops;
      if (c.kind == program::Kind::Load) (c.weights ? weight_loads : loads)[c.layer] += c.dram_bytes;
      if (c.kind == program::Kind::Store) stores[c.layer] += c.dram_bytes;
      if (c.kind == program::Kind::Sync) CHECK(c.ocm_alloc <= int64_t(hw.ocm.size_bytes));
    }
    // The group's input read (on several cores, plus the halo rows each core reads again) and its
    // output written once; its intermediates never to or from DRAM.
    const int64_t in_bytes = g.layers[size_t(fg.first)].cost.input_bytes;
    const int64_t in_row = in_bytes / 64;
    if (cores == 1) CHECK(loads[fg.first] == in_bytes);
    // Two cores: the second starts its group input kh - 1 = 2 rows per layer of the group early.
    if (cores == 2) CHECK(loads[fg.first] == in_bytes + 2 * (fg.last - fg.first + 1) * in_row);
    for (int i = fg.first + 1; i <= fg.last; ++i) CHECK(loads[i] == 0);
    for (int i = fg.first; i < fg.last; ++i) CHECK(stores[i] == 0);
    CHECK(stores[fg.last] == g.layers[size_t(fg.last)].cost.output_bytes);
    for (int i = fg.first; i <= fg.last; ++i) {
      INFO(g.layers[size_t(i)].name);
      CHECK(weight_loads[i] >= g.layers[size_t(i)].cost.weight_bytes);
      // Held: loaded once per core (each core runs every layer of the group on its rows).
      if (fg.hold_weights) CHECK(weight_loads[i] == cores * g.layers[size_t(i)].cost.weight_bytes);
      // Halo rows cached: every row once on one core. On two cores the second recomputes, per
      // layer, kh - 1 = 2 rows for each layer after it in the group (c3 row 32 reads c2 rows
      // 31-33; c2 row 31 reads c1 rows 30-32, c1 rows 30-33 are computed by both cores).
      const int64_t row_macs = g.layers[size_t(i)].cost.macs / 64;
      CHECK(macs[i] == g.layers[size_t(i)].cost.macs + (cores == 1 ? 0 : 2 * (fg.last - i) * row_macs));
    }
  }
  // Simulated: the report names the group and the intermediates' traffic is gone.
  const auto on = run("--model " + chain_model() + " " + small_hw());
  const auto off = run("--model " + chain_model() + " " + small_hw() + " --mapper fusion=false");
  int fused = 0;
  for (const auto& l : on["layers"]) fused += l["fusion_group"] == 0;
  for (const auto& l : off["layers"]) CHECK(l["fusion_group"].is_null());
  CHECK(on["fusion_groups"].size() == 1);
  CHECK(fused >= 2);
  CHECK(off["fusion_groups"].empty());
  CHECK(on["totals"]["macs"] == off["totals"]["macs"]);
  CHECK(dram(on) < dram(off));
  bool first_of_group = true;  // after the group's first layer, no layer reads anything but weights
  for (const auto& l : on["layers"]) {
    if (l["fusion_group"] != 0) continue;
    if (!first_of_group) CHECK(l["dram_read_bytes"] == l["dram_weight_bytes"]);
    first_of_group = false;
  }
}

TEST_CASE("fusion: a residual join reads its shortcut band by band", "[fusion]") {
  // x -> c1 (3x3) -> c2 (3x3) -> add(c2, x): x is the group's input and the join's other operand.
  const std::string model = test::temp_file("res2.yaml", R"(name: res2
defaults: { weight_bits: 8, act_bits: 8, format: int }
input: { name: x, shape: [1, 32, 64, 64] }
layers:
  - { name: c1, op: conv, out_channels: 32, kernel: 3, stride: 1, pad: 1 }
  - { name: c2, op: conv, out_channels: 32, kernel: 3, stride: 1, pad: 1 }
  - { name: add, op: add, inputs: [c2, x] }
)");
  const graph::Graph g = graph::load_model(model, {});
  HardwareSpec hw = test::literal_hw(16, 16, 96.0 * 1024, 0.5e9, 1);  // memory-bound: fusion wins
  sched::SchedOptions opt;
  opt.mode = sched::Mode::Cold;
  const sched::Schedule s = sched::schedule(g, hw, opt);
  REQUIRE(s.plan.groups.size() == 1);
  const sched::FusedGroup& fg = s.plan.groups[0];
  CHECK(fg.first == 1);
  CHECK(fg.last == 3);
  std::map<int, int64_t> ops, loads, stores;
  for (const auto& c : s.program.cmds) {
    if (c.kind == program::Kind::Compute || c.kind == program::Kind::Vector) ops[c.layer] += c.ops;
    if (c.kind == program::Kind::Load && !c.weights) loads[c.layer] += c.dram_bytes;
    if (c.kind == program::Kind::Store) stores[c.layer] += c.dram_bytes;
  }
  const int64_t x = 32 * 64 * 64;
  CHECK(loads[1] == x);  // c1 reads x once
  CHECK(loads[2] == 0);
  CHECK(loads[3] == x);  // the join reads x once more, band by band (as the unfused Add does)
  CHECK(stores[1] + stores[2] == 0);
  CHECK(stores[3] == x);
  CHECK(ops[1] == g.layers[1].cost.macs);
  CHECK(ops[2] == g.layers[2].cost.macs);
  CHECK(ops[3] == g.layers[3].cost.vector_ops);
  // Simulated: the modules agree (the report checks its sums against them) and nothing overfills.
  const auto j = run("--model " + model + " " + small_hw());
  CHECK(j["inference"]["seconds"].get<double>() > 0);
}

TEST_CASE("fusion: never worse than layer by layer on the objective", "[fusion][sim]") {
  struct Case {
    std::string model, hw;
  };
  const std::vector<Case> cases = {{chain_model(), small_hw()},
                                   {chain_model(), small_hw() + " --set cores.count=2"},
                                   {"vgg16", "--hw " + test::hw_path("series4-1core")},
                                   {"mobilenet_v2", "--hw " + test::hw_path("series4-1core")},
                                   {"resnet50", "--hw " + test::hw_path("series4-1core")},
                                   {"vgg16", "--hw " + test::hw_path("series4-8core")},
                                   {"vgg16", "--hw " + test::hw_path("series4-8core") + " --set ocm.size='256 KiB'"},
                                   {"mobilenet_v2", "--hw " + test::hw_path("series4-8core")}};
  for (const auto& c : cases) {
    for (const char* o : {"latency", "energy", "edp"}) {
      const std::string args = "--model " + c.model + " " + c.hw + " --objective " + o;
      const auto on = run(args);
      const auto off = run(args + " --mapper fusion=false");
      INFO(c.model << " " << c.hw << " " << o << ": fused " << objective(o, on) << ", layer by layer "
                   << objective(o, off) << "; " << on["fusion_groups"].size() << " group(s)");
      CHECK(objective(o, on) <= objective(o, off) * (1 + 1e-9));
    }
  }
}

TEST_CASE("fusion: more OCM never makes a fused network slower", "[fusion][sim][monotonic]") {
  // (Not chain_model(): at 512 KiB the planner fuses c1..c2 and runs c3 alone, whose
  // layer-by-layer estimate is 28 % below its simulated time, where fusing all three would be
  // faster: the single-layer estimate's error, not fusion's; see the README.)
  for (const char* m : {"vgg16", "mobilenet_v2", "resnet50"}) {
    double prev = 1e9;
    // (Up to 2 MiB: at 4 MiB VGG-16's second block fits on chip layer by layer, and fusion is not
    // tried where every intermediate fits (the layer-by-layer schedule's deep weight prefetch,
    // which its estimates leave out, can win there); VGG-16 is then 0.9 % slower than at 2 MiB.)
    for (const char* ocm : {"256 KiB", "512 KiB", "1 MiB", "2 MiB"}) {
      const auto j = run(std::string("--model ") + m + " --hw " + test::hw_path("series4-1core") + " --set ocm.size='" + ocm + "'");
      INFO(m << " OCM " << ocm << ": " << secs(j) << " s, " << j["fusion_groups"].size() << " group(s)");
      CHECK(secs(j) <= prev * (1 + 1e-9));
      prev = secs(j);
    }
  }
}

TEST_CASE("fusion: the planner's estimate of a group agrees with the simulation", "[fusion][sim]") {
  // The group's estimate (its layers' planned_seconds add up to it) against the simulated window
  // from its first layer's start to its last command, within 10 % (measured: 0-3 % on these).
  // Without the cross-layer weight prefetch (sched/prefetch.h), which the group's estimate does not
  // know: with it, a group whose weights arrived during earlier layers runs faster than planned
  // (MobileNet-V2's features.17-18 group: 71 us against 81 us).
  const std::vector<std::string> cases = {"--model " + chain_model() + " " + small_hw(),
                                          "--model vgg16 --hw " + test::hw_path("series4-1core"),
                                          "--model mobilenet_v2 --hw " + test::hw_path("series4-1core"),
                                          "--model efficientnet_lite4 --hw " + test::hw_path("series4-1core")};
  for (const auto& c : cases) {
    const auto j = run(c + " --mapper prefetch=false");
    std::map<int, std::vector<nlohmann::json>> groups;
    for (const auto& l : j["layers"])
      if (!l["fusion_group"].is_null()) groups[l["fusion_group"].get<int>()].push_back(l);
    CHECK(groups.size() == j["fusion_groups"].size());
    CHECK_FALSE(groups.empty());
    for (const auto& [k, ls] : groups) {
      double est = 0, t0 = 1e9, t1 = 0;
      for (const auto& l : ls) {
        est += l["planned_seconds"].get<double>();
        t0 = std::min(t0, l["start_seconds"].get<double>());
        t1 = std::max(t1, l["start_seconds"].get<double>() + l["seconds"].get<double>());
      }
      INFO(c << ": " << j["fusion_groups"][size_t(k)].get<std::string>() << ": planned " << est << " s, simulated "
             << t1 - t0 << " s");
      CHECK(est == Approx(t1 - t0).epsilon(0.10));
    }
  }
}
