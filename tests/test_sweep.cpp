// Sweeps: spec parsing and expansion, errors with their line, failing points as rows, kill and
// resume, determinism across -j and MPI ranks, Pareto fronts and the plot script.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "helpers.h"
#include "sim/sweep/pareto.h"
#include "sim/sweep/results.h"
#include "sim/sweep/spec.h"

extern char** environ;

using nnasim::test::q;
using nnasim::test::run_cli;
using nnasim::test::source_dir;
using nnasim::test::temp_file;
namespace sweep = nnasim::sweep;
namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `spec` with -j `jobs` in workers and again with --spawn (a new `nnasim run` per point),
// checks the two results files are byte for byte the same, and returns the workers' file.
std::string run_as_spawn(const std::string& spec, const std::string& stem, int jobs) {
  const std::string a = temp_file(stem + "_workers.csv", ""), b = temp_file(stem + "_spawn.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j {} -q", q(spec), q(a), jobs)).status == 0);
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j {} -q --spawn", q(spec), q(b), jobs)).status == 0);
  CHECK(read(a) == read(b));
  return a;
}

size_t lines(const std::string& text) { return size_t(std::count(text.begin(), text.end(), '\n')); }

std::string hw1() { return source_dir() + "/configs/hw/series4-1core.yaml"; }

sweep::SweepSpec load(const std::string& name, const std::string& text) {
  sweep::SpecOptions so;
  so.source_dir = source_dir();
  return sweep::load_sweep(temp_file(name, text), so);
}

std::vector<std::string> values(const sweep::SweepSpec& s, const std::string& key) {
  for (const auto& a : s.axes)
    if (a.key == key) {
      std::vector<std::string> out;
      for (const auto& v : a.values) out.push_back(v.text);
      return out;
    }
  return {};
}

// A shell command with stdout and stderr together.
nnasim::test::CliResult sh(const std::string& cmd) { return nnasim::test::run_shell(cmd + " 2>&1"); }


// A 35-point tinynet sweep (5 OCM sizes x 7 weight widths).
std::string resume_spec() {
  return fmt::format(
      "hardware: {}\n"
      "models: [tinynet]\n"
      "axes:\n"
      "  ocm.size: {{from: 64 KiB, to: 1 MiB, factor: 2}}\n"
      "  weight_bits: {{from: 2, to: 8, step: 1}}\n",
      hw1());
}

}  // namespace

TEST_CASE("sweep: grid and zip expand in point order, models outermost, the last axis fastest", "[sweep]") {
  auto s = load("grid.yaml", fmt::format("hardware: {}\n"
                                         "models: [tinynet]\n"
                                         "set: {{mode: cold}}\n"
                                         "axes:\n"
                                         "  ocm.size: [512 KiB, 1 MiB]\n"
                                         "  weight_bits: [8, 4]\n"
                                         "zip:\n"
                                         "  - cores.count: [1, 2, 4]\n"
                                         "    dram.bandwidth: [12 GB/s, 24 GB/s, 48 GB/s]\n",
                                         hw1()));
  REQUIRE(s.points.size() == 2 * 2 * 3);
  CHECK(s.identity_columns ==
        std::vector<std::string>{"ocm.size", "cores.count", "dram.bandwidth", "model", "hardware", "weight_bits"});
  CHECK(sweep::csv_columns(s).back() == "status");
  CHECK(s.points[0].identity() ==
        std::vector<std::string>{"512 KiB", "1", "12 GB/s", "tinynet", "series4-1core", "8"});
  CHECK(s.points[1].identity() ==
        std::vector<std::string>{"512 KiB", "2", "24 GB/s", "tinynet", "series4-1core", "8"});
  CHECK(s.points[3].identity() ==
        std::vector<std::string>{"512 KiB", "1", "12 GB/s", "tinynet", "series4-1core", "4"});
  CHECK(s.points[11].identity() ==
        std::vector<std::string>{"1 MiB", "4", "48 GB/s", "tinynet", "series4-1core", "4"});
  // The zipped values always move together.
  for (const auto& p : s.points) {
    auto id = p.identity();
    CHECK(((id[1] == "1" && id[2] == "12 GB/s") || (id[1] == "2" && id[2] == "24 GB/s") ||
           (id[1] == "4" && id[2] == "48 GB/s")));
  }
  auto argv = s.points[11].argv("nnasim");
  auto has = [&](std::vector<std::string> seq) { return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end(); };
  CHECK(has({"--weight-bits", "4"}));
  CHECK(has({"--mode", "cold"}));
  CHECK(has({"--set", "ocm.size=1 MiB"}));
  CHECK(has({"--set", "cores.count=4"}));
  CHECK(has({"--set", "dram.bandwidth=48 GB/s"}));
  CHECK(argv.back() == "json");
}

