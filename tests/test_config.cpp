// Hardware YAML: units, the parameter tables, and every shipped config.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "sim/config/hw_config.h"
#include "sim/config/units.h"

using namespace nnasim;
using config::parse_quantity;
using config::Quantity;

TEST_CASE("units: sizes, bandwidths, frequencies, energies, times", "[config]") {
  CHECK(parse_quantity("1 MiB", Quantity::Bytes) == 1048576.0);
  CHECK(parse_quantity("11 MB", Quantity::Bytes) == 11e6);
  CHECK(parse_quantity("64 kB", Quantity::Bytes) == 64e3);
  CHECK(parse_quantity("12 GB/s", Quantity::Bandwidth) == 12e9);
  CHECK(parse_quantity("1.5 GHz", Quantity::Frequency) == 1.5e9);
  CHECK(parse_quantity("0.2 pJ", Quantity::Energy) == Approx(0.2e-12));
  CHECK(parse_quantity("100 ns", Quantity::Time) == Approx(100e-9));
  CHECK(parse_quantity("8 pJ/bit", Quantity::EnergyPerByte) == Approx(64e-12));
  CHECK(parse_quantity("0.05 W", Quantity::Power) == Approx(0.05));
  CHECK_THROWS_WITH(parse_quantity("12", Quantity::Bandwidth), Catch::Contains("has no unit"));
  CHECK_THROWS_WITH(parse_quantity("12 GHz", Quantity::Bandwidth), Catch::Contains("is not a bandwidth"));
  CHECK_THROWS_WITH(parse_quantity("fast", Quantity::Frequency), Catch::Contains("is not a frequency"));
}

TEST_CASE("config: every shipped hardware description loads", "[config]") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/configs/hw")) {
    if (e.path().extension() != ".yaml") continue;
    INFO(e.path());
    HardwareSpec hw = config::load_hardware(e.path().string());
    CHECK(hw.clock_hz > 0);
    CHECK(hw.cores >= 1);
    CHECK(hw.ocm.size_bytes > 0);
    ++n;
  }
  CHECK(n >= 3);
}

TEST_CASE("config: Series4 descriptions carry the published figures", "[config]") {
  // FACTS.md: 4096 MACs/clock at 8-bit, 2048 at 8x16, 1024 at 16-bit, 1.5 GHz; seed: 1 MB / 12 GB/s and 88 MB / 115 GB/s.
  auto one = config::load_hardware(test::source_dir() + "/configs/hw/series4-1core.yaml");
  auto eight = config::load_hardware(test::source_dir() + "/configs/hw/series4-8core.yaml");
  CHECK(one.clock_hz == 1.5e9);
  CHECK(one.macs_per_cycle(NumFormat::Int, 8, 8) == 4096);
  CHECK(one.macs_per_cycle(NumFormat::Int, 16, 8) == 2048);
  CHECK(one.macs_per_cycle(NumFormat::Int, 16, 16) == 1024);
  CHECK(one.macs_per_cycle(NumFormat::Int, 4, 8) == 4096);
  CHECK(one.cores == 1);
  CHECK(one.dram.bandwidth == 12e9);
  CHECK(one.ocm.size_bytes == 1048576);
  CHECK(eight.cores == 8);
  CHECK(eight.total_ocm_bytes() == 88.0 * 1048576);
  CHECK(eight.dram.bandwidth == 115e9);
}

TEST_CASE("config: overrides apply by dotted key and keep their own source", "[config]") {
  std::vector<config::Override> o = {{"ocm.size", "2 MiB", {"sweep.yaml", 7}}, {"dram.bandwidth", "24 GB/s", {"x", 1}}};
  auto hw = config::load_hardware(test::source_dir() + "/configs/hw/series4-1core.yaml", o);
  CHECK(hw.ocm.size_bytes == 2097152);
  CHECK(hw.dram.bandwidth == 24e9);
  std::vector<config::Override> bad = {{"ocm.size", "2", {"sweep.yaml", 7}}};
  try {
    config::load_hardware(test::source_dir() + "/configs/hw/series4-1core.yaml", bad);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.loc().file == "sweep.yaml");
    CHECK(e.loc().line == 7);
    CHECK_THAT(e.message(), Catch::Contains("no unit"));
  }
}

TEST_CASE("config: a misspelt key is an error with a suggestion and its line", "[config]") {
  std::ifstream in(test::source_dir() + "/configs/hw/series4-1core.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto pos = text.find("  cols: 64");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 10, "  colls: 64");
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
  auto path = test::temp_file("misspelt.yaml", text);
  try {
    config::load_hardware(path);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(e.loc().file == path);
    CHECK(e.loc().line == line);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'cols'"));
  }
}

TEST_CASE("config: --help-config documents every key", "[config]") {
  std::string h = config::hardware_help();
  for (const char* k : {"clock", "cores.count", "mac_array.rows", "ocm.size", "dram.bandwidth", "energy.static_power",
                        "lns.conversions_per_cycle"})
    CHECK_THAT(h, Catch::Contains(k));
}
