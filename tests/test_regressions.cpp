// Cases found by review and by the SCALE-Sim comparison, kept so they stay fixed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "helpers.h"

using nlohmann::json;
using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_file;

namespace {
}  // namespace

TEST_CASE("regression: steady mode with a small OCM plans every layer", "[regression]") {
  // Resident weights once removed the reduction-split tilings that gave layers their smallest
  // working set ("lost its working set", exit 1).
  nnasim::test::run_cli_json("run --model resnet50 --set ocm.size='256 KiB'");
  nnasim::test::run_cli_json("run --model hardnet85 --set ocm.size='512 KiB'");
  nnasim::test::run_cli_json("run --hw " + nnasim::test::hw_path("scalesim-32x32-os") + " --model " + source_dir() +
          "/models/scalesim/test.csv");
}

TEST_CASE("regression: every SCALE-Sim row reads its own ifmap from DRAM", "[regression]") {
  // alexnet.csv in cold mode with ample OCM: each row's ifmap and weights come in at least once.
  auto j = nnasim::test::run_cli_json("run --mode cold --set ocm.size='64 MiB' --hw " + nnasim::test::hw_path("scalesim-32x32-os") + " --model " +
                   source_dir() + "/models/scalesim/alexnet.csv");
  // ifmaps (1 byte per element): 224*224*3 + 27*27*96 + 13*13*256 + 13*13*384 + 13*13*384.
  const int64_t ifmaps = 224 * 224 * 3 + 27 * 27 * 96 + 13 * 13 * 256 + 13 * 13 * 384 + 13 * 13 * 384;
  const int64_t weights = j["totals"]["weight_bytes"];
  CHECK(j["dram"]["read_bytes"].get<int64_t>() >= ifmaps + weights);
}

TEST_CASE("regression: a batch in the model's input shape is the run's batch (issue 10)", "[regression][errors]") {
  auto path = temp_file("batch4.yaml", "name: b\ninput: { shape: [4, 3, 8, 8] }\nlayers:\n"
                                       "  - { name: c, op: conv, out_channels: 4, kernel: 3, pad: 1 }\n");
  auto j = nnasim::test::run_cli_json("run --model " + path);
  CHECK(j["inference"]["batch"] == 4);
  CHECK(j["totals"]["macs"] == 4 * 8 * 8 * 4 * 27);
  CHECK(j["per_inference"]["seconds"].get<double>() == Approx(j["inference"]["seconds"].get<double>() / 4));
  auto r = run_cli("run --model " + path + " --batch 6");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("multiple of 4"));
}

TEST_CASE("regression: replay takes the recorded mode unless told otherwise", "[regression][trace]") {
  auto trace = temp_file("cold.jsonl", "");
  auto run = nnasim::test::run_cli_json("run --mode cold --model " + source_dir() + "/models/tinynet.yaml --trace-out " + trace);
  auto rep = nnasim::test::run_cli_json("replay --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + trace);
  CHECK(rep["mode"] == "cold");
  CHECK(rep["inference"]["seconds"].get<double>() == Approx(run["inference"]["seconds"].get<double>()).epsilon(1e-12));
  CHECK(nnasim::test::run_cli_json("replay --mode steady --hw " + nnasim::test::hw_path("series4-1core") + " --trace " + trace)["mode"] == "steady");
}

TEST_CASE("regression: trace fields are validated", "[regression][trace][errors]") {
  auto trace = temp_file("t.jsonl", "");
  REQUIRE(run_cli("run --model " + source_dir() + "/models/tinynet.yaml -o /dev/null --trace-out " + trace).status == 0);
  std::ifstream in(trace);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  auto write = [&](const std::string& name, std::vector<std::string> ls) {
    std::string text;
    for (auto& l : ls) text += l + "\n";
    return temp_file(name, text);
  };
  auto bad_bits = lines;
  auto rec = json::parse(bad_bits[2]);
  rec["weight_bits"] = -8;
  bad_bits[2] = rec.dump();
  auto r1 = run_cli("replay --trace " + write("bits.jsonl", bad_bits));
  CHECK(r1.status == 2);
  CHECK_THAT(r1.err, Catch::Contains("expected 1 to 32 bits"));
  auto bad_header = lines;
  auto h = json::parse(bad_header[0]);
  h["model"] = 5;
  bad_header[0] = h.dump();
  auto r2 = run_cli("replay --trace " + write("header.jsonl", bad_header));
  CHECK(r2.status == 2);
  CHECK_THAT(r2.err, Catch::Contains("must be a string"));
}

TEST_CASE("regression: sub-byte activations add up without rounding drift", "[regression][conservation]") {
  // 4-bit activations, cold, small OCM (many tiles): DRAM writes are exactly the final output's
  // bytes plus the spilled outputs' bytes, with no extra byte per tile.
  auto j = nnasim::test::run_cli_json("run --mode cold --act-bits 4 --set ocm.size='32 KiB' --model " + source_dir() + "/models/tinynet.yaml");
  int64_t spilled = 0, stored = 0;
  auto info = nnasim::test::run_cli_json("info --model " + source_dir() + "/models/tinynet.yaml");
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const auto& l = j["layers"][i];
    stored += l["dram_write_bytes"].get<int64_t>();
    if (!l["output_on_chip"].get<bool>()) {
      // Output elements at 4 bits: the info's 8-bit output bytes halved, rounded up.
      spilled += (info["layers"][i]["output_bytes"].get<int64_t>() + 1) / 2;
    }
  }
  CHECK(stored == spilled);
}