TEST_CASE("sweep: the hardware axis names files, and the study spec has 66 points", "[sweep]") {
  auto s = load("hwaxis.yaml", "models: [tinynet]\n"
                               "axes:\n"
                               "  weight_bits: [8, 6, 4]\n"
                               "  hardware: [series4-1core, configs/hw/series4-8core.yaml]\n");
  REQUIRE(s.points.size() == 6);
  CHECK(s.identity_columns == std::vector<std::string>{"model", "hardware", "weight_bits"});
  CHECK(s.points[0].hw_name == "series4-1core");
  CHECK(s.points[1].hw_name == "series4-8core");
  CHECK(s.points[1].identity() == std::vector<std::string>{"tinynet", "series4-8core", "8"});

  sweep::SpecOptions so;
  so.source_dir = source_dir();
  auto study = sweep::load_sweep(source_dir() + "/configs/sweeps/series4-qat.yaml", so);
  CHECK(study.points.size() == 66);
  std::set<std::string> models, hws;
  for (const auto& p : study.points) {
    models.insert(p.model);
    hws.insert(p.hw_name);
    CHECK(p.mode == "steady");
    CHECK(!p.top1.empty());
  }
  CHECK(models.size() == 11);
  CHECK(hws == std::set<std::string>{"series4-1core", "series4-8core"});
  auto ex = sweep::load_sweep(source_dir() + "/configs/sweeps/example.yaml", so);
  CHECK(ex.points.size() == 12);
}

TEST_CASE("sweep: ranges with units, factors and steps", "[sweep]") {
  auto s = load("ranges.yaml", fmt::format("hardware: {}\n"
                                           "models: [tinynet]\n"
                                           "axes:\n"
                                           "  ocm.size: {{from: 1 MiB, to: 8 MiB, factor: 2}}\n"
                                           "  cores.count: {{from: 4, to: 8, step: 2}}\n"
                                           "  dram.bandwidth: {{from: 12 GB/s, to: 40 GB/s, step: 12 GB/s}}\n"
                                           "  clock: {{from: 500 MHz, to: 1 GHz, factor: 2}}\n"
                                           "  dram.efficiency: {{from: 0.5, to: 1, step: 0.25}}\n",
                                           hw1()));
  CHECK(values(s, "ocm.size") == std::vector<std::string>{"1 MiB", "2 MiB", "4 MiB", "8 MiB"});
  CHECK(values(s, "cores.count") == std::vector<std::string>{"4", "6", "8"});
  CHECK(values(s, "dram.bandwidth") == std::vector<std::string>{"12 GB/s", "24 GB/s", "36 GB/s"});
  CHECK(values(s, "clock") == std::vector<std::string>{"500 MHz", "1000 MHz"});
  CHECK(values(s, "dram.efficiency") == std::vector<std::string>{"0.5", "0.75", "1"});
  CHECK(s.points.size() == 4 * 3 * 3 * 2 * 3);
}

