// Sweep specs, results files and the commands that read them: what a review of their input
// handling found on 2026-11-26, each accepted before (exit 0 with a wrong answer, or exit 1).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"

using nnasim::test::expect_input_error;
using nnasim::test::q;
using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_file;
using nlohmann::json;

namespace {

// A sweep of `models` with the given axes block (indented lines); the axes start at line 5.
std::string spec(const std::string& name, const std::string& models, const std::string& axes) {
  return temp_file(name, "name: s\nhardware: series4-1core\nmodels: [" + models + "]\naxes:\n" + axes);
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("sweep hardening: axis values are read as what they mean", "[hardening][sweep]") {
  // batch 1e1 ran as 1, 0x10 as 0; 2.0 and 2 were two points.
  for (const char* v : {"1e1", "0x10", "2.0", ".5e1"}) {
    auto s = spec(std::string("batch") + v + ".yaml", "tinynet", std::string("  batch: [") + v + "]\n");
    expect_input_error(run_cli("sweep " + q(s) + " --dry-run"), s + ":5", "is not a batch size");
  }
  // One value in two spellings is one point twice.
  for (const auto& [axis, values, first] :
       {std::tuple{"ocm.size", "[1 MiB, 1024 KiB]", "1 MiB"}, {"weight_bits", "[8, \"08\"]", "8"}, {"batch", "[2, 02]", "2"}}) {
    auto s = spec("twice.yaml", "tinynet", std::string("  ") + axis + ": " + values + "\n");
    expect_input_error(run_cli("sweep " + q(s) + " --dry-run"), s + ":5", std::string("is '") + first + "', listed before");
  }
  auto m = spec("models.yaml", "tinynet, " + source_dir() + "/models/tinynet.yaml", "  weight_bits: [8]\n");
  expect_input_error(run_cli("sweep " + q(m) + " --dry-run"), m + ":3", "is the file of 'tinynet', listed before");
  // Ranges are decimal (0x1 was read as 1), and take area units.
  auto h = spec("hex.yaml", "tinynet", "  cores.count: {from: 0x1, to: 0x2, step: 0x1}\n");
  expect_input_error(run_cli("sweep " + q(h) + " --dry-run"), h + ":5", "'0x1' is not a number");
  auto a = spec("area.yaml", "tinynet", "  area.sram_bit: {from: 1 um2, to: 2 um2, step: 0.5 um2}\n");
  auto r = run_cli("sweep " + q(a) + " --dry-run");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("1.5 um2"));
}

TEST_CASE("sweep hardening: a published top-1 only for the zoo's file at its published precision", "[hardening][sweep]") {
  // act_bits 2 and cluster compression rows got ResNet-50's int8 top-1, which pareto maximises.
  auto s = spec("top1.yaml", "resnet50", "  act_bits: [8, 2]\n  compress: [none, cluster:64]\n");
  auto out = temp_file("top1.csv", "");
  REQUIRE(run_cli("sweep " + q(s) + " -o " + q(out) + " -j 1").status == 0);
  const std::string csv = slurp(out);
  // act_bits,compress,model,...,top1 (75.92 published: torchvision int8 weights, 8-bit activations)
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);
  size_t published = 0, pos = 0;
  while ((pos = csv.find(",75.92,", pos)) != std::string::npos) ++published, ++pos;
  CHECK(published == 1);
  const size_t row = csv.find("\n8,none,resnet50,");
  REQUIRE(row != std::string::npos);
  CHECK(csv.substr(row, csv.find('\n', row + 1) - row).find(",75.92,") != std::string::npos);
  // A copy of tinynet named resnet50.yaml is not ResNet-50.
  std::filesystem::copy_file(source_dir() + "/models/tinynet.yaml", nnasim::test::temp_dir() / "resnet50.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  auto c = spec("copy.yaml", "./resnet50.yaml", "  weight_bits: [8]\n");
  auto out2 = temp_file("copy.csv", "");
  REQUIRE(run_cli("sweep " + q(c) + " -o " + q(out2) + " -j 1").status == 0);
  CHECK(slurp(out2).find("75.92") == std::string::npos);
}

TEST_CASE("sweep hardening: results files are not the sweep's inputs or someone else's", "[hardening][sweep]") {
  auto s = spec("self.yaml", "tinynet", "  weight_bits: [8]\n");
  const std::string before = slurp(s);
  // A results name is .csv or .jsonl (`-o res.json` wrote CSV into it), checked first.
  expect_input_error(run_cli("sweep " + q(s) + " -o " + q(s)), "-o", "expected a results file ending in .csv or .jsonl");
  expect_input_error(run_cli("sweep " + q(s) + " -o res.json"), "-o", "'res.json': expected a results file ending in .csv");
  CHECK(slurp(s) == before);
  // A SCALE-Sim topology is a model and a .csv: not the results.
  auto topo = temp_file("topo.csv", slurp(source_dir() + "/models/scalesim/test.csv"));
  auto t = temp_file("topo.yaml", "name: t\nhardware: series4-1core\nmodels: [" + topo + "]\n");
  const std::string topo_before = slurp(topo);
  expect_input_error(run_cli("sweep " + q(t) + " -o " + q(topo)), topo, "is an input of this sweep");
  CHECK(slurp(topo) == topo_before);
  // A CSV named .jsonl was silently replaced by --resume.
  auto csv = temp_file("r.csv", "");
  REQUIRE(run_cli("sweep " + q(s) + " -o " + q(csv) + " -j 1").status == 0);
  auto foreign = temp_file("foreign.jsonl", slurp(csv));
  expect_input_error(run_cli("sweep " + q(s) + " -o " + q(foreign) + " --resume -j 1"), foreign + ":1",
                     "is not a line of JSON Lines results");
  CHECK(slurp(foreign) == slurp(csv));
  // A status of the wrong JSON type: an internal error before.
  auto jl = temp_file("r.jsonl", "");
  REQUIRE(run_cli("sweep " + q(s) + " -o " + q(jl) + " -j 1").status == 0);
  json rec = json::parse(slurp(jl));
  rec["status"] = 1;
  auto bad = temp_file("bad.jsonl", rec.dump() + "\n");
  expect_input_error(run_cli("sweep " + q(s) + " -o " + q(bad) + " --resume -j 1"), bad + ":1", "'status' is 1: expected a string");
  expect_input_error(run_cli("pareto " + q(bad)), bad + ":1", "'status' is 1: expected a string");
  auto dup = temp_file("dup.csv", "model,seconds,seconds,status\nx,1,2,ok\n");
  expect_input_error(run_cli("pareto " + q(dup) + " -O seconds"), dup + ":1", "column 'seconds' appears twice");
}

TEST_CASE("sweep hardening: compare reads typed reports and quotes its CSV", "[hardening][compare]") {
  auto a = run_cli("run --model tinynet --format json");
  REQUIRE(a.status == 0);
  json ja = json::parse(a.out), jb = ja;
  jb["layers"][1]["name"] = "x,\"y\"";
  auto pa = temp_file("a.json", ja.dump()), pb = temp_file("b.json", jb.dump());
  auto r = run_cli("compare " + q(pa) + " " + q(pb) + " --format csv");
  REQUIRE(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("\n\"x,\"\"y\"\"\",conv,only B,seconds,"));
  jb["model"] = 5;
  auto pc = temp_file("c.json", jb.dump());
  expect_input_error(run_cli("compare " + q(pa) + " " + q(pc)), pc, "'model' is 5: expected a string");
  // The dry run's commands run in a shell: a quote in a path is escaped.
  std::filesystem::copy_file(source_dir() + "/models/tinynet.yaml", nnasim::test::temp_dir() / "it's.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  auto s = temp_file("quote.yaml", "name: s\nhardware: series4-1core\nmodels: [\"./it's.yaml\"]\naxes:\n  weight_bits: [8]\n");
  auto d = run_cli("sweep " + q(s) + " --dry-run");
  REQUIRE(d.status == 0);
  CHECK_THAT(d.out, Catch::Contains("it'\\''s.yaml'"));
}

TEST_CASE("sweep hardening: what the 2026-11-26 review left, second pass", "[hardening][sweep]") {
  // --dry-run wrote its plan over the -o file: `sweep s.yaml -o results.csv --dry-run` lost results.
  auto s = spec("dry.yaml", "tinynet", "  weight_bits: [8, 4]\n");
  auto results = temp_file("dry.csv", "keep me\n");
  auto d = run_cli("sweep " + q(s) + " -o " + q(results) + " --dry-run");
  REQUIRE(d.status == 0);
  CHECK(d.out.rfind("point,model,hardware,weight_bits,command\n", 0) == 0);
  CHECK(slurp(results) == "keep me\n");

  // `models: [zoo]` ran zoo.yaml as a network: every row an error.
  auto z = temp_file("zoo_list.yaml", "name: z\nhardware: series4-1core\nmodels: [tinynet, zoo]\n");
  expect_input_error(run_cli("sweep " + q(z) + " --dry-run"), z + ":3", "'zoo' is the zoo's list of networks, not a model");

  // pareto: one column as two objectives (min and max) was accepted, its front every row.
  auto csv = temp_file("p.csv", "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,ok\n");
  expect_input_error(run_cli("pareto " + q(csv) + " -O seconds -O seconds:max"), "--objective",
                     "'seconds' is an objective twice");
  // A last line torn inside its status ("o" of "ok") was a row that silently was not ok.
  auto torn = temp_file("torn.csv", "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,ok\nc,3,0.5,o");
  auto p = run_cli("pareto " + q(torn) + " -O seconds -O energy_joules --format csv");
  REQUIRE(p.status == 0);
  CHECK_THAT(p.err, Catch::Contains("left out a last line that was cut short"));
  CHECK(p.out == "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,ok\n");
  // A whole last line without '\n' still counts, whatever its status.
  auto whole = temp_file("whole.csv", "hardware,seconds,energy_joules,status\na,1,3,ok\nb,2,1,error: too small");
  auto w = run_cli("pareto " + q(whole) + " -O seconds -O energy_joules --format csv");
  REQUIRE(w.status == 0);
  CHECK(w.err.find("cut short") == std::string::npos);

  // compare matched layers by name and merged two of one name into one row.
  auto report = nnasim::test::run_cli("run --model tinynet --format json");
  REQUIRE(report.status == 0);
  json a = json::parse(report.out);
  auto good = temp_file("a.json", a.dump());
  a["layers"][1]["name"] = a["layers"][0]["name"];
  auto twice = temp_file("twice.json", a.dump());
  expect_input_error(run_cli("compare " + q(good) + " " + q(twice)), twice,
                     "two layers are named '" + a["layers"][0]["name"].get<std::string>() + "'");
  a["layers"][1].erase("name");
  auto unnamed = temp_file("unnamed.json", a.dump());
  expect_input_error(run_cli("compare " + q(unnamed) + " " + q(good)), unnamed, "is not an object with a string name");
}
