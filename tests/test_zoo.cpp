// The shipped model zoo: every network simulates on both Series4 configurations; every shipped
// model and hardware file loads.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "helpers.h"
#include "sim/graph/load.h"
#include "sim/graph/passes.h"

using nlohmann::json;
using nnasim::test::run_cli;
using nnasim::test::source_dir;

namespace {
std::vector<std::string> zoo_names() {
  std::vector<std::string> out;
  YAML::Node z = YAML::LoadFile(source_dir() + "/models/zoo.yaml");
  for (const auto& n : z["networks"]) out.push_back(n["name"].as<std::string>());
  return out;
}
}  // namespace

TEST_CASE("zoo: the 11 networks of the Series4 study and 6 further networks are shipped", "[zoo]") {
  auto names = zoo_names();
  CHECK(names.size() == 17);
  for (const auto& n : names) CHECK(std::filesystem::exists(source_dir() + "/models/" + n + ".onnx"));
}

TEST_CASE("zoo: every network simulates on both Series4 configurations", "[zoo][slow]") {
  YAML::Node z = YAML::LoadFile(source_dir() + "/models/zoo.yaml");
  for (const auto& n : z["networks"]) {
    if (!n["top1"]) continue;  // the Series4 study's classifiers; the others: test_workloads.cpp
    const std::string name = n["name"].as<std::string>();
    double secs[2] = {0, 0};
    int k = 0;
    for (const char* hw : {"series4-1core", "series4-8core"}) {
      auto r = run_cli("run --model " + name + " --hw " + source_dir() + "/configs/hw/" + hw + ".yaml --format json");
      INFO(name << " on " << hw << ": " << r.err);
      REQUIRE(r.status == 0);
      auto j = json::parse(r.out);
      CHECK(j["totals"]["macs"].get<int64_t>() == n["torch_macs"].as<int64_t>());
      CHECK(j["inference"]["seconds"].get<double>() > 0);
      CHECK(j["energy"]["joules"].get<double>() > 0);
      secs[k++] = j["inference"]["seconds"].get<double>();
    }
    INFO(name);
    CHECK(secs[1] < secs[0]);  // eight cores with 9.6x the bandwidth and 88x the OCM are faster
  }
}

TEST_CASE("zoo: every shipped model file loads", "[zoo]") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/models")) {
    auto ext = e.path().extension();
    if (ext != ".onnx" && e.path().filename() != "tinynet.yaml" && ext != ".yaml") continue;
    if (e.path().filename() == "zoo.yaml") continue;
    INFO(e.path());
    auto g = nnasim::graph::load_model(e.path().string());
    nnasim::graph::prepare(g, {});
    CHECK(g.totals().macs > 0);
    ++n;
  }
  CHECK(n >= 12);
}