TEST_CASE("sweep: every spec error is reported with its line before any point runs", "[sweep][errors]") {
  struct Case {
    const char* what;
    std::string body;
    int line;
    const char* message;
  };
  const std::string head = fmt::format("hardware: {}\nmodels: [tinynet]\n", hw1());  // lines 1-2
  std::vector<Case> cases = {
      {"unknown top-level key", head + "axis:\n  ocm.size: [1 MiB]\n", 3, "did you mean 'axes'"},
      {"unknown hardware key", head + "axes:\n  weight_bits: [8]\n  ocm.sise: [1 MiB]\n", 5, "unknown key 'ocm.sise'"},
      {"unknown hardware section", head + "axes:\n  cache.size: [1 MiB]\n", 4, "unknown key 'cache'"},
      {"empty axis", head + "axes:\n  ocm.size: []\n", 4, "is empty"},
      {"value without unit", head + "axes:\n  ocm.size: [2]\n", 4, "has no unit"},
      {"bad value in a block list", head + "axes:\n  ocm.size:\n    - 1 MiB\n    - 3 parsecs\n", 6, "ocm.size"},
      {"unknown model", fmt::format("hardware: {}\nmodels:\n  - tinynet\n  - nosuchnet\n", hw1()), 4, "unknown model 'nosuchnet'"},
      {"zip of unequal lengths", head + "zip:\n  - cores.count: [1, 2]\n    dram.bandwidth: [12 GB/s]\n", 5, "zipped"},
      {"range of mixed kinds", head + "axes:\n  ocm.size: {from: 1 MiB, to: 8 GB/s, factor: 2}\n", 4, "'ocm.size.to'"},
      {"range key misspelt", head + "axes:\n  ocm.size: {from: 1 MiB, to: 8 MiB, fator: 2}\n", 4, "did you mean 'factor'"},
      {"bad weight bits", head + "axes:\n  weight_bits: [8, 0]\n", 4, "bit width"},
      {"bad mode", head + "set:\n  mode: warm\n", 4, "unknown mode 'warm'"},
      {"bad batch", head + "axes:\n  batch: [1, 0]\n", 4, "not a batch size"},
      {"value out of bounds", head + "axes:\n  cores.count: [1, 0]\n", 4, "cores.count"},
      {"no hardware", "models: [tinynet]\n", 1, "missing 'hardware'"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::string spec = temp_file("bad.yaml", c.body);
    std::string out = temp_file("bad.csv", "");
    fs::remove(out);
    auto r = run_cli(fmt::format("sweep {} -o {}", q(spec), q(out)));
    CHECK(r.status == 2);
    CHECK(r.err.rfind(fmt::format("error: {}:{}: ", spec, c.line), 0) == 0);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(!fs::exists(out));  // rejected before any point ran
  }
}

TEST_CASE("sweep: a point that fails (OCM too small for a layer) is a row with its error", "[sweep]") {
  std::string spec = temp_file("fail.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n"
                                                        "  ocm.size: [1 kB, 1 MiB]\n  weight_bits: [8, 4]\n", hw1()));
  std::string out = temp_file("fail.csv", "");
  auto r = run_cli(fmt::format("sweep {} -o {} -j 2", q(spec), q(out)));
  REQUIRE(r.status == 0);
  std::string text = read(out);
  REQUIRE(lines(text) == 5);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  CHECK(line == "ocm.size,model,hardware,weight_bits,seconds,inferences_per_second,dram_bytes,energy_joules,"
                "tops_per_watt,mac_utilization,energy_ocm_joules,energy_dram_joules,energy_static_joules,area_mm2,"
                "tops_per_mm2,efficiency,energy_accumulator_joules,top1,top1_fp32,top1_source,status");
  for (int i = 0; i < 4; ++i) {
    std::getline(in, line);
    std::vector<std::string> f;
    REQUIRE(sweep::parse_csv_line(line, &f));
    REQUIRE(f.size() == 21);
    if (i < 2) {
      CHECK(f[0] == "1 kB");
      CHECK(f[4].empty());
      CHECK(f.back().rfind("error: ", 0) == 0);
      CHECK(f.back().find("does not fit in OCM") != std::string::npos);
    } else {
      CHECK(f[0] == "1 MiB");
      CHECK(std::stod(f[4]) > 0);
      CHECK(std::stoll(f[6]) > 0);
      CHECK(f[17] == "unknown");  // tinynet is not in the zoo: no top-1
      CHECK(f[18] == "unknown");
      CHECK(f.back() == "ok");
    }
  }
  // The JSON Lines file carries the full report of each point that ran.
  std::string jl = temp_file("fail.jsonl", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2", q(spec), q(jl))).status == 0);
  std::istringstream jin(read(jl));
  int n = 0;
  while (std::getline(jin, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j["point"]["model"] == "tinynet");
    if (j["status"] == "ok") {
      CHECK(j["report"]["inference"]["seconds"].get<double>() > 0);
      CHECK(j["report"]["layers"].size() > 3);
    } else {
      CHECK(j["report"].is_null());
    }
    ++n;
  }
  CHECK(n == 4);
}

TEST_CASE("sweep: -j 1 and -j 2 write byte-identical files", "[sweep]") {
  std::string spec = temp_file("j.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n"
                                                     "  ocm.size: [1 kB, 256 KiB, 1 MiB]\n"
                                                     "zip:\n  - {{cores.count: [1, 2], dram.bandwidth: [12 GB/s, 24 GB/s]}}\n",
                                                     hw1()));
  std::string a = temp_file("j1.csv", ""), b = temp_file("j2.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 1", q(spec), q(a))).status == 0);
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2", q(spec), q(b))).status == 0);
  CHECK(lines(read(a)) == 7);
  CHECK(read(a) == read(b));
  // Without -o the same CSV goes to stdout.
  auto r = run_cli(fmt::format("sweep {} -j 2 -q", q(spec)));
  CHECK(r.out == read(a));
}

