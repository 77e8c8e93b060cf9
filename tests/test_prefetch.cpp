// Deep weight prefetch and data dependencies across layers (sim/sched/prefetch.h, emit.cpp): a
// prefetched layer computes no later than without prefetch; no command starts before what it
// reads is finished, on whichever core produced it; more OCM, bandwidth or cores never hurt.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/run/run.h"

using namespace nnasim;

namespace {

nlohmann::json run_model(const std::string& model, const std::string& hw, const std::string& args) {
  return test::run_cli_json("run --mode cold --hw " + test::hw_path(hw) + " --model " + model + " " + args);
}

double secs(const nlohmann::json& j) { return j["inference"]["seconds"].get<double>(); }

// First compute (MAC or vector) start of each layer, from a timeline file.
std::map<std::string, double> first_compute(const std::string& timeline) {
  const auto r = test::run_shell("cat " + timeline);
  const auto t = nlohmann::json::parse(r.out);
  std::map<std::string, double> first;
  for (const auto& e : t["traceEvents"]) {
    if (e["ph"] != "X" || !e.contains("args") || !e["args"].contains("kind")) continue;
    const std::string kind = e["args"]["kind"];
    if (kind != "compute" && kind != "vector") continue;
    const std::string name = e["name"];
    const double ts = e["ts"].get<double>();
    auto it = first.find(name);
    if (it == first.end() || ts < it->second) first[name] = ts;
  }
  return first;
}

}  // namespace

TEST_CASE("prefetch: a layer whose weights are prefetched computes no later than without", "[prefetch][sim]") {
  // On one core the channel idles during the compute-bound layers of these networks; the
  // prefetch pass moves coming layers' weights there. Every layer's first compute comes no later
  // than without it, and the whole inference is faster. (Not a law for every network: a moved
  // load shares the channel with the layer it is issued in, so on ResNet-50 the first layers
  // compute up to 0.7 us later while the inference still ends earlier.)
  for (const std::string m : {"efficientnet_lite0", "mobilenet_v2"}) {
    const std::string on_tl = test::temp_file("prefetch_on.json", ""), off_tl = test::temp_file("prefetch_off.json", "");
    // Layer by layer (fusion off): a fused group's layers start with their group, whose loads the
    // pass leaves in place.
    const auto on = run_model(m, "series4-1core", "--mapper fusion=false --timeline " + on_tl);
    const auto off = run_model(m, "series4-1core", "--mapper fusion=false --mapper prefetch=false --timeline " + off_tl);
    const auto a = first_compute(on_tl), b = first_compute(off_tl);
    REQUIRE(a.size() == b.size());
    int earlier = 0;
    for (const auto& [name, t] : a) {
      INFO(m << " " << name << ": first compute at " << t << " us with prefetch, " << b.at(name) << " us without");
      CHECK(t <= b.at(name) * (1 + 1e-9));
      earlier += t < b.at(name) * (1 - 1e-6);
    }
    CHECK(earlier > 0);
    CHECK(secs(on) < secs(off));
    // The timeline shows it: some layer's first command (a moved weight load) starts before the
    // layer two places before it has ended.
    bool shown = false;
    const auto& ls = on["layers"];
    for (size_t i = 2; i < ls.size(); ++i)
      shown |= ls[i]["start_seconds"].get<double>() <
               ls[i - 2]["start_seconds"].get<double>() + ls[i - 2]["seconds"].get<double>() - 1e-12;
    CHECK(shown);
  }
}

TEST_CASE("prefetch: more OCM or bandwidth or cores never make a zoo network slower", "[prefetch][sim][laws]") {
  for (const std::string model : {"efficientnet_lite0", "mobilenet_v2"}) {
    INFO(model);
    // (one line per law)
    const double base = secs(run_model(model, "series4-1core", ""));
    CHECK(secs(run_model(model, "series4-1core", "--set ocm.size='2 MiB'")) <= base * (1 + 1e-9));
    CHECK(secs(run_model(model, "series4-1core", "--set dram.bandwidth='24 GB/s'")) <= base * (1 + 1e-9));
    CHECK(secs(run_model(model, "series4-1core", "--set cores.count=2")) <= base * (1 + 1e-9));
  }
}

TEST_CASE("prefetch: no command starts before what it reads has finished (4 cores)", "[prefetch][sim][deps]") {
  // One simulation in this process (a ctest entry of its own): every command's timing against
  // its dependencies, and every command of a layer against the producers of its inputs on
  // every core (the data it reads), weight loads excepted (they read no activations).
  run::ModelSpec ms;
  ms.model = "mobilenet_v2";
  const graph::Graph g = run::load_prepared(ms);
  const HardwareSpec hw = config::load_hardware(test::hw_path("series4-8core"), {{"cores.count", "4", {"--set", 0}},
                                                                         {"ocm.size", "1 MiB", {"--set", 0}},
                                                                         {"dram.bandwidth", "12 GB/s", {"--set", 0}}});
  sched::SchedOptions opt;
  opt.mode = sched::Mode::Cold;
  const auto out = run::simulate_inference(g, hw, opt);
  const auto& prog = out.schedule.program;
  const auto& tm = out.sim.timing;
  REQUIRE(tm.size() == prog.cmds.size());
  int64_t moved = 0;
  std::vector<double> layer_end(g.layers.size(), 0), layer_first_read(g.layers.size(), 1e30);
  for (size_t i = 0; i < prog.cmds.size(); ++i) {
    const auto& c = prog.cmds[i];
    for (uint32_t d : c.deps) REQUIRE(tm[i].start >= tm[d].end - 1e-15);
    layer_end[c.layer] = std::max(layer_end[c.layer], tm[i].end);
    const bool reads_activations = !(c.kind == program::Kind::Load && c.weights) && c.kind != program::Kind::Sync;
    if (reads_activations) layer_first_read[c.layer] = std::min(layer_first_read[c.layer], tm[i].start);
  }
  // Moved weight loads (background prefetches) exist and start before their layer's start sync
  // on their core has run.
  for (size_t i = 0; i < prog.cmds.size(); ++i) {
    const auto& c = prog.cmds[i];
    if (!c.background) continue;
    for (size_t k = i + 1; k < prog.cmds.size(); ++k)
      if (prog.cmds[k].layer == c.layer && prog.cmds[k].core == c.core && prog.cmds[k].kind == program::Kind::Sync) {
        moved += tm[i].start < tm[k].start;
        break;
      }
  }
  for (size_t li = 1; li < g.layers.size(); ++li)
    for (int p : g.layers[li].inputs) {
      if (g.layers[p].op == graph::Op::Input) continue;
      // Inside a fused group a layer reads its producer band by band (fuse.h), before it ends.
      const int fg = out.schedule.plan.layers[li].fusion_group;
      if (fg >= 0 && fg == out.schedule.plan.layers[size_t(p)].fusion_group) continue;
      INFO(g.layers[li].name << " reads " << g.layers[p].name);
      CHECK(layer_first_read[li] >= layer_end[p] - 1e-15);
    }
  CHECK(moved > 0);
}
