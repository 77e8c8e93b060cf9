// The nnasim executable: bad input gives one error line and exit status 2; reports are
// deterministic; info and run follow the JSON contract of DESIGN.md.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "helpers.h"

using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_file;

namespace {

std::string series4() { return source_dir() + "/configs/hw/series4-1core.yaml"; }
std::string tinynet() { return source_dir() + "/models/tinynet.yaml"; }

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hardware file equal to series4-1core.yaml with one line replaced.
std::string hw_with(const std::string& name, const std::string& from, const std::string& to) {
  std::string text = read(series4());
  auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  return temp_file(name, text);
}

int line_of(const std::string& text, const std::string& needle) {
  auto pos = text.find(needle);
  return pos == std::string::npos ? -1 : 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
}

// One line "error: FILE:LINE: message" and exit status 2.
void expect_error(const nnasim::test::CliResult& r, const std::string& file, int line, const std::string& words) {
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  std::string prefix = line > 0 ? "error: " + file + ":" + std::to_string(line) + ": " : "error: " + file + ": ";
  CHECK(r.err.rfind(prefix, 0) == 0);
  CHECK_THAT(r.err, Catch::Contains(words));
}

}  // namespace

TEST_CASE("cli: a missing file", "[cli][errors]") {
  auto r = run_cli("run --hw /nonexistent/hw.yaml --model " + tinynet());
  expect_error(r, "/nonexistent/hw.yaml", 0, "cannot open");
  auto m = run_cli("run --model /nonexistent/model.yaml");
  expect_error(m, "/nonexistent/model.yaml", 0, "no such model");
}

TEST_CASE("cli: malformed YAML", "[cli][errors]") {
  auto path = temp_file("malformed.yaml", "name: x\nclock: [1 GHz\ncores: 1\n");
  expect_error(run_cli("run --hw " + path + " --model " + tinynet()), path, 3, "malformed YAML");
}

TEST_CASE("cli: an unknown or misspelt key", "[cli][errors]") {
  auto path = hw_with("misspelt.yaml", "  bandwidth: 12 GB/s", "  bandwith: 12 GB/s");
  int line = line_of(read(path), "bandwith");
  expect_error(run_cli("run --hw " + path + " --model " + tinynet()), path, line, "did you mean 'bandwidth'");
}

TEST_CASE("cli: a value without its unit, or with the wrong one", "[cli][errors]") {
  auto a = hw_with("nounit.yaml", "bandwidth: 12 GB/s", "bandwidth: 12");
  expect_error(run_cli("run --hw " + a + " --model " + tinynet()), a, line_of(read(a), "bandwidth: 12"), "no unit");
  auto b = hw_with("wrongunit.yaml", "size: 1 MiB", "size: 1 GHz");
  expect_error(run_cli("run --hw " + b + " --model " + tinynet()), b, line_of(read(b), "size: 1 GHz"), "is not a size");
}

TEST_CASE("cli: a negative or zero size", "[cli][errors]") {
  auto a = hw_with("zero.yaml", "size: 1 MiB", "size: 0 MiB");
  expect_error(run_cli("run --hw " + a + " --model " + tinynet()), a, line_of(read(a), "size: 0 MiB"), "greater than zero");
  auto b = hw_with("negative.yaml", "rows: 64", "rows: -64");
  expect_error(run_cli("run --hw " + b + " --model " + tinynet()), b, line_of(read(b), "rows: -64"), "between");
}

TEST_CASE("cli: shapes that do not agree", "[cli][errors]") {
  auto path = temp_file("shapes.yaml",
                        "name: bad\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                        "  - { name: a, op: conv, out_channels: 4, kernel: 3, pad: 1 }\n"
                        "  - { name: b, op: conv, out_channels: 8, kernel: 3, pad: 1, inputs: [input] }\n"
                        "  - { name: c, op: add, inputs: [a, b] }\n");
  expect_error(run_cli("run --model " + path), path, 6, "do not agree");
}

TEST_CASE("cli: a graph with a cycle or a dangling input", "[cli][errors]") {
  auto cyc = temp_file("cycle.yaml",
                       "name: bad\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                       "  - { name: a, op: add, inputs: [input, b] }\n"
                       "  - { name: b, op: relu, inputs: [a] }\n");
  expect_error(run_cli("run --model " + cyc), cyc, 4, "not a layer defined before");
  auto dangling = temp_file("dangling.yaml",
                            "name: bad\ninput: { shape: [1, 3, 8, 8] }\nlayers:\n"
                            "  - { name: a, op: relu }\n"
                            "  - { name: b, op: relu, inputs: [nowhere] }\n");
  expect_error(run_cli("run --model " + dangling), dangling, 5, "'nowhere'");
}

TEST_CASE("cli: a bad option value", "[cli][errors]") {
  auto r = run_cli("run --model " + tinynet() + " --mode warm");
  CHECK(r.status == 2);
  CHECK(r.err.rfind("error: --mode: ", 0) == 0);
  auto w = run_cli("run --model " + tinynet() + " --weight-bits 0");
  CHECK(w.status == 2);
}

TEST_CASE("cli: the same run twice gives byte-identical JSON", "[cli][determinism]") {
  std::string args = "run --hw " + series4() + " --model " + tinynet() + " --format json";
  auto a = run_cli(args);
  auto b = run_cli(args);
  REQUIRE(a.status == 0);
  CHECK(!a.out.empty());
  CHECK(a.out == b.out);
}

TEST_CASE("cli: run --format json follows the contract", "[cli]") {
  auto r = run_cli("run --hw " + series4() + " --model " + tinynet() + " --format json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"model", "hardware", "inference", "totals", "dram", "ocm", "energy", "layers"}) CHECK(j.contains(k));
  for (const char* k : {"seconds", "cycles", "inferences_per_second", "mac_utilization"}) CHECK(j["inference"].contains(k));
  for (const char* k : {"mac", "lns", "ocm", "dram", "static"}) CHECK(j["energy"]["breakdown"].contains(k));
  for (const auto& l : j["layers"])
    for (const char* k : {"name", "op", "macs", "seconds", "cycles", "dram_read_bytes", "dram_write_bytes",
                          "energy_joules", "bound"})
      CHECK(l.contains(k));
  CHECK(j["model"] == "tinynet");
  CHECK(j["hardware"] == "series4-1core");
  // Layers' exclusive times add up to the inference time (their windows overlap where layers run
  // together: prefetched weights, a fused group's band-by-band layers).
  double sum = 0;
  for (const auto& l : j["layers"]) sum += l["exclusive_seconds"].get<double>();
  CHECK(sum == Approx(j["inference"]["seconds"].get<double>()));
}

TEST_CASE("cli: info --format json lists layers and totals", "[cli]") {
  auto r = run_cli("info --model " + tinynet() + " --format json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["model"] == "tinynet");
  CHECK(j["totals"]["macs"] == 1278592);
  CHECK(j["totals"]["params"] == 3242);
  CHECK(j["layers"].size() == 13);
}