TEST_CASE("sweep: killed part-way (SIGKILL) and resumed gives the uninterrupted file", "[sweep][resume]") {
  std::string spec = temp_file("resume.yaml", resume_spec());
  std::string full = temp_file("full.csv", ""), part = temp_file("part.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(full))).status == 0);
  const std::string expected = read(full);
  REQUIRE(lines(expected) == 36);

  fs::remove(part);
  const pid_t pid = nnasim::test::spawn_cli({"sweep", spec, "-o", part, "-j", "1", "-q"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (lines(read(part)) < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  std::string killed = read(part);
  size_t rows_before = lines(killed) - 1;
  INFO("rows when killed: " << rows_before);
  CHECK(rows_before >= 3);
  CHECK(rows_before < 35);
  // As if the kill had come in the middle of a write: a torn last line.
  std::ofstream(part, std::ios::app) << "256 KiB,tinynet,series4-1co";

  auto r = run_cli(fmt::format("sweep {} -o {} -j 2 --resume", q(spec), q(part)));
  REQUIRE(r.status == 0);
  CHECK(r.err.find(fmt::format("{} kept", rows_before)) != std::string::npos);
  std::string resumed = read(part);
  CHECK(resumed == expected);
  std::istringstream in(resumed);
  std::set<std::string> rows;
  std::string line;
  while (std::getline(in, line)) CHECK(rows.insert(line).second);  // nothing repeated
  CHECK(rows.size() == 36);                                         // nothing lost

  // Resuming a finished file runs nothing; a file of another sweep is refused.
  auto again = run_cli(fmt::format("sweep {} -o {} --resume", q(spec), q(part)));
  CHECK(again.status == 0);
  CHECK(again.err.find("0 run") != std::string::npos);
  CHECK(read(part) == expected);
  std::string other = temp_file("other.csv", "a,b,c\n1,2,3\n");
  auto bad = run_cli(fmt::format("sweep {} -o {} --resume", q(spec), q(other)));
  CHECK(bad.status == 2);
  CHECK(bad.err.find(other + ":1: was written by another sweep") != std::string::npos);
}

TEST_CASE("sweep: --point-timeout records a slow point as timed out, goes on, and --resume runs it again",
          "[sweep][resume][timeout]") {
  // ResNet-50 points take tens of milliseconds of planning and simulation; 1 ms is never enough.
  std::string spec = temp_file("timeout.yaml", fmt::format("hardware: {}\nmodels: [resnet50]\naxes:\n"
                                                           "  cores.count: [1, 2]\n  weight_bits: [8, 4]\n",
                                                           hw1()));
  std::string full = temp_file("timeout_full.csv", ""), part = temp_file("timeout_part.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2 -q", q(spec), q(full))).status == 0);
  const std::string expected = read(full);
  REQUIRE(lines(expected) == 5);
  CHECK(expected.find(",ok\n") != std::string::npos);

  auto r = run_cli(fmt::format("sweep {} -o {} -j 2 --point-timeout 0.001", q(spec), q(part)));
  REQUIRE(r.status == 0);  // the sweep goes on and ends normally
  CHECK(r.err.find("4 run (4 failed)") != std::string::npos);
  const std::string timed_out = read(part);
  CHECK(lines(timed_out) == 5);
  size_t n = 0;
  for (size_t at = 0; (at = timed_out.find(",error: unfinished: timed out after 0.001 s\n", at)) != std::string::npos; ++at) ++n;
  CHECK(n == 4);

  // --resume runs the timed-out points again; a generous limit changes nothing.
  auto again = run_cli(fmt::format("sweep {} -o {} -j 2 --resume --point-timeout 600", q(spec), q(part)));
  REQUIRE(again.status == 0);
  CHECK(again.err.find("4 run (0 failed)") != std::string::npos);
  CHECK(read(part) == expected);

  // The same with --spawn (a new process per point).
  auto spawned = run_cli(fmt::format("sweep {} -o {} -j 2 --spawn --point-timeout 0.001", q(spec), q(part)));
  REQUIRE(spawned.status == 0);
  CHECK(read(part) == timed_out);

  for (const char* bad : {"0", "-1", "nan", "1e9"}) {
    auto e = run_cli(fmt::format("sweep {} --point-timeout {}", q(spec), bad));
    INFO(bad << ": " << e.err);
    CHECK(e.status == 2);
    CHECK(e.err.rfind("error: --point-timeout: ", 0) == 0);
  }
}

TEST_CASE("sweep: worker points honour the objective and batch axes as nnasim run does", "[sweep][batch]") {
  // They were ignored by forked points once (every row the default objective and batch 1).
  std::string spec = temp_file("objbatch.yaml", fmt::format("hardware: {}\nmodels: [mobilenet_v2]\naxes:\n"
                                                            "  objective: [latency, energy]\n  batch: [1, 4]\n",
                                                            hw1()));
  const std::string a = run_as_spawn(spec, "objbatch", 2);
  auto t = sweep::read_table(a);
  REQUIRE(t.rows.size() == 4);
  const int s = t.column("seconds");
  REQUIRE(s >= 0);
  CHECK(t.rows[0][size_t(s)] != t.rows[1][size_t(s)]);  // batch 4 takes longer than batch 1
}

TEST_CASE("sweep: a point whose simulation fails ends its worker, and the next points run in a new one",
          "[sweep][resimulate]") {
  // A worker simulates point after point on fresh SystemC kernel states (hw::allow_resimulation);
  // a simulation that stops with an error may leave the kernel mid-run, so that worker sends its
  // row and ends. Here the first point's inference would take more than the simulated-time limit
  // (2.4e12 MACs at one MAC per cycle and 1 MHz); the rows after it must be what `nnasim run` gives.
  const std::string big = temp_file("bigconv.yaml",
                                    "name: bigconv\ndefaults: {weight_bits: 8, act_bits: 8, format: int}\n"
                                    "input: {name: x, shape: [1, 512, 1024, 1024]}\n"
                                    "layers:\n  - {name: conv1, op: conv, out_channels: 512, kernel: 3, pad: 1, bias: false}\n");
  std::string spec = temp_file(
      "simfail.yaml",
      fmt::format("hardware: {}\nmodels: [{}, tinynet]\nset:\n  ocm.size: 4 MiB\n"
                  "  mac_array.throughput: '[{{format: int, weight_bits: 8, act_bits: 8, macs_per_cycle: 1}}]'\n"
                  "axes:\n  clock: [1 MHz, 1 GHz]\n",
                  hw1(), big));
  const std::string a = run_as_spawn(spec, "simfail", 1);
  auto t = sweep::read_table(a);
  REQUIRE(t.rows.size() == 4);
  const int st = t.column("status");
  REQUIRE(st >= 0);
  CHECK(t.rows[0][size_t(st)].find("would take more than") != std::string::npos);
  for (size_t i = 1; i < 4; ++i) CHECK(t.rows[i][size_t(st)] == "ok");
}

TEST_CASE("sweep: a worker never reuses another model's program (a number-format axis, equal plans)",
          "[sweep][emit]") {
  // Two number formats with the same MAC throughput plan the same, but their programs differ in
  // every compute's format (and so in MAC energy): a worker moving from one group of points to the
  // next must emit again, not take the last point's program.
  // series4-1core with FP8 modes beside its int 8x8 one: the same MACs per cycle, other energies.
  std::string hw = read(hw1());
  auto add_after = [&hw](const std::string& line, const std::string& more) {
    const size_t at = hw.find(line);
    REQUIRE(at != std::string::npos);
    hw.insert(hw.find('\n', at) + 1, more);
  };
  add_after("{ format: int, weight_bits: 8, act_bits: 8, macs_per_cycle: 4096 }",
            "    - { format: fp8-e4m3, weight_bits: 8, act_bits: 8, macs_per_cycle: 4096 }\n"
            "    - { format: fp8-e5m2, weight_bits: 8, act_bits: 8, macs_per_cycle: 4096 }\n");
  add_after("{ format: int, weight_bits: 8, act_bits: 8, energy: 0.075 pJ }",
            "    - { format: fp8-e4m3, weight_bits: 8, act_bits: 8, energy: 0.1 pJ }\n"
            "    - { format: fp8-e5m2, weight_bits: 8, act_bits: 8, energy: 0.3 pJ }\n");
  add_after("{ format: int, weight_bits: 8, act_bits: 8, area: 419 um2 }",
            "    - { format: fp8-e4m3, weight_bits: 8, act_bits: 8, area: 419 um2 }\n"
            "    - { format: fp8-e5m2, weight_bits: 8, act_bits: 8, area: 419 um2 }\n");
  const std::string hw_file = temp_file("series4-fp8.yaml", hw);
  std::string spec = temp_file("formats.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\n"
                                                           "axes:\n  number_format: [fp8-e4m3, fp8-e5m2]\n"
                                                           "  energy.static_power: [0.1 W, 0.2 W]\n",
                                                           hw_file));
  const std::string a = run_as_spawn(spec, "formats", 1);
  auto t = sweep::read_table(a);
  REQUIRE(t.rows.size() == 4);
  const int e = t.column("energy_joules");
  REQUIRE(e >= 0);
  CHECK(t.rows[0][size_t(e)] != t.rows[2][size_t(e)]);  // e5m2 MACs cost more than e4m3 MACs
}

TEST_CASE("sweep: mpirun -n 2 writes the local run's file byte for byte", "[sweep][mpi]") {
  if (sh("command -v mpirun").status != 0) {
    WARN("mpirun not found: skipping the MPI comparison");
    return;
  }
  const std::string mpirun = "mpirun --allow-run-as-root --oversubscribe -n 2";
  if (sh(mpirun + " true").status != 0) {
    WARN("mpirun cannot start processes here: skipping the MPI comparison");
    return;
  }
  std::string spec = temp_file("mpi.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n"
                                                       "  ocm.size: [1 kB, 256 KiB, 1 MiB]\n  weight_bits: [8, 6, 4]\n",
                                                       hw1()));
  std::string local = temp_file("local.csv", ""), mpi = temp_file("mpi.csv", "");
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -j 2", q(spec), q(local))).status == 0);
  fs::remove(mpi);
  auto r = sh(fmt::format("{} {} sweep {} -o {} -j 1", mpirun, NNASIM_BINARY, q(spec), q(mpi)));
  INFO(r.out);
  REQUIRE(r.status == 0);
  CHECK(lines(read(local)) == 10);
  CHECK(read(mpi) == read(local));
  // A spec error stops every rank and is reported once.
  std::string bad = temp_file("mpibad.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n  ocm.size: [2]\n", hw1()));
  auto e = sh(fmt::format("{} {} sweep {} -o {}", mpirun, NNASIM_BINARY, q(bad), q(temp_file("mpibad.csv", ""))));
  CHECK(e.status == 2);
  CHECK(e.out.find(fmt::format("error: {}:4: ", bad)) != std::string::npos);
}

