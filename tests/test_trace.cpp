// Layer traces: record, replay, measured-time comparison, timeline, and malformed records.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "helpers.h"
#include "sim/trace/trace.h"

using nlohmann::json;
using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_file;

namespace {
std::string tinynet() { return source_dir() + "/models/tinynet.yaml"; }
std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::vector<json> lines(const std::string& p) {
  std::vector<json> out;
  std::ifstream in(p);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) out.push_back(json::parse(l));
  return out;
}
std::string write_lines(const std::string& name, const std::vector<json>& recs) {
  std::string text;
  for (const auto& r : recs) text += r.dump() + "\n";
  return temp_file(name, text);
}
// A recorded tinynet trace on series4-1core.
std::string recorded() {
  auto path = temp_file("tinynet.jsonl", "");
  auto r = run_cli("run --hw " + nnasim::test::hw_path("series4-1core") + " --model " + tinynet() + " --trace-out " + path + " -o /dev/null");
  REQUIRE(r.status == 0);
  return path;
}
void expect_error(const std::string& trace, int line, const std::string& words) {
  auto r = run_cli("replay --trace " + trace);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.err.rfind("error: " + trace + ":" + std::to_string(line) + ": ", 0) == 0);
  CHECK_THAT(r.err, Catch::Contains(words));
}
}  // namespace

TEST_CASE("trace: record then replay on the same hardware reproduces the totals", "[trace]") {
  auto path = recorded();
  auto run = nnasim::test::run_cli_json("run --hw " + nnasim::test::hw_path("series4-1core") + " --model " + tinynet());
  auto rep = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + path);
  CHECK(rep["inference"]["seconds"].get<double>() == Approx(run["inference"]["seconds"].get<double>()).epsilon(1e-12));
  CHECK(rep["dram"]["read_bytes"] == run["dram"]["read_bytes"]);
  CHECK(rep["dram"]["write_bytes"] == run["dram"]["write_bytes"]);
  CHECK(rep["totals"]["macs"] == run["totals"]["macs"]);
  CHECK(rep["energy"]["joules"].get<double>() == Approx(run["energy"]["joules"].get<double>()).epsilon(1e-12));
  // The header and one record per layer, the input first.
  auto recs = lines(path);
  CHECK(recs[0]["nnasim_trace"] == 1);
  CHECK(recs[1]["op"] == "input");
  CHECK(recs.size() == run["layers"].size() + 2);
}

TEST_CASE("trace: replay on series4-8core is faster than on series4-1core, without the model file", "[trace]") {
  auto path = recorded();
  auto one = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + path);
  auto eight = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-8core") + " --trace " + path);
  CHECK(eight["inference"]["seconds"].get<double>() < one["inference"]["seconds"].get<double>());
  CHECK(eight["hardware"] == "series4-8core");
  // The shipped ResNet-50 trace replays on both as well.
  auto shipped = source_dir() + "/traces/resnet50-series4-1core.jsonl";
  auto r1 = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + shipped);
  auto r8 = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-8core") + " --trace " + shipped);
  CHECK(r8["inference"]["seconds"].get<double>() < r1["inference"]["seconds"].get<double>());
  CHECK(r1["model"] == "resnet50");
}

