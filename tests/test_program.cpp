// The Program (the scheduler -> hardware contract): it serialises and reads back unchanged, its
// dependencies only point backwards, and the OCM it claims never exceeds the capacity.
#include <catch2/catch.hpp>

#include <sstream>

#include "helpers.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"
#include "sim/sched/scheduler.h"

using namespace nnasim;

TEST_CASE("program: write, read back, write again gives the same text", "[program]") {
  graph::Graph g = graph::load_model(test::source_dir() + "/models/tinynet.yaml");
  graph::prepare(g, {});
  auto s = sched::schedule(g, test::literal_hw(16, 16, 64 << 10, 1e9, 2), {});
  std::stringstream a;
  s.program.write(a);
  std::stringstream in(a.str());
  program::Program back = program::Program::read(in, "<memory>");
  std::stringstream b;
  back.write(b);
  CHECK(a.str() == b.str());
  REQUIRE(back.cmds.size() == s.program.cmds.size());
  CHECK(back.cores == 2);
  for (size_t i = 0; i < back.cmds.size(); ++i) {
    CHECK(back.cmds[i].deps == s.program.cmds[i].deps);
    CHECK(back.cmds[i].ops == s.program.cmds[i].ops);
    CHECK(back.cmds[i].weights == s.program.cmds[i].weights);
    CHECK(back.cmds[i].background == s.program.cmds[i].background);
  }
}

TEST_CASE("program: a malformed program is an error at its line", "[program][errors]") {
  std::stringstream bad("nnasim_program 1 cores 1 layers 1 commands 1 preload 0\nlayer a conv\nfly 0 0\n");
  try {
    program::Program::read(bad, "p.txt");
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.loc().line == 3);
  }
}

TEST_CASE("program: dependencies point backwards and OCM claims fit, for every zoo network", "[program][zoo]") {
  for (const char* name : {"resnet50", "mobilenet_v2", "hardnet85", "vgg16"}) {
    graph::Graph g = graph::load_model(name);
    graph::prepare(g, {});
    for (int cores : {1, 8}) {
      auto hw = test::literal_hw(64, 64, cores == 1 ? 1 << 20 : 11 << 20, cores == 1 ? 12e9 : 115e9, cores);
      auto s = sched::schedule(g, hw, {});
      std::vector<int64_t> used(cores, s.program.ocm_preload);
      for (size_t i = 0; i < s.program.cmds.size(); ++i) {
        const auto& c = s.program.cmds[i];
        for (auto d : c.deps) CHECK(d < i);
        // Allocations in program order: an upper bound of what can be live at once, because
        // a layer's buffers are freed at its end sync and layers are separated by barriers.
        used[c.core] += c.ocm_alloc - c.ocm_free;
        CHECK(used[c.core] <= static_cast<int64_t>(hw.ocm.size_bytes));
      }
      for (int c = 0; c < cores; ++c) CHECK(used[c] == s.program.ocm_preload);  // everything freed at the end
    }
  }
}