TEST_CASE("pareto: a hand-made table with a known front", "[sweep][pareto]") {
  // hw1 (seconds, top1): f (0.5, 60), a (1, 70), b (2, 75), g (2, 75: equal to b, kept), c (3, 74:
  // dominated by b), d (4, 80), e (4, 79: dominated by d); h failed: ignored. hw2: b (1, 75) dominates
  // a (5, 70), and across both hardware it dominates a@hw1, b@hw1 and g@hw1 too.
  std::string csv = temp_file("front.csv",
                              "model,hardware,seconds,top1,status\n"
                              "a,hw1,1,70,ok\n"
                              "b,hw1,2,75,ok\n"
                              "c,hw1,3,74,ok\n"
                              "d,hw1,4,80,ok\n"
                              "e,hw1,4,79,ok\n"
                              "f,hw1,0.5,60,ok\n"
                              "g,hw1,2,75,ok\n"
                              "h,hw1,0.1,99,error: no\n"
                              "a,hw2,5,70,ok\n"
                              "b,hw2,1,75,ok\n");
  auto t = sweep::read_table(csv);
  auto names = [&](const std::vector<sweep::FrontPoint>& f) {
    std::vector<std::string> n;
    for (const auto& p : f) n.push_back(t.rows[p.row][0] + "@" + t.rows[p.row][1]);
    return n;
  };
  sweep::ParetoOptions o;
  o.objectives = {{"seconds", false}, {"top1", true}};
  CHECK(names(sweep::pareto_front(t, o).front) == std::vector<std::string>{"f@hw1", "b@hw2", "d@hw1"});
  o.by = "hardware";
  CHECK(names(sweep::pareto_front(t, o).front) ==
        std::vector<std::string>{"f@hw1", "a@hw1", "b@hw1", "g@hw1", "d@hw1", "b@hw2"});
  o.by = "";
  o.objectives[1].maximize = false;  // fastest and least accurate: only f
  CHECK(names(sweep::pareto_front(t, o).front) == std::vector<std::string>{"f@hw1"});

  auto r = run_cli(fmt::format("pareto {} --x seconds --y top1 --by hardware --format csv", q(csv)));
  REQUIRE(r.status == 0);
  CHECK(r.out == "model,hardware,seconds,top1,status\nf,hw1,0.5,60,ok\na,hw1,1,70,ok\nb,hw1,2,75,ok\n"
                 "g,hw1,2,75,ok\nd,hw1,4,80,ok\nb,hw2,1,75,ok\n");
  auto table = run_cli(fmt::format("pareto {}", q(csv)));
  REQUIRE(table.status == 0);
  CHECK(table.out.find("model  hardware  seconds  top1") != std::string::npos);
  auto json = run_cli(fmt::format("pareto {} --minimize-y --format json", q(csv)));
  REQUIRE(json.status == 0);
  auto j = nlohmann::json::parse(json.out)["front"];
  REQUIRE(j.size() == 1);
  CHECK(j[0]["model"] == "f");
  CHECK(j[0]["seconds"] == 0.5);
  auto bad = run_cli(fmt::format("pareto {} --x latency", q(csv)));
  CHECK(bad.status == 2);
  CHECK(bad.err.find("no column 'latency'") != std::string::npos);
}