TEST_CASE("trace: measured times 10% above the simulated ones report +10% per layer", "[trace]") {
  auto recs = lines(recorded());
  for (size_t i = 2; i < recs.size(); ++i) recs[i]["measured_seconds"] = recs[i]["seconds"].get<double>() * 1.1;
  auto path = write_lines("measured.jsonl", recs);
  auto rep = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + path);
  for (const auto& l : rep["layers"]) {
    if (l["seconds"].get<double>() == 0) continue;
    CHECK(l["error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  }
  CHECK(rep["measured"]["error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  CHECK(rep["measured"]["mean_abs_error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  CHECK(rep["measured"]["worst_layers"].size() == 5);
}

TEST_CASE("trace: measured energies 10% above the simulated ones report +10% per layer and in total", "[trace][energy]") {
  auto recs = lines(recorded());
  for (size_t i = 2; i < recs.size(); ++i)
    recs[i]["measured_energy_joules"] = recs[i]["energy_joules"].get<double>() * 1.1;
  auto path = write_lines("measured_energy.jsonl", recs);
  const std::string args = "replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + path;
  auto rep = nnasim::test::run_cli_json(args);
  int measured = 0;
  for (const auto& l : rep["layers"]) {
    if (!l.contains("energy_error_pct")) continue;
    ++measured;
    CHECK(l["energy_error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  }
  CHECK(measured == static_cast<int>(rep["layers"].size()));
  CHECK(rep["measured"]["energy"]["layers"] == measured);
  CHECK(rep["measured"]["energy"]["error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  CHECK(rep["measured"]["energy"]["mean_abs_error_pct"].get<double>() == Approx(10.0).epsilon(1e-6));
  CHECK(rep["measured"]["energy"]["joules"].get<double>() == Approx(1.1 * rep["energy"]["joules"].get<double>()));
  CHECK(rep["measured"]["energy"]["worst_layers"].size() == 5);
  CHECK_FALSE(rep["measured"].contains("error_pct"));  // no measured times in this trace
  // The table and the CSV say the same.
  auto table = run_cli(args);
  CHECK_THAT(table.out, Catch::Contains("against measured energy") && Catch::Contains("+10.0%"));
  auto csv = run_cli(args + " --format csv");
  std::istringstream in(csv.out);
  std::string header, line, last;
  std::getline(in, header);
  CHECK_THAT(header, Catch::EndsWith("measured_energy_joules,energy_error_pct"));
  while (std::getline(in, line)) last = line;
  REQUIRE(last.rfind("TOTAL,", 0) == 0);
  CHECK(std::stod(last.substr(last.rfind(',') + 1)) == Approx(10.0).epsilon(1e-6));
}

TEST_CASE("trace: the CSV form replays like the JSON Lines form", "[trace]") {
  auto csv = source_dir() + "/traces/handwritten-measured.csv";
  auto rep = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + csv);
  CHECK(rep["layers"].size() >= 4);
  CHECK(rep.contains("measured"));
  auto table = run_cli("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + csv);
  CHECK_THAT(table.out, Catch::Contains("largest disagreements"));
}

TEST_CASE("trace: the timeline parses, its tracks never overlap, and every layer appears", "[trace][timeline]") {
  auto path = temp_file("timeline.json", "");
  auto r = run_cli("run --hw " + nnasim::test::hw_path("series4-8core") + " --model " + tinynet() + " --timeline " + path + " -o /dev/null");
  REQUIRE(r.status == 0);
  json doc = json::parse(slurp(path));
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> tracks;
  std::set<std::string> names;
  bool counter = false;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "C") counter = true;
    if (e["ph"] != "X") continue;
    tracks[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>()});
    names.insert(e["name"].get<std::string>());
  }
  CHECK(counter);
  // The DRAM channel's per-core transfer tracks and the DMA engines' tracks may overlap: a DMA
  // engine keeps up to dma.outstanding transfers in flight. Every other unit's track never does.
  int dram_pid = -1;
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "process_name" && e["args"]["name"] == "DRAM channel") dram_pid = e["pid"];
  for (auto& [k, v] : tracks) {
    if (k.first == dram_pid || k.second == 0) continue;  // tid 0: the DMA engine
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i) CHECK(v[i].first >= v[i - 1].second - 1e-9);
  }
  auto info = nnasim::test::run_cli_json("info --model " + tinynet());
  for (const auto& l : info["layers"]) CHECK(names.count(l["name"].get<std::string>()) == 1);
}

TEST_CASE("trace: a record that misses a required field", "[trace][errors]") {
  auto recs = lines(recorded());
  recs[3].erase("kernel");
  expect_error(write_lines("missing.jsonl", recs), 4, "misses the required field 'kernel'");
}

TEST_CASE("trace: a shape that does not match its MACs", "[trace][errors]") {
  auto recs = lines(recorded());
  recs[2]["macs"] = recs[2]["macs"].get<int64_t>() + 1;
  expect_error(write_lines("macs.jsonl", recs), 3, "does not match its shapes");
}

TEST_CASE("trace: an unknown op", "[trace][errors]") {
  auto recs = lines(recorded());
  recs[4]["op"] = "lstm";
  expect_error(write_lines("op.jsonl", recs), 5, "unknown op 'lstm'");
}

TEST_CASE("trace: a header with a newer version", "[trace][errors]") {
  auto recs = lines(recorded());
  recs[0]["nnasim_trace"] = 2;
  expect_error(write_lines("version.jsonl", recs), 1, "version 2");
}

// Found by reading the reader, 2026-11-26: each of these was accepted (exit 0) before.
TEST_CASE("trace: a batched recording replays to the same report", "[trace]") {
  // The header's batch: replay failed with "macs 1769472 does not match its shapes, which give 442368".
  auto path = temp_file("tinynet_b4.jsonl", "");
  const std::string hw = " --hw " + nnasim::test::hw_path("series4-1core") + " ";
  REQUIRE(run_cli("run" + hw + "--model " + tinynet() + " --batch 4 --trace-out " + path + " -o /dev/null").status == 0);
  CHECK(lines(path)[0]["batch"] == 4);
  auto run = nnasim::test::run_cli_json("run" + hw + "--model " + tinynet() + " --batch 4");
  auto rep = nnasim::test::run_cli_json("replay" + hw + "--trace " + path);
  CHECK(rep["inference"] == run["inference"]);
  CHECK(rep["totals"] == run["totals"]);
  CHECK(rep["energy"] == run["energy"]);
}

TEST_CASE("trace: --trace-out refuses a model a version-1 trace cannot hold, before running", "[trace][errors]") {
  auto r = run_cli("run --model vit_b_16 --trace-out " + temp_file("vit.jsonl", ""));
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("error: --trace-out: layer '", 0) == 0);
  CHECK_THAT(r.err, Catch::Contains("cannot be written to a version-1 trace"));
}

TEST_CASE("trace: truncated files, repeated keys and narrowed numbers are errors", "[trace][errors]") {
  auto recs = lines(recorded());
  SECTION("fewer records than the header's layers") {
    recs.pop_back();
    expect_error(write_lines("trunc.jsonl", recs), 1, "the header says 14 layer records, the trace holds 13");
  }
  SECTION("an unknown header key") {
    recs[0]["mdoe"] = "cold";
    expect_error(write_lines("hkey.jsonl", recs), 1, "unknown header key 'mdoe': did you mean 'mode'?");
  }
  SECTION("a key twice in a record (the last one won)") {
    auto text = recs[0].dump() + "\n" + recs[1].dump() + "\n";
    std::string r2 = recs[2].dump();
    r2.insert(r2.size() - 1, ",\"groups\":64");
    text += r2 + "\n";
    for (size_t i = 3; i < recs.size(); ++i) text += recs[i].dump() + "\n";
    expect_error(temp_file("dup.jsonl", text), 3, "key 'groups' appears twice");
  }
  SECTION("a version that wraps in 32 bits") {
    recs[0]["nnasim_trace"] = 4294967297;
    expect_error(write_lines("wrap.jsonl", recs), 1, "version 4294967297");
  }
  SECTION("compression that does not describe the layer, or on a layer without kernels") {
    json bad = {{"clusters", 1}, {"index_bits", 0}, {"kernels", 0}, {"codebook_entries", 0}, {"scale_bits", 0}};
    recs[2]["compression"] = bad;  // conv1, 3x3, 16 x 3 kernels
    expect_error(write_lines("zc.jsonl", recs), 3, "the layer has 48 kernels, so expected 48, 9 and at least 0");
    recs[2].erase("compression");
    bad["clusters"] = 4294967360;  // was read as 64
    recs[2]["compression"] = bad;
    expect_error(write_lines("wc.jsonl", recs), 3, "compression 'clusters' is 4294967360");
  }
  SECTION("bias_bits up to 64 round-trip") {
    recs[2]["bias_bits"] = 64;
    CHECK(run_cli("replay --trace " + write_lines("b64.jsonl", recs)).status == 0);
    recs[2]["bias_bits"] = 65;
    expect_error(write_lines("b65.jsonl", recs), 3, "expected 1 to 64 bits");
  }
}

TEST_CASE("trace: a CSV header line only first, once per key, and no repeated column", "[trace][errors]") {
  const std::string cols = "name,op,inputs,output_shape,act_bits,format\n";
  const std::string rows = "x,input,,1x3x8x8,8,int\nr,activation,x,1x3x8x8,8,int\n";
  auto ok = temp_file("ok.csv", "# nnasim_trace 1 model=m mode=cold\n" + cols + rows);
  CHECK(run_cli("replay --trace " + ok).status == 2);  // activation needs 'act'
  const std::string act_cols = "name,op,inputs,output_shape,act_bits,format,act\n";
  const std::string act_rows = "x,input,,1x3x8x8,8,int,\nr,activation,x,1x3x8x8,8,int,relu\n";
  CHECK(run_cli("replay --trace " + temp_file("ok2.csv", "# nnasim_trace 1 model=m mode=cold\n" + act_cols + act_rows)).status == 0);
  // "# mode=cold" on the last line switched the whole replay to cold.
  expect_error(temp_file("late.csv", act_cols + act_rows + "# mode=cold\n"), 4, "a '#' header line after the first line");
  expect_error(temp_file("v.csv", "# nnasim_trace 4294967297\n" + act_cols + act_rows), 1, "trace version '4294967297'");
  expect_error(temp_file("twice.csv", "# nnasim_trace 1 mode=cold mode=steady\n" + act_cols + act_rows), 1,
               "header key 'mode' appears twice");
  expect_error(temp_file("cols.csv", "name,op,inputs,output_shape,act_bits,format,act,act\n"), 1, "column 'act' appears twice");
}
