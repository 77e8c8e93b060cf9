// The planner's candidate lists kept across plans (sim/sched/plan_cache.h): the fingerprint covers
// what stage 1 reads and leaves out what only the estimates read, and a plan made with a cache
// that served other hardware before is the plan made without one.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/run/run.h"
#include "sim/sched/plan_cache.h"
#include "sim/sched/scheduler.h"

using namespace nnasim;

namespace {

HardwareSpec series4() { return config::load_hardware(test::hw_path("series4-1core")); }

std::string print(const HardwareSpec& hw, const sched::SchedOptions& o = {}) {
  return sched::geometry_fingerprint(sched::geometry_view(hw), o);
}

// Everything a plan decides, as text: the emitted program and the plan's own estimates.
std::string plan_text(const graph::Graph& g, const HardwareSpec& hw, sched::PlanCache* cache) {
  sched::SchedOptions so;
  sched::Plan plan = sched::make_plan(g, hw, so, cache);
  std::ostringstream os;
  sched::emit_program(g, hw, plan).write(os);
  os << plan.est_dram_bytes << " " << plan.pinned_weight_bytes << " " << plan.pinned_per_core << "\n";
  for (const auto& lp : plan.layers)
    os << fmt::format("{} {:a} {:a} {}\n", lp.tiling.dram_bytes, lp.tiling.est_seconds, lp.tiling.est_joules,
                      sched::describe(lp, hw.mac.dataflow));
  return os.str();
}

}  // namespace

TEST_CASE("plan cache: the fingerprint changes with every key stage 1 reads, not with the estimates' keys",
          "[plan_cache]") {
  const HardwareSpec base = series4();
  const std::string p0 = print(base);
  using Edit = std::function<void(HardwareSpec&)>;
  // Each sweep axis of bench/sweep_10k.yaml that changes candidates, and the other geometry keys.
  const std::vector<std::pair<const char*, Edit>> geometry = {
      {"ocm.size", [](HardwareSpec& h) { h.ocm.size_bytes *= 2; }},
      {"cores.count", [](HardwareSpec& h) { h.cores = 8; }},
      {"ocm.bytes_per_cycle", [](HardwareSpec& h) { h.ocm.bytes_per_cycle *= 2; }},
      {"mac.rows", [](HardwareSpec& h) { h.mac.rows *= 2; }},
      {"mac.cols", [](HardwareSpec& h) { h.mac.cols *= 2; }},
      {"mac.dataflow", [](HardwareSpec& h) {
         h.mac.dataflow = h.mac.dataflow == Dataflow::WeightStationary ? Dataflow::OutputStationary
                                                                        : Dataflow::WeightStationary;
       }},
      {"mac.weight_preload", [](HardwareSpec& h) {
         h.mac.weight_preload =
             h.mac.weight_preload == WeightPreload::Serial ? WeightPreload::Overlapped : WeightPreload::Serial;
       }},
      {"mac.throughput", [](HardwareSpec& h) { h.mac.throughput.at(0).macs_per_cycle += 1; }},
      {"mac.accumulator", [](HardwareSpec& h) { h.mac.accumulator.size_bytes += 1024; }},
      {"vector", [](HardwareSpec& h) { h.vector.elements_per_cycle *= 2; }},
      {"lns", [](HardwareSpec& h) { h.lns.conversions_per_cycle += 1; }}};
  for (const auto& [name, edit] : geometry) {
    HardwareSpec h = base;
    edit(h);
    INFO(name);
    CHECK(print(h) != p0);
  }
  // Keys only the estimates read (stage 2): the same fingerprint, so their points share stage 1.
  const std::vector<std::pair<const char*, Edit>> estimates = {
      {"dram.bandwidth", [](HardwareSpec& h) { h.dram.bandwidth *= 3; }},
      {"dram.latency", [](HardwareSpec& h) { h.dram.latency_s += 1e-7; }},
      {"dram.efficiency", [](HardwareSpec& h) { h.dram.efficiency /= 2; }},
      {"clock", [](HardwareSpec& h) { h.clock_hz *= 2; }},
      {"dma.bytes_per_cycle", [](HardwareSpec& h) { h.dma.bytes_per_cycle *= 2; }},
      {"dma.outstanding", [](HardwareSpec& h) { h.dma.outstanding += 1; }},
      {"energy.dram_read", [](HardwareSpec& h) { h.energy.dram_read_j_per_byte *= 2; }},
      {"energy.static", [](HardwareSpec& h) { h.energy.static_power_w += 0.5; }}};
  for (const auto& [name, edit] : estimates) {
    HardwareSpec h = base;
    edit(h);
    INFO(name);
    CHECK(print(h) == p0);
  }
  // Every planner option is part of it.
  sched::SchedOptions o;
  o.max_chunks = 32;
  CHECK(print(base, o) != p0);
  o = {};
  o.objective = sched::Objective::Energy;
  CHECK(print(base, o) != p0);
  // The view poisons what it leaves out: reading it gives NaN, never a plausible number.
  const HardwareSpec v = sched::geometry_view(base);
  CHECK(std::isnan(v.dram.bandwidth));
  CHECK(std::isnan(v.clock_hz));
  CHECK(std::isnan(v.energy.dram_read_j_per_byte));
  CHECK(v.ocm.size_bytes == base.ocm.size_bytes);
}