TEST_CASE("plot_sweep.py draws non-empty PNGs from a small results file", "[sweep][plot]") {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("/usr/bin/python3 not found: skipping the plot script");
    return;
  }
  std::string csv = "model,hardware,weight_bits,seconds,inferences_per_second,dram_bytes,energy_joules,"
                    "tops_per_watt,mac_utilization,top1,status\n";
  struct M {
    const char* name;
    double s, top1;
  };
  for (const auto& hw : {"hw-small", "hw-big"})
    for (const M& m : {M{"net_a", 1e-3, 70}, M{"net_b", 3e-3, 76}, M{"net_c", 9e-3, 74}, M{"net_d", 2e-2, 80}})
      for (int bits : {8, 6, 4}) {
        double f = bits / 8.0;
        csv += fmt::format("{},{},{},{},{},{},{},1,0.5,{},ok\n", m.name, hw, bits, m.s * (0.5 + f / 2), 1 / m.s,
                           int64_t(1e7 * m.s * 100 * f), m.s * 0.4 * f, m.top1);
      }
  csv += "net_e,hw-small,8,,,,,,,77,error: did not fit\n";
  std::string path = temp_file("plot.csv", csv);
  fs::path out = fs::path(path).parent_path() / "figs";
  fs::remove_all(out);
  auto r = sh(fmt::format("/usr/bin/python3 {}/scripts/plot_sweep.py {} -o {}", q(source_dir()), q(path), q(out.string())));
  INFO(r.out);
  REQUIRE(r.status == 0);
  if (r.out.find("matplotlib not available") != std::string::npos) {
    WARN("matplotlib not available: skipping the plot check");
    return;
  }
  for (const char* hw : {"hw-small", "hw-big"}) {
    for (const std::string f : {"tradeoff", "improvement_seconds", "improvement_dram_bytes", "improvement_energy_joules"}) {
      fs::path png = out / fmt::format("{}_{}.png", f, hw);
      INFO(png);
      REQUIRE(fs::exists(png));
      CHECK(fs::file_size(png) > 1000);
      CHECK(read(png.string()).substr(1, 3) == "PNG");
    }
  }
}

TEST_CASE("plot_sweep.py draws the same pictures from a sweep's JSON Lines as from its CSV", "[sweep][plot]") {
  if (!fs::exists("/usr/bin/python3")) {
    WARN("/usr/bin/python3 not found: skipping the plot script");
    return;
  }
  // A two-axis sweep written both ways: line charts per axis, heat maps, the Pareto scatter.
  std::string spec = temp_file("plot2.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n"
                                                         "  ocm.size: [64 KiB, 256 KiB, 1 MiB]\n"
                                                         "  dram.bandwidth: [6 GB/s, 24 GB/s]\n",
                                                         hw1()));
  fs::path dir = fs::path(temp_file("plot2.csv", "")).parent_path();
  std::string csv = (dir / "plot2.csv").string(), jsonl = (dir / "plot2.jsonl").string();
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -q", q(spec), q(csv))).status == 0);
  REQUIRE(run_cli(fmt::format("sweep {} -o {} -q", q(spec), q(jsonl))).status == 0);
  auto plot = [&](const std::string& results, const fs::path& out, const std::string& extra) {
    fs::remove_all(out);
    auto r = sh(fmt::format("/usr/bin/python3 {}/scripts/plot_sweep.py {} -o {} {}", q(source_dir()), q(results),
                            q(out.string()), extra));
    INFO(r.out);
    REQUIRE(r.status == 0);
    std::set<std::string> names;
    if (fs::exists(out))
      for (const auto& e : fs::directory_iterator(out)) names.insert(e.path().filename().string());
    return std::make_pair(r.out, names);
  };
  auto from_csv = plot(csv, dir / "figs_csv", "");
  if (from_csv.first.find("matplotlib not available") != std::string::npos) {
    WARN("matplotlib not available: skipping the plot check");
    return;
  }
  auto from_jsonl = plot(jsonl, dir / "figs_jsonl", "");
  CHECK(from_csv.second == from_jsonl.second);
  for (const std::string f : {"seconds_vs_ocm.size.png", "energy_joules_vs_dram.bandwidth.png",
                              "heatmap_seconds_tinynet.png", "pareto_seconds_energy_joules.png"}) {
    INFO(f);
    CHECK(from_jsonl.second.count(f) == 1);
    // The same rows give the same picture, byte for byte.
    CHECK(read((dir / "figs_csv" / f).string()) == read((dir / "figs_jsonl" / f).string()));
  }
  // Every number of the report is a column of the JSON Lines file.
  auto more = plot(jsonl, dir / "figs_more", "--metrics energy.breakdown.mac,ocm.read_bytes");
  CHECK(more.second.count("energy.breakdown.mac_vs_ocm.size.png") == 1);
  CHECK(more.second.count("ocm.read_bytes_vs_dram.bandwidth.png") == 1);
  // A file that is not a sweep's JSON Lines: one line, exit 2.
  std::string bad = temp_file("bad.jsonl", "{\"point\": 3}\n");
  auto r = sh(fmt::format("/usr/bin/python3 {}/scripts/plot_sweep.py {} -o {}", q(source_dir()), q(bad),
                          q((dir / "figs_bad").string())));
  CHECK(r.status == 2);
  CHECK(r.out.find(bad + ":1: no 'point' object") != std::string::npos);
}

TEST_CASE("sweep: batch is an axis, and each point runs with --batch (issue 10)", "[sweep][batch]") {
  auto s = load("batch.yaml", fmt::format("hardware: {}\nmodels: [tinynet]\naxes:\n  batch: [1, 4]\n", hw1()));
  REQUIRE(s.points.size() == 2);
  CHECK(*s.points[1].batch == 4);
  auto argv = s.points[1].argv("nnasim");
  auto it = std::find(argv.begin(), argv.end(), "--batch");
  REQUIRE(it != argv.end());
  CHECK(*(it + 1) == "4");
  CHECK(std::find(s.identity_columns.begin(), s.identity_columns.end(), "batch") != s.identity_columns.end());
  // `models: zoo` stays the 11 ImageNet classifiers of the study.
  auto study = load("zoo.yaml", fmt::format("hardware: {}\nmodels: zoo\n", hw1()));
  CHECK(study.points.size() == 11);
}