TEST_CASE("plan cache: plans made through one cache over a sweep equal plans made without it", "[plan_cache]") {
  // A cache that served other hardware before must give the same plan as none: the sweep's axes
  // (bandwidth inside a group, then OCM, cores, weight bits), and the estimates' other keys.
  sched::PlanCache cache;
  size_t plans = 0, different = 0;
  std::string previous;
  for (const char* model : {"mobilenet_v2", "resnet50"})
    for (int bits : {8, 4}) {
      run::ModelSpec ms;
      ms.model = model;
      ms.prepare.weight_bits = bits;
      const graph::Graph g = run::load_prepared(ms);
      for (double ocm : {512.0 * 1024, 4.0 * 1024 * 1024})
        for (int cores : {1, 8})
          for (double bw : {4e9, 12e9, 100e9}) {
            HardwareSpec hw = series4();
            hw.ocm.size_bytes = ocm;
            hw.cores = cores;
            hw.dram.bandwidth = bw;
            if (bw == 12e9) hw.dram.latency_s *= 3, hw.energy.dram_read_j_per_byte *= 2, hw.clock_hz *= 1.5;
            const std::string fresh = plan_text(g, hw, nullptr);
            const std::string cached = plan_text(g, hw, &cache);
            INFO(fmt::format("{} {}-bit, OCM {}, {} cores, {} B/s", model, bits, ocm, cores, bw));
            REQUIRE(cached == fresh);
            ++plans;
            different += fresh != previous;
            previous = fresh;
          }
    }
  CHECK(plans == 48);
  CHECK(different == 48);  // every hardware gave its own plan: the cache served real differences
  CHECK(cache.views() <= 2);
}

TEST_CASE("emit fingerprint: the emitter reads no bandwidth, energy or technology figure, and the fingerprint covers the rest",
          "[plan_cache][emit]") {
  // A sweep worker reuses the last point's program when the emit fingerprints are equal
  // (point_runner.cpp). That is right only if emitting one plan on hardware that differs in the
  // keys the fingerprint leaves out gives the same program: checked here with fused groups
  // (MobileNetV2, EfficientNet-Lite0 on one core), prefetch and reduction splits (eight cores).
  size_t programs = 0;
  for (const char* model : {"mobilenet_v2", "efficientnet_lite0", "resnet50"})
    for (int cores : {1, 8}) {
      run::ModelSpec ms;
      ms.model = model;
      const graph::Graph g = run::load_prepared(ms);
      HardwareSpec a = series4();
      a.cores = cores;
      const sched::Plan plan = sched::make_plan(g, a, sched::SchedOptions{});
      HardwareSpec b = a;
      b.dram.bandwidth *= 3.7;
      b.dram.efficiency *= 0.5;
      b.energy.dram_read_j_per_byte *= 2, b.energy.dram_write_j_per_byte *= 3, b.energy.static_power_w *= 5;
      b.energy.ocm_read_j_per_byte *= 2, b.energy.ocm_leakage_w *= 2, b.energy.vector_op_j *= 2;
      b.technology.energy_scale *= 2, b.technology.area_scale *= 3;
      std::ostringstream pa, pb;
      sched::emit_program(g, a, plan).write(pa);
      sched::emit_program(g, b, plan).write(pb);
      INFO(model << " on " << cores << " cores");
      REQUIRE(pa.str() == pb.str());
      CHECK(sched::emit_fingerprint(plan, a) == sched::emit_fingerprint(plan, b));
      ++programs;
      // What the emitter does read changes the fingerprint: the OCM, the clock, the DRAM latency,
      // the DMA engine, and any decision of the plan.
      for (int k = 0; k < 5; ++k) {
        HardwareSpec c = a;
        sched::Plan p = plan;
        if (k == 0) c.ocm.size_bytes *= 2;
        if (k == 1) c.clock_hz *= 2;
        if (k == 2) c.dram.latency_s *= 2;
        if (k == 3) c.dma.outstanding += 1;
        if (k == 4) p.layers.back().tiling.row_tiles += 1;
        CHECK(sched::emit_fingerprint(p, c) != sched::emit_fingerprint(plan, a));
      }
    }
  CHECK(programs == 6);
}
